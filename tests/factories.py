"""Small builders for requests in a given status.

`status` is a protected FSM field: it may be given only when the row is created; every later change
goes through `illdesk.workflow.run_transition`. `is_active` is derived from the status the same way
`run_transition` derives it (final statuses plus the admin's StatusSetting overrides are inactive),
unless a test passes it explicitly.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from itertools import count
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


_BORROWER_IDS = count(1)


def make_lending(owner, status: str = "created", partner=None, **fields):
    """A lending request held by `owner` (a ResourceSharingLibrary) asked for by `partner`."""
    from lending.models import LendingRequest

    # one open lending request per borrower's request (lending_request_once_per_borrower_request): each its own
    fields.setdefault("borrower_request_id", f"BRW-{next(_BORROWER_IDS):04d}")
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


def _picture(req):
    """The whole row and every history row of `req`, by plain SQL (cheap enough to take twice per try)."""
    from django.contrib.contenttypes.models import ContentType
    from django.db import connection

    from illdesk.models import HistoryEvent

    model = type(req)
    with connection.cursor() as cursor:
        cursor.execute(f"SELECT * FROM {model._meta.db_table} WHERE id = %s", [req.pk])  # noqa: S608
        columns = [c[0] for c in cursor.description]
        row = dict(zip(columns, cursor.fetchone(), strict=True))
        cursor.execute(
            f"SELECT kind, field, old_value, new_value, actor_id FROM {HistoryEvent._meta.db_table} "  # noqa: S608
            "WHERE content_type_id = %s AND object_id = %s ORDER BY id",
            [ContentType.objects.get_for_model(model).pk, req.pk],
        )
        return row, cursor.fetchall()


def _try(req, name: str, user, kwargs) -> dict:
    from django_fsm import can_proceed

    from illdesk.workflow import ActionRefused, available_transitions, run_transition

    tried = {
        "offered": {a.name: a.label for a in available_transitions(req, user)}.get(name),
        "can_proceed": can_proceed(getattr(req, name)),
        "refused": None, "returned_status": None, "error": None,
    }
    try:
        # run_transition's own atomic block is a savepoint here: a failure leaves the test usable.
        tried["returned_status"] = run_transition(req, name, by=user, **kwargs).status
    except ActionRefused as exc:
        tried["refused"] = exc.status
    except Exception as exc:  # reported to the test, which fails on it
        tried["error"] = f"{type(exc).__name__}: {exc}"
    return tried


def _observation(tried: dict, before, after, user) -> Observation:
    from illdesk.models import HistoryEvent

    row, history = after
    return Observation(
        **tried, untouched=after == before, status=row["status"], is_active=bool(row["is_active"]),
        status_events=tuple((old, new, actor == user.pk) for kind, _f, old, new, actor in history
                            if kind == HistoryEvent.Kind.STATUS),
    )


def observe(req, name: str, *, user, before=None, **kwargs) -> tuple[Observation, Any]:
    """Offer, then run transition `name` on `req` as `user`, and report what happened.

    Returns the observation and the picture of row and history afterwards (pass it as `before` when
    trying the next transition on the same, untouched request).
    """
    before = before if before is not None else _picture(req)
    tried = _try(req, name, user, kwargs)
    after = _picture(req)
    return _observation(tried, before, after, user), after


class _Prober:
    """Walks one group of transitions over reused requests (see `observe_each`)."""

    def __init__(self, make, user_for, kwargs_for, result: dict[str, Observation]) -> None:
        self.make, self.user_for, self.kwargs_for, self.result = make, user_for, kwargs_for, result
        self.req = self.before = None
        self.refusals: list[tuple[str, dict]] = []

    def fresh(self, name: str) -> None:
        self.req = self.make(name)
        self.before = _picture(self.req)

    def settle(self) -> None:
        """Check that the refusals since the last picture left the request untouched."""
        if not self.refusals:
            return
        after = _picture(self.req)
        if after == self.before:
            for name, tried in self.refusals:
                self.result[name] = _observation(tried, self.before, after, self.user_for(name))
        else:  # something was not refused cleanly: find out which, one by one, on fresh requests
            for name, _tried in self.refusals:
                self.result[name], _ = observe(self.make(name), name, user=self.user_for(name),
                                               **self.kwargs_for(name))
            self.req = None
        self.refusals = []

    def run(self, name: str) -> None:
        from django_fsm import can_proceed, has_transition_perm

        if self.req is None:
            self.fresh(name)
        user = self.user_for(name)
        method = getattr(self.req, name)
        if not (can_proceed(method) and has_transition_perm(method, user)):
            self.refusals.append((name, _try(self.req, name, user, self.kwargs_for(name))))
            return
        self.settle()
        if self.req is None:
            self.fresh(name)
        observation, after = observe(self.req, name, user=user, before=self.before, **self.kwargs_for(name))
        self.result[name] = observation
        if observation.untouched:
            self.before = after
        else:
            self.req = None


def observe_each(make: Callable[[str], Any], names, *, user_for: Callable[[str], Any],
                 kwargs_for: Callable[[str], dict], variant_for: Callable[[str], Any] = lambda name: None,
                 ) -> dict[str, Observation]:
    """Try every transition of `names` on a request built by `make(name)`, one observation each.

    Cheap on purpose (it runs every status × every transition): a request is reused while transitions
    are refused, and consecutive refusals share one after-picture. If that picture shows any change,
    each of them is tried again alone on a fresh request, so every observation stays exact. Requests
    for names with a different `variant_for` key are never shared.
    """
    result: dict[str, Observation] = {}
    probers: dict[Any, _Prober] = {}
    for name in names:
        key = variant_for(name)
        if key not in probers:
            probers[key] = _Prober(make, user_for, kwargs_for, result)
        probers[key].run(name)
    for prober in probers.values():
        prober.settle()
    return result
