"""Small helpers shared by the fuzz tests."""

from __future__ import annotations

from contextlib import contextmanager

from django.db import transaction


@contextmanager
def rolled_back():
    """Run the body in a savepoint that is always undone: every hypothesis example starts from the same
    database, so what one example did cannot hide a crash in the next."""
    with transaction.atomic():
        yield
        transaction.set_rollback(True)


def assert_no_server_error(response, what: str = "") -> None:
    """The test client re-raises a view's exception; this catches the 5xx answers that are not one."""
    assert response.status_code < 500, f"{what}: HTTP {response.status_code}: {response.content[:500]!r}"
