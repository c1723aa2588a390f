"""The statistics page: managers only, filters, charts beside tables, CSV and Excel of every table,
and a query count that does not grow with the data."""

from __future__ import annotations

import csv
import io
import json

import pytest
from django.urls import reverse
from openpyxl import load_workbook

from tests.factories import make_borrowing
from tests.reports.conftest import at

URL = reverse("reports:statistics")
Q1 = {"start": "2025-01-01", "end": "2025-03-31"}


def test_only_managers_see_statistics(client, operator, outsider):
    for user in (operator, outsider):
        client.force_login(user)
        assert client.get(URL).status_code == 403
        assert client.get(reverse("reports:export", args=["borrowing-month", "csv"])).status_code == 403


def test_the_page_shows_charts_and_tables_for_both_sides(client, manager, q1_world, library):
    client.force_login(manager)
    response = client.get(URL, {**Q1, "library": library.pk})
    assert response.status_code == 200
    body = response.content.decode()
    assert "reports/vendor/chart.umd.min.js" in body
    for key in ("borrowing-month", "borrowing-outcome", "borrowing-partner", "borrowing-format", "borrowing-type",
                "borrowing-turnaround", "lending-month", "lending-turnaround", "lending-costs"):
        assert f'id="table-{key}"' in body
    # the chart reads the same numbers the table shows
    start = body.index('<script id="borrowing-month" type="application/json">') + len(
        '<script id="borrowing-month" type="application/json">')
    chart = json.loads(body[start:body.index("</script>", start)])
    assert chart["labels"] == ["2025-01", "2025-02", "2025-03"]
    filled = next(d for d in chart["datasets"] if d["label"] == "Filled")
    assert filled["data"] == [2, 0, 1]
    assert response.context["sections"][0].summary["total"] == 8


def test_a_bad_period_falls_back_and_says_why(client, manager):
    client.force_login(manager)
    response = client.get(URL, {"start": "2025-03-01", "end": "2025-01-01"})
    assert response.status_code == 200
    assert "The period ends before it starts." in response.content.decode()


def test_every_table_exports_as_csv_and_excel(client, manager, q1_world, library):
    client.force_login(manager)
    params = {**Q1, "library": library.pk}
    response = client.get(reverse("reports:export", args=["borrowing-month", "csv"]), params)
    assert response["Content-Type"].startswith("text/csv")
    assert 'filename="illdesk-borrowing-month-20250101-20250331.csv"' in response["Content-Disposition"]
    rows = list(csv.reader(io.StringIO(response.content.decode("utf-8-sig"))))
    assert rows[0] == ["Month", "Requests", "Filled", "Unfilled", "Cancelled", "In process"]
    assert rows[1:] == [["2025-01", "2", "2", "0", "0", "0"], ["2025-02", "3", "0", "1", "2", "0"],
                        ["2025-03", "3", "1", "1", "0", "1"], ["Total", "8", "3", "2", "2", "1"]]
    response = client.get(reverse("reports:export", args=["lending-outcome", "xlsx"]), params)
    sheet = load_workbook(io.BytesIO(response.content)).active
    assert sheet["A1"].value == "Outcome"
    assert [c.value for c in sheet[2]][:3] == ["Filled", None, 2]
    response = client.get(reverse("reports:export", args=["all", "xlsx"]), params)
    book = load_workbook(io.BytesIO(response.content))
    assert len(book.sheetnames) == 16  # 8 tables per side
    assert "Borrowing requests by month" in book.sheetnames[0] or book.sheetnames[0].startswith("Borrowing")
    assert client.get(reverse("reports:export", args=["nothing-here", "csv"]), params).status_code == 404
    assert client.get(reverse("reports:export", args=["borrowing-month", "pdf"]), params).status_code == 404


def test_csv_cells_that_look_like_formulas_are_defused(client, manager, library, full_profile):
    from partners.models import Partner

    evil = Partner.objects.create(code="EVIL", name="=HYPERLINK(\"http://x\")", profile_type="email",
                                  workflow_profile=full_profile)
    make_borrowing(library, "sent", evil, created_at=at(1, 2))
    client.force_login(manager)
    response = client.get(reverse("reports:export", args=["borrowing-partner", "csv"]), Q1)
    assert "'=HYPERLINK" in response.content.decode("utf-8-sig")


@pytest.mark.parametrize("extra", [0, 40])
def test_the_query_count_does_not_grow_with_the_data(client, manager, q1_world, library, iso_partner, extra,
                                                     django_assert_max_num_queries):
    for i in range(extra):
        make_borrowing(library, "completed", iso_partner, created_at=at(1 + i % 3, 1 + i % 27),
                       supplied_format="physical")
    client.force_login(manager)
    with django_assert_max_num_queries(24):
        assert client.get(URL, Q1).status_code == 200
