"""Portal tests run Celery tasks in-process unless they ask for the worker process."""

from __future__ import annotations

import pytest

from cxvet.celery import app


@pytest.fixture(autouse=True)
def _tasks_in_process(request):
    """Eager tasks, so emails land in mail.outbox, even when REDIS_URL is set.

    Tests that request `celery_worker_process` keep the real broker and worker.
    """
    if "celery_worker_process" in request.fixturenames:
        yield
        return
    previous = app.conf.task_always_eager
    app.conf.task_always_eager = True
    yield
    app.conf.task_always_eager = previous
