"""The statistics numbers against the hand-counted quarter in conftest.q1_world."""

from __future__ import annotations

from dataclasses import replace

import pytest

from reports import statistics
from tests.reports.conftest import Q1


def tables(period=Q1, side="borrowing"):
    sections = statistics.build(period, sides=[side])
    return {t.key: t for t in sections[0].tables}, sections[0]


@pytest.fixture
def main_q1(q1_world, library):
    return replace(Q1, library_id=library.pk)


def test_it_counts_borrowing_by_month_with_outcomes(main_q1):
    found, _section = tables(main_q1)
    month = found["borrowing-month"]
    assert month.columns[:2] == ["Month", "Requests"]
    # month, requests, filled, unfilled, cancelled, in process
    assert month.rows == [["2025-01", 2, 2, 0, 0, 0], ["2025-02", 3, 0, 1, 2, 0], ["2025-03", 3, 1, 1, 0, 1]]
    assert month.totals == ["Total", 8, 3, 2, 2, 1]


def test_it_counts_outcomes_with_their_reasons(main_q1):
    found, section = tables(main_q1)
    rows = {(r[0], r[1]): r[2] for r in found["borrowing-outcome"].rows}
    assert rows == {
        ("Filled", ""): 2,
        ("Filled", "Externally obtained"): 1,
        ("Unfilled", "Not on shelf"): 1,  # the last partner's reason, not the first one's
        ("Unfilled", "Expired"): 1,
        ("Cancelled", "Cancelled by staff"): 1,
        ("Cancelled", "Cancelled by patron"): 1,
        ("In process", ""): 1,
    }
    assert section.summary["total"] == 8
    assert section.summary["filled"] == 3
    assert section.summary["fill_rate"] == 60.0  # 3 filled of 5 closed (filled + unfilled)


def test_it_counts_by_partner_format_and_type(main_q1, iso_partner, email_partner):
    found, _section = tables(main_q1)
    partners = {r[0]: r[1:] for r in found["borrowing-partner"].rows}
    assert partners == {"No partner": [4, 1, 1, 2, 0], iso_partner.name: [3, 2, 0, 0, 1],
                        email_partner.name: [1, 0, 1, 0, 0]}
    assert [r[0] for r in found["borrowing-partner"].rows][0] == "No partner"  # busiest first
    formats = {r[0]: r[1] for r in found["borrowing-format"].rows}
    assert formats == {"Physical": 7, "Digital": 1}
    types = {r[0]: r[1] for r in found["borrowing-type"].rows}
    assert types == {"Book": 7, "Article": 1}


def test_the_library_filter_and_the_period_limit_what_is_counted(q1_world):
    found, _section = tables(Q1)  # all libraries: the branch's March request counts too
    assert found["borrowing-month"].rows[2] == ["2025-03", 4, 2, 1, 0, 1]
    assert found["borrowing-month"].totals[1] == 9  # the April request is outside the period


def test_it_counts_lending(main_q1, iso_partner, email_partner):
    found, section = tables(main_q1, side="lending")
    assert found["lending-month"].rows == [["2025-01", 2, 1, 1, 0, 0], ["2025-02", 2, 1, 0, 1, 0],
                                           ["2025-03", 2, 0, 1, 0, 1]]
    rows = {(r[0], r[1]): r[2] for r in found["lending-outcome"].rows}
    assert rows == {("Filled", ""): 2, ("Unfilled", "Not owned"): 1, ("Unfilled", "No reason recorded"): 1,
                    ("Cancelled", "Cancelled"): 1, ("In process", ""): 1}
    partners = {r[0]: r[1] for r in found["lending-partner"].rows}
    assert partners == {iso_partner.name: 4, email_partner.name: 2}
    assert section.summary["fill_rate"] == 50.0


def test_months_without_requests_are_shown_as_zero(q1_world, library):
    from datetime import date

    from reports.stats import Period

    found, _section = tables(Period(date(2024, 11, 1), date(2025, 1, 31), library.pk))
    assert found["borrowing-month"].rows == [["2024-11", 0, 0, 0, 0, 0], ["2024-12", 0, 0, 0, 0, 0],
                                             ["2025-01", 2, 2, 0, 0, 0]]


def test_costs_are_summed_per_partner_and_currency(library, iso_partner):
    from decimal import Decimal

    from tests.factories import make_borrowing
    from tests.reports.conftest import at

    make_borrowing(library, "completed", iso_partner, created_at=at(1, 2), cost=Decimal("12.50"),
                   shipping_cost=Decimal("4.00"))
    make_borrowing(library, "completed", iso_partner, created_at=at(1, 3), shipping_cost=Decimal("6.00"))
    make_borrowing(library, "completed", iso_partner, created_at=at(1, 4), cost=Decimal("3"), currency="SEK")
    make_borrowing(library, "completed", iso_partner, created_at=at(1, 5))  # no cost: not listed
    found, _section = tables(replace(Q1, library_id=library.pk))
    assert found["borrowing-costs"].rows == [
        [iso_partner.name, "EUR", 2, Decimal("12.50"), Decimal("10.00"), Decimal("22.50")],
        [iso_partner.name, "SEK", 1, Decimal("3.00"), Decimal("0"), Decimal("3.00")],
    ]


def test_a_cached_result_is_reused_until_the_data_changes(main_q1, library, django_assert_max_num_queries):
    from tests.factories import make_borrowing
    from tests.reports.conftest import at

    first, _section = tables(main_q1)
    with django_assert_max_num_queries(3):  # only the three version lookups
        again, _section = tables(main_q1)
    assert again["borrowing-month"].rows == first["borrowing-month"].rows
    make_borrowing(library, "sent", None, created_at=at(1, 15))
    changed, _section = tables(main_q1)
    assert changed["borrowing-month"].rows[0] == ["2025-01", 3, 2, 0, 0, 1]
