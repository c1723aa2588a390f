"""Small builders for requests in a given status.

`status` is a protected FSM field: it may be given only when the row is created; every later change
goes through `illdesk.workflow.run_transition`. `is_active` is derived from the status the same way
`run_transition` derives it (final statuses plus the admin's StatusSetting overrides are inactive),
unless a test passes it explicitly.
"""

from __future__ import annotations

from typing import Any

from illdesk.workflow import inactive_statuses


def _create(model, side: str, owner, status: str, partner, fields: dict[str, Any]):
    fields.setdefault("title", "The structure of scientific revolutions")
    fields.setdefault("author", "Kuhn, Thomas S.")
    if "is_active" not in fields:
        fields["is_active"] = status not in inactive_statuses(side)
    return model.objects.create(owner=owner, status=status, partner=partner, **fields)


def make_borrowing(owner, status: str = "created", partner=None, **fields):
    """A borrowing request of `owner` (a ResourceSharingLibrary) in `status`, with `partner` active."""
    from borrowing.models import BorrowingRequest

    return _create(BorrowingRequest, "borrowing", owner, status, partner, fields)


def make_lending(owner, status: str = "created", partner=None, **fields):
    """A lending request held by `owner` (a ResourceSharingLibrary) asked for by `partner`."""
    from lending.models import LendingRequest

    fields.setdefault("borrower_request_id", "BRW-0001")
    return _create(LendingRequest, "lending", owner, status, partner, fields)
