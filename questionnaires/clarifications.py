"""A clarification as the analyst reads it afterwards: each reopened answer before and after.

Pure: it reads audit events (anything with `kind`, `data`, `at`, `actor_user` and
`actor_label`, oldest first, starting with a CLARIFICATION_REQUESTED event) and the
version's definition. The answer before is what the request recorded
(ClarificationRequested.PREVIOUS), or for a request that recorded none, the old value
the first save after it kept (AnswerChanged.OLD_VALUE); the answer after is the last
ANSWER_CHANGED event for the question between the request and the resubmission, so the
page shows what the vendor sent, not what has happened to the answer since. Answers read as
questionnaires.display writes them everywhere else.
"""

from __future__ import annotations

import datetime
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from typing import Any, Protocol

from .audit import (
    AnswerChanged,
    ClarificationRequested,
    EventLabels,
    EvidenceAdded,
    StatusChanged,
)
from .display import answer_display
from .models import AuditEvent, ResponseStatus

Kind = AuditEvent.Kind
# The events that make up a clarification, from its request to the resubmission.
KINDS = (
    Kind.CLARIFICATION_REQUESTED,
    Kind.ANSWER_CHANGED,
    Kind.EVIDENCE_ADDED,
    Kind.STATUS_CHANGED,
)


class EventLike(Protocol):
    kind: str
    data: Any
    at: datetime.datetime
    actor_label: str

    @property
    def actor_user(self) -> Any: ...


@dataclass
class ClarifiedAnswer:
    """One reopened question: the answer it had, and the one the vendor sent back."""

    key: str
    question: str  # as the history names it: Q3 “…”
    note: str
    document_asked: bool
    before: str  # the answer as people read it; "" when the request did not record it
    before_comment: str = ""
    recorded: bool = True  # False for requests made before answers were recorded
    after: str | None = None  # None: the vendor sent it back unchanged
    after_comment: str | None = None
    files_added: list[str] = field(default_factory=list)
    files_removed: list[str] = field(default_factory=list)

    @property
    def changed(self) -> bool:
        return self.after is not None or bool(self.files_added or self.files_removed)


@dataclass
class Clarification:
    """The latest clarification of a response: who asked what, and what came back."""

    requested_at: datetime.datetime
    requested_by: str
    note: str
    reply_by: datetime.date | None
    answers: list[ClarifiedAnswer]
    answered_at: datetime.datetime | None = None  # None while the vendor has not replied
    answered_by: str = ""

    @property
    def answered(self) -> bool:
        return self.answered_at is not None

    @property
    def changed_count(self) -> int:
        return sum(1 for answer in self.answers if answer.changed)


def latest_clarification(
    events: Sequence[EventLike], definition: Mapping[str, Any]
) -> Clarification | None:
    """The clarification that `events` start with (None when they start with none)."""
    if not events or events[0].kind != Kind.CLARIFICATION_REQUESTED:
        return None
    request, *rest = events
    labels = EventLabels.of(dict(definition))
    data = request.data or {}
    documents = set(data.get(ClarificationRequested.DOCUMENTS) or [])
    previous = data.get(ClarificationRequested.PREVIOUS)
    answers = {
        key: _before(key, note, key in documents, previous, labels)
        for key, note in (data.get(ClarificationRequested.QUESTIONS) or {}).items()
    }
    clarification = Clarification(
        requested_at=request.at,
        requested_by=_who(request),
        note=data.get(ClarificationRequested.NOTE) or "",
        reply_by=_date(data.get(ClarificationRequested.REPLY_BY)),
        answers=list(answers.values()),
    )
    for event in rest:
        event_data = event.data or {}
        if event.kind == Kind.STATUS_CHANGED and _is_resubmission(event_data):
            clarification.answered_at = event.at
            clarification.answered_by = _who(event)
            break
        key = event_data.get(AnswerChanged.QUESTION)
        answer = answers.get(key)
        if answer is None:
            continue
        if event.kind == Kind.EVIDENCE_ADDED:
            answer.files_added.append(str(event_data.get(EvidenceAdded.NAME) or "a file"))
        elif event.kind == Kind.ANSWER_CHANGED and AnswerChanged.EVIDENCE_REMOVED in event_data:
            name = str(event_data[AnswerChanged.EVIDENCE_REMOVED])
            if name in answer.files_added:
                answer.files_added.remove(name)
            else:
                answer.files_removed.append(name)
        elif event.kind == Kind.ANSWER_CHANGED:
            if not answer.recorded and AnswerChanged.OLD_VALUE in event_data:
                # A request from before answers were kept with it: the first save after
                # it holds the answer as it stood (the audit trail keeps old values).
                answer.before = _display(labels, str(key), event_data[AnswerChanged.OLD_VALUE])
                answer.before_comment = event_data.get(AnswerChanged.OLD_COMMENT) or ""
                answer.recorded = True
            answer.after = _display(labels, str(key), event_data.get(AnswerChanged.VALUE))
            answer.after_comment = event_data.get(AnswerChanged.COMMENT) or ""
    for answer in answers.values():
        if (
            answer.recorded
            and answer.after == answer.before
            and answer.after_comment == answer.before_comment
        ):
            answer.after = answer.after_comment = None  # changed, then changed back
    return clarification


def _before(
    key: str,
    note: str,
    document_asked: bool,
    previous: Mapping[str, Mapping[str, Any]] | None,
    labels: EventLabels,
) -> ClarifiedAnswer:
    named = labels.question(key)
    if previous is None:
        return ClarifiedAnswer(key, named, note, document_asked, before="", recorded=False)
    stood = previous.get(key) or {}
    return ClarifiedAnswer(
        key,
        named,
        note,
        document_asked,
        before=_display(labels, key, stood.get("value")),
        before_comment=stood.get("comment") or "",
    )


def _display(labels: EventLabels, key: str, value: Any) -> str:
    question = labels.questions.get(key)
    if question is None:
        return str(value)
    return answer_display(question[1], value)


def _is_resubmission(data: Mapping[str, Any]) -> bool:
    return (
        data.get(StatusChanged.FROM) == ResponseStatus.CLARIFICATION_REQUESTED
        and data.get(StatusChanged.TO) == ResponseStatus.SUBMITTED
    )


def _who(event: EventLike) -> str:
    return str(event.actor_user or event.actor_label or "—")


def _date(value: Any) -> datetime.date | None:
    try:
        return datetime.date.fromisoformat(str(value)) if value else None
    except ValueError:
        return None
