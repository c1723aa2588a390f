"""Staff and patron journeys in a real browser against the live server: the shared browser (tests/browser.py),
in-process Celery, and a screenshot of every open page when a journey fails."""

from __future__ import annotations

import pytest

from tests.browser import (  # noqa: F401 - fixtures and the screenshot hook
    browser_context_args,
    browser_type_launch_args,
    new_context,
    pytest_runtest_makereport,
)
from tests.celery_eager import tasks_in_process


@pytest.fixture(autouse=True)
def _in_process_tasks():
    """Letters and ISO 18626 messages are delivered inside the request that queues them (also when REDIS_URL
    is set): nothing waits for a worker, and a partner that cannot be reached only schedules a retry."""
    with tasks_in_process(propagate=False):
        yield


@pytest.fixture(autouse=True)
def _our_iso_symbol(settings):
    settings.ILLDESK_ISO_SYMBOL = "ISIL:ZZ-ILLDESK"
