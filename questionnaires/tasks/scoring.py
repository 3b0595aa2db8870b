"""Rescoring in batches after a profile changes (progress lives on RescoreJob)."""

from __future__ import annotations

import logging

from celery import shared_task
from django.db import InterfaceError, OperationalError

from ..services.scores import rescore_job_advance, rescore_job_fail

logger = logging.getLogger(__name__)

# A dropped connection or a lock timeout clears up on its own; anything else is a bug
# or bad data that a retry would only repeat.
TRANSIENT_ERRORS = (OperationalError, InterfaceError)
MAX_RETRIES = 5


@shared_task(bind=True, acks_late=True, max_retries=MAX_RETRIES)
def rescore_batch(self, job_id: int, after_id: int) -> None:
    """Score one batch of a RescoreJob, then queue the next one."""
    try:
        next_cursor = rescore_job_advance(job_id=job_id, after_id=after_id)
    except TRANSIENT_ERRORS as exc:
        if self.request.retries >= MAX_RETRIES:
            rescore_job_fail(job_id=job_id, error=f"Database unavailable: {exc}")
            raise
        raise self.retry(exc=exc, countdown=2 ** (self.request.retries + 1)) from exc
    except Exception as exc:
        logger.exception("Rescoring job %s failed after response %s", job_id, after_id)
        rescore_job_fail(job_id=job_id, error=f"{type(exc).__name__}: {exc}")
        raise
    if next_cursor is not None:
        rescore_batch.delay(job_id, next_cursor)
