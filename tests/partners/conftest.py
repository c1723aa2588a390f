"""Fixtures for the ISO 18626 tests: our symbol, an ISO peer, and requests with that peer active."""

import pytest

from partners.models import Partner


@pytest.fixture(autouse=True)
def _our_symbol(settings):
    settings.ILLDESK_ISO_SYMBOL = "ISIL:ZZ-ILLDESK"
    settings.ILLDESK_ISO_RETRY_BASE_SECONDS = 30
    settings.ILLDESK_ISO_TIMEOUT_SECONDS = 5


@pytest.fixture
def peer(iso_partner) -> Partner:
    """ISIL:ZZ-PEER, ISO 18626, every optional workflow step on."""
    return iso_partner


@pytest.fixture
def fake_create_incoming(monkeypatch, library):
    """Stand in for lending.actions.create_incoming only while that module has not landed."""
    import importlib
    import sys
    import types

    try:
        importlib.import_module("lending.actions").create_incoming  # noqa: B018
        return None
    except (ImportError, AttributeError):
        pass
    from lending.models import LendingRequest

    def create_incoming(partner, *, fields, by=None, locate_after_commit=False):
        return LendingRequest.objects.create(owner=library, partner=partner, **fields)

    module = types.ModuleType("lending.actions")
    module.create_incoming = create_incoming
    monkeypatch.setitem(sys.modules, "lending.actions", module)
    return create_incoming


@pytest.fixture
def peer_server():
    from .peer_server import PeerServer

    server = PeerServer()
    yield server
    server.close()


@pytest.fixture
def eager_celery():
    """Run Celery tasks in-process even when REDIS_URL is set (the PostgreSQL CI run)."""
    from illdesk.celery import app

    before = app.conf.task_always_eager
    app.conf.task_always_eager = True
    yield app
    app.conf.task_always_eager = before
