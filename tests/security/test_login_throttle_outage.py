"""The login counts are a guard, not a gate: with the Redis cache unreachable, logins still work (the
outage-tolerant cache answers as a miss) — nobody is locked out and no page fails."""

from __future__ import annotations

import pytest
from django.test import Client

from .conftest import _redis_backend

pytestmark = pytest.mark.django_db


def test_with_the_redis_cache_down_logins_still_work(settings, operator, monkeypatch):
    import illdesk.cache

    monkeypatch.setattr(illdesk.cache, "_down_until", 0.0)  # this process's memory of the outage, restored after
    settings.ILLDESK_LOGIN_MAX_FAILURES = 3
    settings.CACHES = {"default": {"BACKEND": _redis_backend(), "LOCATION": "redis://127.0.0.1:9/0",
                                   "OPTIONS": {"socket_connect_timeout": 0.5, "socket_timeout": 0.5}}}
    for _ in range(4):
        response = Client().post("/login/", {"username": "operator", "password": "wrong"})
        assert response.status_code == 200 and "Please enter a correct username" in response.content.decode()
    client = Client()
    response = client.post("/login/", {"username": "operator", "password": "operator"})
    assert response.status_code == 302 and "_auth_user_id" in client.session
    # back to locmem before the autouse cache fixture clears "the" cache on its way out
    settings.CACHES = {"default": {"BACKEND": "django.core.cache.backends.locmem.LocMemCache"}}
