"""Rescoring in batches after a profile changes (progress lives on RescoreJob)."""

from __future__ import annotations

import logging
from typing import Any

from celery import shared_task
from django.db import InterfaceError, OperationalError

from cxvet.outbox.tasks import OutboxTask

from ..services.scores import rescore_job_advance, rescore_job_fail

logger = logging.getLogger(__name__)


class RescoreTask(OutboxTask):
    outbox_label = "Rescoring batch"
    # A dropped connection or a lock timeout clears up on its own; anything else is a
    # bug or bad data that a retry would only repeat.
    outbox_transient = (OperationalError, InterfaceError)
    outbox_max_attempts = 6
    outbox_backoff_seconds = 5
    # A batch of 1,000 responses takes seconds; one still going after this is stuck.
    time_limit = 600
    soft_time_limit = 570

    def outbox_gave_up(self, reason: str, *, job_id: int, **kwargs: Any) -> None:
        rescore_job_fail(job_id=job_id, error=reason)


@shared_task(base=RescoreTask, bind=True)
def rescore_batch(self: RescoreTask, job_id: int, after_id: int) -> None:
    """Score one batch of a RescoreJob; the next batch is queued in the same transaction."""
    try:
        rescore_job_advance(job_id=job_id, after_id=after_id)
    except RescoreTask.outbox_transient:
        raise  # retried by the outbox, which fails the job if it gives up
    except Exception as exc:
        logger.exception("Rescoring job %s failed after response %s", job_id, after_id)
        rescore_job_fail(job_id=job_id, error=f"{type(exc).__name__}: {exc}")
        raise
