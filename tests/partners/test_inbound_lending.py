"""A borrower's Request and requestingAgencyMessages drive our lending requests (POST /iso18626)."""

import pytest
from lxml import etree

from illdesk.models import GeneralMessage, Note
from lending.models import LendingRequest
from partners.iso18626 import parse
from partners.iso18626.messages import Action, AgencyId, ServiceType, Status
from partners.models import InboundMessage, OutboundMessage
from tests.factories import make_lending

from .iso_helpers import error_of, post, ram, request, status_of

pytestmark = pytest.mark.django_db


def fresh(req):
    return LendingRequest.objects.get(pk=req.pk)


@pytest.fixture
def lend(library, peer):
    def make(status, **fields):
        fields.setdefault("borrower_request_id", "BRW-7")
        return make_lending(library, status, partner=peer, **fields)

    return make


def test_a_request_creates_a_lending_request_and_runs_locate_after_commit(peer, library, eager_celery,
                                                                          django_capture_on_commit_callbacks):
    with django_capture_on_commit_callbacks(execute=True):
        _, confirmation = post(request("BRW-1", service=ServiceType.COPY))
    assert status_of(confirmation) == "OK"
    assert confirmation.kind.value == "requestConfirmation"
    req = LendingRequest.objects.get()
    assert (req.partner, req.borrower_request_id, req.title, req.requested_format) == (
        peer, "BRW-1", "Gödel, Escher, Bach", "digital")
    assert (req.status, req.locate_status) == ("locate_failed", "not_located")  # nothing in our inventory
    assert InboundMessage.objects.get().request == req


def test_a_request_with_every_optional_part_missing_is_taken(peer, library, fake_create_incoming):
    body = request("BRW-2", title=None, service=None)
    root = etree.fromstring(body)
    for el in root.iter("{*}author"):
        el.getparent().remove(el)
    _, confirmation = post(etree.tostring(root))
    assert status_of(confirmation) == "OK"
    req = LendingRequest.objects.get()
    assert req.title == "[no title given]" and req.requested_format == "physical"


def test_a_repeated_request_id_while_the_first_is_open_creates_nothing(peer, library, fake_create_incoming):
    post(request("BRW-3"))
    _, confirmation = post(request("BRW-3"))  # a new timestamp: not the same message, the same request
    assert status_of(confirmation) == "OK"
    assert LendingRequest.objects.count() == 1
    assert "already have this request" in InboundMessage.objects.order_by("-id").first().outcome


def test_a_request_id_seen_before_on_a_rejected_request_is_a_new_request(lend, fake_create_incoming):
    lend("rejected", borrower_request_id="BRW-4")
    post(request("BRW-4"))
    assert LendingRequest.objects.filter(borrower_request_id="BRW-4").count() == 2


def test_received_renew_and_shipped_return(lend):
    req = lend("shipped_physically")
    _, confirmation = post(ram("BRW-7", Action.RECEIVED))
    assert status_of(confirmation) == "OK" and confirmation.action is Action.RECEIVED
    assert fresh(req).status == "received_by_partner"
    post(ram("BRW-7", Action.RENEW, "One more week please"))
    assert fresh(req).status == "renew_requested"
    assert Note.objects.filter(kind="from_partner", text="One more week please").exists()
    post(ram("BRW-7", Action.SHIPPED_RETURN))
    assert fresh(req).status == "returned_by_partner"


def test_the_supplying_request_id_picks_the_right_one_of_two(lend):
    old = lend("completed")
    new = lend("shipped_physically")
    post(ram("BRW-7", Action.RECEIVED, supplier_id=str(new.pk)))
    assert fresh(new).status == "received_by_partner" and fresh(old).status == "completed"


def test_cancel_before_shipping_waits_for_staff(lend):
    req = lend("created")
    post(ram("BRW-7", Action.CANCEL, "Patron found it"))
    assert fresh(req).status == "cancel_reply"
    assert not OutboundMessage.objects.exists()


def test_cancel_after_shipping_is_answered_no_at_once(lend):
    req = lend("shipped_physically")
    _, confirmation = post(ram("BRW-7", Action.CANCEL))
    assert status_of(confirmation) == "OK"
    assert fresh(req).status == "shipped_physically"
    out = OutboundMessage.objects.get()
    msg = parse(out.xml.encode())
    assert msg.message_info.reason_for_message.value == "CancelResponse"
    assert msg.message_info.answer_yes_no is False and msg.status_info.status is Status.LOANED


@pytest.mark.parametrize(("note", "status"), [
    ("#ReShareLoanConditionAgreeResponse# ACCEPT", "created"),
    ("accept", "created"),
    ("REJECT", "rejected"),
])
def test_the_borrower_answers_our_conditions_in_a_notification(lend, note, status):
    req = lend("conditional", conditional_reason="Library use only")
    _, confirmation = post(ram("BRW-7", Action.NOTIFICATION, note))
    assert status_of(confirmation) == "OK" and fresh(req).status == status


def test_a_cancel_while_conditional_declines_the_conditions(lend):
    req = lend("conditional", conditional_reason="Fee 10 EUR")
    post(ram("BRW-7", Action.CANCEL, "REJECT"))
    assert fresh(req).status == "rejected"


def test_a_status_request_is_answered_with_the_alma_mapping(lend):
    req = lend("renew_requested")
    _, confirmation = post(ram("BRW-7", Action.STATUS_REQUEST))
    assert status_of(confirmation) == "OK"
    msg = parse(OutboundMessage.objects.get().xml.encode())
    assert msg.message_info.reason_for_message.value == "StatusRequestResponse"
    assert msg.status_info.status is Status.LOANED
    assert msg.message_info.note.startswith("Status: Renew pending")
    assert msg.header.supplying_agency_request_id == str(req.pk)
    assert msg.header.requesting_agency_request_id == "BRW-7"


def test_a_notification_is_a_general_message(lend):
    req = lend("will_supply")
    post(ram("BRW-7", Action.NOTIFICATION, "Any news?"))
    assert fresh(req).has_active_message and GeneralMessage.objects.get().text == "Any news?"


def test_shipped_forward_is_unsupported(lend):
    lend("received_by_partner")
    _, confirmation = post(ram("BRW-7", Action.SHIPPED_FORWARD))
    assert error_of(confirmation)[0] == "UnsupportedActionType"


def test_unknown_ids_wrong_recipient_and_not_allowed_now(lend):
    req = lend("created")
    _, confirmation = post(ram("NOPE", Action.RECEIVED))
    assert "no request NOPE from you" in error_of(confirmation)[1]
    _, confirmation = post(ram("BRW-7", Action.RECEIVED, recipient=AgencyId("ISIL", "ZZ-SOMEONE")))
    assert "is not this library" in error_of(confirmation)[1]
    _, confirmation = post(ram("BRW-7", Action.SHIPPED_RETURN))
    assert error_of(confirmation) == ("UnrecognisedDataValue",
                                      f"Shipped return is not possible while request {req.pk} is "
                                      "“Created lending request”")
    assert fresh(req).status == "created"
