"""Redis as a cache that fails soft: while Redis is down, the site runs without a cache.

Everything the project keeps in the cache can be computed again (portal pages and
question cards, the comparison's robustness) or may be forgotten (the portal's count of
bad tokens), so a cache error is treated as a miss and a skipped write. The first error
is logged, then the cache is left alone for `RETRY_AFTER` seconds (so a Redis that
times out does not cost every request a timeout), and its return is logged too.

The portal's rate limit therefore fails open during an outage: bad tokens are not
counted, which is safe because a token is 256 random bits (docs/security.md).
"""

from __future__ import annotations

import logging
import time
from collections.abc import Callable, Iterable
from typing import Any, TypeVar

from django.core.cache.backends.base import DEFAULT_TIMEOUT
from django.core.cache.backends.redis import RedisCache
from redis.exceptions import ConnectionError as RedisConnectionError
from redis.exceptions import OutOfMemoryError, ReadOnlyError
from redis.exceptions import TimeoutError as RedisTimeoutError

from .outages import Outage

logger = logging.getLogger(__name__)

# A full Redis (maxmemory reached and nothing it may evict) and a replica that became
# read-only in a failover refuse writes as surely as a stopped one: a page must not fail
# because it could not be filed.
REDIS_DOWN = (RedisConnectionError, RedisTimeoutError, OutOfMemoryError, ReadOnlyError)
DEFAULT_RETRY_AFTER = 5.0

T = TypeVar("T")

_outage = Outage("The cache (Redis)", logger)
# Per server, shared by the per-thread cache instances Django creates.
_skip_until: dict[str, float] = {}


class FailSoftRedisCache(RedisCache):
    """Django's Redis cache, where an unreachable server means a miss.

    OPTIONS may set RETRY_AFTER (seconds to leave the server alone after an error); the
    other options go to redis-py as usual (e.g. socket_connect_timeout).
    """

    def __init__(self, server: str, params: dict[str, Any]) -> None:
        options = dict(params.get("OPTIONS") or {})
        self.retry_after = float(options.pop("RETRY_AFTER", DEFAULT_RETRY_AFTER))
        super().__init__(server, {**params, "OPTIONS": options})
        self._server_key = str(server)

    def _soft(self, call: Callable[[], T], fallback: T) -> T:
        if time.monotonic() < _skip_until.get(self._server_key, 0.0):
            return fallback
        try:
            result = call()
        except REDIS_DOWN as exc:
            _skip_until[self._server_key] = time.monotonic() + self.retry_after
            _outage.failed(exc, "serving every page without the cache until it is back")
            return fallback
        _outage.recovered()
        return result

    def get(self, key: Any, default: Any | None = None, version: int | None = None) -> Any:
        return self._soft(
            lambda: super(FailSoftRedisCache, self).get(key, default, version), default
        )

    def get_many(self, keys: Iterable[Any], version: int | None = None) -> dict[Any, Any]:
        return self._soft(lambda: super(FailSoftRedisCache, self).get_many(keys, version), {})

    def has_key(self, key: Any, version: int | None = None) -> bool:
        return self._soft(lambda: super(FailSoftRedisCache, self).has_key(key, version), False)

    # Writes default to DEFAULT_TIMEOUT, as in Django's base class: for Redis a timeout
    # of None means "never expire" (and touch(key, None) removes the expiry), so a bare
    # cache.set(key, value) would otherwise keep the key for ever.
    def set(
        self,
        key: Any,
        value: Any,
        timeout: Any = DEFAULT_TIMEOUT,
        version: int | None = None,
        **kwargs: Any,
    ) -> None:
        self._soft(
            lambda: super(FailSoftRedisCache, self).set(key, value, timeout, version, **kwargs),
            None,
        )

    def set_many(
        self, data: dict[Any, Any], timeout: Any = DEFAULT_TIMEOUT, version: int | None = None
    ) -> list[Any]:
        # Django's contract: the keys that could not be stored.
        return self._soft(
            lambda: super(FailSoftRedisCache, self).set_many(data, timeout, version), list(data)
        )

    def add(
        self, key: Any, value: Any, timeout: Any = DEFAULT_TIMEOUT, version: int | None = None
    ) -> bool:
        return self._soft(
            lambda: super(FailSoftRedisCache, self).add(key, value, timeout, version), False
        )

    def touch(self, key: Any, timeout: Any = DEFAULT_TIMEOUT, version: int | None = None) -> bool:
        return self._soft(
            lambda: super(FailSoftRedisCache, self).touch(key, timeout, version), False
        )

    def delete(self, key: Any, version: int | None = None) -> bool:
        return self._soft(lambda: super(FailSoftRedisCache, self).delete(key, version), False)

    def delete_many(self, keys: Iterable[Any], version: int | None = None) -> None:
        self._soft(lambda: super(FailSoftRedisCache, self).delete_many(keys, version), None)

    def clear(self) -> None:
        self._soft(lambda: super(FailSoftRedisCache, self).clear(), None)

    def incr(self, key: Any, delta: int = 1, version: int | None = None) -> int:
        # A counter that cannot be read is a missing key, which incr() reports so.
        value: int | None = self._soft(
            lambda: super(FailSoftRedisCache, self).incr(key, delta, version), None
        )
        if value is None:
            raise ValueError(f"Key {key!r} not found (the cache is unavailable).")
        return value
