"""The outbox: outgoing work is saved with the change that causes it, then sent from there.

These tests run without Redis: in-process (the embedded default), against a broker that
refuses connections (a closed port), or on Celery's in-memory broker with each message
then run here as a worker would run it. tests/faults/test_*.py prove the same with a
real worker and a real Redis that stops.
"""

from __future__ import annotations

import datetime
import logging
import threading

import pytest
from django.core import mail
from django.db import connection, transaction
from django.utils import timezone

from cxvet.outbox.models import OutboxMessage
from cxvet.outbox.services import (
    BROKER_RETRY_DELAY,
    CLAIM_MARGIN,
    REQUEUE_AFTER,
    outbox_claim,
    outbox_enqueue,
    outbox_sweep,
)
from tests.factories import ContactFactory, ResponseFactory, UserFactory, round_of
from tests.faults import outbox_tasks
from tests.faults.conftest import celery_pointed_at, closed_port
from tests.faults.outbox_tasks import note_run
from vendors.services import invitation_create
from vendors.tasks import send_invitation

Status = OutboxMessage.Status
pytestmark = pytest.mark.django_db


@pytest.fixture(autouse=True)
def _clean_runs():
    outbox_tasks.RUNS.clear()
    outbox_tasks.FAILURES.clear()
    yield
    outbox_tasks.RUNS.clear()
    outbox_tasks.FAILURES.clear()


@pytest.fixture
def memory_broker():
    """Messages go to Celery's in-process memory broker and wait there: nothing runs them
    until the test does, with `run_as_worker`."""
    with celery_pointed_at("memory://", eager=False):
        yield


def run_as_worker(task, message: OutboxMessage):
    """Run the message's current dispatch here, the way a worker runs a delivery."""
    message.refresh_from_db()
    task.push_request(id=message.task_id, is_eager=False, retries=0)
    try:
        return task(**message.payload)
    finally:
        task.pop_request()


def _due(days: int = 21) -> datetime.date:
    return timezone.localdate() + datetime.timedelta(days=days)


def _invite(version, **kwargs):
    return invitation_create(
        contacts=[ContactFactory(**kwargs)], selection=round_of(version, _due()), user=None
    )


def _pending(key: str, **fields) -> OutboxMessage:
    """A message for the test task, as outbox_enqueue leaves it before its commit."""
    return OutboxMessage.objects.create(
        kind=note_run.name,
        payload={"key": key},
        next_attempt_at=timezone.now() - datetime.timedelta(seconds=1),
        **fields,
    )


# Recording with the change, sending after commit ------------------------------------------


@pytest.mark.usefixtures("in_process_tasks")
def test_a_message_is_saved_with_its_change_and_sent_only_after_commit(
    example_version, django_capture_on_commit_callbacks
):
    with pytest.raises(RuntimeError), transaction.atomic():
        _invite(example_version)
        raise RuntimeError("the invitation is rolled back")
    assert not OutboxMessage.objects.exists()

    with django_capture_on_commit_callbacks(execute=False) as callbacks:
        [link] = _invite(example_version)
    message = OutboxMessage.objects.get()
    assert message.status == Status.PENDING
    assert message.kind == send_invitation.name
    assert message.payload == {"link_id": link.pk}
    assert message.subject == link.response
    assert mail.outbox == []

    for callback in callbacks:
        callback()

    message.refresh_from_db()
    assert (message.status, message.attempts, message.outcome) == (Status.SENT, 1, "sent")
    assert message.task_id.startswith(f"outbox-{message.pk}-")
    assert message.finished_at is not None
    assert len(mail.outbox) == 1


def test_only_outbox_tasks_and_plain_payloads_are_accepted(example_version):
    from questionnaires.tasks.reports import reports_recover_task

    with pytest.raises(TypeError, match="not an OutboxTask"):
        outbox_enqueue(task=reports_recover_task, kwargs={})
    with pytest.raises(TypeError, match="plain JSON values"):
        outbox_enqueue(task=note_run, kwargs={"key": timezone.now()})
    assert not OutboxMessage.objects.exists()


# The broker refusing messages -------------------------------------------------------------


def test_while_the_broker_is_down_messages_wait_and_the_sweep_sends_them_later(
    example_version, django_capture_on_commit_callbacks, caplog
):
    caplog.set_level(logging.WARNING, logger="cxvet.outbox.services")
    with celery_pointed_at(f"redis://127.0.0.1:{closed_port()}/0", eager=False):
        with django_capture_on_commit_callbacks(execute=True):
            _invite(example_version, email="first@vendor.example")
        with django_capture_on_commit_callbacks(execute=True):
            _invite(example_version, email="second@vendor.example")

    messages = list(OutboxMessage.objects.order_by("pk"))
    assert [m.status for m in messages] == [Status.PENDING, Status.PENDING]
    for message in messages:
        assert message.last_error.startswith("Could not queue: OperationalError")
        assert message.task_id == "" and message.attempts == 0
    unavailable = [r for r in caplog.records if "task broker is unavailable" in r.getMessage()]
    assert len(unavailable) == 1, "an outage is logged once, not once per message"
    assert mail.outbox == []

    with celery_pointed_at("memory://", eager=True):  # the broker is back
        assert outbox_sweep()["pending"] == 0  # not due yet
        later = timezone.now() + BROKER_RETRY_DELAY + datetime.timedelta(seconds=1)
        assert outbox_sweep(now=later)["pending"] == 2, list(OutboxMessage.objects.values())

    assert sorted(m.to[0] for m in mail.outbox) == ["first@vendor.example", "second@vendor.example"]
    assert set(OutboxMessage.objects.values_list("status", flat=True)) == {Status.SENT}
    assert any("available again" in r.getMessage() for r in caplog.records)


# Sweeps, claims and stale copies ----------------------------------------------------------


@pytest.mark.django_db(transaction=True)
def test_two_sweeps_at_once_queue_each_message_once():
    keys = [f"m{i}" for i in range(30)]
    for key in keys:
        _pending(key)
    start = threading.Barrier(2)
    counts = []

    def sweep():
        start.wait()
        try:
            counts.append(outbox_sweep()["pending"])
        finally:
            connection.close()

    with celery_pointed_at("memory://", eager=True):
        threads = [threading.Thread(target=sweep) for _ in range(2)]
        for thread in threads:
            thread.start()
        for thread in threads:
            thread.join(timeout=120)

    assert sorted(key for key, _ in outbox_tasks.RUNS) == sorted(keys)
    assert sum(counts) == len(keys)
    assert set(OutboxMessage.objects.values_list("status", flat=True)) == {Status.SENT}


@pytest.mark.usefixtures("memory_broker")
def test_a_message_lost_by_the_broker_is_queued_again_and_an_old_copy_does_nothing():
    message = _pending("late")
    outbox_sweep()
    message.refresh_from_db()
    first_copy = message.task_id
    assert message.status == Status.QUEUED

    # Nothing started it: after REQUEUE_AFTER the sweep presumes it lost.
    assert outbox_sweep()["lost"] == 0
    counts = outbox_sweep(now=timezone.now() + REQUEUE_AFTER + datetime.timedelta(seconds=1))
    assert counts["lost"] == 1
    message.refresh_from_db()
    assert message.task_id != first_copy
    assert "never started" in message.last_error

    # The first copy turns up after all: it is not the current dispatch, so it does nothing.
    note_run.push_request(id=first_copy, is_eager=False)
    try:
        assert note_run(key="late").startswith("skipped")
    finally:
        note_run.pop_request()
    assert outbox_tasks.RUNS == []

    assert run_as_worker(note_run, message) == "ran late"
    message.refresh_from_db()
    assert (message.status, message.attempts) == (Status.SENT, 1)
    ran = outbox_tasks.RUNS
    assert ran == [("late", message.task_id)]


@pytest.mark.usefixtures("memory_broker")
def test_a_transient_error_is_retried_by_the_sweep_after_a_growing_delay():
    outbox_tasks.FAILURES["slow"] = 2
    message = _pending("slow")
    outbox_sweep()

    run_as_worker(note_run, message)
    message.refresh_from_db()
    assert (message.status, message.attempts) == (Status.PENDING, 1)
    assert message.last_error == "FlakyError: flaky slow"
    first_delay = message.next_attempt_at - timezone.now()
    assert datetime.timedelta(seconds=8) < first_delay <= datetime.timedelta(seconds=10)
    assert outbox_sweep()["pending"] == 0  # not yet

    assert outbox_sweep(now=message.next_attempt_at)["pending"] == 1
    run_as_worker(note_run, message)
    message.refresh_from_db()
    second_delay = message.next_attempt_at - timezone.now()
    assert datetime.timedelta(seconds=18) < second_delay <= datetime.timedelta(seconds=20)

    outbox_sweep(now=message.next_attempt_at)
    assert run_as_worker(note_run, message) == "ran slow"
    message.refresh_from_db()
    assert (message.status, message.attempts, message.outcome) == (Status.SENT, 3, "ran slow")


@pytest.mark.usefixtures("memory_broker")
def test_a_message_that_keeps_failing_gives_up_after_its_attempts_with_the_last_error():
    outbox_tasks.FAILURES["never"] = 99
    message = _pending("never")
    for _ in range(note_run.outbox_max_attempts):
        outbox_sweep(now=timezone.now() + datetime.timedelta(hours=1))
        run_as_worker(note_run, message)
    message.refresh_from_db()
    assert (message.status, message.attempts) == (Status.FAILED, 3)
    assert message.last_error == "Gave up after 3 attempts. Last error: FlakyError: flaky never"
    assert outbox_sweep(now=timezone.now() + datetime.timedelta(hours=2))["pending"] == 0


@pytest.mark.usefixtures("memory_broker")
def test_a_run_whose_worker_died_is_queued_again_then_given_up():
    message = _pending("crash")
    outbox_sweep()
    message.refresh_from_db()
    # A worker starts it and dies: the claim stays, nothing finishes it.
    assert outbox_claim(message_id=message.pk, task_id=message.task_id).attempt == 1
    # The broker hands the same dispatch back: that run knows it was cut short.
    again = outbox_claim(message_id=message.pk, task_id=message.task_id)
    assert (again.attempt, again.redelivered) == (2, True)

    past_limit = datetime.timedelta(seconds=note_run.time_limit) + CLAIM_MARGIN
    assert outbox_sweep(now=timezone.now() + past_limit / 2)["stopped"] == 0
    assert outbox_sweep(now=timezone.now() + past_limit * 2)["stopped"] == 1
    message.refresh_from_db()
    assert message.status == Status.QUEUED and message.claimed_at is None
    assert "stopped before finishing" in message.last_error

    # Its last attempt dies too: the next sweep gives up instead of queueing it again.
    outbox_claim(message_id=message.pk, task_id=message.task_id)
    counts = outbox_sweep(now=timezone.now() + past_limit * 2)
    assert counts["given_up"] == 1
    message.refresh_from_db()
    assert message.status == Status.FAILED
    assert message.last_error.startswith("Gave up after 3 attempts. The worker running attempt 3")


def test_a_message_for_a_task_that_no_longer_exists_fails_with_the_reason():
    message = OutboxMessage.objects.create(
        kind="tasks.that.went.away", payload={}, next_attempt_at=timezone.now()
    )
    outbox_sweep()
    message.refresh_from_db()
    assert message.status == Status.FAILED
    assert message.last_error == "No task named 'tasks.that.went.away' exists (any more)."


# What analysts see ------------------------------------------------------------------------


def test_the_response_page_and_the_outbox_list_show_the_last_delivery_error(
    client, example_version
):
    client.force_login(UserFactory(username="outbox-analyst"))
    response = ResponseFactory(version=example_version)
    error = "Could not queue: OperationalError: Error 111 connecting to 127.0.0.1:6379."
    message = OutboxMessage.objects.create(
        kind=send_invitation.name,
        payload={"link_id": 1},
        subject=response,
        status=Status.PENDING,
        last_error=error,
        next_attempt_at=timezone.now(),
    )
    OutboxMessage.objects.create(  # sent without trouble: not a problem to show
        kind=send_invitation.name,
        subject=response,
        status=Status.SENT,
        next_attempt_at=timezone.now(),
    )

    page = client.get(f"/admin/questionnaires/response/{response.pk}/change/")
    assert page.status_code == 200
    html = page.content.decode()
    assert "Emails not delivered yet" in html
    assert "Invitation email" in html and "not sent yet" in html
    assert error in html

    listing = client.get(
        "/admin/outbox/outboxmessage/",
        {"subject_type": message.subject_type_id, "subject_id": response.pk},
    )
    assert listing.status_code == 200
    assert listing.context["cl"].result_count == 2
    assert "Could not queue: OperationalError" in listing.content.decode()
    detail = client.get(f"/admin/outbox/outboxmessage/{message.pk}/change/")
    assert detail.status_code == 200 and error in detail.content.decode()
    # Read only: nobody adds, edits or deletes outgoing messages by hand.
    assert client.get("/admin/outbox/outboxmessage/add/").status_code == 403
    assert client.post(f"/admin/outbox/outboxmessage/{message.pk}/delete/").status_code == 403

    OutboxMessage.objects.filter(pk=message.pk).update(status=Status.SENT)
    assert (
        "Emails not delivered yet"
        not in client.get(f"/admin/questionnaires/response/{response.pk}/change/").content.decode()
    )
