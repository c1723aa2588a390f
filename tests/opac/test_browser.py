"""The OPAC in a real browser (Debian's chromium through Playwright) on a phone-sized screen: no
sideways scrolling, every field reachable with the keyboard, the type switch (htmx) keeps focus and
what was typed, and a request sent with the keyboard alone."""

from __future__ import annotations

from urllib.parse import urlencode

import pytest

from borrowing.models import BorrowingRequest
from tests.browser import browser_context_args, browser_type_launch_args, new_context  # noqa: F401 - fixtures

pytestmark = pytest.mark.browser_context_args(viewport={"width": 375, "height": 740})

OPENURL = urlencode({"url_ver": "Z39.88-2004", "rft.genre": "book", "rft.btitle": "Tuntematon sotilas",
                     "rft.au": "Linna, Väinö", "rft.isbn": "9789510396322", "rft.date": "1954"})


def no_sideways_scroll(page) -> bool:
    return page.evaluate("document.documentElement.scrollWidth <= window.innerWidth")


def tab_stops(page, count: int = 60) -> list[str]:
    page.evaluate("document.activeElement && document.activeElement.blur()")
    seen = []
    for _ in range(count):
        page.keyboard.press("Tab")
        seen.append(page.evaluate("(e => e.id || e.name || e.textContent.trim())(document.activeElement)"))
    return seen


def test_a_patron_requests_on_a_phone_with_the_keyboard(live_server, page, patron, pickup):
    page.goto(f"{live_server.url}/opac/request/?{OPENURL}")
    page.fill("#id_username", "patron")  # the catalogue link asked for a login first
    page.fill("#id_password", "patron")
    page.keyboard.press("Enter")
    page.wait_for_url("**/opac/request/?**")
    assert page.input_value("#id_title") == "Tuntematon sotilas"
    assert no_sideways_scroll(page)

    stops = tab_stops(page)
    for field in ("id_request_type_0", "id_title", "id_author", "id_isbn", "id_doi", "id_requested_format_1",
                  "id_pickup_location", "id_last_interest_date", "id_request_note", "Send request"):
        assert field in stops, field
    assert "id_website" not in stops

    # switch type with the arrow keys: htmx swaps the form, the citation and the focus stay
    page.focus("#id_request_type_0")
    page.keyboard.press("ArrowRight")
    page.wait_for_selector("label[for=id_chapter_title]")
    assert page.input_value("#id_title") == "Tuntematon sotilas"
    assert page.evaluate("document.activeElement.id") == "id_request_type_1"
    page.keyboard.press("ArrowLeft")
    page.wait_for_selector("label[for=id_chapter_title]", state="detached")
    assert no_sideways_scroll(page)

    page.focus("#id_request_note")
    page.keyboard.type("Any edition is fine")
    page.focus("button.primary")
    page.keyboard.press("Enter")
    page.wait_for_url("**/sent/")
    req = BorrowingRequest.objects.get()
    assert f"Request number {req.pk}" in page.inner_text(".request-number")
    assert no_sideways_scroll(page)

    page.goto(f"{live_server.url}/opac/requests/")
    assert "Tuntematon sotilas" in page.inner_text(".req-list")
    assert no_sideways_scroll(page)


def test_errors_are_announced_next_to_the_fields(live_server, page, patron, pickup):
    page.goto(f"{live_server.url}/login/?next=/opac/request/%3Ftype%3Darticle")
    page.fill("#id_username", "patron")
    page.fill("#id_password", "patron")
    page.keyboard.press("Enter")
    page.wait_for_url("**/opac/request/?type=article")
    page.click("button.primary")
    page.wait_for_selector("#id_title_error")
    assert page.get_attribute("#id_title", "aria-invalid") == "true"
    assert "id_title_error" in page.get_attribute("#id_title", "aria-describedby")
    assert page.get_attribute("#form-errors", "role") == "alert"
    assert no_sideways_scroll(page)
