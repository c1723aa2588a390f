"""Turnaround from the history timestamps: medians and 90th percentiles against hand-computed values.

Five requests are made on 6 January 2025 and walked through real transitions at controlled times:
    shipped after   0.5, 1, 2, 3, 8 days    → median 2,   p90 3 + 0.6 × (8 − 3)  = 6
    received after  1, 2, 3, 4, 10 days     → median 3,   p90 4 + 0.6 × (10 − 4) = 7.6, mean 4
    completed after 10, 20, 30, 40 days     → median 25,  p90 30 + 0.7 × 10      = 37   (the fifth is still out)
(percentile_cont: position p × (n − 1), linear between the neighbours.)
"""

from __future__ import annotations

import random
from dataclasses import replace
from datetime import date, datetime, timedelta

import pytest
import time_machine

from illdesk.workflow import run_transition
from reports import sql, statistics, stats
from reports.stats import Period
from tests.factories import make_borrowing, make_lending
from tests.reports.conftest import HELSINKI

T0 = datetime(2025, 1, 6, 9, 0, tzinfo=HELSINKI)
PERIOD = Period(date(2025, 1, 1), date(2025, 1, 31))


def step(req, name: str, days: float, **kwargs):
    with time_machine.travel(T0 + timedelta(days=days), tick=False):
        return run_transition(req, name, by=None, **kwargs)


@pytest.fixture
def walked(library, iso_partner):
    plan = [(0.5, 1, 10), (1, 2, 20), (2, 3, 30), (3, 4, 40), (8, 10, None)]
    for shipped, received, completed in plan:
        req = make_borrowing(library, "sent", iso_partner, created_at=T0)
        req = step(req, "partner_shipped_physically", shipped)
        req = step(req, "receive", received, received_format="physical")
        if completed is not None:
            req = step(req, "return_item", completed - 0.5)
            req = step(req, "complete", completed)
    # Never reaches a milestone: cancelled. Completed without anything supplied: not a completion.
    step(make_borrowing(library, "sent", iso_partner, created_at=T0), "partner_cancelled", 1)
    step(make_borrowing(library, "sent", iso_partner, created_at=T0), "change_status", 3, new_status="completed")


def figures(period=PERIOD, side="borrowing"):
    table = statistics.find_table(statistics.build(period, sides=[side]), f"{side}-turnaround")
    return {row[0].split("→")[-1].strip(): row[1:] for row in table.rows}


def test_medians_and_90th_percentiles_come_from_the_history(walked):
    found = figures()
    assert found["shipped by the lender"] == [5, 2.0, 6.0, pytest.approx(2.9)]
    assert found["received"] == [5, 3.0, 7.6, 4.0]
    assert found["completed"] == [4, 25.0, 37.0, 25.0]


def test_the_monthly_turnaround_matches_the_overall_for_one_month(walked):
    table = statistics.find_table(statistics.build(PERIOD, sides=["borrowing"]), "borrowing-turnaround-month")
    assert table.rows == [["2025-01", 5, 2.0, 6.0, 5, 3.0, 7.6, 4, 25.0, 37.0]]


def test_requests_outside_the_period_or_library_are_left_out(walked, library):
    assert figures(Period(date(2025, 2, 1), date(2025, 2, 28)))["received"] == [0, None, None, None]
    assert figures(replace(PERIOD, library_id=library.pk + 1000))["received"] == [0, None, None, None]


def test_lending_turnaround(library, iso_partner):
    for shipped, received in [(1, 3), (2, 5), (4, 6)]:
        req = make_lending(library, "being_processed", iso_partner, created_at=T0)
        req = step(req, "ship_physically", shipped)
        step(req, "borrower_received", received)
    found = figures(side="lending")
    assert found["shipped"] == [3, 2.0, pytest.approx(3.6), pytest.approx(7 / 3, abs=0.01)]
    assert found["received by the borrower"][:3] == [3, 5.0, pytest.approx(5.8)]


def reference(values: list[float], p: float) -> float:
    ordered = sorted(values)
    position = p * (len(ordered) - 1)
    k = int(position)
    high = ordered[min(k + 1, len(ordered) - 1)]
    return ordered[k] + (high - ordered[k]) * (position - k)


@pytest.mark.parametrize("n", [1, 2, 7, 50])
def test_the_database_percentiles_equal_percentile_cont(db, n):
    """PostgreSQL's percentile_cont and the SQLite window-function fallback give the same numbers."""
    rng = random.Random(n)
    groups = {"a": [rng.uniform(0, 100) for _ in range(n)], "b": [rng.uniform(0, 10) for _ in range(n + 3)]}
    rows = " UNION ALL ".join(f"SELECT '{g}' AS grp, {v!r} AS x" for g, vs in groups.items() for v in vs)
    found = sql.spreads(f"SELECT grp, x FROM ({rows}) t", (), ["x"])
    everything = [v for vs in groups.values() for v in vs]
    for grp, values in [*groups.items(), (None, everything)]:
        spread = found[(grp, "x")]
        assert spread.count == len(values)
        assert spread.median == pytest.approx(reference(values, 0.5))
        assert spread.p90 == pytest.approx(reference(values, 0.9))
        assert spread.mean == pytest.approx(sum(values) / len(values))


def test_history_labels_in_every_language_count(library, iso_partner):
    """An operator working in Finnish writes Finnish labels into the history; they count the same."""
    labels = stats.status_labels(stats.side_spec("borrowing"), ("received_physically",))
    assert "Physically received by library" in labels
