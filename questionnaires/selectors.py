"""Reads: queries shaped for the scoring engine, the analysts' workspace and reports.

Reads only: writes live in services, and admin pages load what they show through the
functions here. Every function runs a constant number of queries whatever the number of
responses, answers or profiles it reads.
"""

from __future__ import annotations

import datetime
from collections import defaultdict
from collections.abc import Iterable, Mapping
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any, TypedDict

from django.db.models import (
    BooleanField,
    Case,
    CharField,
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
    When,
)
from django.db.models.fields.json import KeyTextTransform, KeyTransform
from django.db.models.functions import Coalesce, NullIf
from django.utils import timezone

from cxvet.outbox.selectors import (
    PROBLEMS_SHOWN,
    DeliveryProblem,
    DeliveryProblems,
    delivery_problems,
)
from vendors.models import Contact

from .audit import EmailEvent
from .definition import iter_questions, question_numbers, visibility
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
    ReportStatus,
    RescoreJob,
    Response,
    ResponseScore,
    ResponseStatus,
    Selection,
    VersionStatus,
)
from .scoring import ENGINE_VERSION, UNRATED, AnswerInput, ScoreResult, inputs_hash

# Scoring inputs ---------------------------------------------------------------------------


def scoring_inputs(response_ids: Iterable[int]) -> dict[int, dict[str, AnswerInput]]:
    """{response id: {question key: AnswerInput}} for these responses, in one query.

    Every requested id is present, with an empty mapping when it has no answers. An
    answer carried forward from an earlier response and not confirmed yet is left out:
    it counts as unanswered until the vendor confirms or changes it.
    """
    ids = list(dict.fromkeys(response_ids))
    inputs: dict[int, dict[str, AnswerInput]] = {rid: {} for rid in ids}
    if not ids:
        return inputs
    rows = Answer.objects.filter(response_id__in=ids, carried_forward=False).values_list(
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


def profile_titles(pairs: Iterable[tuple[int, str]]) -> dict[tuple[int, str], str]:
    """{(version id, profile key): the profile's title} of these pairs: one query."""
    pairs = set(pairs)
    if not pairs:
        return {}
    rows = Profile.objects.filter(
        version_id__in={v for v, _ in pairs}, key__in={k for _, k in pairs}
    ).values_list("version_id", "key", "title")
    return {(v, k): title for v, k, title in rows if (v, k) in pairs}


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


def round_profile_key_in_sql() -> Case:
    """Response.round_profile_key as SQL: the round's profile where the response's
    version defines it, else the version's default (see default_profile_key_in_sql)."""
    defined = Exists(
        Profile.objects.filter(
            version_id=OuterRef("version_id"), key=OuterRef("selection__profile_key")
        )
    )
    return Case(
        When(defined, then=F("selection__profile_key")),
        default=default_profile_key_in_sql(),
        output_field=CharField(),
    )


# Responses in the workspace ---------------------------------------------------------------


class ListingColumns(TypedDict):
    """What `responses_for_listing` adds to each response (the score's columns are None
    while it has no stored score under its round's profile, score_profile_key)."""

    is_overdue: bool
    default_profile_key: str
    score_profile_key: str
    score_value: float | None
    score_low: float | None
    score_high: float | None
    score_coverage: float | None
    score_tier: str | None
    score_flags: int | None
    score_override: float | None
    score_override_tier: str | None
    effective_score: float | None
    effective_tier: str | None


if TYPE_CHECKING:  # Python 3.11 cannot subscript WithAnnotations with a model at run time
    from django_stubs_ext import WithAnnotations

    ListedResponse = WithAnnotations[Response, ListingColumns]


def responses_with_round_score(queryset: QuerySet[Response]) -> QuerySet[Response]:
    """Each response with its stored score under its round's profile, joined: the
    profile the round's reports weigh it by (Response.round_profile_key), so that the
    list and the reports agree.

    Adds default_profile_key, score_profile_key (the profile scored), score_value,
    score_low, score_high, score_coverage, score_tier, score_flags, score_override,
    score_override_tier, and the effective (override first) effective_score and
    effective_tier. One join, never a query per row.
    """
    return (
        queryset.annotate(
            default_profile_key=default_profile_key_in_sql(),
            score_profile_key=round_profile_key_in_sql(),
        )
        .annotate(
            round_score=FilteredRelation(
                "scores", condition=Q(scores__profile_key=F("score_profile_key"))
            )
        )
        .annotate(
            score_value=F("round_score__score"),
            score_low=F("round_score__low"),
            score_high=F("round_score__high"),
            score_coverage=F("round_score__coverage"),
            score_tier=F("round_score__tier"),
            score_flags=F("round_score__flag_count"),
            score_override=F("round_score__override_score"),
            score_override_tier=F("round_score__override_tier"),
            effective_score=Coalesce(F("round_score__override_score"), F("round_score__score")),
            effective_tier=Coalesce(
                NullIf(F("round_score__override_tier"), Value("")), F("round_score__tier")
            ),
        )
    )


# Days ahead that count as "due soon" in the analyst's queue and the response list.
DUE_SOON_DAYS = 3


def _deadline(lookup: str, day: datetime.date) -> Q:
    """The vendor's deadline compared with `day`: the reply-by date while a clarification
    with one is open, else the due date."""
    asked = Q(status=ResponseStatus.CLARIFICATION_REQUESTED, clarification_reply_by__isnull=False)
    return (asked & Q(**{f"clarification_reply_by__{lookup}": day})) | (
        ~asked & Q(**{f"due_date__{lookup}": day})
    )


def overdue() -> Q:
    """Responses past their deadline that the vendor can still change."""
    return Q(status__in=EDITABLE_STATUSES) & _deadline("lt", timezone.localdate())


def due_soon(days: int = DUE_SOON_DAYS) -> Q:
    """Responses the vendor can still change whose deadline is today or within `days`."""
    today = timezone.localdate()
    return (
        Q(status__in=EDITABLE_STATUSES)
        & _deadline("gte", today)
        & _deadline("lte", today + datetime.timedelta(days=days))
    )


def clarified_before() -> Exists:
    """The response (OuterRef pk) was asked for clarification at least once."""
    return Exists(
        AuditEvent.objects.filter(
            response_id=OuterRef("pk"), kind=AuditEvent.Kind.CLARIFICATION_REQUESTED
        )
    )


def responses_for_listing(queryset: QuerySet[Response]) -> QuerySet[Response]:
    """The response list's rows: vendor and questionnaire joined, `is_overdue`, and the
    score under the round's profile (see responses_with_round_score).

    The definition can be large and the list never needs it.
    """
    return responses_with_round_score(
        queryset.select_related("vendor", "version__questionnaire")
        .defer("version__definition")
        .annotate(is_overdue=ExpressionWrapper(overdue(), output_field=BooleanField()))
    )


def responses_in_tier(
    listing: QuerySet[ListedResponse], tier: str | None
) -> QuerySet[ListedResponse]:
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


def response_delivery_problems(response: Response) -> DeliveryProblems:
    """The response's emails not delivered: its outgoing messages that wait to retry or
    failed, and the emails given up on that the audit trail records (EMAIL_FAILED:
    reminders, notices and each contact's email), newest first (three queries)."""
    failed = AuditEvent.objects.filter(response=response, kind=AuditEvent.Kind.EMAIL_FAILED)
    failures = [
        DeliveryProblem(
            label=event.data.get(EmailEvent.WHAT) or "Email",
            at=event.at,
            failed=True,
            error=event.data.get(EmailEvent.ERROR, ""),
            to=", ".join(event.data.get(EmailEvent.TO) or []),
        )
        for event in failed.order_by("-at", "-pk")[:PROBLEMS_SHOWN]
    ]
    return delivery_problems(response, failures=failures)


def response_history(response: Response, *, limit: int) -> list[AuditEvent]:
    """The response's audit trail, newest first, at most `limit` events."""
    return list(AuditEvent.objects.filter(response=response).select_related("actor_user")[:limit])


def response_clarification_events(response: Response) -> list[AuditEvent]:
    """The response's latest clarification request and the events after it that
    questionnaires.clarifications reads, oldest first; none without a request. Two queries."""
    from .clarifications import KINDS

    request = (
        AuditEvent.objects.filter(response=response, kind=AuditEvent.Kind.CLARIFICATION_REQUESTED)
        .select_related("actor_user")
        .order_by("-at", "-pk")
        .first()
    )
    if request is None:
        return []
    since = Q(at__gt=request.at) | Q(at=request.at, pk__gt=request.pk)
    later = (
        AuditEvent.objects.filter(since, response=response, kind__in=KINDS)
        .select_related("actor_user")
        .order_by("at", "pk")
    )
    return [request, *later]


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


def open_rounds() -> QuerySet[Selection]:
    """Rounds vendors can be invited into: a published version, a due date not passed."""
    return (
        Selection.objects.filter(
            version__status=VersionStatus.PUBLISHED, due_date__gte=timezone.localdate()
        )
        .select_related("version")
        .defer("version__definition")
        .order_by("due_date", "name")
    )


def round_contacts_to_invite() -> QuerySet[Contact]:
    """Every vendor contact, grouped by vendor, for choosing whom to invite into a round."""
    return Contact.objects.select_related("vendor").order_by("vendor__name", "name", "pk")


class ResponseCount(TypedDict):
    response_total: int


def selections_with_response_count(
    queryset: QuerySet[Selection],
) -> QuerySet[WithAnnotations[Selection, ResponseCount]]:
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
    subject: dict[str, Selection | Response | None] = (
        {"selection": selection} if selection is not None else {"response": response}
    )
    return list(Report.objects.filter(kind=kind, **subject).order_by("-created_at")[:limit])


# A vendor's rounds: what changed since its previous response -----------------------------------


@dataclass(frozen=True)
class RoundPoint:
    """One of a vendor's responses to a questionnaire, as the trend lists it."""

    response_id: int
    round_name: str
    version_number: int
    status_label: str
    # When it was submitted, else when the vendor was invited.
    date: datetime.datetime
    submitted: bool
    score: float | None
    low: float | None
    high: float | None
    tier: str
    overridden: bool
    scored: bool
    current: bool


@dataclass(frozen=True)
class ChangedAnswer:
    key: str
    number: str  # "3.6", as the portal numbers it
    text: str
    before: str
    after: str


@dataclass(frozen=True)
class CarriedAnswer:
    key: str
    number: str
    text: str
    value: str


@dataclass(frozen=True)
class VendorRounds:
    """A response beside the vendor's other responses to the same questionnaire."""

    previous: RoundPoint | None
    now: RoundPoint
    # Since `previous`: answers whose value changed, and answers still carried forward
    # from it and not confirmed, in the current questionnaire's order.
    changed: tuple[ChangedAnswer, ...]
    unconfirmed: tuple[CarriedAnswer, ...]
    # Every response of the vendor to the questionnaire, oldest first (this one among them).
    trend: tuple[RoundPoint, ...]
    profile_key: str


def response_vendor_rounds(
    response: Response, *, profile_key: str, now: Any = None
) -> VendorRounds | None:
    """What changed since the vendor's previous response to this questionnaire, and its
    score over all its rounds under `profile_key`; None when it has no other response.

    The previous response is the one this response's answers were carried from, else the
    vendor's latest response to the questionnaire made before this one. Scores are the
    stored ones (an override where there is one); `now`, when given (anything with score,
    low, high and tier, such as the page's live ScoreResult), stands for this response's.
    Three queries whatever the number of rounds and answers.
    """
    rounds = list(
        Response.objects.filter(
            vendor_id=response.vendor_id,
            version__questionnaire_id=response.version.questionnaire_id,
        )
        .select_related("selection", "version")
        .order_by("created_at", "pk")
    )
    if len(rounds) < 2:
        return None
    by_id = {r.pk: r for r in rounds}
    previous = by_id.get(response.carried_from_id) if response.carried_from_id else None
    if previous is None:
        earlier = [r for r in rounds if r.pk != response.pk and r.created_at <= response.created_at]
        previous = earlier[-1] if earlier else None
    scores = {
        s.response_id: s
        for s in ResponseScore.objects.filter(response__in=rounds, profile_key=profile_key)
    }
    trend = tuple(
        _round_point(r, scores.get(r.pk), current=r.pk == response.pk, now=now) for r in rounds
    )
    points = {p.response_id: p for p in trend}
    changed: list[ChangedAnswer] = []
    unconfirmed: list[CarriedAnswer] = []
    if previous is not None:
        changed, unconfirmed = _answer_changes(response, previous)
    return VendorRounds(
        previous=points[previous.pk] if previous is not None else None,
        now=points[response.pk],
        changed=tuple(changed),
        unconfirmed=tuple(unconfirmed),
        trend=trend,
        profile_key=profile_key,
    )


def _round_point(
    response: Response, stored: ResponseScore | None, *, current: bool, now: Any
) -> RoundPoint:
    score: float | None
    low: float | None
    high: float | None
    if current and now is not None:
        score, low, high, tier = now.score, now.low, now.high, now.tier
    elif stored is not None:
        score, low, high, tier = stored.score, stored.low, stored.high, stored.tier
    else:
        score = low = high = None
        tier = ""
    overridden = stored is not None and (
        stored.override_score is not None or bool(stored.override_tier)
    )
    if stored is not None and overridden:
        score = stored.override_score if stored.override_score is not None else score
        tier = stored.override_tier or tier
    return RoundPoint(
        response_id=response.pk,
        round_name=response.selection.name if response.selection else "",
        version_number=response.version.number,
        status_label=str(ResponseStatus(response.status).label),
        date=response.submitted_at or response.created_at,
        submitted=response.submitted_at is not None,
        score=score,
        low=low,
        high=high,
        tier=tier,
        overridden=overridden,
        scored=bool(tier),
        current=current,
    )


def _answer_changes(
    response: Response, previous: Response
) -> tuple[list[ChangedAnswer], list[CarriedAnswer]]:
    """The answers of `response` that differ from `previous`'s (questions both ask, by
    key), and those still carried forward unconfirmed, in questionnaire order."""
    rows = Answer.objects.filter(response_id__in=[response.pk, previous.pk]).values_list(
        "response_id", "question__key", "value", "carried_forward"
    )
    now_values: dict[str, Any] = {}
    then_values: dict[str, Any] = {}
    carried_keys: set[str] = set()
    for response_id, key, value, carried in rows:
        if response_id == response.pk:
            now_values[key] = value
            if carried:
                carried_keys.add(key)
        else:
            then_values[key] = value
    then_questions = {q["key"]: q for _, q in iter_questions(previous.version.definition)}
    # Derived values (a rate from two counts) are worked out, never stored.
    then_values = visibility(previous.version.definition).with_derived(then_values)
    now_values = visibility(response.version.definition).with_derived(now_values)
    changed: list[ChangedAnswer] = []
    unconfirmed: list[CarriedAnswer] = []
    numbers = question_numbers(response.version.definition)
    for _, question in iter_questions(response.version.definition):
        key = question["key"]
        number = numbers[key]
        value = now_values.get(key)
        if key in carried_keys:
            unconfirmed.append(
                CarriedAnswer(key, number, question["text"], answer_display(question, value))
            )
            continue
        if key not in then_questions:
            continue
        before = then_values.get(key)
        if _same_answer(before, value):
            continue
        changed.append(
            ChangedAnswer(
                key=key,
                number=number,
                text=question["text"],
                before=answer_display(then_questions[key], before),
                after=answer_display(question, value),
            )
        )
    return changed, unconfirmed


def _same_answer(before: Any, after: Any) -> bool:
    empty: tuple[Any, ...] = (None, "", [])
    return (before in empty and after in empty) or before == after


# The audit events that change what a report shows (the rest, such as links, emails and
# reports themselves, change nothing in it).
REPORT_INPUT_EVENTS = (
    AuditEvent.Kind.ANSWER_CHANGED,
    AuditEvent.Kind.STATUS_CHANGED,
    AuditEvent.Kind.EVIDENCE_ADDED,
    AuditEvent.Kind.EVIDENCE_VERIFIED,
    AuditEvent.Kind.CLARIFICATION_REQUESTED,
    AuditEvent.Kind.SCORE_OVERRIDDEN,
    AuditEvent.Kind.ANSWERS_CARRIED_FORWARD,
    AuditEvent.Kind.ANSWERS_CONFIRMED,
)


def reports_with_change_signal(queryset: QuerySet[Report]) -> QuerySet[Report]:
    """Reports with `changed_since`: ready, and something its inputs are made of was
    recorded after it was rendered (an answer, status, evidence or override event on
    its responses, a score recomputed, the profile re-weighted, a vendor added to the
    round, the round saved). One query for any number of reports.

    A signal, not the answer: what changed may have been changed back, so
    reports.staleness compares snapshots for the reports it flags.
    """
    since = Coalesce(OuterRef("claimed_at"), OuterRef("created_at"))
    ours = Q(response_id=OuterRef("response_id")) | Q(
        response__selection_id=OuterRef("selection_id")
    )
    events = AuditEvent.objects.filter(ours, kind__in=REPORT_INPUT_EVENTS, at__gt=since)
    scores = ResponseScore.objects.filter(ours, profile_key=OuterRef("profile_key")).filter(
        Q(computed_at__gt=since) | Q(overridden_at__gt=since)
    )
    profiles = Profile.objects.filter(
        Q(version__responses__pk=OuterRef("response_id"))
        | Q(version__responses__selection_id=OuterRef("selection_id")),
        key=OuterRef("profile_key"),
        updated_at__gt=since,
    )
    joined = Response.objects.filter(selection_id=OuterRef("selection_id"), created_at__gt=since)
    return queryset.annotate(
        changed_since=ExpressionWrapper(
            Q(status=ReportStatus.READY)
            & (
                Exists(events)
                | Exists(scores)
                | Exists(profiles)
                | Exists(joined)
                | Q(selection__updated_at__gt=Coalesce(F("claimed_at"), F("created_at")))
            ),
            output_field=BooleanField(),
        )
    )


def latest_ready_reports(queryset: QuerySet[Report]) -> QuerySet[Report]:
    """The ready reports that no later ready report of the same kind, subject and
    profile replaces: the ones an analyst would hand out."""
    newer = Report.objects.filter(
        Q(selection_id=OuterRef("selection_id")) | Q(response_id=OuterRef("response_id")),
        Q(created_at__gt=OuterRef("created_at"))
        | Q(created_at=OuterRef("created_at"), pk__gt=OuterRef("pk")),
        kind=OuterRef("kind"),
        profile_key=OuterRef("profile_key"),
        status=ReportStatus.READY,
    )
    return queryset.filter(status=ReportStatus.READY).exclude(Exists(newer))


def report_snapshots(report_ids: Iterable[int]) -> dict[int, Any]:
    """{report id: the snapshot it kept (Report.inputs), or None}: one query, for lists
    that leave the (large) snapshots out of their rows."""
    return dict(Report.objects.filter(pk__in=list(report_ids)).values_list("pk", "inputs"))


def round_response_ids(selection_ids: Iterable[int]) -> dict[int, list[int]]:
    """{selection id: its responses' ids, in id order}: one query."""
    by_round: dict[int, list[int]] = defaultdict(list)
    for selection_id, pk in (
        Response.objects.filter(selection_id__in=list(selection_ids))
        .order_by("pk")
        .values_list("selection_id", "pk")
    ):
        by_round[selection_id].append(pk)
    return by_round


# The analyst's queue ------------------------------------------------------------------------


def in_round(round_id: int | None, path: str = "selection_id") -> Q:
    """Rows of round `round_id` (`path` leads to its id); everything when None."""
    return Q(**{path: round_id}) if round_id is not None else Q()


def reports_in_round(round_id: int | None) -> Q:
    """Comparisons of the round and assessments of its responses; everything when None."""
    if round_id is None:
        return Q()
    return Q(selection_id=round_id) | Q(response__selection_id=round_id)


def delivery_problems_about_responses(round_id: int | None) -> QuerySet:
    """Outgoing messages about responses (of the round) that failed or wait to retry."""
    from django.contrib.contenttypes.models import ContentType

    from cxvet.outbox.models import OutboxMessage

    messages = OutboxMessage.objects.with_problems().filter(
        subject_type=ContentType.objects.get_for_model(Response)
    )
    if round_id is not None:
        messages = messages.filter(
            subject_id__in=Response.objects.filter(selection_id=round_id).values("pk")
        )
    return messages


@dataclass(frozen=True)
class QueueCounts:
    """What needs the analyst; None where the reader may not see that kind of thing."""

    to_review: int | None = None  # submitted, never asked for clarification
    clarified: int | None = None  # submitted again after a clarification, not accepted
    overdue: int | None = None  # still open, past the deadline
    due_soon: int | None = None  # still open, deadline within DUE_SOON_DAYS
    failed_deliveries: int | None = None  # emails about responses that failed or wait
    stale_reports: int | None = None  # latest ready reports whose inputs changed since


def queue_counts(
    *,
    round_id: int | None,
    responses: bool,
    deliveries: bool,
    reports: bool,
    comparisons: bool,
) -> QueueCounts:
    """The analyst's queue, for one round or all, in a constant number of queries: one
    for the responses, one for the messages, and the stale check of the reports that
    something was recorded against (reports.staleness). The flags say what the reader
    may see (access.py decides): responses, messages about them, reports (and among
    them comparisons)."""
    counts: dict[str, int | None] = {}
    if responses:
        submitted = Q(status=ResponseStatus.SUBMITTED)
        counts.update(
            Response.objects.filter(in_round(round_id))
            .annotate(was_clarified=clarified_before())
            .aggregate(
                to_review=Count("pk", filter=submitted & Q(was_clarified=False)),
                clarified=Count("pk", filter=submitted & Q(was_clarified=True)),
                overdue=Count("pk", filter=overdue()),
                due_soon=Count("pk", filter=due_soon()),
            )
        )
    if deliveries:
        counts["failed_deliveries"] = delivery_problems_about_responses(round_id).count()
    if reports:
        from .reports.staleness import stale_report_ids

        candidates = latest_ready_reports(
            reports_with_change_signal(Report.objects.filter(reports_in_round(round_id)))
        ).filter(changed_since=True)  # type: ignore[misc]  # annotated by the selector
        if not comparisons:
            candidates = candidates.filter(selection__isnull=True)
        counts["stale_reports"] = len(stale_report_ids(candidates.defer("inputs")))
    return QueueCounts(**counts)


def rounds_for_choosing() -> QuerySet[Selection]:
    """Every round, newest first, for a filter's choices."""
    return Selection.objects.order_by("-created_at", "-pk").only("pk", "name")
