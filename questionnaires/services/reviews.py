"""The analyst's review of a submitted response: accept, ask for clarification, verify.

Each function checks that the response is in a state where the step makes sense (and
says why not), records an AuditEvent with who acted, and rescores when the step changes
what the score depends on.
"""

from __future__ import annotations

import datetime
from collections.abc import Iterable, Mapping
from typing import Any

from django.contrib.auth.models import User
from django.db import transaction
from django.utils import timezone

from cxvet.outbox.services import outbox_enqueue

from ..audit import (
    EventLabels,
    clarification_requested_data,
    evidence_verified_data,
    status_changed_data,
)
from ..models import (
    HANDED_OVER_STATUSES,
    Answer,
    AuditEvent,
    EvidenceLevel,
    Question,
    Response,
    ResponseStatus,
)
from .scores import response_score

# A clarification's reply-by date, unless the analyst sets another: a working week.
CLARIFICATION_WORKING_DAYS = 5


class ReviewNotAllowed(Exception):
    """The review step does not apply to the response as it is; the message says why."""


def default_reply_by(today: datetime.date | None = None) -> datetime.date:
    """CLARIFICATION_WORKING_DAYS working days (Monday to Friday) after `today`."""
    day = today or timezone.localdate()
    left = CLARIFICATION_WORKING_DAYS
    while left:
        day += datetime.timedelta(days=1)
        if day.weekday() < 5:
            left -= 1
    return day


def _status_label(status: str) -> str:
    return str(ResponseStatus(status).label).lower()


def _require_submitted(response: Response, action: str) -> None:
    if response.status != ResponseStatus.SUBMITTED:
        raise ReviewNotAllowed(
            f"Cannot {action}: the response is {_status_label(response.status)}, and only "
            "a submitted response can be reviewed. Wait until the vendor submits it."
        )


def _locked(response: Response) -> Response:
    """Re-read the response under a row lock so two analysts cannot act on stale state."""
    return Response.objects.select_for_update().get(pk=response.pk)


@transaction.atomic
def response_accept(*, response: Response, user: User | None) -> Response:
    """Accept a submitted response: it becomes final and is rescored."""
    current = _locked(response)
    _require_submitted(current, "accept this response")
    current.status = ResponseStatus.ACCEPTED
    current.accepted_at = timezone.now()
    current.save(update_fields=["status", "accepted_at"])
    AuditEvent.objects.create(
        response=current,
        kind=AuditEvent.Kind.STATUS_CHANGED,
        actor_user=user,
        data=status_changed_data(ResponseStatus.SUBMITTED, ResponseStatus.ACCEPTED),
    )
    response_score(response=current)
    _queue_vendor_email(current, "send_acceptance")
    _copy_state(current, response)
    return response


@transaction.atomic
def clarification_request(
    *,
    response: Response,
    questions: Mapping[str, str] | Iterable[tuple[Answer, str]],
    note: str = "",
    user: User | None,
    documents: Iterable[str] = (),
    reply_by: datetime.date | None = None,
) -> Response:
    """Reopen the named questions of a submitted response, each with its own note.

    `questions` maps question keys to notes, or is a list of (answer, note) pairs. A
    question the vendor left unanswered gets an (empty) answer row, so that it can be
    reopened like the others. `documents` names the reopened questions on which a
    document is asked for (the portal then offers an upload there); `reply_by` is the
    date the vendor is asked to answer by (today or later; default_reply_by() when not
    given). The event records each reopened answer as it stood, so that the reply can
    be shown beside it. The vendor's email is recorded in the outbox in this
    transaction and sent once it commits.
    """
    current = _locked(response)
    _require_submitted(current, "request clarification")
    notes = _notes_by_key(questions)
    if not notes:
        raise ReviewNotAllowed(
            "Choose at least one question to reopen; a clarification request without "
            "questions would give the vendor nothing to answer."
        )
    wanted = set(documents)
    if wanted - set(notes):
        labels = EventLabels.of(current.version.definition)
        raise ReviewNotAllowed(
            "A document can only be asked for on a question you reopen; also reopen: "
            f"{', '.join(labels.question(key) for key in sorted(wanted - set(notes)))}."
        )
    today = timezone.localdate()
    if reply_by is not None and reply_by < today:
        raise ReviewNotAllowed(
            f"The reply-by date {reply_by:%d %b %Y} has passed; choose today or a later day."
        )
    by_key = {q.key: q for q in Question.objects.filter(version_id=current.version_id)}
    unknown = sorted(set(notes) - set(by_key))
    if unknown:
        raise ReviewNotAllowed(
            f"These questions are not in version {current.version.number} of the "
            f"questionnaire: {', '.join(unknown)}."
        )
    general_note = note.strip()
    answers = _answers_for(current, [by_key[key] for key in notes])
    previous_answers = {a.question.key: {"value": a.value, "comment": a.comment} for a in answers}
    for answer in answers:
        answer.needs_clarification = True
        answer.clarification_note = notes[answer.question.key] or general_note
        answer.clarification_wants_document = answer.question.key in wanted
    Answer.objects.bulk_update(
        answers, ["needs_clarification", "clarification_note", "clarification_wants_document"]
    )
    previous = current.status
    current.status = ResponseStatus.CLARIFICATION_REQUESTED
    current.clarification_reply_by = reply_by or default_reply_by(today)
    current.save(update_fields=["status", "clarification_reply_by"])
    AuditEvent.objects.create(
        response=current,
        kind=AuditEvent.Kind.CLARIFICATION_REQUESTED,
        actor_user=user,
        data=clarification_requested_data(
            before=previous,
            after=current.status,
            note=general_note,
            questions={a.question.key: a.clarification_note for a in answers},
            documents=[key for key in notes if key in wanted],
            reply_by=current.clarification_reply_by,
            previous=previous_answers,
        ),
    )
    _queue_clarification_email(current)
    _copy_state(current, response)
    return response


@transaction.atomic
def answer_evidence_level_set(*, answer: Answer, level: str, user: User | None) -> Answer:
    """Set how well an answer is evidenced (for example verified by an analyst); rescores."""
    if level not in EvidenceLevel.values:
        allowed = ", ".join(EvidenceLevel.values)
        raise ReviewNotAllowed(f"Unknown evidence level {level!r}; use one of: {allowed}.")
    current = Answer.objects.select_for_update().select_related("question").get(pk=answer.pk)
    response = Response.objects.get(pk=current.response_id)
    if response.status not in HANDED_OVER_STATUSES:
        raise ReviewNotAllowed(
            f"Cannot change the evidence level: the response is "
            f"{_status_label(response.status)}. Evidence is reviewed once the vendor "
            "has submitted."
        )
    previous = current.evidence_level
    if previous == level:
        return current
    current.evidence_level = level
    current.save(update_fields=["evidence_level", "updated_at"])
    AuditEvent.objects.create(
        response=response,
        kind=AuditEvent.Kind.EVIDENCE_VERIFIED,
        actor_user=user,
        data=evidence_verified_data(question=current.question.key, before=previous, after=level),
    )
    response_score(response=response)
    answer.evidence_level = level
    return current


def _notes_by_key(questions: Mapping[str, str] | Iterable[tuple[Answer, str]]) -> dict[str, str]:
    if isinstance(questions, Mapping):
        pairs: Iterable[tuple[str, Any]] = questions.items()
    else:
        pairs = ((answer.question.key, note) for answer, note in questions)
    return {key: (note or "").strip() for key, note in pairs}


def _answers_for(response: Response, questions: list[Question]) -> list[Answer]:
    existing = {
        a.question_id: a
        for a in Answer.objects.select_related("question").filter(
            response=response, question__in=questions
        )
    }
    missing = [
        Answer(response=response, question=q, value=None) for q in questions if q.pk not in existing
    ]
    created = Answer.objects.bulk_create(missing)
    return [*existing.values(), *created]


def _queue_clarification_email(response: Response) -> None:
    _queue_vendor_email(response, "send_clarification_request")


def _queue_vendor_email(response: Response, task_name: str) -> None:
    """Record the vendor's email in this transaction's outbox (sent once it commits)."""
    # Imported here: the vendors app depends on questionnaires, not the other way round.
    from vendors import tasks

    outbox_enqueue(
        task=getattr(tasks, task_name), kwargs={"response_id": response.pk}, subject=response
    )


def _copy_state(source: Response, target: Response) -> None:
    """Keep the caller's instance in step with what was saved."""
    if source is not target:
        target.status = source.status
        target.accepted_at = source.accepted_at
        target.clarification_reply_by = source.clarification_reply_by
