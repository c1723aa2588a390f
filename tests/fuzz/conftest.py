"""Settings of the fuzz tests: our ISO 18626 symbol, mail kept in memory, side effects run in-process."""

from __future__ import annotations

import pytest

from illdesk.celery import app as celery_app


@pytest.fixture(autouse=True)
def _iso_settings(settings):
    settings.ILLDESK_ISO_SYMBOL = "ISIL:ZZ-ILLDESK"
    settings.ILLDESK_ISO_TIMEOUT_SECONDS = 1
    settings.EMAIL_BACKEND = "django.core.mail.backends.locmem.EmailBackend"


@pytest.fixture(autouse=True)
def _eager_celery():
    """Side effects run in-process even when REDIS_URL is set (the PostgreSQL run): a crash in one is a
    crash of the request that queued it, which is what these tests look for."""
    conf = celery_app.conf
    saved = conf.task_always_eager, conf.task_eager_propagates
    conf.task_always_eager, conf.task_eager_propagates = True, True
    yield
    conf.task_always_eager, conf.task_eager_propagates = saved
