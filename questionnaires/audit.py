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
from enum import StrEnum
from typing import Any

from .definition import iter_questions
from .display import answer_display, shorten
from .evidence import human_size
from .models import AuditEvent, Evidence, EvidenceLevel, ResponseStatus
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
    EVIDENCE_REMOVED = "evidence_removed"  # the removed file's name, instead of a value


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


class ScoreOverridden(StrEnum):
    """`data` of a score override set or cleared (SCORE_OVERRIDDEN)."""

    PROFILE = "profile_key"
    RESPONSE_SCORE = "response_score_id"
    BEFORE = "before"  # an OverrideState mapping
    AFTER = "after"  # an OverrideState mapping; no override score or tier: cleared
    JUSTIFICATION = "justification"


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


DATA_KEYS: dict[str, type[StrEnum]] = {
    Kind.STATUS_CHANGED: StatusChanged,
    Kind.ANSWER_CHANGED: AnswerChanged,
    Kind.EVIDENCE_ADDED: EvidenceAdded,
    Kind.EVIDENCE_VERIFIED: EvidenceVerified,
    Kind.CLARIFICATION_REQUESTED: ClarificationRequested,
    Kind.SCORE_OVERRIDDEN: ScoreOverridden,
    Kind.LINK_ISSUED: LinkIssued,
    Kind.LINK_REVOKED: LinkRevoked,
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
    *, question: str, value: Any, comment: str, revision: int
) -> dict[str, Any]:
    return {
        AnswerChanged.QUESTION: question,
        AnswerChanged.VALUE: value,
        AnswerChanged.COMMENT: comment,
        AnswerChanged.REVISION: revision,
    }


def evidence_removed_data(*, question: str, name: str) -> dict[str, Any]:
    return {AnswerChanged.QUESTION: question, AnswerChanged.EVIDENCE_REMOVED: name}


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
    *, before: str, after: str, note: str, questions: Mapping[str, str]
) -> dict[str, Any]:
    return {
        ClarificationRequested.FROM: str(before),
        ClarificationRequested.TO: str(after),
        ClarificationRequested.NOTE: note,
        ClarificationRequested.QUESTIONS: dict(questions),
    }


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
) -> dict[str, Any]:
    return {
        ScoreOverridden.PROFILE: profile_key,
        ScoreOverridden.RESPONSE_SCORE: response_score_id,
        ScoreOverridden.BEFORE: dict(before),
        ScoreOverridden.AFTER: dict(after),
        ScoreOverridden.JUSTIFICATION: justification,
    }


def link_issued_data(*, link_id: int, contact: str, due_date: datetime.date) -> dict[str, Any]:
    return {
        LinkIssued.LINK: link_id,
        LinkIssued.CONTACT: contact,
        LinkIssued.DUE_DATE: due_date.isoformat(),
    }


def link_revoked_data(*, link_id: int, contact: str, reason: str) -> dict[str, Any]:
    return {LinkRevoked.LINK: link_id, LinkRevoked.CONTACT: contact, LinkRevoked.REASON: reason}


# How much of a question's text names it in a history line, and of an answer's value.
QUESTION_TEXT_CHARS = 60
ANSWER_CHARS = 120


# Naming what an event refers to ------------------------------------------------------------


@dataclass(frozen=True)
class EventLabels:
    """How the questionnaire an event belongs to names its questions and profiles."""

    questions: Mapping[str, tuple[int, Mapping[str, Any]]] = field(default_factory=dict)
    profiles: Mapping[str, str] = field(default_factory=dict)

    @classmethod
    def of(cls, definition: dict[str, Any] | None) -> EventLabels:
        """The labels of a version's definition: questions numbered Q1, Q2, ... in the order
        the questionnaire asks them (as the reports number them); no definition, none."""
        if not definition:
            return cls()
        return cls(
            questions={
                question["key"]: (number, question)
                for number, (_, question) in enumerate(iter_questions(definition), start=1)
            },
            profiles={p["key"]: p["title"] for p in definition.get("profiles", [])},
        )

    def question(self, key: str | None) -> str:
        """`Q3 “How often …”`; a key the questionnaire does not know stays as it is."""
        if key is None or key not in self.questions:
            return str(key or "a question")
        number, question = self.questions[key]
        return f"Q{number} “{shorten(question['text'], QUESTION_TEXT_CHARS)}”"

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
    kind: str, data: Mapping[str, Any] | None, labels: EventLabels
) -> EventDescription:
    """Describe an event of `kind` with `data` (as recorded) in words, using `labels` of
    the questionnaire version its response answers."""
    describe = _DESCRIBERS.get(kind, _describe_other)
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
    if removed:
        return [f"{labels.question(key)}: file {removed} removed"]
    lines = [f"{labels.question(key)}: {labels.answer(key, data.get(AnswerChanged.VALUE))}"]
    comment = data.get(AnswerChanged.COMMENT)
    if comment:
        lines.append(f"Comment: {shorten(comment, ANSWER_CHARS)}")
    return lines


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
    for key, note in (data.get(ClarificationRequested.QUESTIONS) or {}).items():
        named = labels.question(key)
        lines.append(f"Reopened {named}: {note}" if note else f"Reopened {named}")
    return lines


def _describe_override(data: Mapping[str, Any], labels: EventLabels) -> list[str]:
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
    computed = "no score" if computed_score is None else f"{computed_score:.0f}"
    computed_tier = _tier(after.get(OverrideState.COMPUTED_TIER))
    justification = data.get(ScoreOverridden.JUSTIFICATION)
    return [
        f"{labels.profile(data.get(ScoreOverridden.PROFILE))}: {change} "
        f"(computed {computed}, {computed_tier})",
        f"“{justification}”" if justification else "",
    ]


def _describe_link_issued(data: Mapping[str, Any], labels: EventLabels) -> list[str]:
    due = data.get(LinkIssued.DUE_DATE)
    return [f"To {data.get(LinkIssued.CONTACT, 'a contact')}" + (f", due {due}" if due else "")]


def _describe_link_revoked(data: Mapping[str, Any], labels: EventLabels) -> list[str]:
    reason = data.get(LinkRevoked.REASON)
    return [f"{data.get(LinkRevoked.CONTACT, 'a contact')}" + (f": {reason}" if reason else "")]


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
}


def _status(value: Any) -> str:
    return str(ResponseStatus(value).label) if value in ResponseStatus.values else str(value)


def _evidence(value: Any) -> str:
    return str(EvidenceLevel(value).label) if value in EvidenceLevel.values else str(value)


def _tier(value: Any) -> str:
    return TIER_WORDS.get(value, str(value or "—"))
