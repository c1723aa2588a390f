"""Every form of the borrowing and lending request pages — the row actions' dialogs, the confirm-only
actions, the lending pages of their own (edit, fulfilment, search …), the communications tab — gets
hypothesis-made input: control characters, NUL, huge strings, bad dates and numbers, unexpected and
repeated keys. Never a 500; a POST that does not go through answers with the error shown."""

from __future__ import annotations

import re

import pytest

from borrowing.views import SIDE as BORROWING
from lending.views import SIDE as LENDING

from .webforms import Fuzzer
from .world import build

pytestmark = pytest.mark.django_db

SIDES = {"borrowing": BORROWING, "lending": LENDING}


@pytest.fixture
def world(library, pickup, level, patron, iso_partner, email_partner, operator, manager):
    return build(library=library, pickup=pickup, level=level, patron=patron, iso_partner=iso_partner,
                 email_partner=email_partner, operator=operator, editor=manager)


def covering(requests, side, user) -> list:
    """Few requests that together offer every row action any of them offers (each request page costs a
    render; the forms are the same on every request that offers them)."""
    offers = {req.pk: {a.name for a in side.actions_for(req, user)} for req in requests}
    wanted, chosen = set().union(*offers.values()), []
    while wanted:
        best = max(requests, key=lambda r: len(offers[r.pk] & wanted))
        chosen.append(best)
        wanted -= offers[best.pk]
    return chosen


def shows_why(form, data, response) -> None:
    """Success redirects; anything else answered 200 to a POST must be the form again, with its error."""
    if form.method == "post" and response.status_code == 200:
        assert b'role="alert"' in response.content or b'class="error' in response.content, (
            f"POST {form.action} answered 200 without an error: {response.content[:300]!r}")


@pytest.mark.parametrize("side", ["borrowing", "lending"])
def test_every_form_of_the_request_pages_survives_hostile_input(side, world, manager, client,
                                                              django_capture_on_commit_callbacks):
    client.force_login(manager)  # an operator and manager: every row action a request offers
    fuzzer = Fuzzer(client, django_capture_on_commit_callbacks, examples=4)
    requests = world.borrowing if side == "borrowing" else world.lending
    dialogs: dict[str, list[str]] = {}
    for req in covering(requests, SIDES[side], manager):
        forms, links = fuzzer.visit(f"/{side}/{req.pk}/")
        fuzzer.fuzz_forms(forms, shows_why)
        for link in links:
            if m := re.fullmatch(rf"/{side}/\d+/dialog/([\w-]+)/", link):
                dialogs.setdefault(m[1], []).append(link)
    expected = {d.name for d in SIDES[side].dialogs}
    assert expected <= set(dialogs), f"no request of the world offers {sorted(expected - set(dialogs))}"
    for links in dialogs.values():
        # Two requests per row action: a page may show other forms for another request (a located
        # record, open fulfilment requests …); the htmx fragment once.
        for i, link in enumerate(links[:2]):
            fuzzer.fuzz_forms(fuzzer.page(link), shows_why)
            if i == 0:
                fuzzer.fuzz_forms(fuzzer.page(link, htmx=True), shows_why)
    if side == "borrowing":  # replies on the communications tab
        fuzzer.fuzz_forms(fuzzer.page(f"/borrowing/{world.communication.request_id}/tab/communications/"))
    fuzzer.assert_clean()
