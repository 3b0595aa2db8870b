"""The vendor's side of a response: saving answers, attaching evidence, submitting.

Every write starts by locking the response row with an UPDATE (on PostgreSQL a row lock,
on SQLite the database write lock), so saves to one response are serialised and the
revision check below is exact: a save based on an older revision of an answer is
reported as a conflict, never applied over someone else's change.

While the analyst has asked for clarification, only the answers they reopened can
change. Answers carried forward from the vendor's earlier response count as unanswered
until the vendor confirms them (`answers_confirm`) or changes them. Submitting re-checks
everything required and scores the response.
"""

from __future__ import annotations

import datetime
import logging
from collections.abc import Iterable
from dataclasses import dataclass, field
from typing import Any

from django.conf import settings
from django.db import transaction
from django.db.models import Count, F, Q, Sum
from django.utils import timezone

from ..audit import (
    answer_changed_data,
    answers_confirmed_data,
    evidence_added_data,
    evidence_removed_data,
    status_changed_data,
)
from ..completeness import MissingItem, completeness
from ..definition import iter_questions, visible_question_keys
from ..evidence import CheckedUpload, EvidenceRejected, human_size
from ..models import (
    EDITABLE_STATUSES,
    Answer,
    AuditEvent,
    Evidence,
    EvidenceLevel,
    Question,
    QuestionType,
    Response,
    ResponseStatus,
)
from .scores import response_score

logger = logging.getLogger(__name__)


class ResponseNotEditable(Exception):
    """The response is submitted or accepted; the message says what the vendor can do."""


class AnswerLocked(Exception):
    """During clarification, only reopened answers can change."""


class ResponseIncomplete(Exception):
    def __init__(self, missing: list[MissingItem]):
        self.missing = missing
        super().__init__(f"{len(missing)} item(s) missing")


@dataclass(frozen=True)
class AnswerChange:
    """What a vendor's form sent for one question, and the revision it was based on."""

    question_key: str
    value: Any
    comment: str
    base_revision: int
    # The (value, comment) the caller read at `base_revision`, when it knows: a single
    # change then saves with one conditional UPDATE instead of reading the answer again.
    base: tuple[Any, str] | None = None


@dataclass
class AnswerState:
    """An answer as stored, as plain data: what the portal reads to draw it, and what a
    save reports back (a SaveResult is one), so a page continues from a save as it is."""

    question_key: str
    value: Any = None
    comment: str = ""
    revision: int = 0
    updated_at: datetime.datetime | None = None
    updated_by: str = ""


@dataclass(kw_only=True)
class SaveResult(AnswerState):
    """What a save did to one answer, and that answer as stored after it.

    For a conflict or a lock nothing was written: the stored answer is the one someone
    else saved, and `yours_*` hold what this save tried to store.
    """

    # "saved", "unchanged", "conflict" (someone else changed it) or "locked".
    status: str
    yours_value: Any = None
    yours_comment: str = ""
    # When saved: the answer it replaced (None and "" where there was none), for the audit.
    old_value: Any = None
    old_comment: str = ""


@dataclass
class SaveOutcome:
    results: dict[str, SaveResult] = field(default_factory=dict)

    @property
    def conflicts(self) -> dict[str, SaveResult]:
        return {k: r for k, r in self.results.items() if r.status == "conflict"}

    @property
    def locked(self) -> dict[str, SaveResult]:
        return {k: r for k, r in self.results.items() if r.status == "locked"}


def _lock_for_editing(response: Response, actor: str) -> None:
    """Serialise writers on this response and refuse if it no longer takes changes.

    The first change moves an invited response to in progress (recorded once). The
    status the caller loaded is usually still the stored one: then one conditional
    UPDATE both takes the lock and confirms it (no extra read).
    """
    known = response.status
    if known in EDITABLE_STATUSES:
        now = ResponseStatus.IN_PROGRESS if known == ResponseStatus.INVITED else known
        if Response.objects.filter(pk=response.pk, status=known).update(status=now):
            if now != known:
                _record_start(response, actor)
            response.status = now
            return
    # The status moved since the caller loaded it: find out where it went.
    started = Response.objects.filter(pk=response.pk, status=ResponseStatus.INVITED).update(
        status=ResponseStatus.IN_PROGRESS
    )
    if started:
        _record_start(response, actor)
    locked = Response.objects.filter(pk=response.pk, status__in=EDITABLE_STATUSES).update(
        status=F("status")
    )
    if not locked:
        raise ResponseNotEditable(
            "This response has been submitted, so its answers can no longer change. "
            "If something needs correcting, ask the analyst to request a clarification."
        )
    response.status = Response.objects.values_list("status", flat=True).get(pk=response.pk)


def _record_start(response: Response, actor: str) -> None:
    AuditEvent.objects.create(
        response=response,
        kind=AuditEvent.Kind.STATUS_CHANGED,
        actor_label=actor,
        data=status_changed_data(ResponseStatus.INVITED, ResponseStatus.IN_PROGRESS),
    )


def comparable_value(value: Any) -> Any:
    """An answer's value as compared: a multiple choice is a set of choices, so the
    same choices stored in another order (older data, an import) are the same answer."""
    if isinstance(value, list) and value and all(isinstance(v, str) for v in value):
        return sorted(set(value))
    return value


def same_answer(value: Any, comment: str, other_value: Any, other_comment: str) -> bool:
    """Whether two (value, comment) pairs say the same: the one rule every comparison
    of answers uses (the portal's fingerprints, the save service, workbook previews)."""
    return (comment or "") == (other_comment or "") and comparable_value(value) == comparable_value(
        other_value
    )


@transaction.atomic
def answers_save(
    *, response: Response, changes: Iterable[AnswerChange], actor: str, link: int | None = None
) -> SaveOutcome:
    """Save answers (value and comment per question) unless someone changed them since.

    `link`: the id of the private link a vendor contact saves through, recorded with
    each change beside the contact (`actor`).

    For each change: unchanged when the stored answer already equals it; saved when the
    stored revision is the one the vendor started from; otherwise a conflict carrying
    both versions, and nothing is written for that question. The number of queries does
    not depend on the number of changes.
    """
    changes = list(changes)
    _lock_for_editing(response, actor)
    clarifying = response.status == ResponseStatus.CLARIFICATION_REQUESTED
    now = timezone.now()
    if len(changes) == 1:
        saved = _save_in_place(response, changes[0], clarifying=clarifying, actor=actor, now=now)
        if saved is not None:
            AuditEvent.objects.create(**_answer_event(response, saved, actor, link))
            return SaveOutcome(results={saved.question_key: saved})
    keys = [c.question_key for c in changes]
    answers = {
        a.question.key: a
        for a in Answer.objects.filter(response=response, question__key__in=keys).select_related(
            "question"
        )
    }
    missing_keys = [k for k in keys if k not in answers]
    questions = {
        q.key: q
        for q in (
            Question.objects.filter(version_id=response.version_id, key__in=missing_keys)
            if missing_keys
            else []
        )
    }
    outcome = SaveOutcome()
    to_create: list[Answer] = []
    to_update: list[Answer] = []
    events: list[AuditEvent] = []
    for change in changes:
        answer = answers.get(change.question_key)
        if answer is None:
            question = questions.get(change.question_key)
            if question is None:
                raise KeyError(f"{change.question_key!r} is not a question of this questionnaire")
            answer = Answer(response=response, question=question, revision=0)
        result = _apply(answer, change, clarifying=clarifying, actor=actor, now=now)
        outcome.results[change.question_key] = result
        if result.status != "saved":
            continue
        (to_update if answer.pk else to_create).append(answer)
        events.append(AuditEvent(**_answer_event(response, result, actor, link)))
    if to_create:
        Answer.objects.bulk_create(to_create)
    _update_answers(to_update)
    if events:
        AuditEvent.objects.bulk_create(events)
    return outcome


def _save_in_place(
    response: Response,
    change: AnswerChange,
    *,
    clarifying: bool,
    actor: str,
    now: datetime.datetime,
) -> SaveResult | None:
    """Save one change with a single UPDATE if the answer is still as the caller read it.

    Every change of a value or comment bumps the revision, so an answer still at
    `base_revision` holds `change.base`, which differs from the change: a real save.
    Returns None when that cannot be settled here (the answer moved on, does not exist
    yet, is locked, or is a file question); the general path then decides.
    """
    if change.base is None or same_answer(*change.base, change.value, change.comment):
        return None
    rows = Answer.objects.filter(
        response=response, question__key=change.question_key, revision=change.base_revision
    ).exclude(question__type=QuestionType.FILE)
    if clarifying:
        rows = rows.filter(needs_clarification=True)
    revision = change.base_revision + 1
    fields = {
        "value": change.value,
        "comment": change.comment,
        "revision": revision,
        "carried_forward": False,
    }
    if not rows.update(**fields, updated_at=now, updated_by=actor):
        return None
    old_value, old_comment = change.base
    return SaveResult(
        question_key=change.question_key,
        status="saved",
        revision=revision,
        value=change.value,
        comment=change.comment,
        updated_at=now,
        updated_by=actor,
        old_value=old_value,
        old_comment=old_comment,
    )


def _answer_event(
    response: Response, saved: SaveResult, actor: str, link: int | None
) -> dict[str, Any]:
    return {
        "response": response,
        "kind": AuditEvent.Kind.ANSWER_CHANGED,
        "actor_label": actor,
        "data": answer_changed_data(
            question=saved.question_key,
            value=saved.value,
            comment=saved.comment,
            revision=saved.revision,
            old_value=saved.old_value,
            old_comment=saved.old_comment,
            link=link,
        ),
    }


def _update_answers(answers: list[Answer]) -> None:
    fields = ["value", "comment", "revision", "carried_forward", "updated_at", "updated_by"]
    if len(answers) == 1:
        # An autosave: a plain UPDATE costs far less to build than bulk_update's CASEs.
        answer = answers[0]
        Answer.objects.filter(pk=answer.pk).update(**{f: getattr(answer, f) for f in fields})
    elif answers:
        Answer.objects.bulk_update(answers, fields)


def _apply(
    answer: Answer, change: AnswerChange, *, clarifying: bool, actor: str, now: datetime.datetime
) -> SaveResult:
    # A file question's value is the list of its files: only evidence_add changes it.
    new_value = answer.value if answer.question.type == QuestionType.FILE else change.value
    stored = SaveResult(
        question_key=change.question_key,
        status="unchanged",
        revision=answer.revision,
        value=answer.value,
        comment=answer.comment,
        updated_at=answer.updated_at,
        updated_by=answer.updated_by,
        yours_value=new_value,
        yours_comment=change.comment,
    )
    if same_answer(answer.value, answer.comment, new_value, change.comment):
        return stored
    if clarifying and not answer.needs_clarification:
        stored.status = "locked"
        return stored
    if answer.revision != change.base_revision:
        stored.status = "conflict"
        return stored
    old_value, old_comment = answer.value, answer.comment
    answer.value = new_value
    answer.comment = change.comment
    answer.carried_forward = False
    answer.revision += 1
    answer.updated_at = now
    answer.updated_by = actor
    return SaveResult(
        question_key=change.question_key,
        status="saved",
        revision=answer.revision,
        value=answer.value,
        comment=answer.comment,
        updated_at=now,
        updated_by=actor,
        old_value=old_value,
        old_comment=old_comment,
    )


# Confirming carried-forward answers ------------------------------------------------------


@transaction.atomic
def answers_confirm(
    *,
    response: Response,
    actor: str,
    question_keys: Iterable[str] | None = None,
    section: str | None = None,
) -> list[str]:
    """Confirm carried-forward answers unchanged: the named questions, or every answer of
    `section` the vendor can see. Returns the keys confirmed, in questionnaire order.

    Each confirmed answer stops being carried forward and gets a new revision (so a page
    drawn before it knows it moved on); one ANSWERS_CONFIRMED event records them. An
    answer that is no longer carried forward (confirmed or changed since) is left as it
    is. During clarification only reopened answers can be confirmed: naming another
    raises AnswerLocked, and a section confirms just its reopened ones. Raises KeyError
    for a question or section the questionnaire does not have, ResponseNotEditable once
    submitted.
    """
    if (question_keys is None) == (section is None):
        raise TypeError("Name either the questions or the section to confirm.")
    _lock_for_editing(response, actor)
    definition = response.version.definition
    order = {q["key"]: i for i, (_, q) in enumerate(iter_questions(definition))}
    if section is not None:
        chosen = next((s for s in definition["sections"] if s["key"] == section), None)
        if chosen is None:
            raise KeyError(f"{section!r} is not a section of this questionnaire")
        keys = [q["key"] for q in chosen["questions"]]
    else:
        keys = list(dict.fromkeys(question_keys or []))
        unknown = [k for k in keys if k not in order]
        if unknown:
            raise KeyError(f"{unknown[0]!r} is not a question of this questionnaire")
    rows = list(
        Answer.objects.filter(
            response=response, question__key__in=keys, carried_forward=True
        ).values_list("pk", "question__key", "needs_clarification")
    )
    if response.status == ResponseStatus.CLARIFICATION_REQUESTED:
        if section is None and any(not reopened for _, _, reopened in rows):
            raise AnswerLocked(
                "This answer is not one the analyst reopened, so it cannot change now."
            )
        rows = [row for row in rows if row[2]]
    if section is not None and rows:
        # Only what the vendor sees: an answer hidden by the current answers stays as it is.
        values = dict(
            Answer.objects.filter(response=response).values_list("question__key", "value")
        )
        visible = visible_question_keys(definition, values)
        rows = [row for row in rows if row[1] in visible]
    if not rows:
        return []
    Answer.objects.filter(pk__in=[pk for pk, _, _ in rows]).update(
        carried_forward=False,
        revision=F("revision") + 1,
        updated_at=timezone.now(),
        updated_by=actor,
    )
    confirmed = sorted((key for _, key, _ in rows), key=order.__getitem__)
    AuditEvent.objects.create(
        response=response,
        kind=AuditEvent.Kind.ANSWERS_CONFIRMED,
        actor_label=actor,
        data=answers_confirmed_data(section=section or "", questions=confirmed),
    )
    return confirmed


# Evidence ------------------------------------------------------------------------------


def takes_documents(question: Question, answer: Answer | None) -> bool:
    """Whether files can be attached to this answer: the questionnaire asks for them, or
    the analyst asked for a document on it while reopening it for clarification."""
    if question.evidence_requested or question.type == QuestionType.FILE:
        return True
    return answer is not None and answer.needs_clarification and answer.clarification_wants_document


def _answer_for_evidence(response: Response, question_key: str, actor: str) -> Answer:
    _lock_for_editing(response, actor)
    question = Question.objects.filter(version_id=response.version_id, key=question_key).first()
    if question is None:
        raise KeyError(f"{question_key!r} is not a question of this questionnaire")
    answer = (
        Answer.objects.select_related("question")
        .filter(response=response, question=question)
        .first()
    )
    if not takes_documents(question, answer):
        raise ValueError(f"Question {question_key!r} does not take documents.")
    if answer is None:
        answer, _ = Answer.objects.select_related("question").get_or_create(
            response=response, question=question, defaults={"revision": 0}
        )
    if response.status == ResponseStatus.CLARIFICATION_REQUESTED and not answer.needs_clarification:
        raise AnswerLocked(
            "This answer is not one the analyst reopened, so its documents cannot change."
        )
    return answer


def _file_names(answer: Answer) -> list[str]:
    return list(
        answer.evidence.order_by("uploaded_at", "pk").values_list("original_name", flat=True)
    )


@transaction.atomic
def evidence_add(
    *, response: Response, question_key: str, upload: CheckedUpload, actor: str
) -> Evidence:
    """Store a checked file against a question's answer (through the default storage).

    The answer counts as backed by a document from now on (unless an analyst already
    verified it); for a file question, the answer's value lists its files.
    """
    answer = _answer_for_evidence(response, question_key, actor)
    _refuse_over_limits(response, answer, upload)
    evidence = Evidence(
        answer=answer,
        original_name=upload.name,
        content_type=upload.content_type,
        size=upload.size,
        sha256=upload.sha256,
        uploaded_by=actor,
    )
    evidence.file.save(upload.name, upload.file, save=False)
    # A failed save must not leave the stored file behind.
    stored_name, storage = evidence.file.name, evidence.file.storage
    try:
        evidence.save()
        _after_evidence_change(answer, actor)
        AuditEvent.objects.create(
            response=response,
            kind=AuditEvent.Kind.EVIDENCE_ADDED,
            actor_label=actor,
            data=evidence_added_data(evidence, question=question_key),
        )
    except Exception:
        storage.delete(stored_name)
        raise
    return evidence


def _refuse_over_limits(response: Response, answer: Answer, upload: CheckedUpload) -> None:
    """Raise EvidenceRejected if this file would take the answer or the response past
    the files and bytes they may hold. Counted under the response's lock (see
    _lock_for_editing), so uploads racing each other cannot both squeeze in."""
    held = Evidence.objects.filter(answer__response=response).aggregate(
        files=Count("pk"), size=Sum("size"), here=Count("pk", filter=Q(answer=answer))
    )
    per_answer = settings.EVIDENCE_MAX_FILES_PER_ANSWER
    if held["here"] >= per_answer:
        raise EvidenceRejected(
            f"This question already has {per_answer} files, the most one answer can have. "
            "Remove one to add another, or combine them into one PDF."
        )
    per_response = settings.EVIDENCE_MAX_FILES_PER_RESPONSE
    if held["files"] >= per_response:
        raise EvidenceRejected(
            f"This response already has {per_response} files, the most it can have. "
            "Remove files you no longer need, or combine some into one PDF."
        )
    total = (held["size"] or 0) + upload.size
    if total > settings.EVIDENCE_MAX_RESPONSE_BYTES:
        limit = human_size(settings.EVIDENCE_MAX_RESPONSE_BYTES)
        raise EvidenceRejected(
            f"This file would bring this response's files to {human_size(total)}; all "
            f"files together can be at most {limit}. Remove files you no longer need."
        )


@transaction.atomic
def evidence_remove(
    *,
    response: Response,
    evidence_id: int,
    actor: str,
    question_key: str | None = None,
    link: int | None = None,
) -> str:
    """Remove a file the vendor attached by mistake (before submitting); returns its name.
    `link` as for answers_save."""
    files = Evidence.objects.select_related("answer__question").filter(
        pk=evidence_id, answer__response=response
    )
    if question_key is not None:
        files = files.filter(answer__question__key=question_key)
    evidence = files.first()
    if evidence is None:
        raise KeyError("No such file in this response.")
    answer = _answer_for_evidence(response, evidence.answer.question.key, actor)
    name, stored_name, storage = evidence.original_name, evidence.file.name, evidence.file.storage
    evidence.delete()
    _after_evidence_change(answer, actor)
    AuditEvent.objects.create(
        response=response,
        kind=AuditEvent.Kind.ANSWER_CHANGED,
        actor_label=actor,
        data=evidence_removed_data(question=answer.question.key, name=name, link=link),
    )
    # A carried-forward file is shared with the earlier response's record of it.
    if not Evidence.objects.filter(file=stored_name).exists():
        transaction.on_commit(lambda: storage.delete(stored_name))
    return name


def _after_evidence_change(answer: Answer, actor: str) -> None:
    names = _file_names(answer)
    fields = ["evidence_level", "updated_at", "updated_by"]
    if answer.evidence_level != EvidenceLevel.VERIFIED:
        answer.evidence_level = EvidenceLevel.DOCUMENT if names else EvidenceLevel.SELF_ATTESTED
    if answer.question.type == QuestionType.FILE:
        # The files are the answer: changing them changes (so confirms) it.
        answer.value = names or None
        answer.revision += 1
        answer.carried_forward = False
        fields += ["value", "revision", "carried_forward"]
    answer.updated_at = timezone.now()
    answer.updated_by = actor
    answer.save(update_fields=fields)


# Submitting ----------------------------------------------------------------------------


def response_missing(response: Response) -> list[MissingItem]:
    """Everything that stops the response from being submitted, in questionnaire order.

    A carried-forward answer the vendor has not confirmed counts as unanswered: it is
    listed as "unconfirmed" wherever it is shown, required or not."""
    rows = Answer.objects.filter(response=response).values_list(
        "question__key", "value", "comment", "carried_forward"
    )
    values = {key: value for key, value, _, _ in rows}
    comments = {key: comment for key, _, comment, _ in rows}
    carried = {key for key, _, _, carried in rows if carried}
    return completeness(response.version.definition, values, comments, unconfirmed=carried).missing


@transaction.atomic
def response_submit(*, response: Response, actor: str) -> Response:
    """Hand the answers over: checks every section, locks the response, scores it.

    Raises ResponseIncomplete listing each missing item, or ResponseNotEditable.
    From a clarification request, this is a resubmission (see response_resubmit).
    """
    _lock_for_editing(response, actor)
    if response.status == ResponseStatus.CLARIFICATION_REQUESTED:
        return _resubmit(response, actor)
    return _submit(response, actor, from_status=response.status)


@transaction.atomic
def response_resubmit(*, response: Response, actor: str) -> Response:
    """Send clarified answers back: clears the reopened flags, locks and rescores."""
    _lock_for_editing(response, actor)
    if response.status != ResponseStatus.CLARIFICATION_REQUESTED:
        raise ResponseNotEditable("No clarification was requested for this response.")
    return _resubmit(response, actor)


def _resubmit(response: Response, actor: str) -> Response:
    reopened = list(
        Answer.objects.filter(response=response, needs_clarification=True).values_list(
            "question__key", flat=True
        )
    )
    # Cleared before the check in _submit: if anything is missing, the transaction
    # rolls back and the flags stay. A document asked for goes with its question.
    Answer.objects.filter(response=response, needs_clarification=True).update(
        needs_clarification=False, clarification_wants_document=False
    )
    return _submit(
        response,
        actor,
        from_status=ResponseStatus.CLARIFICATION_REQUESTED,
        clarified=reopened,
    )


def _submit(
    response: Response, actor: str, *, from_status: str, clarified: list[str] | None = None
) -> Response:
    missing = response_missing(response)
    if missing:
        raise ResponseIncomplete(missing)
    response.status = ResponseStatus.SUBMITTED
    response.submitted_at = timezone.now()
    response.save(update_fields=["status", "submitted_at"])
    AuditEvent.objects.create(
        response=response,
        kind=AuditEvent.Kind.STATUS_CHANGED,
        actor_label=actor,
        data=status_changed_data(from_status, ResponseStatus.SUBMITTED, clarified=clarified),
    )
    response_score(response=response)
    _queue_submission_email(response)
    return response


def _queue_submission_email(response: Response) -> None:
    """The round's analysts are told, once this transaction commits (the outbox)."""
    # Imported here: the vendors app depends on questionnaires, not the other way round.
    from cxvet.outbox.services import outbox_enqueue
    from vendors.tasks import notify_analysts_of_submission

    assert response.submitted_at is not None
    outbox_enqueue(
        task=notify_analysts_of_submission,
        kwargs={"response_id": response.pk, "submitted_at": response.submitted_at.isoformat()},
        subject=response,
    )
