"""Django's Redis cache, made to survive Redis being down or hung.

Everything kept in the cache can be recomputed (task-list counts, status aliases, statistics, resolver
answers) or is a best-effort guard (failed-login counts), so a Redis outage must cost speed, never a
page: a cache operation that fails is logged and answered as a miss. After a failure this process
leaves Redis alone for `RETRY_SECONDS` (deletes, which invalidate, are still tried), so a hung Redis
costs one socket timeout (settings.py sets them), not one per cache call of every page.

`TwoLevelCache` is how the code keeps a small value read from the database (status aliases, inactive
statuses, the default owner of lending requests) in that cache, optionally with a per-process memo in front.
"""

from __future__ import annotations

import logging
import time
from collections.abc import Callable, Hashable
from functools import partial
from typing import Any

from django.core.cache import cache, caches
from django.core.cache.backends.base import DEFAULT_TIMEOUT
from django.core.cache.backends.locmem import LocMemCache
from django.core.cache.backends.redis import RedisCache
from django.db import transaction
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



class TwoLevelCache:
    """A value computed by `load(*args)`, kept in Django's cache for `seconds` under `key.format(*args)`.

    In front of a shared cache (Redis; not LocMemCache, which is in-process already) each process also keeps
    what it read for `local_seconds` (0: never), sparing a page that asks once per row a round trip each time:
    a change made in another process then counts here at most that much later, one made here at once.
    `load` must not return None (None is a miss). `forget` drops the entries; with `forget_after_commit` it
    drops them again once the current transaction commits, since another process may have cached, in between,
    what was still committed.
    """

    def __init__(self, key: str, load: Callable[..., Any], *, seconds: int, local_seconds: float = 0.0,
                 forget_after_commit: bool = False) -> None:
        self.key, self.load, self.seconds = key, load, seconds
        self.local_seconds, self.forget_after_commit = local_seconds, forget_after_commit
        self._memo: dict[str, tuple[float, Any]] = {}

    def get(self, *args: Hashable) -> Any:
        key = self.key.format(*args)
        now = time.monotonic()
        local = self.local_seconds > 0 and not isinstance(caches["default"], LocMemCache)
        memo = self._memo.get(key) if local else None
        if memo is not None and now - memo[0] < self.local_seconds:
            return memo[1]
        found = cache.get(key)
        if found is None:
            found = self.load(*args)
            cache.set(key, found, self.seconds)
        if local:
            self._memo[key] = (now, found)
        return found

    def forget(self, *variants: tuple) -> None:
        """Drop the entries of these argument tuples (none given: the entry without arguments)."""
        keys = [self.key.format(*args) for args in variants] or [self.key]
        self._drop(keys)
        if self.forget_after_commit:
            transaction.on_commit(partial(self._drop, keys))

    def _drop(self, keys: list[str]) -> None:
        self._memo.clear()
        cache.delete_many(keys)
