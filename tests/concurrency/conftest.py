"""Fixtures of the concurrency tests: operators logged in to the live server over real HTTP."""

from __future__ import annotations

import pytest

from .web import Operator


@pytest.fixture(autouse=True)
def _our_symbol(settings):
    settings.ILLDESK_ISO_SYMBOL = "ISIL:ZZ-ILLDESK"
    settings.ILLDESK_ISO_TIMEOUT_SECONDS = 2


@pytest.fixture
def olli(live_server, operator) -> Operator:
    """Olli Operator, logged in through the login page of the live server."""
    return Operator(live_server.url, operator.username)


@pytest.fixture
def otto(live_server, operator2) -> Operator:
    """Otto Other, a second operator with a browser of his own."""
    return Operator(live_server.url, operator2.username)


@pytest.fixture
def maija(live_server, manager) -> Operator:
    return Operator(live_server.url, manager.username)
