"""An operator works a borrowing request from the task list to a printed receive slip, in a real browser."""

from __future__ import annotations

import re

import pytest
from playwright.sync_api import expect

from borrowing.models import BorrowingRequest
from illdesk.models import HistoryEvent, Note
from letters.views import letters_of
from tests.browser import log_in
from tests.factories import make_borrowing

pytestmark = pytest.mark.django_db(transaction=True)


@pytest.fixture
def queue(library, operator, patron, email_partner, iso_partner):
    """Five borrowing requests: three with Mail Library (two ready to send), one with Peer University and
    one without a partner."""
    mine = make_borrowing(library, "ready_to_send", email_partner, title="Flora Fennica", author="Hiitonen, Ilmari",
                          requester=patron, requested_format="physical")
    make_borrowing(library, "ready_to_send", email_partner, title="Suomen sienet", requester=patron)
    make_borrowing(library, "sent", email_partner, title="Flora of Lapland", requester=patron)
    make_borrowing(library, "ready_to_send", iso_partner, title="Flora Europaea", requester=patron)
    make_borrowing(library, "created", None, title="Kalevala", requester=patron)
    return mine


def shown(page) -> list[str]:
    """The titles on the current page of the task list."""
    return page.locator("#tasklist table.requests tbody td.citation > a").all_inner_texts()


def facet(page, key: str, label: str):
    return page.locator(f"section.facet[data-facet={key}] a", has=page.locator("span.label", has_text=label))


def test_an_operator_narrows_the_list_works_a_request_and_prints_its_slip(live_server, page, queue, operator):
    log_in(page, "operator", next_url="/borrowing/")
    expect(page.locator(".bulkbar > span")).to_have_text("5 requests")

    facet(page, "partner", "Mail Library").click()
    expect(page.locator(".bulkbar > span")).to_have_text("3 requests")
    assert sorted(shown(page)) == ["Flora Fennica", "Flora of Lapland", "Suomen sienet"]
    expect(facet(page, "partner", "Mail Library")).to_have_attribute("aria-pressed", "true")
    expect(facet(page, "status", "Ready to be sent").locator(".count")).to_have_text("2")

    facet(page, "status", "Ready to be sent").click()
    expect(page.locator(".bulkbar > span")).to_have_text("2 requests")
    assert sorted(shown(page)) == ["Flora Fennica", "Suomen sienet"]
    expect(page).to_have_url(re.compile(r"[?&]status=ready_to_send"))  # htmx pushed the selection: linkable

    page.locator("#qf").select_option(label="Title")
    page.locator("#q").fill("flora")
    page.locator("#q").press("Enter")
    expect(page.locator(".bulkbar > span")).to_have_text("1 request")
    assert shown(page) == ["Flora Fennica"]

    page.get_by_role("link", name="Flora Fennica").click()
    page.wait_for_url(f"**/borrowing/{queue.pk}/")
    expect(page.locator(".request-head .status")).to_have_text("Ready to be sent")

    page.locator("#action-send").click()
    dialog = page.locator("#dialog [role=dialog]")
    expect(dialog.locator("h2")).to_have_text("Send")
    dialog.get_by_label("Note").fill("Please send the 1958 edition")
    dialog.get_by_role("button", name="Send").click()
    page.wait_for_url(f"**/borrowing/{queue.pk}/")
    expect(page.locator(".messages")).to_contain_text("The request was sent to Mail Library.")
    expect(page.locator(".request-head .status")).to_have_text("Request sent to partner")

    page.locator("#action-receive").click()
    expect(dialog.locator("h2")).to_have_text("Receive")
    dialog.get_by_label("Temporary barcode").fill("TMP-0042")
    dialog.get_by_role("button", name="Receive").click()
    expect(page.locator(".messages")).to_contain_text("Received (Physically received by library).")
    expect(page.locator(".request-head .status")).to_have_text("Physically received by library")

    page.locator("#tab-history").click()
    history = page.locator("#tab-panel table.history")
    expect(history.locator("tr", has_text="Ready to be sent")).to_contain_text("1958 edition")
    expect(history).to_contain_text("TMP-0042")
    page.locator("#tab-notes").click()
    expect(page.locator("#tab-panel ul.entries")).to_contain_text("Please send the 1958 edition")

    page.locator("#tab-letters").click()
    slip = page.locator("#letters-panel ul.slips li", has=page.locator("strong")).get_by_role("link", name="A4")
    expect(page.locator("#letters-panel ul.slips strong")).to_have_text("Receive slip")
    pdfs = []

    def keep(route):  # what the server answered the click with, before the PDF viewer takes it
        answer = route.fetch()
        pdfs.append((answer.status, answer.headers.get("content-type"), answer.body()))
        route.fulfill(response=answer)

    page.context.route("**/slip/receive_slip/*", keep)
    with page.expect_popup() as popup:
        slip.click()
    popup.value.wait_for_load_state()
    assert popup.value.url.endswith(f"/letters/request/borrowing/{queue.pk}/slip/receive_slip/")
    [(status, content_type, body)] = pdfs
    assert (status, content_type, body[:5]) == (200, "application/pdf", b"%PDF-")

    req = BorrowingRequest.objects.get(pk=queue.pk)
    assert (req.status, req.temp_barcode, req.printed) == ("received_physically", "TMP-0042", True)
    assert list(req.notes.values_list("kind", "text")) == [(Note.Kind.TO_PARTNER, "Please send the 1958 edition")]
    statuses = req.history.filter(kind=HistoryEvent.Kind.STATUS).order_by("id")
    assert list(statuses.values_list("old_value", "new_value", "actor__username", "message")) == [
        ("Ready to be sent", "Request sent to partner", "operator", "Please send the 1958 edition"),
        ("Request sent to partner", "Physically received by library", "operator", ""),
    ]
    # the lender got the request and the "we have received the item" email; the patron the pickup notice
    assert sorted(letters_of(req).values_list("code", "to", "state")) == [
        ("partner_communication", ["ill@mail.example.org"], "sent"),
        ("partner_request", ["ill@mail.example.org"], "sent"),
        ("patron_ready_for_pickup", ["pia@example.org"], "sent")]
    assert set(BorrowingRequest.objects.exclude(pk=req.pk).values_list("status", flat=True)) == {
        "ready_to_send", "sent", "created"}  # nothing else changed
