"""Scoring responses, analysts' overrides, and rescoring after a profile changes.

The engine (questionnaires.scoring) is pure; this module feeds it from the database and
stores what it returns as ResponseScore rows (one per response and profile).
"""

from __future__ import annotations

import datetime
import gc
import json
import math
from collections import OrderedDict
from collections.abc import Iterable, Iterator, Mapping
from contextlib import contextmanager
from dataclasses import dataclass
from typing import Any, NamedTuple

import psycopg
from django.contrib.auth.models import User
from django.core.exceptions import ValidationError
from django.db import connection, transaction
from django.db.models import F, QuerySet
from django.db.models.functions import Coalesce
from django.utils import timezone

from cxvet.outbox.services import outbox_enqueue

from ..definition import is_positive_weight
from ..models import (
    AuditEvent,
    Profile,
    QuestionnaireVersion,
    RescoreJob,
    Response,
    ResponseScore,
)
from ..scoring import TIERS, ScoringPlan, StoredScore, compile_plan, tier_for
from ..selectors import affected_responses, profile_as_dict, scoring_inputs

RESCORE_BATCH_SIZE = 1000
# Within a batch, scores are written in chunks so that writing overlaps scoring.
WRITE_CHUNK_SIZE = 250
PLAN_CACHE_SIZE = 16
_PLANS: OrderedDict[tuple, ScoringPlan] = OrderedDict()
MIN_JUSTIFICATION_LENGTH = 20
MIN_JUSTIFICATION_WORDS = 4
ACTIVE_JOB_STATUSES = (RescoreJob.Status.QUEUED, RescoreJob.Status.RUNNING)

# Written on every scoring: the engine's columns (StoredScore) but the key, and the time.
_COMPUTED_FIELDS = [*(f for f in StoredScore._fields if f != "profile_key"), "computed_at"]


# Computing and storing scores ----------------------------------------------------------


def response_score(
    *, response: Response, profile_keys: Iterable[str] | None = None
) -> list[ResponseScore]:
    """Score a response under every profile of its version (or the named ones) and store it.

    Overrides stay as they are: the new computed values sit next to them. Raises
    ValueError naming the version's profiles when a profile key is unknown.
    """
    version = response.version
    profiles = _version_profiles(version, profile_keys)
    inputs = scoring_inputs([response.id])[response.id]
    now = timezone.now()
    rows = [
        _score_row(response.id, version.content_hash, _plan(version, profile), inputs)
        for profile in profiles
    ]
    with transaction.atomic():
        _upsert(rows, now)
    return list(
        ResponseScore.objects.filter(
            response=response, profile_key__in=[p.key for p in profiles]
        ).order_by("profile_key")
    )


@dataclass(frozen=True)
class Recomputed:
    """What `response_scores_recompute` did: how many scores, and which it could not."""

    count: int
    # Stored scores under a profile that the response's version no longer defines.
    missing: list[tuple[Response, list[str]]]


def response_scores_recompute(*, scores: QuerySet[ResponseScore]) -> Recomputed:
    """Compute these stored scores again now (overrides stay as they are).

    A score whose profile its version no longer defines is left alone and reported.
    """
    profiles_by_response: dict[int, set[str]] = {}
    for response_id, key in scores.values_list("response_id", "profile_key"):
        profiles_by_response.setdefault(response_id, set()).add(key)
    responses = Response.objects.select_related("version").in_bulk(profiles_by_response)
    count = 0
    missing = []
    with transaction.atomic():
        for response_id, keys in profiles_by_response.items():
            response = responses[response_id]
            known = {p["key"] for p in response.version.definition["profiles"]}
            if keys - known:
                missing.append((response, sorted(keys - known)))
            count += len(response_score(response=response, profile_keys=sorted(keys & known)))
    return Recomputed(count=count, missing=missing)


def response_scores_refresh(*, profile: Profile, response_ids: list[int]) -> int:
    """Score many responses of the profile's version under it, in one bulk write.

    One query reads the answers; the scores are written in chunks of WRITE_CHUNK_SIZE,
    one statement each. Returns how many were scored.
    """
    version = profile.version
    plan = _plan(version, profile)
    with _cyclic_gc_paused():
        inputs = scoring_inputs(response_ids)
        now = timezone.now()
        with transaction.atomic(), _writes_pipelined():
            for start in range(0, len(response_ids), WRITE_CHUNK_SIZE):
                chunk = response_ids[start : start + WRITE_CHUNK_SIZE]
                rows = [_score_row(rid, version.content_hash, plan, inputs[rid]) for rid in chunk]
                _upsert(rows, now)
    return len(response_ids)


@contextmanager
def _writes_pipelined() -> Iterator[None]:
    """On PostgreSQL, send each chunk's upsert without waiting for its result.

    The server writes one chunk while this process scores the next (psycopg's pipeline
    mode); errors still surface, at the end of the block, inside the transaction.
    """
    if connection.vendor != "postgresql":
        yield
        return
    connection.ensure_connection()
    with connection.connection.pipeline():
        yield


@contextmanager
def _cyclic_gc_paused() -> Iterator[None]:
    """Hold the cycle collector while a batch is read, scored and written (reference
    counting still frees).

    Neither reading the answers nor scoring them creates reference cycles, but both
    allocate enough objects (a batch reads tens of thousands of answers) to set the
    collector off again and again over everything the batch keeps alive: measured, a
    fifth of a rescoring job's time (benchmarks/results/rescoring.md). A batch is
    bounded, so nothing piles up; the collector resumes (if it was on) when it is done.
    """
    was_enabled = gc.isenabled()
    gc.disable()
    try:
        yield
    finally:
        if was_enabled:
            gc.enable()


def _plan(version: QuestionnaireVersion, profile: Profile) -> ScoringPlan:
    """The compiled plan for a version and a profile as it stands, reused across batches.

    A plan memoises per visibility pattern and per answer risk; a rescoring job's
    batches (and a worker's later jobs) share that work instead of starting cold.
    """
    as_dict = profile_as_dict(profile)
    key = (version.pk, version.content_hash, json.dumps(as_dict, sort_keys=True, default=str))
    plan = _PLANS.get(key)
    if plan is None:
        plan = _PLANS[key] = compile_plan(version.definition, as_dict)
        while len(_PLANS) > PLAN_CACHE_SIZE:
            _PLANS.popitem(last=False)
    else:
        _PLANS.move_to_end(key)
    return plan


def _version_profiles(
    version: QuestionnaireVersion, profile_keys: Iterable[str] | None
) -> list[Profile]:
    profiles = list(version.profiles.all())
    if profile_keys is None:
        return profiles
    wanted = list(dict.fromkeys(profile_keys))
    by_key = {p.key: p for p in profiles}
    unknown = [key for key in wanted if key not in by_key]
    if unknown:
        known = ", ".join(sorted(by_key)) or "none"
        raise ValueError(
            f"Unknown profile {', '.join(map(repr, unknown))} for {version}: "
            f"the version's profiles are {known}."
        )
    return [by_key[key] for key in wanted]


class _Row(NamedTuple):
    """One ResponseScore to write: the response and the computed columns."""

    response_id: int
    score: StoredScore


def _score_row(response_id: int, definition_hash: str, plan: ScoringPlan, inputs: Mapping) -> _Row:
    return _Row(response_id, plan.stored(inputs, plan.inputs_hash(definition_hash, inputs)))


def _upsert(rows: list[_Row], computed_at: datetime.datetime) -> None:
    """Insert or update the computed columns; the override columns are never touched."""
    if not rows:
        return
    if connection.vendor == "postgresql":
        _upsert_postgresql(rows, computed_at)
        return
    ResponseScore.objects.bulk_create(
        [
            ResponseScore(
                response_id=r.response_id,
                computed_at=computed_at,
                **{**r.score._asdict(), "result": json.loads(r.score.result)},
            )
            for r in rows
        ],
        update_conflicts=True,
        unique_fields=["response", "profile_key"],
        update_fields=_COMPUTED_FIELDS,
        batch_size=500,
    )


# PostgreSQL types of the columns; the result travels as text and becomes jsonb.
_PG_TYPES = {
    "response_id": "bigint",
    "score": "float8",
    "low": "float8",
    "high": "float8",
    "coverage": "float8",
    "flag_count": "integer",
}
_PG_COLUMNS = tuple(
    (name, _PG_TYPES.get(name, "text")) for name in ("response_id", *StoredScore._fields)
)


def _upsert_postgresql(rows: list[_Row], computed_at: datetime.datetime) -> None:
    # Measured (benchmarks/results/rescoring.md): bulk_create quotes every parameter in
    # Python on Django's client-side-binding cursor, which took longer than scoring. One
    # INSERT ... SELECT FROM unnest(arrays) with server-side binding sends the columns as
    # ten arrays and lets PostgreSQL do the rest.
    table = ResponseScore._meta.db_table
    names = [name for name, _ in _PG_COLUMNS]
    # %b: binary parameters, so text is sent as it is rather than escaped into literals.
    arrays = ", ".join(f"%b::{kind}[]" for _, kind in _PG_COLUMNS)
    updates = ", ".join(f"{name} = EXCLUDED.{name}" for name in _COMPUTED_FIELDS)
    sql = (
        f"INSERT INTO {table} ({', '.join(names)}, computed_at, override_tier, "
        f"override_reason, override_justification) "
        f"SELECT {', '.join(f'u.{n}' for n in names if n != 'result')}, u.result::jsonb, "
        f"%s, '', '', '' FROM unnest({arrays}) AS u({', '.join(names)}) "
        f"ON CONFLICT (response_id, profile_key) DO UPDATE SET {updates}"
    )
    # In _PG_COLUMNS' order: the response ids, then each of the engine's columns.
    columns = [
        [r.response_id for r in rows],
        *map(list, zip(*(r.score for r in rows), strict=True)),
    ]
    connection.ensure_connection()
    # Placeholders in the SQL's order: computed_at in the SELECT list, then the arrays.
    with psycopg.Cursor(connection.connection) as cursor:
        cursor.execute(sql, [computed_at, *columns])


# Overrides -------------------------------------------------------------------------------


def score_override(
    *,
    response_score: ResponseScore,
    user: User | None,
    score: float | None,
    tier: str,
    justification: str,
    reason: str | None = None,
) -> ResponseScore:
    """Set an analyst's score and/or tier next to the computed ones, with the reasons.

    `reason` is the buyer's: printed beside the overridden score in the reports, and
    required. `justification` is the internal note, for analysts only: never printed.
    `reason=None` is a caller that does not ask for one yet (the override is then
    printed as "Adjusted by the analyst", as the overrides made before there was one).
    `tier` may be blank when a score is given: it then follows from the score (and the
    computed result's flags). Raises ValidationError naming the field at fault. The
    change is recorded as an AuditEvent with the values before and after, and both texts.
    """
    justification = " ".join((justification or "").split())
    errors = _override_errors(score, tier, justification)
    if reason is not None:
        reason = " ".join(reason.split())
        problem = _reason_error(reason)
        if problem:
            errors["reason"] = problem
    if errors:
        raise ValidationError(errors)
    if not tier:
        flags = [f["severity"] for f in response_score.result.get("flags", [])]
        tier = tier_for(score, flags)
    return _write_override(
        response_score,
        user,
        justification,
        reason=reason or "",
        override_score=score,
        override_tier=tier,
        override_reason=reason or "",
        override_justification=justification,
        overridden_by=user,
        overridden_at=timezone.now(),
    )


def response_score_override(
    *,
    response: Response,
    profile_key: str,
    user: User | None,
    score: float | None,
    tier: str,
    justification: str,
    reason: str | None = None,
) -> ResponseScore:
    """Override the response's score under a profile, scoring it first if it never was.

    As `score_override`, which it calls: raises ValidationError naming the field at
    fault, and then writes nothing (not even the first score).
    """
    with transaction.atomic():
        stored = ResponseScore.objects.filter(response=response, profile_key=profile_key).first()
        if stored is None:
            [stored] = response_score(response=response, profile_keys=[profile_key])
        return score_override(
            response_score=stored,
            user=user,
            score=score,
            tier=tier,
            justification=justification,
            reason=reason,
        )


def score_override_clear(
    *, response_score: ResponseScore, user: User | None, justification: str
) -> ResponseScore:
    """Remove an override (the computed values apply again); the reason is recorded."""
    justification = " ".join((justification or "").split())
    problem = _justification_error(justification)
    if problem:
        raise ValidationError({"justification": problem})
    return _write_override(
        response_score,
        user,
        justification,
        reason="",
        override_score=None,
        override_tier="",
        override_reason="",
        override_justification="",
        overridden_by=None,
        overridden_at=None,
    )


def _write_override(
    response_score: ResponseScore,
    user: User | None,
    justification: str,
    *,
    reason: str,
    **fields: Any,
) -> ResponseScore:
    """Write the override fields under a row lock and record the change with its reasons."""
    with transaction.atomic():
        locked = ResponseScore.objects.select_for_update().get(pk=response_score.pk)
        before = _override_state(locked)
        for name, value in fields.items():
            setattr(locked, name, value)
        locked.save(update_fields=list(fields))
        _record_override(locked, user, before, justification, reason)
    return locked


def _override_errors(score: float | None, tier: str, justification: str) -> dict[str, str]:
    errors: dict[str, str] = {}
    if score is not None and (not isinstance(score, (int, float)) or not 0 <= score <= 100):
        errors["score"] = f"The score must be a number from 0 to 100, got {score!r}."
    elif score is not None and math.isnan(score):
        errors["score"] = "The score must be a number from 0 to 100."
    if tier and tier not in TIERS:
        errors["tier"] = f"The tier must be one of {', '.join(TIERS)}, got {tier!r}."
    if score is None and not tier:
        errors["score"] = "Give an overriding score, a tier, or both."
    problem = _justification_error(justification)
    if problem:
        errors["justification"] = problem
    return errors


def _reason_error(reason: str) -> str | None:
    if len(reason) < MIN_JUSTIFICATION_LENGTH or len(reason.split()) < MIN_JUSTIFICATION_WORDS:
        return (
            "Write the reason for the buyer, of at least "
            f"{MIN_JUSTIFICATION_WORDS} words and {MIN_JUSTIFICATION_LENGTH} characters: "
            "it is printed beside the adjusted score in the reports."
        )
    return None


def _justification_error(justification: str) -> str | None:
    if len(justification) < MIN_JUSTIFICATION_LENGTH or (
        len(justification.split()) < MIN_JUSTIFICATION_WORDS
    ):
        return (
            "Write a justification of at least "
            f"{MIN_JUSTIFICATION_WORDS} words and {MIN_JUSTIFICATION_LENGTH} characters: "
            "what the computed score misses and what evidence supports the change."
        )
    if len(set(justification.replace(" ", "").lower())) < 5:
        return "The justification must explain the change in words."
    return None


def _override_state(score: ResponseScore) -> dict[str, Any]:
    return {
        "computed_score": score.score,
        "computed_tier": score.tier,
        "override_score": score.override_score,
        "override_tier": score.override_tier,
    }


def _record_override(
    score: ResponseScore,
    user: User | None,
    before: dict[str, Any],
    justification: str,
    reason: str,
) -> None:
    AuditEvent.objects.create(
        response_id=score.response_id,
        kind=AuditEvent.Kind.SCORE_OVERRIDDEN,
        actor_user=user,
        actor_label=getattr(user, "get_username", lambda: "")() if user else "",
        data={
            "profile_key": score.profile_key,
            "response_score_id": score.pk,
            "before": before,
            "after": _override_state(score),
            "justification": justification,  # the internal note
            "reason": reason,  # the buyer's
        },
    )


# Profiles and rescoring ------------------------------------------------------------------


def profile_weights_update(
    *, profile: Profile, section_weights: dict[str, Any], user: User | None
) -> RescoreJob:
    """Save a profile's section weights and rescore every affected response in batches.

    `section_weights` maps section keys to positive numbers; a section left out keeps
    its own weight from the definition. Raises ValidationError listing every problem.
    The rescoring starts after the transaction commits; the returned job shows progress.
    """
    weights = _clean_weights(profile, section_weights)
    with transaction.atomic():
        locked = Profile.objects.select_for_update().get(pk=profile.pk)
        before = dict(locked.section_weights or {})
        locked.section_weights = weights
        locked.save(update_fields=["section_weights", "updated_at"])
        job = _rescore_job_start(
            profile=locked,
            user=user,
            reason="Section weights changed",
            weights_before=before,
        )
    profile.section_weights = weights
    return job


def profile_rescore(
    *, profile: Profile, user: User | None, reason: str = "Requested"
) -> RescoreJob:
    """Rescore every affected response under the profile as it stands (e.g. on request)."""
    with transaction.atomic():
        return _rescore_job_start(
            profile=profile,
            user=user,
            reason=reason,
            weights_before=dict(profile.section_weights or {}),
        )


def profiles_rescore(
    *, profiles: Iterable[Profile], user: User | None, reason: str = "Requested"
) -> list[RescoreJob]:
    """`profile_rescore` for each of these profiles, in one transaction."""
    with transaction.atomic():
        return [profile_rescore(profile=profile, user=user, reason=reason) for profile in profiles]


def _clean_weights(profile: Profile, section_weights: Mapping[str, Any]) -> dict[str, float]:
    section_keys = [s["key"] for s in profile.version.definition["sections"]]
    errors = []
    cleaned: dict[str, float] = {}
    if not isinstance(section_weights, Mapping):
        raise ValidationError("Section weights must map section keys to numbers.")
    for key, weight in section_weights.items():
        if key not in section_keys:
            errors.append(
                f"{key!r} is not a section of this questionnaire (sections: "
                f"{', '.join(section_keys)})."
            )
            continue
        if not is_positive_weight(weight):
            errors.append(f"The weight of {key!r} must be a positive number, got {weight!r}.")
            continue
        cleaned[key] = weight
    if errors:
        raise ValidationError(errors)
    # Keep the definition's section order so the stored JSON reads naturally.
    return {key: cleaned[key] for key in section_keys if key in cleaned}


def _rescore_job_start(
    *,
    profile: Profile,
    user: User | None,
    reason: str,
    weights_before: dict[str, Any],
) -> RescoreJob:
    # A newer job rescores with the newest weights; older ones would only repeat work.
    RescoreJob.objects.filter(profile=profile, status__in=ACTIVE_JOB_STATUSES).update(
        status=RescoreJob.Status.SUPERSEDED, finished_at=timezone.now()
    )
    job = RescoreJob.objects.create(
        profile=profile,
        reason=reason,
        weights_before=weights_before,
        weights_after=dict(profile.section_weights or {}),
        total=affected_responses(profile).count(),
        requested_by=user if getattr(user, "pk", None) else None,
    )
    _queue_batch(job.pk, 0)
    return job


def _queue_batch(job_id: int, after_id: int) -> None:
    from ..tasks.scoring import rescore_batch  # the task module imports this one

    outbox_enqueue(
        task=rescore_batch,
        kwargs={"job_id": job_id, "after_id": after_id},
        subject=RescoreJob(pk=job_id),
    )


def rescore_job_advance(*, job_id: int, after_id: int) -> int | None:
    """Score the next batch of a job after response id `after_id`.

    Returns the new cursor when more batches remain (the next batch is then queued),
    None when the job is finished, superseded, or this batch was already done (a
    redelivered task): the cursor is claimed with a conditional update inside the same
    transaction as the scores.
    """
    with transaction.atomic():
        job = (
            RescoreJob.objects.select_for_update()
            .select_related("profile__version")
            .filter(pk=job_id)
            .first()
        )
        if job is None or job.status not in ACTIVE_JOB_STATUSES or job.cursor != after_id:
            return None
        ids = list(
            affected_responses(job.profile)
            .filter(pk__gt=after_id)
            .order_by("pk")
            .values_list("pk", flat=True)[:RESCORE_BATCH_SIZE]
        )
        if ids:
            response_scores_refresh(profile=job.profile, response_ids=ids)
        finished = len(ids) < RESCORE_BATCH_SIZE
        now = timezone.now()
        changes: dict[str, Any] = {
            "cursor": ids[-1] if ids else after_id,
            "done": F("done") + len(ids),
            "status": RescoreJob.Status.DONE if finished else RescoreJob.Status.RUNNING,
            "started_at": Coalesce(F("started_at"), now),
        }
        if finished:
            changes["finished_at"] = now
        claimed = RescoreJob.objects.filter(
            pk=job_id, cursor=after_id, status__in=ACTIVE_JOB_STATUSES
        ).update(**changes)
        if not claimed:
            transaction.set_rollback(True)
            return None
        if finished:
            # Responses submitted while the job ran are included: the total follows.
            RescoreJob.objects.filter(pk=job_id, total__lt=F("done")).update(total=F("done"))
            return None
        # Queued in the same transaction as the cursor: the job never stops half-way.
        _queue_batch(job_id, ids[-1])
        return ids[-1]


def rescore_job_fail(*, job_id: int, error: str) -> None:
    """Mark a job failed with a message an analyst can act on."""
    RescoreJob.objects.filter(pk=job_id, status__in=ACTIVE_JOB_STATUSES).update(
        status=RescoreJob.Status.FAILED, error=error[:2000], finished_at=timezone.now()
    )
