"""Two workers run the overdue job at the same moment (threads with their own PostgreSQL connections):
each overdue loan gets exactly one message."""

from __future__ import annotations

import datetime
import threading

import pytest
from django.db import connection, connections

from integrations.jobs import run_job
from integrations.models import JobRun, OverdueNotice
from tests.factories import make_lending

pytestmark = pytest.mark.skipif(connection.vendor != "postgresql",
                                reason="row locks with SKIP LOCKED need PostgreSQL (DATABASE_URL)")


def _in_parallel(target, n: int = 2) -> list:
    barrier = threading.Barrier(n)
    results: list = [None] * n
    errors: list[BaseException] = []

    def worker(i: int) -> None:
        try:
            barrier.wait(timeout=10)
            results[i] = target()
        except BaseException as exc:  # reported below, in the test's thread
            errors.append(exc)
        finally:
            connections.close_all()

    threads = [threading.Thread(target=worker, args=(i,)) for i in range(n)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(timeout=120)
    assert not errors, errors
    return results


@pytest.mark.django_db(transaction=True)
def test_two_workers_send_exactly_one_overdue_message_per_loan(library, iso_partner, notified):
    # Loans already "Overdue" or "Recalled" get a message without a status change: only the claim keeps
    # the second worker from sending it again.
    statuses = ["received_by_partner", "overdue", "recalled"] * 2
    loans = [make_lending(library, status, partner=iso_partner, due_date=datetime.date(2026, 11, 1),
                          borrower_request_id=f"B{i}") for i, status in enumerate(statuses)]
    notified.delay = 0.05  # each message takes a while, so the two runs overlap
    runs = _in_parallel(lambda: run_job("overdue_notices", today="2026-11-23").pk)

    assert sorted(notified.events("overdue")) == sorted(req.pk for req in loans)
    assert OverdueNotice.objects.count() == 6
    both = JobRun.objects.filter(pk__in=runs)
    assert sum(run.updated for run in both) == 6
    assert all(run.failed == 0 for run in both)

    again = _in_parallel(lambda: run_job("overdue_notices", today="2026-11-23").pk)
    assert len(notified.calls) == 6
    assert sum(run.updated for run in JobRun.objects.filter(pk__in=again)) == 0
