"""Copyright tracking for article copies: counting per journal and year, the limit, the warning
fragment for the request page, and the report."""

from __future__ import annotations

import csv
import io
from datetime import datetime

import pytest
from django.template import Context, Template
from django.urls import reverse

from reports import copyright
from reports.models import CopyrightRule
from tests.factories import make_borrowing
from tests.reports.conftest import HELSINKI


def article(owner, issn="1234-5678", *, month=3, year="2024", status="sent", created_year=2025, **fields):
    return make_borrowing(owner, status, None, request_type="article", issn=issn, year=year,
                          title="Journal of Interlibrary Loan", chapter_title="An article",
                          created_at=datetime(created_year, month, 1, 12, tzinfo=HELSINKI), **fields)


@pytest.fixture
def journal(library, other_library):
    """Five countable copies of one journal in 2025 (ISSN written three ways), and some that do not count."""
    counted = [article(library, "1234-5678", month=m) for m in (1, 2, 3)]
    counted.append(article(library, "12345678", month=4))
    counted.append(article(library, "1234 5678", month=5, year=""))  # no year: counted, to be safe
    article(library, status="cancelled", month=6)  # withdrawn by staff
    article(library, status="cancelled_by_patron", month=6)  # withdrawn by the patron
    article(library, month=6, year="2012")  # older than five years
    article(library, created_year=2024)  # another year
    article(other_library, month=6)  # another library
    article(library, "8765-4321", month=6)  # another journal
    make_borrowing(library, "sent", None, request_type="book", issn="1234-5678")  # not an article copy
    return counted


def render(req) -> str:
    return Template("{% load reports_tags %}{% copyright_warning obj %}").render(Context({"obj": req}))


def test_it_counts_copies_per_journal_library_and_year(journal, library):
    found = copyright.status_for(journal[0])
    assert (found.issn, found.year, found.count, found.limit) == ("1234-5678", 2025, 5, 5)
    assert found.reached and not found.over


def test_the_warning_shows_at_the_limit_and_over_it(journal, library):
    html = render(journal[-1])
    assert "Copyright limit reached" in html
    assert "asked for 5 article copies from the journal ISSN 1234-5678 in 2025" in html
    article(library, month=7)
    assert "Copyright limit exceeded" in render(journal[0])


def test_no_warning_below_the_limit_or_for_other_requests(library):
    first = article(library)
    assert copyright.status_for(first).count == 1
    assert render(first).strip() == ""
    assert render(make_borrowing(library, "sent", None, request_type="book")).strip() == ""
    assert render(None).strip() == ""


def test_the_limit_is_configurable_per_library(journal, library, other_library):
    CopyrightRule.objects.create(library=None, limit=10, recent_years=0)
    assert copyright.status_for(journal[0]).limit == 10
    assert copyright.status_for(journal[0]).count == 6  # recent_years=0: the 2012 article counts too
    CopyrightRule.objects.create(library=library, limit=3, recent_years=5)
    found = copyright.status_for(journal[0])
    assert (found.count, found.limit, found.over) == (5, 3, True)


def test_the_report_lists_journals_with_counts(client, operator, journal, library, other_library):
    client.force_login(operator)
    url = reverse("reports:copyright")
    response = client.get(url, {"year": 2025})
    rows = response.context["rows"]
    assert [(r.library, r.issn, r.count, r.reached) for r in rows] == [
        (library.name, "1234-5678", 5, True),
        (other_library.name, "1234-5678", 1, False),
        (library.name, "8765-4321", 1, False),
    ]
    assert "limit reached" in response.content.decode()
    only = client.get(url, {"year": 2025, "reached": 1}).context["rows"]
    assert [r.issn for r in only] == ["1234-5678"]
    mine = client.get(url, {"year": 2025, "library": other_library.pk}).context["rows"]
    assert [(r.library, r.count) for r in mine] == [(other_library.name, 1)]
    exported = client.get(url, {"year": 2025, "format": "csv"})
    lines = list(csv.reader(io.StringIO(exported.content.decode("utf-8-sig"))))
    assert lines[0] == ["Library", "ISSN", "Journal", "Copies requested", "Limit", "Limit reached"]
    assert lines[1] == [library.name, "1234-5678", "Journal of Interlibrary Loan", "5", "5", "yes"]


def test_outsiders_cannot_see_the_report(client, outsider):
    client.force_login(outsider)
    assert client.get(reverse("reports:copyright")).status_code == 403
