"""Reads: queries shaped for the scoring engine, the analysts' workspace and reports.

Reads only: writes live in services, and admin pages load what they show through the
functions here. Every function runs a constant number of queries whatever the number of
responses, answers or profiles it reads.
"""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Iterable, Mapping
from typing import Any

from django.db.models import (
    BooleanField,
    Count,
    Exists,
    ExpressionWrapper,
    F,
    FilteredRelation,
    OuterRef,
    Prefetch,
    Q,
    QuerySet,
    Value,
)
from django.db.models.fields.json import KeyTextTransform, KeyTransform
from django.db.models.functions import Coalesce, NullIf
from django.utils import timezone

from .definition import iter_questions
from .display import answer_display
from .models import (
    EDITABLE_STATUSES,
    HANDED_OVER_STATUSES,
    Answer,
    AuditEvent,
    Evidence,
    Profile,
    Questionnaire,
    QuestionnaireVersion,
    Report,
    RescoreJob,
    Response,
    ResponseScore,
    Selection,
)
from .scoring import ENGINE_VERSION, UNRATED, AnswerInput, ScoreResult, inputs_hash

# Scoring inputs ---------------------------------------------------------------------------


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


def affected_responses(profile: Profile) -> QuerySet[Response]:
    """Responses a change to this profile rescores: already scored under it, or submitted."""
    scored = ResponseScore.objects.filter(response=OuterRef("pk"), profile_key=profile.key)
    return Response.objects.filter(version_id=profile.version_id).filter(
        Q(status__in=HANDED_OVER_STATUSES) | Exists(scored)
    )


# Versions and their profiles --------------------------------------------------------------


def profiles_of_versions(version_ids: Iterable[int]) -> dict[int, dict[str, dict[str, Any]]]:
    """{version id: {profile key: the profile in the engine's shape}}, in one query."""
    by_version: dict[int, dict[str, dict[str, Any]]] = defaultdict(dict)
    for profile in Profile.objects.filter(version_id__in=set(version_ids)):
        by_version[profile.version_id][profile.key] = profile_as_dict(profile)
    return by_version


def shared_profiles(
    versions: Iterable[QuestionnaireVersion],
    profiles: Mapping[int, Mapping[str, Mapping[str, Any]]],
) -> tuple[tuple[str, str], ...]:
    """(key, title) of the profiles that every one of these versions defines.

    In the newest version's order (its definition's, so its default profile comes
    first) and with its titles; `profiles` is what `profiles_of_versions` returns.
    Versions compared side by side can only be weighed under a profile they share.
    """
    versions = list(versions)
    if not versions:
        return ()
    newest = max(versions, key=lambda v: v.number)
    common = set.intersection(*(set(profiles.get(v.pk, {})) for v in versions))
    return tuple(
        (p["key"], profiles[newest.pk][p["key"]]["title"])
        for p in newest.definition["profiles"]
        if p["key"] in common
    )


def profiles_shared_by(version_ids: Iterable[int]) -> tuple[tuple[str, str], ...]:
    """`shared_profiles` of the versions with these ids: two queries."""
    versions = list(QuestionnaireVersion.objects.filter(pk__in=set(version_ids)))
    return shared_profiles(versions, profiles_of_versions(v.pk for v in versions))


def selection_profiles(selection: Selection) -> tuple[tuple[str, str], ...]:
    """The profiles every version in the selection defines (none while it is empty)."""
    return profiles_shared_by(selection.responses.values_list("version_id", flat=True))


def default_profile_key_in_sql(version: str = "version") -> KeyTextTransform:
    """QuestionnaireVersion.default_profile_key as SQL, for the version at `version`.

    Follows the same path into the definition as the property does.
    """
    *steps, key = QuestionnaireVersion.DEFAULT_PROFILE_KEY_PATH
    # KT() across a relation is mis-compiled on SQLite in Django 5.2; nesting the
    # transforms explicitly works on SQLite and PostgreSQL alike.
    node: Any = f"{version}__definition"
    for step in steps:
        node = KeyTransform(str(step), node)
    return KeyTextTransform(str(key), node)


# Responses in the workspace ---------------------------------------------------------------


def responses_with_default_score(queryset: QuerySet[Response]) -> QuerySet[Response]:
    """Each response with its stored score under its version's default profile, joined.

    Adds score_value, score_low, score_high, score_coverage, score_tier, score_flags,
    score_override, score_override_tier, and the effective (override first)
    effective_score and effective_tier. One join, never a query per row.
    """
    return (
        queryset.annotate(default_profile_key=default_profile_key_in_sql())
        .annotate(
            default_score=FilteredRelation(
                "scores", condition=Q(scores__profile_key=F("default_profile_key"))
            )
        )
        .annotate(
            score_value=F("default_score__score"),
            score_low=F("default_score__low"),
            score_high=F("default_score__high"),
            score_coverage=F("default_score__coverage"),
            score_tier=F("default_score__tier"),
            score_flags=F("default_score__flag_count"),
            score_override=F("default_score__override_score"),
            score_override_tier=F("default_score__override_tier"),
            effective_score=Coalesce(F("default_score__override_score"), F("default_score__score")),
            effective_tier=Coalesce(
                NullIf(F("default_score__override_tier"), Value("")), F("default_score__tier")
            ),
        )
    )


def overdue() -> Q:
    """Responses past their due date that the vendor can still change."""
    return Q(due_date__lt=timezone.localdate(), status__in=EDITABLE_STATUSES)


def responses_for_listing(queryset: QuerySet[Response]) -> QuerySet[Response]:
    """The response list's rows: vendor and questionnaire joined, `is_overdue`, and the
    default profile's score (see responses_with_default_score).

    The definition can be large and the list never needs it.
    """
    return responses_with_default_score(
        queryset.select_related("vendor", "version__questionnaire")
        .defer("version__definition")
        .annotate(is_overdue=ExpressionWrapper(overdue(), output_field=BooleanField()))
    )


def responses_in_tier(listing: QuerySet[Response], tier: str | None) -> QuerySet[Response]:
    """Those of `responses_for_listing` whose effective tier is `tier`.

    None: not scored yet, that is no stored score or one too thin to rate.
    """
    if tier is None:
        return listing.filter(Q(effective_tier__isnull=True) | Q(effective_tier=UNRATED))
    return listing.filter(effective_tier=tier)


def responses_for_choosing() -> QuerySet[Response]:
    """Every response, labelled by vendor and version without reading the definitions."""
    return (
        Response.objects.select_related("vendor", "version")
        .defer("version__definition")
        .order_by("vendor__name", "version__number")
    )


def response_ids_in_order(responses: QuerySet[Response]) -> list[int]:
    """The ids of these responses as comparisons list them: by vendor, then version."""
    return list(responses.order_by("vendor__name", "version__number").values_list("pk", flat=True))


def questionnaire_response_ids(questionnaire: Questionnaire) -> list[int]:
    """Every response to the questionnaire, all versions, in comparison order."""
    return response_ids_in_order(Response.objects.filter(version__questionnaire=questionnaire))


def selection_response_ids(selection: Selection) -> list[int]:
    """The selection's responses in comparison order."""
    return response_ids_in_order(selection.responses.all())


def questionnaire_count(responses: QuerySet[Response]) -> int:
    """How many questionnaires these responses answer between them."""
    return responses.order_by().values("version__questionnaire").distinct().count()


def response_stored_scores(response: Response) -> dict[str, ResponseScore]:
    """{profile key: stored score} of the response, with who overrode each."""
    return {s.profile_key: s for s in response.scores.select_related("overridden_by")}


def response_history(response: Response, *, limit: int) -> list[AuditEvent]:
    """The response's audit trail, newest first, at most `limit` events."""
    return list(AuditEvent.objects.filter(response=response).select_related("actor_user")[:limit])


def response_evidence(response: Response) -> dict[int, list[Evidence]]:
    """{answer id: its evidence files, oldest first} of the response."""
    by_answer: dict[int, list[Evidence]] = defaultdict(list)
    for item in Evidence.objects.filter(answer__response=response).order_by("uploaded_at"):
        by_answer[item.answer_id].append(item)
    return dict(by_answer)


def response_answers_as_left(response: Response) -> dict[str, dict[str, str]]:
    """{question key: {"display", "comment"}} of the answers as the vendor left them."""
    questions = {q["key"]: q for _, q in iter_questions(response.version.definition)}
    rows = (
        Answer.objects.filter(response=response)
        .annotate(files=Count("evidence"))
        .values("question__key", "value", "comment", "files")
    )
    return {
        row["question__key"]: {
            "display": answer_display(questions[row["question__key"]], row["value"], row["files"])
            if row["value"] not in (None, "", []) or row["files"]
            else "",
            "comment": row["comment"],
        }
        for row in rows
        if row["question__key"] in questions
    }


def selections_with_response_count(queryset: QuerySet[Selection]) -> QuerySet[Selection]:
    """Each selection with `response_total`, how many responses it compares."""
    return queryset.annotate(response_total=Count("responses"))


# Scores and rescoring ---------------------------------------------------------------------


def score_override_history(score: ResponseScore) -> QuerySet[AuditEvent]:
    """The overrides set or removed on this stored score, newest first."""
    return AuditEvent.objects.filter(
        response_id=score.response_id,
        kind=AuditEvent.Kind.SCORE_OVERRIDDEN,
        data__profile_key=score.profile_key,
    ).select_related("actor_user")


def profiles_with_rescore_jobs(queryset: QuerySet[Profile]) -> QuerySet[Profile]:
    """Profiles with their rescoring jobs prefetched, newest first: one query for all."""
    return queryset.prefetch_related(
        Prefetch("rescore_jobs", queryset=RescoreJob.objects.order_by("-created_at", "-id"))
    )


def profile_recent_rescore_jobs(profile: Profile, *, limit: int) -> list[RescoreJob]:
    """The profile's latest rescoring jobs, newest first, with who asked for each."""
    return list(profile.rescore_jobs.select_related("requested_by")[:limit])


# Reports ----------------------------------------------------------------------------------


def reports_previous(
    *, kind: str, selection: Selection | None, response: Response | None, limit: int
) -> list[Report]:
    """The latest reports of this kind on the selection (or else the response)."""
    subject = {"selection": selection} if selection is not None else {"response": response}
    return list(Report.objects.filter(kind=kind, **subject).order_by("-created_at")[:limit])
