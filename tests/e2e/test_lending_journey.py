"""A partner's ISO 18626 request reaches the lending task list, and an operator ships it by scanning barcodes,
in a real browser: once on the Shipping items page, once on the scan station."""

from __future__ import annotations

import pytest
from playwright.sync_api import expect

from illdesk.models import HistoryEvent
from lending.models import BibRecord, Item, LendingRequest
from partners.iso18626 import parse
from partners.iso18626.messages import ServiceType
from partners.models import InboundMessage, OutboundMessage
from tests.browser import log_in
from tests.factories import make_lending
from tests.partners.iso_helpers import request as iso_request

pytestmark = pytest.mark.django_db(transaction=True)


@pytest.fixture
def shelf(library):
    """Two titles on our shelves, one copy each."""
    geb = BibRecord.objects.create(record_id="REC-GEB", title="Gödel, Escher, Bach", author="Hofstadter, Douglas")
    themas = BibRecord.objects.create(record_id="REC-MT", title="Metamagical Themas", author="Hofstadter, Douglas R.")
    Item.objects.create(record=geb, barcode="39001000000017", library=library, location="Stacks")
    Item.objects.create(record=themas, barcode="39001000000025", library=library, location="Stacks")
    return geb, themas


def partner_sends(page, live_server, request_id: str, title: str) -> LendingRequest:
    """The peer library POSTs its ISO 18626 Request to our endpoint, as it would over the network."""
    body = iso_request(request_id, title=title, service=ServiceType.LOAN)
    answer = page.request.post(f"{live_server.url}/iso18626", data=body, headers={"Content-Type": "application/xml"})
    assert answer.status == 200 and answer.headers["content-type"].startswith("application/xml")
    confirmation = parse(answer.body())
    assert confirmation.confirmation_header.message_status.value == "OK"
    return LendingRequest.objects.get(borrower_request_id=request_id)


def status_history(req) -> list[tuple[str, str, str | None]]:
    events = req.history.filter(kind=HistoryEvent.Kind.STATUS).order_by("id")
    return list(events.values_list("old_value", "new_value", "actor__username"))


def test_an_incoming_request_is_shipped_by_scanning_barcodes(live_server, page, shelf, iso_partner, library,
                                                             operator, operator2):
    make_lending(library, "being_processed", iso_partner, title="Someone else's", assignee=operator2,
                 borrower_request_id="BRW-OTHER")
    geb_request = partner_sends(page, live_server, "BRW-E2E-1", "Gödel, Escher, Bach")
    themas_request = partner_sends(page, live_server, "BRW-E2E-2", "Metamagical Themas")
    assert InboundMessage.objects.filter(object_id__in=[geb_request.pk, themas_request.pk], kind="request").count() == 2

    log_in(page, "operator", next_url="/lending/")
    tabs = page.locator("#tasklist nav.scope-tabs")
    expect(tabs.locator("a.current")).to_contain_text("Assigned to me")
    expect(page.locator("#tasklist td.empty")).to_have_text("No requests match.")
    tabs.get_by_role("link", name="Unassigned").click()
    expect(tabs.locator("a.current")).to_contain_text("Unassigned")
    expect(page.locator(".bulkbar > span")).to_have_text("2 requests")
    page.get_by_role("link", name="Gödel, Escher, Bach").click()
    page.wait_for_url(f"**/lending/{geb_request.pk}/")
    expect(page.locator(".request-head .status")).to_have_text("Created lending request")
    expect(page.locator("#tab-panel")).to_contain_text("Gödel, Escher, Bach")  # the located record

    page.once("dialog", lambda dialog: dialog.accept())  # the confirm() of a one-click action
    page.locator("#action-will_supply button").click()
    expect(page.locator(".messages")).to_contain_text("Done: the request is “Will supply”.")

    page.locator("#action-ship_physically").click()
    page.wait_for_url(f"**/lending/ship/?request={geb_request.pk}")
    ship = page.locator("form", has=page.locator("input[name=op][value=ship]"))
    expect(ship.get_by_label("Request id")).to_have_value(str(geb_request.pk))
    expect(ship.get_by_label("Item barcode")).to_be_focused()
    scan_in = page.locator("form", has=page.locator("input[name=op][value=scan_in]"))
    expect(scan_in.get_by_label("Returned item barcode")).to_have_count(1)  # each label names its own input
    page.keyboard.type("39001000000017")  # a keyboard-wedge scanner types, then presses Enter
    page.keyboard.press("Enter")
    expect(page.locator(".messages")).to_contain_text(f"Item 39001000000017 shipped for request {geb_request.pk}.")
    expect(page.locator("main table tbody tr").first).to_contain_text("Shipped physically")

    page.get_by_role("link", name="Scan station").click()
    page.get_by_role("link", name="Ship (lending)").click()
    scan = page.get_by_label("Scan a barcode")
    expect(scan).to_be_focused()
    scan.press_sequentially(str(themas_request.pk))
    scan.press("Enter")
    expect(page.locator("#scan-prompt")).to_contain_text(f"Scan the item's barcode for request {themas_request.pk}")
    scan.press_sequentially("39001000000025")
    scan.press("Enter")
    expect(page.locator("#scan-results li").first).to_contain_text("Shipped with item 39001000000025.")
    expect(page.locator("#scan-tally")).to_contain_text("Done: 1 · Errors: 0")

    for req, barcode in ((geb_request, "39001000000017"), (themas_request, "39001000000025")):
        req = LendingRequest.objects.select_related("item").get(pk=req.pk)
        assert (req.status, req.item.barcode, req.item.state) == ("shipped_physically", barcode, "shipped")
        assert req.shipped_at is not None
    assert status_history(geb_request) == [("Created lending request", "Will supply", "operator"),
                                           ("Will supply", "Shipped physically", "operator")]
    assert status_history(themas_request) == [("Created lending request", "Shipped physically", "operator")]
    # the borrower is told (ISO 18626, through the outbox; the peer is not listening in this test)
    told = OutboundMessage.objects.filter(object_id__in=[geb_request.pk, themas_request.pk])
    assert sorted(told.values_list("object_id", "event")) == [
        (geb_request.pk, "loaned"), (geb_request.pk, "will_supply"), (themas_request.pk, "loaned")]
    assert LendingRequest.objects.get(borrower_request_id="BRW-OTHER").status == "being_processed"
