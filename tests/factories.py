"""Small builders for requests in a given status.

`status` is a protected FSM field: it may be given only when the row is created; every later change
goes through `illdesk.workflow.run_transition`. `is_active` is derived from the status the same way
`run_transition` derives it (final statuses plus the admin's StatusSetting overrides are inactive),
unless a test passes it explicitly.
"""

from __future__ import annotations

from dataclasses import dataclass
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


# --- trying one transition on a request, for the state-machine tables ------------------------------


@dataclass(frozen=True)
class Observation:
    """What happened when `name` was tried on a request: plain data, so a table can cache it."""

    offered: str | None  # the row-action label when `available_transitions` offered it
    can_proceed: bool  # source and conditions allow it (permissions aside)
    refused: int | None  # ActionRefused.status when run_transition refused
    untouched: bool  # the row and its history are exactly as before
    status: str  # status in the database afterwards
    returned_status: str | None  # status of the object run_transition returned
    is_active: bool  # is_active in the database afterwards
    status_events: tuple[tuple[str, str, bool], ...]  # (old label, new label, actor is the user)
    error: str | None  # any other exception


def observe(req, name: str, *, user, **kwargs) -> Observation:
    """Offer, then run transition `name` on `req` as `user`, inside a savepoint, and report what happened."""
    from django.contrib.contenttypes.models import ContentType
    from django.db import transaction
    from django_fsm import can_proceed

    from illdesk.models import HistoryEvent
    from illdesk.workflow import ActionRefused, available_transitions, run_transition

    model = type(req)
    content_type = ContentType.objects.get_for_model(model)
    history = HistoryEvent.objects.filter(content_type=content_type, object_id=req.pk)
    offered = {a.name: a.label for a in available_transitions(req, user)}
    proceed = can_proceed(getattr(req, name))
    before = (model.objects.filter(pk=req.pk).values().get(), history.count())
    refused = returned = error = None
    try:
        with transaction.atomic():
            returned = run_transition(req, name, by=user, **kwargs).status
    except ActionRefused as exc:
        refused = exc.status
    except Exception as exc:  # reported to the test, which fails on it
        error = f"{type(exc).__name__}: {exc}"
    after = model.objects.filter(pk=req.pk).values().get()
    events = tuple(
        (e.old_value, e.new_value, e.actor_id == user.pk)
        for e in history.filter(kind=HistoryEvent.Kind.STATUS).order_by("id")
    )
    return Observation(
        offered=offered.get(name), can_proceed=proceed, refused=refused,
        untouched=(after, history.count()) == before, status=after["status"], returned_status=returned,
        is_active=after["is_active"], status_events=events, error=error,
    )
