"""`celery -A cxvet beat` runs the sweeps; on the embedded default it runs them itself."""

from __future__ import annotations

import datetime
import re
import subprocess
import sys

import pytest
from django.conf import settings
from django.utils import timezone

from cxvet.celery import app
from cxvet.outbox.models import OutboxMessage
from cxvet.outbox.services import registered_task
from questionnaires.models import Reminder, Response
from tests.conftest import ROOT, subprocess_env_for_test_database, wait_until
from tests.factories import ContactFactory, round_of
from tests.faults.conftest import celery_pointed_at, closed_port
from vendors.models import LinkToken
from vendors.services import invitation_create, token_hash


def test_the_beat_schedule_runs_every_sweep_often():
    schedule = app.conf.beat_schedule
    assert {name: entry["task"] for name, entry in schedule.items()} == {
        "outbox-sweep": "outbox.sweep",
        "reports-recover": "questionnaires.reports_recover",
        "reminders-sweep": "vendors.reminders_sweep",
        "outbox-prune": "outbox.prune",
    }
    for entry in schedule.values():
        assert registered_task(entry["task"]) is not None
    assert schedule["outbox-sweep"]["schedule"] == settings.OUTBOX_SWEEP_SECONDS <= 60
    assert schedule["reports-recover"]["schedule"] == settings.OUTBOX_SWEEP_SECONDS
    assert schedule["outbox-prune"]["schedule"] == 3600
    # Notices are due by the day: a sweep every few minutes sends them soon after.
    assert schedule["reminders-sweep"]["schedule"] == settings.REMINDER_SWEEP_SECONDS <= 3600


def _start_beat(env: dict, tmp_path, log_path):
    with open(log_path, "w") as log:
        return subprocess.Popen(
            [
                sys.executable,
                "-m",
                "celery",
                "-A",
                "cxvet",
                "beat",
                "--loglevel=INFO",
                "--schedule",
                str(tmp_path / "celerybeat-schedule"),
                "--pidfile=",
            ],
            cwd=ROOT,
            env=env,
            stdout=log,
            stderr=subprocess.STDOUT,
        )


@pytest.mark.django_db(transaction=True)
def test_beat_runs_the_reminder_sweep_on_a_worker_that_sends_each_reminder_once(
    services, example_version, tmp_path
):
    """`celery beat` with the settings' schedule, a worker on Redis and the test
    database: the reminder due today goes out once however often the sweep runs."""
    services.start_worker()
    due = timezone.localdate() + datetime.timedelta(days=3)  # reminder days 7, 3, 1
    [link] = invitation_create(
        contacts=[ContactFactory(email="beat@vendor.example")],
        selection=round_of(example_version, due),
        user=None,
    )
    wait_until(lambda: len(services.emails()) == 1, timeout=60)  # the invitation
    # Invited ten days ago: today's is the 3-day reminder.
    Response.objects.filter(pk=link.response_id).update(
        due_date_set_at=timezone.now() - datetime.timedelta(days=10)
    )
    env = {**services.env, "REMINDER_SWEEP_SECONDS": "1", "OUTBOX_SWEEP_SECONDS": "5"}
    log_path = tmp_path / "beat.log"
    beat = _start_beat(env, tmp_path, log_path)
    try:
        wait_until(lambda: len(services.emails()) == 2, timeout=90)
        # Let beat run the sweep a few more times: nothing more is sent.
        wait_until(lambda: log_path.read_text().count("vendors.reminders_sweep") >= 4, timeout=60)
        wait_until(lambda: "vendors.reminders_sweep" in services.worker_logs(), timeout=30)
    finally:
        beat.terminate()
        beat.wait(timeout=30)
    emails = services.emails()
    assert len(emails) == 2
    reminder = emails[1]
    assert "To: beat@vendor.example" in reminder and "Reminder:" in reminder
    [notice] = Reminder.objects.all()
    assert (notice.kind, notice.days_before, notice.sent_at is not None) == ("before_due", 3, True)
    token = re.search(r"http://testserver/portal/([A-Za-z0-9_-]{43,})/", reminder).group(1)
    assert LinkToken.objects.filter(token_hash=token_hash(token), link=link).exists()


@pytest.mark.django_db(transaction=True)
def test_beat_sends_what_is_left_pending_without_a_broker(
    example_version, tmp_path, django_db_blocker
):
    # A message left pending, as when the broker refused it or the process stopped.
    with celery_pointed_at(f"redis://127.0.0.1:{closed_port()}/0", eager=False):
        invitation_create(
            contacts=[ContactFactory(email="late@vendor.example")],
            selection=round_of(example_version, timezone.localdate() + datetime.timedelta(days=21)),
            user=None,
        )
    OutboxMessage.objects.update(next_attempt_at=timezone.now())
    emails = tmp_path / "emails"
    env = subprocess_env_for_test_database(django_db_blocker)
    env.pop("REDIS_URL", None)  # the embedded default: tasks run in-process
    env.update(
        OUTBOX_SWEEP_SECONDS="1",
        EMAIL_BACKEND="django.core.mail.backends.filebased.EmailBackend",
        EMAIL_FILE_PATH=str(emails),
    )
    log_path = tmp_path / "beat.log"
    with open(log_path, "w") as log:
        beat = subprocess.Popen(
            [
                sys.executable,
                "-m",
                "celery",
                "-A",
                "cxvet",
                "beat",
                "--loglevel=INFO",
                "--schedule",
                str(tmp_path / "celerybeat-schedule"),
                "--pidfile=",
            ],
            cwd=ROOT,
            env=env,
            stdout=log,
            stderr=subprocess.STDOUT,
        )
    try:
        message = wait_until(
            lambda: OutboxMessage.objects.filter(status=OutboxMessage.Status.SENT).first(),
            timeout=60,
        )
    finally:
        beat.terminate()
        beat.wait(timeout=30)
    assert message.attempts == 1
    [email] = list(emails.iterdir())
    assert "To: late@vendor.example" in email.read_text()
    assert "outbox.sweep" in log_path.read_text()
