"""The run mode the suite is in: embedded default, or real PostgreSQL, Redis and worker.

In CI the second run sets DATABASE_URL and REDIS_URL; a missing service must fail
these tests rather than let the suite quietly fall back to the embedded default.
"""

import os

import pytest
from django.conf import settings
from django.db import connection

from cxvet.celery import app

pytestmark = pytest.mark.django_db(transaction=True)


def test_database_is_the_configured_one():
    expected = (
        "postgresql" if os.environ.get("DATABASE_URL", "").startswith("postgres") else "sqlite"
    )
    assert connection.vendor == expected
    with connection.cursor() as cursor:
        cursor.execute("SELECT 1")
        assert cursor.fetchone() == (1,)


def test_tasks_run_in_process_without_redis_and_on_a_worker_with_it(celery_worker_process):
    if not os.environ.get("REDIS_URL"):
        assert settings.CELERY_TASK_ALWAYS_EAGER
        assert celery_worker_process is None
        return
    assert not settings.CELERY_TASK_ALWAYS_EAGER
    assert celery_worker_process.poll() is None, "the worker process is not running"
    replies = app.control.ping(timeout=5)
    assert replies, "no Celery worker answered on the broker"


def test_clearing_the_cache_keeps_the_tasks_queued_on_the_broker():
    from django.core.cache import cache

    if not os.environ.get("REDIS_URL"):
        assert settings.CACHES["default"]["BACKEND"].endswith("LocMemCache")
        return
    import redis

    broker = redis.Redis.from_url(settings.CELERY_BROKER_URL)
    broker.rpush("test-queued-task", "a message")
    try:
        cache.set("test-cached", "a page")
        cache.clear()
        assert cache.get("test-cached") is None
        assert broker.lrange("test-queued-task", 0, -1) == [b"a message"]
    finally:
        broker.delete("test-queued-task")
