"""Django's Redis cache, made to survive Redis being down or hung.

Everything kept in the cache can be recomputed (task-list counts, status aliases, statistics, resolver
answers) or is a best-effort guard (failed-login counts), so a Redis outage must cost speed, never a
page: a cache operation that fails is logged and answered as a miss. After a failure this process
leaves Redis alone for `RETRY_SECONDS` (deletes, which invalidate, are still tried), so a hung Redis
costs one socket timeout (settings.py sets them), not one per cache call of every page.
"""

from __future__ import annotations

import logging
import time

from django.core.cache.backends.base import DEFAULT_TIMEOUT
from django.core.cache.backends.redis import RedisCache
from redis.exceptions import RedisError

log = logging.getLogger("illdesk.cache")
RETRY_SECONDS = 30.0
_down_until = 0.0  # per process: cache objects are per thread, the outage is not


def _call(method, default, *args, always: bool = False):
    global _down_until
    if not always and time.monotonic() < _down_until:
        return default
    try:
        return method(*args)
    except RedisError as exc:
        _down_until = time.monotonic() + RETRY_SECONDS
        log.warning("Redis cache unavailable (%s: %s); working without it for %d s", type(exc).__name__, exc,
                    RETRY_SECONDS)
        return default


class TolerantRedisCache(RedisCache):
    def get(self, key, default=None, version=None):
        return _call(super().get, default, key, default, version)

    def get_many(self, keys, version=None):
        return _call(super().get_many, {}, keys, version)

    def has_key(self, key, version=None):
        return _call(super().has_key, False, key, version)

    def add(self, key, value, timeout=DEFAULT_TIMEOUT, version=None):
        return _call(super().add, False, key, value, timeout, version)

    def set(self, key, value, timeout=DEFAULT_TIMEOUT, version=None):
        return _call(super().set, None, key, value, timeout, version)

    def set_many(self, data, timeout=DEFAULT_TIMEOUT, version=None):
        return _call(super().set_many, list(data), data, timeout, version)

    def touch(self, key, timeout=DEFAULT_TIMEOUT, version=None):
        return _call(super().touch, False, key, timeout, version)

    def delete(self, key, version=None):
        return _call(super().delete, False, key, version, always=True)  # invalidations: try them all

    def delete_many(self, keys, version=None):
        return _call(super().delete_many, None, keys, version, always=True)

    def incr(self, key, delta=1, version=None):
        missing = object()
        value = _call(super().incr, missing, key, delta, version)
        if value is missing:  # what callers already handle: the key is not there
            raise ValueError(f"Key '{key}' not found (the cache is unavailable)")
        return value

    def clear(self):
        return _call(super().clear, False)

