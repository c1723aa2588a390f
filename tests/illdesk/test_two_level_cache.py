"""illdesk.cache.TwoLevelCache: Django's cache, with a per-process memo in front of a shared one only, and
forgetting that also counts for what was cached while the forgetting transaction was still open."""

import pytest
from django.core.cache import cache

from illdesk import cache as two_level
from illdesk.cache import TwoLevelCache


@pytest.fixture
def shared_cache(settings, tmp_path):
    settings.CACHES = {"default": {"BACKEND": "django.core.cache.backends.filebased.FileBasedCache",
                                   "LOCATION": str(tmp_path)}}


def _counting(values):
    calls = []

    def load(*args):
        calls.append(args)
        return values[len(calls) - 1]

    return load, calls


def test_in_front_of_a_shared_cache_the_memo_answers_for_local_seconds(shared_cache, monkeypatch):
    clock = [100.0]
    monkeypatch.setattr(two_level.time, "monotonic", lambda: clock[0])
    load, calls = _counting(["a", "b"])
    cached = TwoLevelCache("test:two-level:{}", load, seconds=60, local_seconds=1.0)
    assert cached.get(1) == "a"
    cache.delete("test:two-level:1")  # another process forgot it: not seen here for a second
    clock[0] += 0.5
    assert cached.get(1) == "a"
    clock[0] += 1.0
    assert cached.get(1) == "b" and calls == [(1,), (1,)]


def test_without_a_shared_cache_there_is_no_memo(settings):
    settings.CACHES = {"default": {"BACKEND": "django.core.cache.backends.locmem.LocMemCache"}}
    load, _calls = _counting(["a", "b"])
    cached = TwoLevelCache("test:two-level:local", load, seconds=60, local_seconds=1.0)
    assert cached.get() == "a"
    cache.delete("test:two-level:local")
    assert cached.get() == "b"


def test_forget_drops_now_and_again_after_commit(shared_cache, django_capture_on_commit_callbacks, db):
    load, _calls = _counting(["a", "b", "c"])
    cached = TwoLevelCache("test:two-level:{}", load, seconds=60, local_seconds=1.0, forget_after_commit=True)
    assert cached.get("x") == "a"
    with django_capture_on_commit_callbacks(execute=True) as callbacks:
        cached.forget(("x",), ("y",))
        assert cached.get("x") == "b"  # cached again before the commit
    assert len(callbacks) == 1
    assert cached.get("x") == "c"
