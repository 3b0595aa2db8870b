"""The outbox: outgoing work is saved with the change that causes it, then sent from there.

`outbox_enqueue` records an OutboxMessage in the caller's transaction and, once that
commits, queues it on the broker. A message the broker cannot take (Redis down) stays
pending with the error and is queued by the sweep (`outbox_sweep`, run by Celery beat)
once the broker is back; a message that never reaches a worker is found by the same
sweep. Every dispatch claims the message with a conditional UPDATE that gives it a fresh
Celery task id, so two sweeps never queue one message twice, and only a delivery with
the current id may run it (tasks.OutboxTask); a worker's claim, its retries with backoff
and its giving up are recorded here too.

Message life: pending -> queued -> sent, or back to pending to retry after a transient
error, or failed (last_error says why). A sent message is deleted OUTBOX_RETENTION_DAYS
after it went out (`outbox_prune`, also run by beat); a failed one is kept, as the record
of what did not go out.
"""

from __future__ import annotations

import datetime
import json
import logging
import uuid
from dataclasses import dataclass
from functools import partial
from typing import TYPE_CHECKING, Any

from celery import Task, current_app
from django.conf import settings
from django.contrib.contenttypes.models import ContentType
from django.db import transaction
from django.db.models import F, Model, QuerySet
from django.utils import timezone

from ..outages import Outage
from .models import OutboxMessage

if TYPE_CHECKING:
    from .tasks import OutboxTask

logger = logging.getLogger(__name__)
_broker = Outage("The task broker", logger)

Status = OutboxMessage.Status
ACTIVE_STATUSES = OutboxMessage.ACTIVE_STATUSES

# A message is queued right after its transaction commits; the sweep takes it only if
# that has not happened this long after (the process stopped in between).
DISPATCH_GRACE = datetime.timedelta(seconds=30)
# After the broker refused a message, the sweep tries again this much later.
BROKER_RETRY_DELAY = datetime.timedelta(seconds=30)
# Queued but never started by a worker this long after: presumed lost by the broker.
REQUEUE_AFTER = datetime.timedelta(minutes=10)
# Started, and not finished within its task's time limit plus this: its worker died.
CLAIM_MARGIN = datetime.timedelta(seconds=60)
BACKOFF_CAP_SECONDS = 30 * 60
SWEEP_BATCH = 500
PRUNE_BATCH = 1000
MAX_ERROR_LENGTH = 2000
TASK_ID_PREFIX = "outbox-"


@dataclass(frozen=True)
class Delivery:
    """One worker's run of a message, as its task sees it."""

    message_id: int
    attempt: int  # 1 for the first run of the message
    # This dispatch was started before and did not finish: its worker died mid-task.
    redelivered: bool


# Recording -------------------------------------------------------------------------------


def outbox_enqueue(
    *, task: OutboxTask, kwargs: dict[str, Any], subject: Model | None = None
) -> OutboxMessage:
    """Record work for `task` in the current transaction; it is queued once that commits.

    `kwargs` are the task's keyword arguments: ids and plain values only, never a secret
    (they are stored in the database and travel through the broker). `subject` is the row
    the work is about, so the admin can show its delivery problems beside it.
    """
    message = OutboxMessage.objects.create(
        kind=_kind_of(task),
        payload=_plain(kwargs),
        subject_type=ContentType.objects.get_for_model(subject) if subject else None,
        subject_id=subject.pk if subject else None,
        next_attempt_at=timezone.now() + DISPATCH_GRACE,
    )
    _dispatch_after_commit(message.pk)
    return message


def outbox_enqueue_many(
    *, task: OutboxTask, kwargs_list: list[dict[str, Any]], subject: Model | None = None
) -> list[OutboxMessage]:
    """Record several messages for `task` with one INSERT (see outbox_enqueue); each is
    queued once the transaction commits. For work split into parts (a sweep's batches),
    so that recording it costs the same number of queries however many parts there are."""
    if not kwargs_list:
        return []
    now = timezone.now()
    subject_type = ContentType.objects.get_for_model(subject) if subject else None
    messages = OutboxMessage.objects.bulk_create(
        [
            OutboxMessage(
                kind=_kind_of(task),
                payload=_plain(kwargs),
                subject_type=subject_type,
                subject_id=subject.pk if subject else None,
                next_attempt_at=now + DISPATCH_GRACE,
            )
            for kwargs in kwargs_list
        ]
    )
    if any(message.pk is None for message in messages):
        # A database that returns no ids from a bulk insert: the sweep queues them.
        return messages
    for message in messages:
        _dispatch_after_commit(message.pk)
    return messages


def outbox_requeue(
    *, task: OutboxTask, kwargs: dict[str, Any], subject: Model, reason: str
) -> OutboxMessage:
    """Send this work again now: the subject's unfinished message of this kind is queued
    anew (older copies on the broker then do nothing), or a new message is recorded."""
    active = (
        OutboxMessage.objects.about(subject)
        .unfinished()
        .filter(kind=_kind_of(task))
        .order_by("-created_at", "-pk")
        .first()
    )
    if active is None:
        return outbox_enqueue(task=task, kwargs=kwargs, subject=subject)
    OutboxMessage.objects.filter(pk=active.pk).update(
        last_error=reason[:MAX_ERROR_LENGTH], next_attempt_at=timezone.now()
    )
    _dispatch_after_commit(active.pk, force=True)
    return active


def outbox_cancel(*, task: OutboxTask, subject: Model, reason: str) -> int:
    """Fail the subject's unfinished messages of this kind (their work was given up
    elsewhere); older copies on the broker then do nothing. Returns how many."""
    now = timezone.now()
    messages = OutboxMessage.objects.about(subject).unfinished().filter(kind=_kind_of(task))
    return sum(_give_up(message, reason=reason, now=now) for message in messages)


def _kind_of(task: OutboxTask) -> str:
    from .tasks import OutboxTask

    if not isinstance(task, OutboxTask):
        raise TypeError(f"{task!r} is not an OutboxTask: declare it with base=OutboxTask.")
    return task.name


def _plain(kwargs: dict[str, Any]) -> dict[str, Any]:
    try:
        same = json.loads(json.dumps(kwargs)) == kwargs
    except (TypeError, ValueError):
        same = False
    if not same:
        raise TypeError(f"Outbox payloads are plain JSON values (ids), got {kwargs!r}.")
    return kwargs


# Dispatching -----------------------------------------------------------------------------


def _dispatch_after_commit(message_id: int, *, force: bool = False) -> None:
    # robust: a failure here is logged and leaves the message to the sweep; it never
    # turns a change that was saved into an error page.
    transaction.on_commit(partial(_dispatch_by_id, message_id, force=force), robust=True)


def _dispatch_by_id(message_id: int, *, force: bool) -> None:
    message = OutboxMessage.objects.filter(pk=message_id).first()
    if message is None or message.status not in ACTIVE_STATUSES:
        return
    if message.status == Status.QUEUED and not force:
        return  # the sweep got there first
    _dispatch(message, now=timezone.now())


def _dispatch(message: OutboxMessage, *, now: datetime.datetime, note: str = "") -> bool:
    """Claim the message as it was read and put it on the broker; False if another
    process changed it first or the broker refused it (it is then pending again)."""
    task = registered_task(message.kind)
    if task is None:
        _give_up(message, reason=f"No task named {message.kind!r} exists (any more).", now=now)
        return False
    task_id = f"{TASK_ID_PREFIX}{message.pk}-{uuid.uuid4().hex}"
    changes: dict[str, Any] = {
        "status": Status.QUEUED,
        "task_id": task_id,
        "queued_at": now,
        "claimed_at": None,
    }
    if note:
        changes["last_error"] = note[:MAX_ERROR_LENGTH]
    claimed = _as_read(message).update(**changes)
    if not claimed:
        return False
    try:
        task.apply_async(kwargs=message.payload, task_id=task_id)
    except Exception as exc:
        _broker.failed(exc, "outgoing messages wait in the database until it is back")
        OutboxMessage.objects.filter(
            pk=message.pk, status=Status.QUEUED, task_id=task_id, claimed_at=None
        ).update(
            status=Status.PENDING,
            task_id="",
            last_error=f"Could not queue: {describe_error(exc)}"[:MAX_ERROR_LENGTH],
            next_attempt_at=now + BROKER_RETRY_DELAY,
        )
        return False
    _broker.recovered()
    return True


def _as_read(message: OutboxMessage) -> QuerySet[OutboxMessage]:
    """The message, if nobody changed it since it was read (a compare-and-set)."""
    return OutboxMessage.objects.filter(
        pk=message.pk,
        status=message.status,
        task_id=message.task_id,
        next_attempt_at=message.next_attempt_at,
        claimed_at=message.claimed_at,
    )


def registered_task(kind: str) -> Task[Any, Any] | None:
    """The task that handles messages of `kind`, if it (still) exists."""
    task = current_app.tasks.get(kind)
    if task is None:
        # Celery imports the apps' task modules lazily (a worker at start): do it now.
        current_app.loader.import_default_modules()
        task = current_app.tasks.get(kind)
    return task


def _outbox_task(kind: str) -> OutboxTask | None:
    """The task of a message's kind: one declared with base=OutboxTask (`_kind_of`)."""
    from .tasks import OutboxTask

    task = registered_task(kind)
    return task if isinstance(task, OutboxTask) else None


def task_message_id(task_id: str | None) -> int | None:
    """The message a Celery task id was made for, or None for a task queued directly."""
    if not task_id or not task_id.startswith(TASK_ID_PREFIX):
        return None
    number = task_id[len(TASK_ID_PREFIX) :].split("-", 1)[0]
    return int(number) if number.isdigit() else None


# The sweep -------------------------------------------------------------------------------


def outbox_sweep(*, now: datetime.datetime | None = None) -> dict[str, int]:
    """Queue what should be on its way and is not: messages still pending when due,
    messages the broker seems to have lost, and messages whose worker died mid-task
    (failed instead, once they have used their attempts). Returns counts by case."""
    now = now or timezone.now()
    counts = {"pending": 0, "lost": 0, "stopped": 0, "given_up": 0}
    due = OutboxMessage.objects.filter(status=Status.PENDING, next_attempt_at__lte=now)
    for message in due.order_by("next_attempt_at", "pk")[:SWEEP_BATCH]:
        counts["pending"] += _dispatch(message, now=now)
    lost = OutboxMessage.objects.filter(
        status=Status.QUEUED, claimed_at=None, queued_at__lt=now - REQUEUE_AFTER
    )
    for message in lost.order_by("queued_at", "pk")[:SWEEP_BATCH]:
        note = (
            f"Queued at {message.queued_at:%Y-%m-%d %H:%M:%S} and never started "
            "(lost by the broker?); queued again."
        )
        counts["lost"] += _dispatch(message, now=now, note=note)
    started = OutboxMessage.objects.filter(
        status=Status.QUEUED, claimed_at__lt=now - CLAIM_MARGIN
    ).order_by("claimed_at", "pk")
    for message in started[:SWEEP_BATCH]:
        outcome = _sweep_started(message, now)
        if outcome:
            counts[outcome] += 1
    return counts


def _sweep_started(message: OutboxMessage, now: datetime.datetime) -> str:
    assert message.claimed_at is not None  # the sweep passes only started messages
    task = _outbox_task(message.kind)
    limit = datetime.timedelta(seconds=getattr(task, "time_limit", None) or 0)
    if task is not None and message.claimed_at >= now - limit - CLAIM_MARGIN:
        return ""  # still within its time limit: the worker may be busy with it
    stopped = (
        f"The worker running attempt {message.attempts} stopped before finishing "
        f"(started {message.claimed_at:%Y-%m-%d %H:%M:%S})"
    )
    if task is not None and message.attempts < task.outbox_max_attempts:
        return "stopped" if _dispatch(message, now=now, note=f"{stopped}; queued again.") else ""
    gave_up = _give_up(
        message, reason=f"Gave up after {message.attempts} attempts. {stopped}.", now=now
    )
    return "given_up" if gave_up else ""


# Retention -------------------------------------------------------------------------------


def outbox_prune(*, now: datetime.datetime | None = None) -> int:
    """Delete the messages sent more than OUTBOX_RETENTION_DAYS ago, in batches (short
    transactions, however many there are); pending, queued and failed messages stay.
    Returns how many were deleted."""
    now = now or timezone.now()
    cutoff = now - datetime.timedelta(days=settings.OUTBOX_RETENTION_DAYS)
    old = OutboxMessage.objects.filter(status=Status.SENT, finished_at__lt=cutoff).order_by()
    deleted = 0
    while True:
        ids = list(old.values_list("pk", flat=True)[:PRUNE_BATCH])
        if ids:
            count, _ = OutboxMessage.objects.filter(pk__in=ids, status=Status.SENT).delete()
            deleted += count
        if len(ids) < PRUNE_BATCH:
            break
    if deleted:
        logger.info(
            "Deleted %s outgoing messages sent before %s", deleted, f"{cutoff:%Y-%m-%d %H:%M}"
        )
    return deleted


# A worker's delivery ---------------------------------------------------------------------


def outbox_claim(*, message_id: int, task_id: str) -> Delivery | None:
    """Start a run of the message for the delivery with this task id, or None when the
    id is not the message's current dispatch (an older copy) or it is finished."""
    message = (
        OutboxMessage.objects.filter(pk=message_id, status=Status.QUEUED, task_id=task_id)
        .only("attempts", "claimed_at", "status", "task_id", "next_attempt_at")
        .first()
    )
    if message is None:
        return None
    claimed = _as_read(message).update(claimed_at=timezone.now(), attempts=F("attempts") + 1)
    if not claimed:
        return None
    return Delivery(
        message_id=message_id,
        attempt=message.attempts + 1,
        redelivered=message.claimed_at is not None,
    )


def _current(message_id: int, task_id: str) -> QuerySet[OutboxMessage]:
    return OutboxMessage.objects.filter(pk=message_id, status=Status.QUEUED, task_id=task_id)


def outbox_finish(*, message_id: int, task_id: str, outcome: str = "") -> bool:
    """The task finished: the message is sent."""
    return bool(
        _current(message_id, task_id).update(
            status=Status.SENT, outcome=outcome[:200], finished_at=timezone.now()
        )
    )


def outbox_retry_later(
    *, message_id: int, task_id: str, attempt: int, base_seconds: float, error: str
) -> None:
    """A transient error: back to pending, for the sweep to queue after a growing delay."""
    delay = min(BACKOFF_CAP_SECONDS, base_seconds * 2 ** (attempt - 1))
    _current(message_id, task_id).update(
        status=Status.PENDING,
        task_id="",
        claimed_at=None,
        last_error=error[:MAX_ERROR_LENGTH],
        next_attempt_at=timezone.now() + datetime.timedelta(seconds=delay),
    )


def outbox_retry_now(*, message_id: int, task_id: str, error: str) -> None:
    """A transient error without a broker (tasks run in-process): run again at once."""
    _current(message_id, task_id).update(claimed_at=None, last_error=error[:MAX_ERROR_LENGTH])


def outbox_fail(*, message_id: int, task_id: str, reason: str) -> bool:
    """Give up on the message run by this delivery (see _give_up)."""
    message = _current(message_id, task_id).first()
    return message is not None and _give_up(message, reason=reason, now=timezone.now())


def _give_up(message: OutboxMessage, *, reason: str, now: datetime.datetime) -> bool:
    """Mark the message failed, if unchanged since read, and let its task record that on
    its own rows (a report, a rescoring job)."""
    failed = _as_read(message).update(
        status=Status.FAILED, last_error=reason[:MAX_ERROR_LENGTH], finished_at=now
    )
    if not failed:
        return False
    logger.warning("Outgoing message %s (%s) failed: %s", message.pk, message.kind, reason)
    task = _outbox_task(message.kind)
    if task is not None:
        try:
            task.outbox_gave_up(reason, **message.payload)
        except Exception:
            logger.exception("Recording the failure of outgoing message %s failed", message.pk)
    return True


def describe_error(exc: BaseException) -> str:
    """An exception as one line for last_error: its type and message."""
    return f"{type(exc).__name__}: {exc}"
