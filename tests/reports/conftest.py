"""A small, hand-counted world for the statistics tests: the first quarter of 2025 at the Main Library,
with one request outside the period and one of another library."""

from __future__ import annotations

from datetime import date, datetime
from zoneinfo import ZoneInfo

import pytest

from borrowing.models import RotaEntry
from illdesk.models import ResourceSharingLibrary
from reports.stats import Period
from tests.factories import make_borrowing, make_lending

HELSINKI = ZoneInfo("Europe/Helsinki")


@pytest.fixture(autouse=True)
def _no_cached_statistics():
    """Cached statistics outlive a test's rolled-back data: every test starts and ends without them."""
    from django.core.cache import cache

    cache.clear()
    yield
    cache.clear()
Q1 = Period(date(2025, 1, 1), date(2025, 3, 31))


def at(month: int, day: int, hour: int = 12) -> datetime:
    return datetime(2025, month, day, hour, tzinfo=HELSINKI)


@pytest.fixture
def other_library(db):
    return ResourceSharingLibrary.objects.create(code="BRANCH", name="Branch Library")


@pytest.fixture
def q1_world(library, other_library, iso_partner, email_partner):
    """Borrowing (8 in Q1 at Main) and lending (6 in Q1 at Main), with the outcome of each in a comment."""
    b = {}
    b[1] = make_borrowing(library, "completed", iso_partner, created_at=at(1, 10), supplied_format="physical")  # filled
    b[2] = make_borrowing(library, "received_digitally", iso_partner, created_at=at(1, 20), supplied_format="digital",
                          requested_format="digital", request_type="article")  # filled
    b[3] = make_borrowing(library, "cancelled", None, created_at=at(2, 5))  # cancelled by staff
    b[4] = make_borrowing(library, "cancelled_by_patron", None, created_at=at(2, 15))  # cancelled by patron
    b[5] = make_borrowing(library, "completed", email_partner, created_at=at(2, 20))  # unfilled: not on shelf
    RotaEntry.objects.create(request=b[5], partner=iso_partner, position=1, state="rejected", reject_reason="Lost")
    RotaEntry.objects.create(request=b[5], partner=email_partner, position=2, state="rejected",
                             reject_reason="NotOnShelf")
    b[6] = make_borrowing(library, "expired", None, created_at=at(3, 1))  # unfilled: expired
    b[7] = make_borrowing(library, "sent", iso_partner, created_at=at(3, 2))  # in process
    b[8] = make_borrowing(library, "externally_obtained", None, created_at=at(3, 3))  # filled externally
    b[9] = make_borrowing(library, "completed", iso_partner, created_at=at(4, 1), supplied_format="physical")
    b[10] = make_borrowing(other_library, "completed", iso_partner, created_at=at(3, 10), supplied_format="physical")
    lend = {}
    lend[1] = make_lending(library, "completed", iso_partner, created_at=at(1, 5), supplied_format="physical")
    lend[2] = make_lending(library, "rejected", email_partner, created_at=at(1, 6), reject_reason="NotOwned")
    lend[3] = make_lending(library, "cancelled", iso_partner, created_at=at(2, 1))
    lend[4] = make_lending(library, "shipped_physically", iso_partner, created_at=at(2, 2), supplied_format="physical")
    lend[5] = make_lending(library, "created", iso_partner, created_at=at(3, 1))
    lend[6] = make_lending(library, "completed", email_partner, created_at=at(3, 2))
    return b, lend
