"""A task for testing the outbox itself: it notes each run in this process."""

from __future__ import annotations

import threading

from celery import shared_task

from cxvet.outbox.tasks import OutboxTask

RUNS: list[tuple[str, str]] = []
_lock = threading.Lock()


class FlakyError(ConnectionError):
    """What `note_run` raises while it is told to fail."""


FAILURES: dict[str, int] = {}


class NoteRunTask(OutboxTask):
    outbox_label = "Test run"
    outbox_transient = (FlakyError,)
    outbox_max_attempts = 3
    outbox_backoff_seconds = 10


@shared_task(base=NoteRunTask, bind=True, name="tests.faults.note_run")
def note_run(self, key: str) -> str:
    """Note (key, task id); raise FlakyError first if FAILURES[key] says so."""
    with _lock:
        if FAILURES.get(key, 0) > 0:
            FAILURES[key] -= 1
            raise FlakyError(f"flaky {key}")
        RUNS.append((key, self.request.id))
    return f"ran {key}"
