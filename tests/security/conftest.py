"""Fixtures of the security tests: nothing reaches outside 127.0.0.1, tasks run in-process, a cache
backend switch (locmem, or the real Redis under a private key prefix), and the world of one of
everything (tests/security/world.py) with the cast that works in it."""

from __future__ import annotations

import importlib
import os
import uuid
from types import SimpleNamespace

import pytest
from django.contrib.contenttypes.models import ContentType

from tests.celery_eager import tasks_in_process

from .world import build


@pytest.fixture(autouse=True)
def _media_in_tmp(settings, tmp_path):
    """Attachments the world and the upload tests store land in a directory of this test only."""
    settings.MEDIA_ROOT = tmp_path / "media"


@pytest.fixture(autouse=True)
def _local_only(settings):
    """DOI / PubMed lookups and partner endpoints answer from a closed local port, never the internet."""
    settings.ILLDESK_DOI_RESOLVER_URL = "http://127.0.0.1:9/works/"
    settings.ILLDESK_PUBMED_RESOLVER_URL = "http://127.0.0.1:9/esummary?id="
    settings.ILLDESK_RESOLVER_TIMEOUT = 0.5
    settings.ILLDESK_ISO_SYMBOL = "ISIL:ZZ-ILLDESK"


@pytest.fixture(autouse=True)
def eager_celery():
    with tasks_in_process(propagate=False):
        yield


REDIS_URL = os.environ.get("REDIS_URL") or "redis://127.0.0.1:6379/0"


def _redis_backend() -> str:
    """The backend settings.py configures for REDIS_URL (its outage-tolerant one where it exists)."""
    try:
        importlib.import_module("illdesk.cache")
    except ImportError:
        return "django.core.cache.backends.redis.RedisCache"
    return "illdesk.cache.TolerantRedisCache"


@pytest.fixture(params=["locmem", "redis"])
def cache_backend(request, settings):
    """The default cache as configured in production: locmem, or Redis (shared with others on this
    machine, so only keys under a prefix of our own, removed afterwards — never FLUSHDB)."""
    if request.param == "locmem":
        yield "locmem"
        return
    import redis

    client = redis.Redis.from_url(REDIS_URL, socket_connect_timeout=1)
    try:
        client.ping()
    except redis.RedisError as exc:
        pytest.skip(f"Redis is not reachable at {REDIS_URL}: {exc}")
    prefix = f"illdesk-security-{uuid.uuid4().hex[:12]}"
    settings.CACHES = {"default": {"BACKEND": _redis_backend(), "LOCATION": REDIS_URL, "KEY_PREFIX": prefix}}
    yield "redis"
    for key in client.scan_iter(match=f"{prefix}:*"):
        client.delete(key)
    # back to locmem before the autouse cache fixture clears "the" cache on its way out
    settings.CACHES = {"default": {"BACKEND": "django.core.cache.backends.locmem.LocMemCache"}}


@pytest.fixture
def cast(operator, manager, admin_user, patron, library, pickup, level, category, iso_partner, email_partner):
    return SimpleNamespace(operator=operator, manager=manager, admin_user=admin_user, patron=patron, library=library,
                           pickup=pickup, level=level, category=category, iso_partner=iso_partner,
                           email_partner=email_partner)


@pytest.fixture
def world(cast):
    from borrowing.models import BorrowingRequest

    w = build(cast)
    w.ids.update(missing=999_999, admin_user=cast.admin_user.pk,
                 ct_borrowing=ContentType.objects.get_for_model(BorrowingRequest).pk)
    return w
