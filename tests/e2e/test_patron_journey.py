"""A patron follows a catalogue's OpenURL link, logs in, sends the request, and cancels an older one, in a
real browser."""

from __future__ import annotations

from urllib.parse import urlencode

import pytest
from playwright.sync_api import expect

from borrowing.models import BorrowingRequest
from illdesk.models import HistoryEvent
from tests.factories import make_borrowing

pytestmark = pytest.mark.django_db(transaction=True)

OPENURL = urlencode({"url_ver": "Z39.88-2004", "rft_val_fmt": "info:ofi/fmt:kev:mtx:book", "rft.genre": "book",
                     "rft.btitle": "Seitsemän veljestä", "rft.au": "Kivi, Aleksis", "rft.isbn": "9789511074700",
                     "rft.date": "1870", "sid": "finna"})


@pytest.fixture(autouse=True)
def _no_real_resolvers(settings):
    """The form may look identifiers up: never outside this machine."""
    settings.ILLDESK_DOI_RESOLVER_URL = "http://127.0.0.1:9/works/"
    settings.ILLDESK_PUBMED_RESOLVER_URL = "http://127.0.0.1:9/esummary?id="
    settings.ILLDESK_RESOLVER_TIMEOUT = 0.5


def test_a_patron_requests_from_an_openurl_link_and_cancels_another_request(live_server, page, patron, pickup,
                                                                            library):
    older = make_borrowing(library, "created", requester=patron, patron_category=patron.category,
                           title="Kalevala", pickup_location=pickup)
    sent = make_borrowing(library, "sent", requester=patron, patron_category=patron.category,
                          title="Pohjantähden alla", pickup_location=pickup)

    page.goto(f"/opac/request/?{OPENURL}")
    page.wait_for_url("**/login/?next=**")  # the link asked for a login first
    page.get_by_label("Username").fill("patron")
    page.get_by_label("Password").fill("patron")
    page.get_by_role("button", name="Log in").click()
    page.wait_for_url("**/opac/request/?**")
    expect(page.locator("#id_title")).to_have_value("Seitsemän veljestä")
    expect(page.locator("#id_author")).to_have_value("Kivi, Aleksis")
    expect(page.locator("#id_isbn")).to_have_value("9789511074700")
    page.locator("#id_request_note").fill("The 1870 first edition is not needed")
    page.get_by_role("button", name="Send request").click()
    page.wait_for_url("**/sent/")
    new = BorrowingRequest.objects.exclude(pk__in=[older.pk, sent.pk]).get()
    expect(page.locator(".request-number")).to_contain_text(f"Request number {new.pk}")

    page.get_by_role("link", name="My requests").first.click()
    current = page.locator("section[aria-labelledby=current-h]")
    expect(current.locator("#current-h .count")).to_have_text("(3)")
    card = current.locator("li.req-card", has_text="Kalevala")
    expect(current.locator("li.req-card", has_text="Pohjantähden alla").get_by_role("link", name="Cancel")) \
        .to_have_count(0)  # already with another library: too late to cancel here
    card.get_by_role("link", name="Cancel").click()
    page.wait_for_url(f"**/opac/requests/{older.pk}/cancel/")
    expect(page.get_by_role("heading", level=1)).to_have_text("Cancel this request?")
    page.get_by_label("Message to the library (optional)").fill("Found it at home")
    page.get_by_role("button", name="Cancel the request").click()
    expect(page.locator(".messages")).to_contain_text("Your request was cancelled.")

    page.goto("/opac/requests/")
    expect(current.locator("#current-h .count")).to_have_text("(2)")
    expect(page.locator("ul.req-list.history")).to_contain_text("Kalevala")
    expect(page.locator("ul.req-list.history li.req-card", has_text="Kalevala")).to_contain_text("Cancelled by you")

    new.refresh_from_db()
    assert (new.title, new.author, new.isbn, new.requester, new.pickup_location) == (
        "Seitsemän veljestä", "Kivi, Aleksis", "9789511074700", patron, pickup)
    assert (new.status, new.is_active, new.request_note) == ("created", True, "The 1870 first edition is not needed")
    created = new.history.order_by("id").first()
    assert not new.history.filter(kind=HistoryEvent.Kind.STATUS).exists()
    assert (created.field, created.new_value, created.actor, created.message) == (
        "Created", "Created borrowing request", patron.user, "Requested by the patron in the OPAC")
    older.refresh_from_db()
    assert (older.status, older.is_active) == ("cancelled_by_patron", False)
    cancelled = older.history.get(kind=HistoryEvent.Kind.STATUS)
    assert (cancelled.old_value, cancelled.new_value, cancelled.actor, cancelled.message) == (
        "Created borrowing request", "Cancelled by patron", patron.user, "Found it at home")
    assert BorrowingRequest.objects.get(pk=sent.pk).status == "sent"
