"""The Redis cache fails soft: while Redis is down a read misses and a write is skipped."""

from __future__ import annotations

import logging
import time

import pytest
from django.core.cache import caches
from django.core.cache.backends.redis import RedisCacheClient
from django.test import RequestFactory
from django_ratelimit.core import get_usage

from cxvet.settings import cache_settings


@pytest.fixture
def redis_cache(private_redis, settings):
    config = cache_settings(private_redis.url)
    config["default"]["OPTIONS"]["RETRY_AFTER"] = 0.5
    settings.CACHES = config
    return caches["default"]


def test_a_cache_that_is_down_misses_skips_writes_and_says_so_once(
    private_redis, redis_cache, caplog
):
    caplog.set_level(logging.WARNING, logger="cxvet.cache")
    redis_cache.set("page", "cached html")
    assert redis_cache.get("page") == "cached html"

    private_redis.stop()
    started = time.monotonic()
    assert redis_cache.get("page") is None
    assert redis_cache.get("page", "default") == "default"
    assert redis_cache.get_many(["page", "card"]) == {}
    redis_cache.set("page", "new html")  # skipped, no error
    assert redis_cache.set_many({"a": 1, "b": 2}) == ["a", "b"]
    assert redis_cache.add("counter", 1) is False
    assert redis_cache.has_key("page") is False
    assert redis_cache.delete("page") is False
    with pytest.raises(ValueError, match="cache is unavailable"):
        redis_cache.incr("counter")
    assert redis_cache.get_or_set("computed", lambda: "fresh") == "fresh"
    assert time.monotonic() - started < 1, "an unreachable cache must not slow pages down"
    warnings = [r.getMessage() for r in caplog.records]
    assert len(warnings) == 1 and "The cache (Redis) is unavailable" in warnings[0]

    private_redis.start()  # empty again
    time.sleep(0.6)  # RETRY_AFTER: the cache is left alone that long after an error
    redis_cache.set("page", "after the outage")
    assert redis_cache.get("page") == "after the outage"
    assert "The cache (Redis) is available again" in caplog.records[-1].getMessage()


def test_a_full_cache_refuses_the_write_and_the_page_goes_on(private_redis, redis_cache):
    import redis

    server = redis.Redis.from_url(private_redis.url)
    redis_cache.set("earlier", "kept")
    # Full, and told to evict nothing: Redis answers every write with an OOM error.
    server.config_set("maxmemory-policy", "noeviction")
    server.config_set("maxmemory", "1")
    with pytest.raises(redis.exceptions.OutOfMemoryError):
        server.set("direct", "x")
    redis_cache.set("page", "x" * 1000)  # skipped, no error
    assert redis_cache.get("page") is None

    server.config_set("maxmemory", "0")
    time.sleep(0.6)  # RETRY_AFTER
    redis_cache.set("page", "filed again")
    assert redis_cache.get("page") == "filed again"
    assert redis_cache.get("earlier") == "kept"


def test_the_portal_rate_limit_fails_open_while_the_cache_is_down(
    private_redis, redis_cache, settings
):
    settings.PORTAL_BAD_TOKEN_RATE = "2/m"
    request = RequestFactory().get("/portal/guess/", REMOTE_ADDR="192.0.2.7")

    def usage(increment: bool):
        return get_usage(
            request, group="portal-bad-token", key="ip", rate="2/m", increment=increment
        )

    for _ in range(3):
        usage(True)
    assert usage(False)["should_limit"] is True  # counted in Redis while it is up

    private_redis.stop()
    # Not counted, and nobody limited: the choice documented in docs/security.md.
    assert usage(True) is None
    assert usage(False)["should_limit"] is False


def test_writes_without_a_timeout_expire_after_the_configured_default(settings, monkeypatch):
    # No Redis needed: the client's methods are replaced by recorders. For Redis a timeout
    # of None means "never expire", so a bare set() must pass the configured default on.
    config = cache_settings("redis://127.0.0.1:1/0")
    config["default"]["TIMEOUT"] = 123
    settings.CACHES = config
    cache = caches["default"]
    seen: dict[str, object] = {}

    def recorder(name, returns=None):
        def record(self, *args):
            seen[name] = args[-1]  # the timeout is the client's last argument
            return returns

        monkeypatch.setattr(RedisCacheClient, name, record)

    recorder("set")
    recorder("add", True)
    recorder("touch", True)
    recorder("set_many")
    cache.set("k", 1)
    cache.add("k", 1)
    cache.touch("k")
    cache.set_many({"a": 1})
    assert seen == {"set": 123, "add": 123, "touch": 123, "set_many": 123}
