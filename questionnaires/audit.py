"""Audit events: the keys each kind's `data` carries, and the one description for people.

The key constants below name what each kind's `data` carries, one StrEnum per kind
(`DATA_KEYS` lists them all); whoever records an event builds its `data` with the
`<kind>_data` function of its kind. Whoever shows an event (the response page's
history, the audit trail in the admin, the assessment PDF's history) describes it with
`describe_event`, so an event reads the same everywhere: statuses, evidence levels,
tiers and profiles by their labels, questions by number and text, answers as
questionnaires.display formats them.
"""

from __future__ import annotations

import datetime
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass, field
from decimal import Decimal
from enum import StrEnum
from typing import Any

from .definition import iter_questions, question_numbers
from .display import answer_display, score_shown, shorten
from .evidence import human_size
from .expressions import is_answered
from .models import AuditEvent, Evidence, EvidenceLevel, Question, ReportKind, ResponseStatus
from .templatetags.workspace import TIER_WORDS

Kind = AuditEvent.Kind
KIND_LABELS = dict(Kind.choices)


class StatusChanged(StrEnum):
    """`data` of a status change (STATUS_CHANGED): ResponseStatus values."""

    FROM = "from"
    TO = "to"
    CLARIFIED = "clarified"  # on a resubmission: the keys of the questions reopened


class AnswerChanged(StrEnum):
    """`data` of a saved answer, or of a file removed from one (ANSWER_CHANGED)."""

    QUESTION = "question"  # the question's key, as in every kind that names a question
    VALUE = "value"
    COMMENT = "comment"
    REVISION = "revision"
    # The answer as it stood before the save (None and "" when there was none). Events
    # recorded before these keys existed lack them: describe_event then shows the new
    # answer alone.
    OLD_VALUE = "old_value"
    OLD_COMMENT = "old_comment"
    EVIDENCE_REMOVED = "evidence_removed"  # the removed file's name, instead of a value
    # The AccessLink's id, when a vendor contact made the change through the portal (the
    # actor label names the contact; the link says which invitation). Never its token.
    LINK = "link"


class EvidenceAdded(StrEnum):
    """`data` of a file attached to an answer (EVIDENCE_ADDED)."""

    QUESTION = "question"
    EVIDENCE = "evidence"  # the Evidence row's id
    NAME = "name"  # the file's original name
    SIZE = "size"  # bytes
    SHA256 = "sha256"


class EvidenceVerified(StrEnum):
    """`data` of an evidence level set by an analyst (EVIDENCE_VERIFIED): EvidenceLevel values."""

    QUESTION = "question"
    FROM = "from"
    TO = "to"


class ClarificationRequested(StrEnum):
    """`data` of a clarification request (CLARIFICATION_REQUESTED)."""

    FROM = "from"  # the status before, a ResponseStatus value
    TO = "to"
    NOTE = "note"  # the note for the whole request
    QUESTIONS = "questions"  # {question key: that question's note}
    DOCUMENTS = "documents"  # the keys of the questions a document is asked for on
    REPLY_BY = "reply_by"  # ISO date the vendor is asked to answer by
    # {question key: {"value", "comment"}}: each reopened answer as it stood, so the
    # answers given in reply can be shown beside what they replace.
    PREVIOUS = "previous"


# What a buyer's report prints beside an override that has no reason for the buyer (one
# made before overrides had one): never the internal note.
OVERRIDE_WITHOUT_REASON = "Adjusted by the analyst"


class ScoreOverridden(StrEnum):
    """`data` of a score override set or cleared (SCORE_OVERRIDDEN)."""

    PROFILE = "profile_key"
    RESPONSE_SCORE = "response_score_id"
    BEFORE = "before"  # an OverrideState mapping
    AFTER = "after"  # an OverrideState mapping; no override score or tier: cleared
    JUSTIFICATION = "justification"  # the internal note: for analysts, never in a report
    REASON = "reason"  # the reason for the buyer, printed in reports


class OverrideState(StrEnum):
    """The keys of ScoreOverridden's BEFORE and AFTER: a stored score's values."""

    COMPUTED_SCORE = "computed_score"
    COMPUTED_TIER = "computed_tier"
    OVERRIDE_SCORE = "override_score"  # None when no score is overridden
    OVERRIDE_TIER = "override_tier"  # "" when no tier is overridden


class LinkIssued(StrEnum):
    """`data` of a private link issued to a contact (LINK_ISSUED)."""

    LINK = "link"  # the AccessLink's id
    CONTACT = "contact"  # the contact's email address
    DUE_DATE = "due_date"  # ISO date


class LinkRevoked(StrEnum):
    """`data` of a private link revoked (LINK_REVOKED)."""

    LINK = "link"
    CONTACT = "contact"
    REASON = "reason"


class DueDateChanged(StrEnum):
    """`data` of a response's due date moved (DUE_DATE_CHANGED): ISO dates."""

    FROM = "from"
    TO = "to"


class AnswersCarriedForward(StrEnum):
    """`data` of answers copied from the vendor's earlier response (ANSWERS_CARRIED_FORWARD)."""

    FROM_RESPONSE = "from_response"  # the earlier Response's id
    FROM_ROUND = "from_round"  # that response's round, by name
    QUESTIONS = "questions"  # the keys of the answers copied


class AnswersConfirmed(StrEnum):
    """`data` of carried-forward answers the vendor confirmed unchanged (ANSWERS_CONFIRMED)."""

    SECTION = "section"  # the section's key, when a whole section was confirmed
    QUESTIONS = "questions"  # the keys confirmed


class EmailEvent(StrEnum):
    """`data` of an email sent or given up on (EMAIL_SENT, EMAIL_FAILED)."""

    WHAT = "what"  # which email, in words: "Reminder, 3 days before the due date"
    TO = "to"  # the addresses
    ERROR = "error"  # why it failed (EMAIL_FAILED only)
    REMINDER = "reminder"  # the Reminder's id, for reminders and overdue or closing notices


class ReportGenerated(StrEnum):
    """`data` of a report rendered (REPORT_GENERATED)."""

    REPORT = "report"  # the Report's id
    REPORT_KIND = "report_kind"  # a ReportKind value
    PROFILE = "profile_key"


class PriceChanged(StrEnum):
    """`data` of the analyst's yearly price of a vendor changed (PRICE_CHANGED): the
    business case the buyer reads uses it. Amounts are decimal strings ("1200000.50"),
    None where the price was or is unknown; the currency is the round's, None outside a
    round."""

    FROM = "from"
    TO = "to"
    CURRENCY = "currency"


DATA_KEYS: dict[str, type[StrEnum]] = {
    Kind.STATUS_CHANGED: StatusChanged,
    Kind.ANSWER_CHANGED: AnswerChanged,
    Kind.EVIDENCE_ADDED: EvidenceAdded,
    Kind.EVIDENCE_VERIFIED: EvidenceVerified,
    Kind.CLARIFICATION_REQUESTED: ClarificationRequested,
    Kind.SCORE_OVERRIDDEN: ScoreOverridden,
    Kind.LINK_ISSUED: LinkIssued,
    Kind.LINK_REVOKED: LinkRevoked,
    Kind.DUE_DATE_CHANGED: DueDateChanged,
    Kind.ANSWERS_CARRIED_FORWARD: AnswersCarriedForward,
    Kind.ANSWERS_CONFIRMED: AnswersConfirmed,
    Kind.EMAIL_SENT: EmailEvent,
    Kind.EMAIL_FAILED: EmailEvent,
    Kind.REPORT_GENERATED: ReportGenerated,
    Kind.PRICE_CHANGED: PriceChanged,
}

# Building `data`: writers call these, so that each kind's data is built one way. ------


def status_changed_data(
    before: str, after: str, *, clarified: Sequence[str] | None = None
) -> dict[str, Any]:
    data: dict[str, Any] = {StatusChanged.FROM: str(before), StatusChanged.TO: str(after)}
    if clarified is not None:
        data[StatusChanged.CLARIFIED] = list(clarified)
    return data


def answer_changed_data(
    *,
    question: str,
    value: Any,
    comment: str,
    revision: int,
    old_value: Any,
    old_comment: str,
    link: int | None = None,
) -> dict[str, Any]:
    data: dict[str, Any] = {
        AnswerChanged.QUESTION: question,
        AnswerChanged.VALUE: value,
        AnswerChanged.COMMENT: comment,
        AnswerChanged.REVISION: revision,
        AnswerChanged.OLD_VALUE: old_value,
        AnswerChanged.OLD_COMMENT: old_comment,
    }
    return _with_link(data, link)


def evidence_removed_data(*, question: str, name: str, link: int | None = None) -> dict[str, Any]:
    return _with_link(
        {AnswerChanged.QUESTION: question, AnswerChanged.EVIDENCE_REMOVED: name}, link
    )


def _with_link(data: dict[str, Any], link: int | None) -> dict[str, Any]:
    if link is not None:
        data[AnswerChanged.LINK] = link
    return data


def evidence_added_data(evidence: Evidence, *, question: str) -> dict[str, Any]:
    return {
        EvidenceAdded.QUESTION: question,
        EvidenceAdded.EVIDENCE: evidence.pk,
        EvidenceAdded.NAME: evidence.original_name,
        EvidenceAdded.SIZE: evidence.size,
        EvidenceAdded.SHA256: evidence.sha256,
    }


def evidence_verified_data(*, question: str, before: str, after: str) -> dict[str, Any]:
    return {
        EvidenceVerified.QUESTION: question,
        EvidenceVerified.FROM: str(before),
        EvidenceVerified.TO: str(after),
    }


def clarification_requested_data(
    *,
    before: str,
    after: str,
    note: str,
    questions: Mapping[str, str],
    documents: Sequence[str] = (),
    reply_by: datetime.date | None = None,
    previous: Mapping[str, Mapping[str, Any]] | None = None,
) -> dict[str, Any]:
    data: dict[str, Any] = {
        ClarificationRequested.FROM: str(before),
        ClarificationRequested.TO: str(after),
        ClarificationRequested.NOTE: note,
        ClarificationRequested.QUESTIONS: dict(questions),
        ClarificationRequested.DOCUMENTS: list(documents),
    }
    if reply_by is not None:
        data[ClarificationRequested.REPLY_BY] = reply_by.isoformat()
    if previous is not None:
        data[ClarificationRequested.PREVIOUS] = {
            key: {"value": answer.get("value"), "comment": answer.get("comment", "")}
            for key, answer in previous.items()
        }
    return data


def override_state_data(
    *,
    computed_score: float | None,
    computed_tier: str,
    override_score: float | None,
    override_tier: str,
) -> dict[str, Any]:
    """A stored score's values, as ScoreOverridden's BEFORE and AFTER hold them."""
    return {
        OverrideState.COMPUTED_SCORE: computed_score,
        OverrideState.COMPUTED_TIER: computed_tier,
        OverrideState.OVERRIDE_SCORE: override_score,
        OverrideState.OVERRIDE_TIER: override_tier,
    }


def score_overridden_data(
    *,
    profile_key: str,
    response_score_id: int,
    before: Mapping[str, Any],
    after: Mapping[str, Any],
    justification: str,
    reason: str = "",
) -> dict[str, Any]:
    return {
        ScoreOverridden.PROFILE: profile_key,
        ScoreOverridden.RESPONSE_SCORE: response_score_id,
        ScoreOverridden.BEFORE: dict(before),
        ScoreOverridden.AFTER: dict(after),
        ScoreOverridden.JUSTIFICATION: justification,
        ScoreOverridden.REASON: reason,
    }


def link_issued_data(*, link_id: int, contact: str, due_date: datetime.date) -> dict[str, Any]:
    return {
        LinkIssued.LINK: link_id,
        LinkIssued.CONTACT: contact,
        LinkIssued.DUE_DATE: due_date.isoformat(),
    }


def link_revoked_data(*, link_id: int, contact: str, reason: str) -> dict[str, Any]:
    return {LinkRevoked.LINK: link_id, LinkRevoked.CONTACT: contact, LinkRevoked.REASON: reason}


def due_date_changed_data(*, before: datetime.date, after: datetime.date) -> dict[str, Any]:
    return {DueDateChanged.FROM: before.isoformat(), DueDateChanged.TO: after.isoformat()}


def answers_carried_forward_data(
    *, from_response: int, from_round: str, questions: Sequence[str]
) -> dict[str, Any]:
    return {
        AnswersCarriedForward.FROM_RESPONSE: from_response,
        AnswersCarriedForward.FROM_ROUND: from_round,
        AnswersCarriedForward.QUESTIONS: list(questions),
    }


def answers_confirmed_data(*, section: str, questions: Sequence[str]) -> dict[str, Any]:
    return {AnswersConfirmed.SECTION: section, AnswersConfirmed.QUESTIONS: list(questions)}


def email_data(
    *, what: str, to: Sequence[str], error: str = "", reminder: int | None = None
) -> dict[str, Any]:
    data: dict[str, Any] = {EmailEvent.WHAT: what, EmailEvent.TO: list(to)}
    if error:
        data[EmailEvent.ERROR] = error
    if reminder is not None:
        data[EmailEvent.REMINDER] = reminder
    return data


def report_generated_data(*, report_id: int, kind: str, profile_key: str) -> dict[str, Any]:
    return {
        ReportGenerated.REPORT: report_id,
        ReportGenerated.REPORT_KIND: kind,
        ReportGenerated.PROFILE: profile_key,
    }


def price_changed_data(
    *, before: Decimal | None, after: Decimal | None, currency: str | None
) -> dict[str, Any]:
    return {
        PriceChanged.FROM: None if before is None else str(before),
        PriceChanged.TO: None if after is None else str(after),
        PriceChanged.CURRENCY: currency or None,
    }


# How much of a question's text names it in a history line, and of an answer's value.
QUESTION_TEXT_CHARS = 60
ANSWER_CHARS = 120


# Naming what an event refers to ------------------------------------------------------------


def question_name(number: str, text: str) -> str:
    """`Q3.6 “How often …”`: how every message and list names a question (its number by
    section as the portal shows it, definition.question_numbers, and its text), never by
    key."""
    return f"Q{number} “{shorten(text, QUESTION_TEXT_CHARS)}”"


def stored_question_name(question: Question) -> str:
    """question_name of a Question row, numbered from its version's definition."""
    number = question_numbers(question.version.definition).get(question.key, "?")
    return question_name(number, question.text)


@dataclass(frozen=True)
class EventLabels:
    """How the questionnaire an event belongs to names its questions and profiles."""

    # Per question key, its number ("3.6") and the question, in questionnaire order.
    questions: Mapping[str, tuple[str, Mapping[str, Any]]] = field(default_factory=dict)
    profiles: Mapping[str, str] = field(default_factory=dict)

    @classmethod
    def of(cls, definition: dict[str, Any] | None) -> EventLabels:
        """The labels of a version's definition: questions numbered by section as the
        portal numbers them ("3.6"); no definition, none."""
        if not definition:
            return cls()
        numbers = question_numbers(definition)
        return cls(
            questions={
                question["key"]: (numbers[question["key"]], question)
                for _, question in iter_questions(definition)
            },
            profiles={p["key"]: p["title"] for p in definition.get("profiles", [])},
        )

    def question(self, key: str | None) -> str:
        """`Q3.6 “How often …”`; a key the questionnaire does not know stays as it is."""
        if key is None or key not in self.questions:
            return str(key or "a question")
        number, question = self.questions[key]
        return question_name(number, question["text"])

    def answer(self, key: str | None, value: Any) -> str:
        if key is None or key not in self.questions:
            return shorten(str(value), ANSWER_CHARS)
        return shorten(answer_display(self.questions[key][1], value), ANSWER_CHARS)

    def profile(self, key: str | None) -> str:
        return self.profiles.get(key or "", str(key or "a profile"))


# Describing an event -------------------------------------------------------------------------


@dataclass(frozen=True)
class EventDescription:
    """An event for people: what happened (the kind's label) and its details, one a line."""

    what: str
    details: tuple[str, ...]

    def __str__(self) -> str:
        return "; ".join(self.details)


def describe_event(
    kind: str, data: Mapping[str, Any] | None, labels: EventLabels, *, for_buyer: bool = False
) -> EventDescription:
    """Describe an event of `kind` with `data` (as recorded) in words, using `labels` of
    the questionnaire version its response answers.

    `for_buyer`: the words a buyer's report prints, which leave out what is for analysts
    only (an override's internal note; its reason for the buyer is printed instead)."""
    describe = _DESCRIBERS.get(kind, _describe_other)
    if for_buyer and kind == Kind.SCORE_OVERRIDDEN:
        describe = _describe_override_for_buyer
    return EventDescription(
        what=str(KIND_LABELS.get(kind, kind)),
        details=tuple(line for line in describe(data or {}, labels) if line),
    )


def _describe_status(data: Mapping[str, Any], labels: EventLabels) -> list[str]:
    lines = [f"{_status(data.get(StatusChanged.FROM))} → {_status(data.get(StatusChanged.TO))}"]
    clarified = data.get(StatusChanged.CLARIFIED) or []
    if clarified:
        lines.append("Answered again: " + ", ".join(labels.question(k) for k in clarified))
    return lines


def _describe_answer(data: Mapping[str, Any], labels: EventLabels) -> list[str]:
    key = data.get(AnswerChanged.QUESTION)
    removed = data.get(AnswerChanged.EVIDENCE_REMOVED)
    link = data.get(AnswerChanged.LINK)
    via = f"Via access link #{link}" if link is not None else ""
    if removed:
        return [f"{labels.question(key)}: file {removed} removed", via]
    return [
        f"{labels.question(key)}: {_answer_change(data, key, labels)}",
        _comment_change(data),
        via,
    ]


def _answer_change(data: Mapping[str, Any], key: str | None, labels: EventLabels) -> str:
    """`old → new` where the event knows an earlier answer; the new answer alone where
    there was none (or the event predates recording it)."""
    value = data.get(AnswerChanged.VALUE)
    new = labels.answer(key, value)
    old = data.get(AnswerChanged.OLD_VALUE)
    if not is_answered(old):
        return new
    if old == value:
        return f"{new} (unchanged)"
    return f"{labels.answer(key, old)} → {new}"


def _comment_change(data: Mapping[str, Any]) -> str:
    comment = data.get(AnswerChanged.COMMENT) or ""
    # An event without the old comment (recorded before it was) reads as if it had none.
    old = data.get(AnswerChanged.OLD_COMMENT) or ""
    if old == comment or not old:
        return f"Comment: {shorten(comment, ANSWER_CHARS)}" if comment else ""
    if not comment:
        return f"Comment removed (was “{shorten(old, ANSWER_CHARS)}”)"
    return f"Comment: “{shorten(old, ANSWER_CHARS)}” → “{shorten(comment, ANSWER_CHARS)}”"


def _describe_evidence_added(data: Mapping[str, Any], labels: EventLabels) -> list[str]:
    size = data.get(EvidenceAdded.SIZE)
    shown = f" ({human_size(size)})" if isinstance(size, int) else ""
    name = data.get(EvidenceAdded.NAME) or "a file"
    return [f"{labels.question(data.get(EvidenceAdded.QUESTION))}: {name}{shown}"]


def _describe_evidence_level(data: Mapping[str, Any], labels: EventLabels) -> list[str]:
    return [
        f"{labels.question(data.get(EvidenceVerified.QUESTION))}: "
        f"{_evidence(data.get(EvidenceVerified.FROM))} → {_evidence(data.get(EvidenceVerified.TO))}"
    ]


def _describe_clarification(data: Mapping[str, Any], labels: EventLabels) -> list[str]:
    lines = [data.get(ClarificationRequested.NOTE) or ""]
    reply_by = data.get(ClarificationRequested.REPLY_BY)
    if reply_by:
        lines.append(f"Reply by {_day(reply_by)}")
    documents = set(data.get(ClarificationRequested.DOCUMENTS) or [])
    for key, note in (data.get(ClarificationRequested.QUESTIONS) or {}).items():
        named = labels.question(key)
        line = f"Reopened {named}: {note}" if note else f"Reopened {named}"
        lines.append(line + (" (a document is asked for)" if key in documents else ""))
    return lines


def _describe_override(data: Mapping[str, Any], labels: EventLabels) -> list[str]:
    justification = data.get(ScoreOverridden.JUSTIFICATION)
    reason = data.get(ScoreOverridden.REASON)
    return [
        _override_change(data, labels),
        f"Reason for the buyer: “{reason}”" if reason else "",
        f"Internal note: “{justification}”" if justification else "",
    ]


def _describe_override_for_buyer(data: Mapping[str, Any], labels: EventLabels) -> list[str]:
    after = data.get(ScoreOverridden.AFTER) or {}
    removed = after.get(OverrideState.OVERRIDE_SCORE) is None and not after.get(
        OverrideState.OVERRIDE_TIER
    )
    reason = data.get(ScoreOverridden.REASON)
    return [
        _override_change(data, labels),
        f"“{reason}”" if reason else ("" if removed else OVERRIDE_WITHOUT_REASON),
    ]


def _override_change(data: Mapping[str, Any], labels: EventLabels) -> str:
    after = data.get(ScoreOverridden.AFTER) or {}
    score = after.get(OverrideState.OVERRIDE_SCORE)
    tier = after.get(OverrideState.OVERRIDE_TIER)
    if score is None and not tier:
        change = "override removed"
    else:
        parts = [] if score is None else [f"score {score:g}"]
        parts += [f"tier {_tier(tier)}"] if tier else []
        change = "set to " + ", ".join(parts)
    computed_score = after.get(OverrideState.COMPUTED_SCORE)
    computed = "no score" if computed_score is None else score_shown(computed_score)
    computed_tier = _tier(after.get(OverrideState.COMPUTED_TIER))
    return (
        f"{labels.profile(data.get(ScoreOverridden.PROFILE))}: {change} "
        f"(computed {computed}, {computed_tier})"
    )


def _describe_link_issued(data: Mapping[str, Any], labels: EventLabels) -> list[str]:
    due = data.get(LinkIssued.DUE_DATE)
    return [f"To {data.get(LinkIssued.CONTACT, 'a contact')}" + (f", due {due}" if due else "")]


def _describe_link_revoked(data: Mapping[str, Any], labels: EventLabels) -> list[str]:
    reason = data.get(LinkRevoked.REASON)
    return [f"{data.get(LinkRevoked.CONTACT, 'a contact')}" + (f": {reason}" if reason else "")]


def _describe_due_date(data: Mapping[str, Any], labels: EventLabels) -> list[str]:
    return [f"{_day(data.get(DueDateChanged.FROM))} → {_day(data.get(DueDateChanged.TO))}"]


def _describe_carried_forward(data: Mapping[str, Any], labels: EventLabels) -> list[str]:
    count = len(data.get(AnswersCarriedForward.QUESTIONS) or [])
    source = data.get(AnswersCarriedForward.FROM_ROUND) or "an earlier round"
    return [f"{count} answer{'s' if count != 1 else ''} from {source}, to be confirmed"]


def _describe_confirmed(data: Mapping[str, Any], labels: EventLabels) -> list[str]:
    keys = data.get(AnswersConfirmed.QUESTIONS) or []
    if len(keys) > 3:
        return [f"{len(keys)} answers confirmed unchanged"]
    return ["Confirmed unchanged: " + ", ".join(labels.question(k) for k in keys)]


def _describe_email(data: Mapping[str, Any], labels: EventLabels) -> list[str]:
    to = ", ".join(data.get(EmailEvent.TO) or [])
    error = data.get(EmailEvent.ERROR)
    what = data.get(EmailEvent.WHAT, "An email")
    return [f"{what} to {to}" if to else what, f"Error: {error}" if error else ""]


def _describe_report(data: Mapping[str, Any], labels: EventLabels) -> list[str]:
    kind = dict(ReportKind.choices).get(str(data.get(ReportGenerated.REPORT_KIND)), "Report")
    return [f"{kind}, {labels.profile(data.get(ReportGenerated.PROFILE))} profile"]


def _describe_price(data: Mapping[str, Any], labels: EventLabels) -> list[str]:
    currency = data.get(PriceChanged.CURRENCY)
    before, after = (
        _price(data.get(key), currency) for key in (PriceChanged.FROM, PriceChanged.TO)
    )
    return [f"Yearly price for the business case: {before} → {after}"]


def _price(amount: str | None, currency: str | None) -> str:
    if amount is None:
        return "unknown"
    shown = f"{Decimal(amount):,.2f}"
    return f"{currency} {shown}" if currency else f"{shown} (buyer's currency)"


def _describe_other(data: Mapping[str, Any], labels: EventLabels) -> list[str]:
    return [", ".join(f"{k}: {v}" for k, v in data.items())]


_DESCRIBERS: dict[str, Callable[[Mapping[str, Any], EventLabels], list[str]]] = {
    Kind.STATUS_CHANGED: _describe_status,
    Kind.ANSWER_CHANGED: _describe_answer,
    Kind.EVIDENCE_ADDED: _describe_evidence_added,
    Kind.EVIDENCE_VERIFIED: _describe_evidence_level,
    Kind.CLARIFICATION_REQUESTED: _describe_clarification,
    Kind.SCORE_OVERRIDDEN: _describe_override,
    Kind.LINK_ISSUED: _describe_link_issued,
    Kind.LINK_REVOKED: _describe_link_revoked,
    Kind.DUE_DATE_CHANGED: _describe_due_date,
    Kind.ANSWERS_CARRIED_FORWARD: _describe_carried_forward,
    Kind.ANSWERS_CONFIRMED: _describe_confirmed,
    Kind.PRICE_CHANGED: _describe_price,
    Kind.EMAIL_SENT: _describe_email,
    Kind.EMAIL_FAILED: _describe_email,
    Kind.REPORT_GENERATED: _describe_report,
}


def _status(value: Any) -> str:
    return str(ResponseStatus(value).label) if value in ResponseStatus.values else str(value)


def _day(value: Any) -> str:
    """An ISO date as people write it ("12 May 2026"); anything else as it is."""
    try:
        return datetime.date.fromisoformat(str(value)).strftime("%-d %b %Y")
    except ValueError:
        return str(value or "—")


def _evidence(value: Any) -> str:
    return str(EvidenceLevel(value).label) if value in EvidenceLevel.values else str(value)


def _tier(value: Any) -> str:
    return TIER_WORDS.get(value, str(value or "—"))
