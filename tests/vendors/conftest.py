"""Portal tests run Celery tasks in-process unless they ask for the worker process."""

from __future__ import annotations

import pytest


@pytest.fixture(autouse=True)
def _tasks_in_process(request):
    """Tests that request `celery_worker_process` keep the real broker and worker."""
    if "celery_worker_process" not in request.fixturenames:
        request.getfixturevalue("eager_tasks")
