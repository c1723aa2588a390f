"""Running several actors (operators, a partner's system) against the live server at once, and checking
that a request's status and its history still tell one story afterwards.

An actor is a function `actor(go)`: it prepares (opens the page or dialog, as a person would), calls
`go()`, then acts and returns what it saw. `race` releases every actor's act at the same instant with a
`threading.Barrier`; `in_order` lets every actor prepare first and then acts one after the other — the
deterministic "stale page" half of a race, which means something on SQLite too.
"""

from __future__ import annotations

import threading
import time
from collections.abc import Callable, Sequence
from typing import Any

from django.contrib.contenttypes.models import ContentType
from django.db import connection, transaction

from illdesk.models import HistoryEvent
from illdesk.workflow import status_label

Actor = Callable[[Callable[[], None]], Any]
WAIT = 60


def _run(actors: Sequence[Actor], go_for: Callable[[int], Callable[[], None]], *, between=None) -> list:
    results: list[Any] = [None] * len(actors)
    errors: list[BaseException] = []
    finished = [threading.Event() for _ in actors]

    def worker(i: int) -> None:
        try:
            results[i] = actors[i](go_for(i))
        except BaseException as exc:  # re-raised in the test's thread below
            errors.append(exc)
        finally:
            finished[i].set()

    threads = [threading.Thread(target=worker, args=(i,), daemon=True) for i in range(len(actors))]
    for thread in threads:
        thread.start()
    if between is not None:
        between(finished)
    for thread in threads:
        thread.join(timeout=WAIT)
    assert not any(thread.is_alive() for thread in threads), "an actor is still waiting after a minute"
    if errors:
        raise errors[0]
    return results


def race(*actors: Actor) -> list:
    """Every actor prepares, then all act at the same instant."""
    barrier = threading.Barrier(len(actors))
    return _run(actors, lambda i: lambda: barrier.wait(timeout=WAIT))


def in_order(*actors: Actor, order: Sequence[int] | None = None) -> list:
    """Every actor prepares first; then they act one at a time in `order` (default: as given)."""
    return _gated(actors, order, lambda i, finished: finished[i].wait(timeout=WAIT))


def queued_behind(obj, *actors: Actor) -> list:
    """PostgreSQL: the test holds `obj`'s row lock; the actors act one after the other, each once the one
    before waits for that row, and then the row is let go. The database serves waiters in the order
    they came, so the interleaving is the same on every run: each actor overlaps the ones before it."""
    waiting = 0

    def after_release(i: int, finished) -> bool:
        nonlocal waiting
        deadline = time.monotonic() + WAIT
        while not finished[i].is_set() and _waiting_for_locks() <= waiting:
            assert time.monotonic() < deadline, "an actor neither finished nor waited for the row"
            time.sleep(0.02)
        waiting += not finished[i].is_set()
        return True

    hold = transaction.atomic()
    hold.__enter__()
    held = [True]

    def let_go() -> None:
        if held.pop():
            hold.__exit__(None, None, None)

    try:
        type(obj).objects.select_for_update().get(pk=obj.pk)
        return _gated(actors, None, after_release, then=let_go)
    finally:
        if held:
            let_go()


def _waiting_for_locks() -> int:
    """Sessions of this test database waiting for a lock now (the statistics snapshot is per transaction)."""
    with connection.cursor() as cursor:
        cursor.execute("SELECT pg_stat_clear_snapshot()")
        cursor.execute("SELECT count(*) FROM pg_stat_activity WHERE datname = current_database() "
                       "AND wait_event_type = 'Lock' AND pid <> pg_backend_pid()")
        return cursor.fetchone()[0]


def _gated(actors: Sequence[Actor], order: Sequence[int] | None, let_through: Callable,
           then: Callable[[], None] = lambda: None) -> list:
    order = list(order if order is not None else range(len(actors)))
    ready = [threading.Event() for _ in actors]
    gates = [threading.Event() for _ in actors]

    def go_for(i: int):
        def go() -> None:
            ready[i].set()
            assert gates[i].wait(timeout=WAIT), "never let through"
        return go

    def between(finished) -> None:
        try:
            for i, event in enumerate(ready):
                while not (event.wait(timeout=0.05) or finished[i].is_set()):
                    pass
                if finished[i].is_set():  # it failed while preparing: _run re-raises its error
                    return
            for i in order:
                gates[i].set()
                assert let_through(i, finished), "an actor never finished"
        finally:
            for gate in gates:  # whatever went wrong, nobody is left waiting at a gate
                gate.set()
            then()

    return _run(actors, go_for, between=between)


def is_postgresql() -> bool:
    return connection.vendor == "postgresql"


# --- what the history says ------------------------------------------------------------------------


def status_rows(req) -> list[tuple[str, str]]:
    """(old, new) of every status history row of `req`, oldest first."""
    return list(HistoryEvent.objects
                .filter(content_type=ContentType.objects.get_for_model(type(req)), object_id=req.pk,
                        kind=HistoryEvent.Kind.STATUS)
                .order_by("at", "id").values_list("old_value", "new_value"))


def assert_one_story(req, *, start: str, applied: int) -> Any:
    """Exactly `applied` status rows, chained from `start` to the status the row has now: every row's
    old status is the previous row's new one. Returns the request as it is in the database."""
    model = type(req)
    current = model.objects.get(pk=req.pk)
    rows = status_rows(req)
    assert len(rows) == applied, f"request {req.pk}: {applied} transition(s) applied, history has {rows}"
    expected_old = status_label(model, start)
    for old, new in rows:
        assert old == expected_old, f"request {req.pk}: broken history chain {rows}"
        expected_old = new
    assert expected_old == status_label(model, current.status), \
        f"request {req.pk} is {current.status!r} but its history ends at {expected_old!r}: {rows}"
    return current
