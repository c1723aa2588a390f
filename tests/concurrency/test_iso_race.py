"""An ISO 18626 message from the partner arrives (POST /iso18626 on the live server) while an operator acts
on the same request. Whichever comes first, both end consistent: the message is applied, or answered
with an ERROR confirmation that is logged on the request — never lost; the partner always gets a
confirmation; the operator's page says done or why not; the status history is one unbroken chain.

On PostgreSQL the message and the submit are released together, ROUNDS times; the two deterministic
orders run on SQLite as well.
"""

from __future__ import annotations

from itertools import count

import pytest
from django.contrib.contenttypes.models import ContentType

from illdesk.models import HistoryEvent
from lending.models import BibRecord, Item
from partners.iso18626.messages import Action, Status
from partners.models import InboundMessage, OutboundMessage
from tests.factories import make_borrowing, make_lending
from tests.partners.iso_helpers import ram, sam

from .acts import Act, acting, is_done, told_why_not
from .race import assert_one_story, in_order, is_postgresql, race
from .web import Operator, post_iso

ROUNDS = 10
RECEIVE = Act("receive", "received_physically", {"received_format": "physical", "note": ""})
CANCEL = Act("request_cancel", "waiting_cancel_response", {"note": "The patron does not need it any more"})
_serial = count(1)

postgresql_only = pytest.mark.skipif(not is_postgresql(), reason="SQLite serialises writers, so the message and "
                                                                  "the operator never overlap; use PostgreSQL")


def partner_sends(base_url: str, body: bytes):
    def actor(go):
        go()
        http_status, confirmation = post_iso(base_url, body)
        assert http_status == 200, confirmation
        return confirmation
    return actor


def logged(req, confirmation) -> InboundMessage:
    """The message is stored on the request with the very confirmation the partner got; an applied one
    has its history row, a refused one has none (its transaction rolled back) but says why."""
    answer = confirmation.confirmation_header.message_status.value
    [entry] = InboundMessage.objects.filter(content_type=ContentType.objects.get_for_model(type(req)),
                                            object_id=req.pk)
    assert entry.message_status == answer
    noted = req.history.filter(kind=HistoryEvent.Kind.PARTNER_DATA, field="ISO 18626 message",
                               new_value__startswith="← ").count()  # "→ …": our own messages to the partner
    if answer == "OK":
        assert entry.acted and noted == 1, (entry.outcome, noted)
    else:
        assert answer == "ERROR" and not entry.acted and noted == 0
        assert entry.error_value and confirmation.error_data.error_value == entry.error_value
    return entry


# --- borrowing: the lender's answer arrives while staff act -------------------------------------------------


def _unfilled_versus_receive(live_server, olli: Operator, library, partner, run) -> bool:
    """The lender says Unfilled while staff record the item as received: one of them is moot. Returns
    whether the operator came first (as the other scenarios do)."""
    req = make_borrowing(library, "sent", partner)
    message = sam(req.pk, Status.UNFILLED, reason_unfilled="NotOnShelf")
    page, confirmation = run(acting(olli, "borrowing", req, RECEIVE), partner_sends(live_server.url, message))
    entry = logged(req, confirmation)
    if is_done(page, "borrowing", req.pk):
        # received first: the lender's Unfilled comes too late and is refused, saying why
        assert entry.message_status == "ERROR" and "Physically received by library" in entry.error_value
        assert assert_one_story(req, start="sent", applied=1).status == "received_physically"
    else:
        # Unfilled first: nobody is left in the rota, so the request ends; staff are told
        current = assert_one_story(req, start="sent", applied=2)
        assert entry.message_status == "OK" and current.status == "completed"
        assert told_why_not(page, type(req), "completed"), (page.status, page.refusal)
    return is_done(page, "borrowing", req.pk)


def _loaned_versus_cancel(live_server, olli: Operator, library, partner, run) -> bool:
    """The lender ships while staff ask it to cancel: a lender may ship before it reads our cancel."""
    req = make_borrowing(library, "sent", partner)
    page, confirmation = run(acting(olli, "borrowing", req, CANCEL),
                             partner_sends(live_server.url, sam(req.pk, Status.LOANED)))
    entry = logged(req, confirmation)
    assert entry.message_status == "OK"
    cancelled = is_done(page, "borrowing", req.pk)
    assert cancelled or told_why_not(page, type(req), "shipped_physically"), (page.status, page.refusal)
    current = assert_one_story(req, start="sent", applied=1 + cancelled)
    assert current.status == "shipped_physically"
    asked = OutboundMessage.objects.filter(object_id=req.pk, event="cancel").count()
    assert asked == cancelled  # the lender was asked to cancel exactly when staff were told it is asked
    return cancelled


# --- lending: the borrower's cancel arrives while we ship --------------------------------------------------


def _shippable(library, partner):
    n = next(_serial)
    record = BibRecord.objects.create(record_id=f"RACE-{n}", title="The structure of scientific revolutions")
    item = Item.objects.create(record=record, barcode=f"RACE-ITEM-{n}", library=library)
    req = make_lending(library, "will_supply", partner, borrower_request_id=f"BRW-ISO-{n}", record=record,
                       item=item, locate_status="located")
    return req, item


def ships(op: Operator, req, item):
    """The Shipping Items page: scan the item and the request id."""
    def actor(go):
        assert op.get(f"/lending/ship/?request={req.pk}").status == 200
        go()
        return op.post("/lending/ship/", {"op": "ship", "barcode": item.barcode, "request_id": str(req.pk),
                                          "note": ""})
    return actor


def _cancel_versus_ship(live_server, olli: Operator, library, partner, run) -> bool:
    req, item = _shippable(library, partner)
    message = ram(req.borrower_request_id, Action.CANCEL, "Not needed any more", supplier_id=str(req.pk))
    page, confirmation = run(ships(olli, req, item), partner_sends(live_server.url, message))
    entry = logged(req, confirmation)
    assert entry.message_status == "OK"
    current = assert_one_story(req, start="will_supply", applied=1)
    item.refresh_from_db()
    answers = list(OutboundMessage.objects.filter(object_id=req.pk, event="cancel_response")
                   .values_list("payload", flat=True))
    shipped = ("success", f"Item {item.barcode} shipped for request {req.pk}.") in page.messages
    if shipped:
        # shipped first: the cancel is answered "no", the item is on its way
        assert page.status == 200 and current.status == "shipped_physically" and item.state == Item.State.SHIPPED
        assert [a["details"].get("accepted") for a in answers] == [False]
    else:
        # the cancel first: it waits for our answer, and the item stays here
        assert page.status == 409, (page.status, page.messages)
        assert ("error", f"Request {req.pk} cannot do this while it is “Cancel reply”.") in page.messages
        assert current.status == "cancel_reply" and item.state == Item.State.ON_SHELF and answers == []
    return shipped


SCENARIOS = [_unfilled_versus_receive, _loaned_versus_cancel, _cancel_versus_ship]
IDS = ["sam-unfilled-vs-receive", "sam-loaned-vs-cancel", "ram-cancel-vs-ship"]


def test_a_message_and_an_operator_one_after_the_other(live_server, olli, library, iso_partner):
    # one test for every scenario: each live-server test pays for emptying the database afterwards
    for scenario in SCENARIOS:
        for order in ((0, 1), (1, 0)):
            operator_first = scenario(live_server, olli, library, iso_partner,
                                      lambda *actors, order=order: in_order(*actors, order=order))
            assert operator_first == (order == (0, 1)), (scenario.__name__, order)


@postgresql_only
@pytest.mark.parametrize("scenario", SCENARIOS, ids=IDS)
def test_a_message_and_an_operator_at_the_same_moment(scenario, live_server, olli, library, iso_partner):
    for _round in range(ROUNDS):
        scenario(live_server, olli, library, iso_partner, race)
