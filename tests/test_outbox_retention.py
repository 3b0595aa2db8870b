"""Sent outgoing messages are deleted OUTBOX_RETENTION_DAYS after they went out; failed,
pending and queued ones stay (cxvet.outbox.services.outbox_prune, run hourly by beat)."""

from __future__ import annotations

import datetime

import pytest
import time_machine

from cxvet.celery import app
from cxvet.outbox import services
from cxvet.outbox.models import OutboxMessage
from cxvet.outbox.services import outbox_enqueue
from tests.faults import outbox_tasks
from tests.faults.outbox_tasks import note_run

Status = OutboxMessage.Status
pytestmark = pytest.mark.django_db
START = datetime.datetime(2026, 12, 1, 9, 0, tzinfo=datetime.UTC)


@pytest.fixture(autouse=True)
def _tasks_in_process():
    previous = app.conf.task_always_eager
    app.conf.task_always_eager = True
    yield
    app.conf.task_always_eager = previous
    outbox_tasks.RUNS.clear()


def _send(key: str, django_capture_on_commit_callbacks) -> OutboxMessage:
    """A message recorded and sent now, as a service's change records and sends it."""
    with django_capture_on_commit_callbacks(execute=True):
        message = outbox_enqueue(task=note_run, kwargs={"key": key})
    message.refresh_from_db()
    assert message.status == Status.SENT
    return message


def _left(status: str, key: str) -> OutboxMessage:
    return OutboxMessage.objects.create(
        kind=note_run.name, payload={"key": key}, status=status, next_attempt_at=START
    )


def _prune_by_beat() -> None:
    """Run the task the beat schedule names, as a worker would."""
    [entry] = [e for e in app.conf.beat_schedule.values() if e["task"] == "outbox.prune"]
    app.tasks[entry["task"]].apply()


def test_sent_messages_go_after_the_retention_and_the_others_stay(
    django_capture_on_commit_callbacks,
):
    with time_machine.travel(START, tick=False) as clock:
        early = _send("early", django_capture_on_commit_callbacks)
        failed = _left(Status.FAILED, "failed")
        pending = _left(Status.PENDING, "pending")
        queued = _left(Status.QUEUED, "queued")
        clock.shift(datetime.timedelta(days=2))
        late = _send("late", django_capture_on_commit_callbacks)

        clock.shift(datetime.timedelta(days=12))  # early was sent 14 days ago to the second
        _prune_by_beat()
        assert OutboxMessage.objects.filter(pk=early.pk).exists()

        clock.shift(datetime.timedelta(seconds=1))
        _prune_by_beat()
        remaining = set(OutboxMessage.objects.values_list("pk", flat=True))
        assert remaining == {late.pk, failed.pk, pending.pk, queued.pk}

        clock.shift(datetime.timedelta(days=365))
        _prune_by_beat()
        remaining = set(OutboxMessage.objects.values_list("pk", flat=True))
        assert remaining == {failed.pk, pending.pk, queued.pk}


def test_the_retention_is_a_setting(settings, django_capture_on_commit_callbacks):
    settings.OUTBOX_RETENTION_DAYS = 3
    with time_machine.travel(START, tick=False) as clock:
        message = _send("x", django_capture_on_commit_callbacks)
        clock.shift(datetime.timedelta(days=2, hours=23))
        assert services.outbox_prune() == 0
        clock.shift(datetime.timedelta(hours=2))
        assert services.outbox_prune() == 1
    assert not OutboxMessage.objects.filter(pk=message.pk).exists()


def test_many_old_messages_are_deleted_in_batches(monkeypatch, django_capture_on_commit_callbacks):
    monkeypatch.setattr(services, "PRUNE_BATCH", 2)
    with time_machine.travel(START, tick=False) as clock:
        for i in range(5):
            _send(f"m{i}", django_capture_on_commit_callbacks)
        kept = _left(Status.FAILED, "kept")
        clock.shift(datetime.timedelta(days=30))
        assert services.outbox_prune() == 5
    assert list(OutboxMessage.objects.values_list("pk", flat=True)) == [kept.pk]
