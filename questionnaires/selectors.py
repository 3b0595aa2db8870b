"""Read-only queries that feed the scoring engine with plain data.

Reads only: writes live in services. Every function here runs a constant number of
queries whatever the number of responses.
"""

from __future__ import annotations

from collections.abc import Iterable
from typing import Any

from .models import Answer, Profile, ResponseScore
from .scoring import ENGINE_VERSION, AnswerInput, ScoreResult, inputs_hash


def scoring_inputs(response_ids: Iterable[int]) -> dict[int, dict[str, AnswerInput]]:
    """{response id: {question key: AnswerInput}} for these responses, in one query.

    Every requested id is present, with an empty mapping when it has no answers.
    """
    ids = list(dict.fromkeys(response_ids))
    inputs: dict[int, dict[str, AnswerInput]] = {rid: {} for rid in ids}
    if not ids:
        return inputs
    rows = Answer.objects.filter(response_id__in=ids).values_list(
        "response_id", "question__key", "value", "evidence_level"
    )
    for response_id, key, value, level in rows.iterator(chunk_size=5000):
        inputs[response_id][key] = AnswerInput(value, level)
    return inputs


def profile_as_dict(profile: Profile) -> dict[str, Any]:
    """The profile in the engine's shape (that of definition["profiles"][i])."""
    return {
        "key": profile.key,
        "title": profile.title,
        "section_weights": dict(profile.section_weights or {}),
        "rules": list(profile.rules or []),
    }


def stale_scores(response_ids: Iterable[int]) -> list[ResponseScore]:
    """The stored scores of these responses that no longer match their inputs.

    A score is stale when the engine version changed, or when the answers, evidence
    levels, profile weights or rules differ from those it was computed from (the inputs
    hash), or when its profile no longer exists. Four queries.
    """
    scores = list(
        ResponseScore.objects.filter(response_id__in=list(response_ids)).select_related(
            "response__version"
        )
    )
    if not scores:
        return []
    version_ids = {s.response.version_id for s in scores}
    profiles = {
        (p.version_id, p.key): profile_as_dict(p)
        for p in Profile.objects.filter(version_id__in=version_ids)
    }
    inputs = scoring_inputs(s.response_id for s in scores)
    stale = []
    for score in scores:
        version = score.response.version
        profile = profiles.get((version.id, score.profile_key))
        if (
            profile is None
            or score.engine_version != ENGINE_VERSION
            or score.inputs_hash
            != inputs_hash(version.content_hash, profile, inputs[score.response_id])
        ):
            stale.append(score)
    return stale


def response_score_result(response_score: ResponseScore) -> ScoreResult:
    """The stored result rebuilt as a ScoreResult (for explanations and reports)."""
    return ScoreResult.from_dict(response_score.result)
