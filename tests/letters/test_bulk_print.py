"""Bulk "Print slips": one PDF for many requests, the slip each status calls for, and a page saying
which requests were printed and which were not (and why)."""

import re
import time

import pytest
from django.urls import reverse

from borrowing.models import BorrowingRequest
from borrowing.slips import slip_for as borrowing_slip_for
from lending.models import LendingRequest
from lending.slips import slip_for as lending_slip_for
from letters.api import bulk_print
from tests.factories import make_borrowing, make_lending

from .conftest import barcodes, pdf_info, pdf_text

PRINTABLE = ["received_physically", "loaned_to_patron", "returned_by_patron", "returned_to_partner", "overdue"]


@pytest.fixture
def many(library, email_partner, patron):
    printable = [make_borrowing(library, PRINTABLE[i % len(PRINTABLE)], partner=email_partner, requester=patron,
                                title=f"Nide {i} – Äänekosken kirjasto", temp_barcode=f"ILL-{i:06d}")
                 for i in range(200)]
    skipped = [make_borrowing(library, status, partner=email_partner, title=f"Ohitettu {status}")
               for status in ("created", "sent", "shipped_physically", "received_digitally", "completed")]
    return printable, skipped


def test_bulk_print_of_200_requests_is_one_valid_pdf(many, tmp_path):
    printable, skipped = many
    started = time.monotonic()
    data, printed, not_printed = bulk_print(borrowing_slip_for, [*skipped[:2], *printable, *skipped[2:]])
    elapsed = time.monotonic() - started
    assert elapsed < 90, f"bulk print took {elapsed:.1f} s"
    assert printed == printable
    assert [req for req, _reason in not_printed] == skipped
    reasons = dict((req.status, reason) for req, reason in not_printed)
    assert reasons["created"].startswith("not received yet")
    assert reasons["received_digitally"] == "received digitally: there is no item to label"
    assert reasons["completed"] == "no slip is printed for status “Request completed”"

    assert pdf_info(data, tmp_path)["Pages"] == "200"
    text = pdf_text(data, tmp_path)
    found = {int(n) for n in re.findall(r"(?:Request|Our request number:)\s+(\d+)", text)}
    assert found == {req.pk for req in printable}
    assert "Receive slip" in text and "Return slip" in text
    assert "Äänekosken kirjasto" in text
    assert set(barcodes(data, tmp_path, first=200, last=200)) == {str(printable[-1].pk), "ILL-000199"}


def test_nothing_to_print_gives_no_pdf(library):
    data, printed, skipped = bulk_print(borrowing_slip_for, [make_borrowing(library, "created")])
    assert data is None and printed == [] and len(skipped) == 1


def test_lending_slips_depend_on_shipping(library, email_partner):
    assert lending_slip_for(make_lending(library, "created", partner=email_partner)) == "incoming_slip"
    assert lending_slip_for(make_lending(library, "shipped_physically", partner=email_partner)) == "shipping_slip"
    assert lending_slip_for(make_lending(library, "rejected", partner=email_partner)) is None


def test_the_print_page_says_what_prints_and_what_does_not(client, operator, library, email_partner, tmp_path):
    received = make_borrowing(library, "received_physically", partner=email_partner, temp_barcode="ILL-1")
    returned = make_borrowing(library, "returned_to_partner", partner=email_partner)
    created = make_borrowing(library, "created", partner=email_partner)
    client.force_login(operator)
    url = reverse("letters:print_slips", args=["borrowing"])
    ids = [received.pk, returned.pk, created.pk]
    page = client.post(url, {"ids": ids}).content.decode()
    assert f"{received.pk}: {received.title}" in page and "Receive slip" in page and "Return slip" in page
    assert f"{created.pk}: {created.title} — not received yet (status “Created borrowing request”)" in page

    response = client.post(url, {"ids": ids, "download": "1", "size": "A5"})
    assert response["Content-Type"] == "application/pdf"
    assert pdf_info(response.content, tmp_path)["Pages"] == "2"
    assert set(BorrowingRequest.objects.filter(printed=True).values_list("pk", flat=True)) == {received.pk,
                                                                                              returned.pk}


def test_a_single_slip_from_the_request_page(client, operator, lending_request, tmp_path):
    client.force_login(operator)
    response = client.get(reverse("letters:slip", args=["lending", lending_request.pk, "incoming_slip"]),
                          {"size": "label"})
    assert response.status_code == 200 and response["Content-Type"] == "application/pdf"
    assert "Incoming request" in pdf_text(response.content, tmp_path)
    assert LendingRequest.objects.get(pk=lending_request.pk).printed
    wrong_side = reverse("letters:slip", args=["lending", lending_request.pk, "receive_slip"])
    assert client.get(wrong_side).status_code == 404


def test_outsiders_cannot_print(client, outsider, lending_request):
    client.force_login(outsider)
    url = reverse("letters:slip", args=["lending", lending_request.pk, "incoming_slip"])
    assert client.get(url).status_code == 403
    assert client.post(reverse("letters:print_slips", args=["lending"]), {"ids": [lending_request.pk]}
                       ).status_code == 403
