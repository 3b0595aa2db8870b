"""`celery -A cxvet beat` runs the sweeps; on the embedded default it runs them itself."""

from __future__ import annotations

import datetime
import subprocess
import sys

import pytest
from django.conf import settings
from django.utils import timezone

from cxvet.celery import app
from cxvet.outbox.models import OutboxMessage
from cxvet.outbox.services import registered_task
from tests.conftest import ROOT, subprocess_env_for_test_database, wait_until
from tests.factories import ContactFactory
from tests.faults.conftest import celery_pointed_at, closed_port
from vendors.services import invitation_create


def test_the_beat_schedule_runs_both_sweeps_often():
    schedule = app.conf.beat_schedule
    assert {entry["task"] for entry in schedule.values()} == {
        "outbox.sweep",
        "questionnaires.reports_recover",
    }
    for entry in schedule.values():
        assert registered_task(entry["task"]) is not None
        assert entry["schedule"] == settings.OUTBOX_SWEEP_SECONDS <= 60


@pytest.mark.django_db(transaction=True)
def test_beat_sends_what_is_left_pending_without_a_broker(
    example_version, tmp_path, django_db_blocker
):
    # A message left pending, as when the broker refused it or the process stopped.
    with celery_pointed_at(f"redis://127.0.0.1:{closed_port()}/0", eager=False):
        invitation_create(
            contacts=[ContactFactory(email="late@vendor.example")],
            version=example_version,
            due_date=timezone.localdate() + datetime.timedelta(days=21),
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
