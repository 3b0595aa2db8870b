"""Rendering a PDF report in the background, and recovering renders whose worker died."""

from __future__ import annotations

import logging
from typing import Any, NoReturn

from celery import shared_task
from celery.exceptions import SoftTimeLimitExceeded
from django.db import InterfaceError, OperationalError

from cxvet.outbox.tasks import OutboxTask, Undeliverable

from ..comparison import ComparisonError
from ..models import Report
from ..reports import (
    RENDER_HARD_TIME_LIMIT,
    RENDER_SOFT_TIME_LIMIT,
    ReportNotPossible,
    render_report,
    subject_of,
)
from ..services.reports import (
    MAX_RENDER_ATTEMPTS,
    report_claim,
    report_fail,
    report_fail_unfinished,
    report_release,
    report_store,
    reports_recover,
)

logger = logging.getLogger(__name__)

# Only these are worth another try: storage hiccups and a database connection lost.
# Anything else (a template error, bad data) would fail the same way again.
TRANSIENT_ERRORS = (OSError, OperationalError, InterfaceError)
MAX_RETRIES = MAX_RENDER_ATTEMPTS - 1
BACKOFF_SECONDS = 10


class ReportRenderTask(OutboxTask):
    outbox_label = "PDF report"
    outbox_max_attempts = MAX_RENDER_ATTEMPTS
    outbox_backoff_seconds = BACKOFF_SECONDS
    outbox_transient = TRANSIENT_ERRORS
    soft_time_limit = RENDER_SOFT_TIME_LIMIT
    time_limit = RENDER_HARD_TIME_LIMIT

    def outbox_gave_up(self, reason: str, *, report_id: int, **kwargs: Any) -> None:
        report_fail_unfinished(report_id=report_id, reason=reason)


@shared_task(base=ReportRenderTask, bind=True)
def report_render(self: ReportRenderTask, report_id: int) -> str:
    """Render report `report_id` to PDF and store it; returns what happened, in a word.

    A delivery whose earlier run was cut short (its worker died; the broker handed it
    back) takes over that run's claim instead of waiting for it to go stale.
    """
    delivery = self.delivery
    report = report_claim(report_id=report_id, take_over=bool(delivery and delivery.redelivered))
    if report is None:
        return "skipped"  # ready, failed, or being rendered by a live worker
    try:
        rendered = render_report(subject_of(report))
        stored = report_store(
            report=report,
            pdf=rendered.pdf,
            inputs_hash=rendered.inputs_hash,
            inputs=rendered.inputs,
        )
    except TRANSIENT_ERRORS as exc:
        # Back to the queue; the outbox retries it later, or gives up (outbox_gave_up).
        report_release(report=report, reason=f"{type(exc).__name__}: {exc}")
        raise
    except SoftTimeLimitExceeded:
        _fail(
            report,
            f"Rendering took longer than {RENDER_SOFT_TIME_LIMIT} s and was stopped. "
            "Reduce the number of vendors in the selection, or raise the limit.",
        )
    except (ReportNotPossible, ComparisonError) as exc:  # the data, said in words
        _fail(report, str(exc))
    except Exception as exc:
        logger.exception("Report %s failed to render", report_id)
        _fail(report, f"{type(exc).__name__}: {exc}")
    return "ready" if stored else "superseded"


def _fail(report: Report, reason: str) -> NoReturn:
    report_fail(report=report, reason=reason)
    raise Undeliverable(reason)


@shared_task(name="questionnaires.reports_recover", ignore_result=True)
def reports_recover_task() -> int:
    """Queue again, or fail, the reports whose render stopped mid-way (Celery beat)."""
    return reports_recover()
