"""A worker killed (SIGKILL) in the middle of rendering a PDF.

The render is made slow honestly, by a large synthetic comparison (10 vendors x 60
questions, several seconds of WeasyPrint), so the kill lands while the report is in
"rendering". Afterwards the report ends ready, or failed with the reason, never stuck;
and no half-written file is ever offered for download.
"""

from __future__ import annotations

import datetime
import io
import os
import signal

import pytest
from django.test import Client
from django.utils import timezone
from pypdf import PdfReader

from cxvet.outbox.models import OutboxMessage
from cxvet.outbox.services import outbox_sweep
from questionnaires.models import Report, ReportKind, ReportStatus
from questionnaires.reports import RENDER_HARD_TIME_LIMIT
from questionnaires.services.reports import MAX_RENDER_ATTEMPTS, report_request, reports_recover
from tests.conftest import wait_until
from tests.factories import UserFactory
from tests.faults.conftest import celery_pointed_at
from tests.synthetic import generated_definition, import_definition, scored_selection

VENDORS, QUESTIONS, SECTIONS = 10, 60, 10
PAST_THE_LIMIT = datetime.timedelta(seconds=RENDER_HARD_TIME_LIMIT + 120)


def _large_selection():
    version = import_definition(
        generated_definition(questions=QUESTIONS, sections=SECTIONS, realistic=True)
    )
    return scored_selection(version=version, vendors=VENDORS).selection


def _rendering(report_id: int) -> Report | None:
    return Report.objects.filter(pk=report_id, status=ReportStatus.RENDERING).first()


def _assert_nothing_to_download(client: Client, report: Report) -> None:
    download = client.get(f"/admin/questionnaires/report/{report.pk}/download/")
    assert download.status_code == 404
    assert not Report.objects.get(pk=report.pk).file


def _assert_complete_pdf(client: Client, report: Report) -> None:
    download = client.get(f"/admin/questionnaires/report/{report.pk}/download/")
    assert download.status_code == 200
    pdf = b"".join(download.streaming_content)
    assert len(PdfReader(io.BytesIO(pdf)).pages) > 5


@pytest.mark.worker
@pytest.mark.django_db(transaction=True)
def test_after_the_worker_is_killed_and_restarted_the_report_ends_ready(services):
    analyst = Client()
    analyst.force_login(UserFactory(username="killed-worker-analyst"))
    selection = _large_selection()
    services.start_worker()

    report = report_request(kind=ReportKind.COMPARISON, selection=selection)
    wait_until(lambda: _rendering(report.pk), timeout=60, interval=0.02)
    services.kill_worker()

    stuck = Report.objects.get(pk=report.pk)
    assert stuck.status == ReportStatus.RENDERING
    _assert_nothing_to_download(analyst, stuck)
    services.start_worker()

    # The killed run was never acknowledged, but Redis hands it back only after its
    # visibility timeout (an hour). The sweeps, run as beat would once the time limit
    # has passed, queue the report again.
    later = timezone.now() + PAST_THE_LIMIT
    assert reports_recover(now=later) == 1
    assert Report.objects.get(pk=report.pk).status == ReportStatus.QUEUED

    ready = wait_until(
        lambda: Report.objects.filter(pk=report.pk, status=ReportStatus.READY).first(),
        timeout=180,
    )
    assert ready.attempts == 2
    _assert_complete_pdf(analyst, ready)
    message = OutboxMessage.objects.about(ready).get()
    assert message.status == OutboxMessage.Status.SENT
    assert "stopped before finishing" in message.last_error
    assert outbox_sweep(now=later)["stopped"] == 0  # nothing left stuck


@pytest.mark.worker
@pytest.mark.django_db(transaction=True)
def test_a_killed_pool_process_is_replaced_and_its_render_taken_over_at_once(services):
    analyst = Client()
    analyst.force_login(UserFactory(username="killed-child-analyst"))
    selection = _large_selection()
    services.start_worker()

    report = report_request(kind=ReportKind.COMPARISON, selection=selection)
    wait_until(lambda: _rendering(report.pk), timeout=60, interval=0.02)
    [child] = services.worker_children()
    os.kill(child, signal.SIGKILL)

    # The worker hands the message back (reject_on_worker_lost) and a new pool process
    # runs it again; knowing its first run died, it takes over that run's claim.
    ready = wait_until(
        lambda: Report.objects.filter(pk=report.pk, status=ReportStatus.READY).first(),
        timeout=180,
    )
    assert ready.attempts == 2
    _assert_complete_pdf(analyst, ready)
    message = OutboxMessage.objects.about(ready).get()
    assert (message.status, message.attempts) == (OutboxMessage.Status.SENT, 2)
    assert "WorkerLostError" in services.worker_logs()


# Without a worker: what the sweep decides -------------------------------------------------


@pytest.fixture
def stuck_report(example_version):
    """A report whose render started long ago and never finished (its worker died)."""
    from tests.questionnaires.reports_data import report_selection

    selection = report_selection(example_version).selection
    with celery_pointed_at("memory://", eager=False):  # recorded, not run
        report = report_request(kind=ReportKind.COMPARISON, selection=selection)
    Report.objects.filter(pk=report.pk).update(
        status=ReportStatus.RENDERING, claimed_at=timezone.now(), attempts=1
    )
    return report


@pytest.mark.django_db
def test_a_report_stuck_in_rendering_is_queued_again_and_rendered(
    stuck_report, django_capture_on_commit_callbacks
):
    assert reports_recover() == 0  # still within its time limit
    with (
        celery_pointed_at("memory://", eager=True),
        django_capture_on_commit_callbacks(execute=True),
    ):
        assert reports_recover(now=timezone.now() + PAST_THE_LIMIT) == 1
    report = Report.objects.get(pk=stuck_report.pk)
    assert report.status == ReportStatus.READY
    assert report.attempts == 2


@pytest.mark.django_db
def test_a_report_whose_renders_keep_dying_fails_with_the_reason(stuck_report):
    Report.objects.filter(pk=stuck_report.pk).update(attempts=MAX_RENDER_ATTEMPTS)
    assert reports_recover(now=timezone.now() + PAST_THE_LIMIT) == 1
    report = Report.objects.get(pk=stuck_report.pk)
    assert report.status == ReportStatus.FAILED
    assert "stopped before finishing" in report.error
    assert f"Gave up after {MAX_RENDER_ATTEMPTS} renders" in report.error
    message = OutboxMessage.objects.about(report).get()
    assert message.status == OutboxMessage.Status.FAILED
    assert message.last_error == report.error
