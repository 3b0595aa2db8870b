"""Rendering a PDF report in the background."""

from __future__ import annotations

import logging

from celery import shared_task
from celery.exceptions import SoftTimeLimitExceeded
from django.db import InterfaceError, OperationalError

from ..comparison import ComparisonError
from ..reports import (
    RENDER_HARD_TIME_LIMIT,
    RENDER_SOFT_TIME_LIMIT,
    ReportNotPossible,
    render_report,
    subject_of,
)
from ..services.reports import report_claim, report_fail, report_release, report_store

logger = logging.getLogger(__name__)

# Only these are worth another try: storage hiccups and a database connection lost.
# Anything else (a template error, bad data) would fail the same way again.
TRANSIENT_ERRORS = (OSError, OperationalError, InterfaceError)
MAX_RETRIES = 3
BACKOFF_SECONDS = 10
BACKOFF_MAX_SECONDS = 120


@shared_task(
    bind=True,
    max_retries=MAX_RETRIES,
    soft_time_limit=RENDER_SOFT_TIME_LIMIT,
    time_limit=RENDER_HARD_TIME_LIMIT,
    acks_late=True,
)
def report_render(self, report_id: int):
    """Render report `report_id` to PDF and store it; returns what happened, in a word."""
    report = report_claim(report_id=report_id)
    if report is None:
        return "skipped"  # ready, failed, or being rendered by a live worker
    try:
        rendered = render_report(subject_of(report))
        stored = report_store(report=report, pdf=rendered.pdf, inputs_hash=rendered.inputs_hash)
    except TRANSIENT_ERRORS as exc:
        reason = f"{type(exc).__name__}: {exc}"
        if self.request.retries >= self.max_retries:
            report_fail(
                report=report,
                reason=f"Gave up after {self.request.retries + 1} attempts. Last error: {reason}",
            )
            return "failed"
        report_release(report=report, reason=reason)
        countdown = min(BACKOFF_MAX_SECONDS, BACKOFF_SECONDS * 2**self.request.retries)
        # throw=False: with a worker the retry is queued and this run ends normally; in
        # eager mode (no broker) returning the Retry makes Celery run the retry at once,
        # instead of raising it into whoever queued the task (an admin request).
        return self.retry(exc=exc, countdown=countdown, throw=False)
    except SoftTimeLimitExceeded:
        report_fail(
            report=report,
            reason=(
                f"Rendering took longer than {RENDER_SOFT_TIME_LIMIT} s and was stopped. "
                "Reduce the number of vendors in the selection, or raise the limit."
            ),
        )
        return "failed"
    except (ReportNotPossible, ComparisonError) as exc:  # the data, said in words
        report_fail(report=report, reason=str(exc))
        return "failed"
    except Exception as exc:
        logger.exception("Report %s failed to render", report_id)
        report_fail(report=report, reason=f"{type(exc).__name__}: {exc}")
        return "failed"
    return "ready" if stored else "superseded"
