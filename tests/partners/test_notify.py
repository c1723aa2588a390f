"""notify_partner: ISO partners get a valid message in the outbox, email partners the letter, manual
partners a to-do in the history."""

from datetime import date
from decimal import Decimal

import pytest

from borrowing.iso import sam_event
from illdesk import sides
from illdesk.models import HistoryEvent
from partners.iso18626 import parse, validate
from partners.messaging import mapping
from partners.models import OutboundMessage, Partner
from partners.notify import notify_partner
from tests.factories import make_borrowing, make_lending

pytestmark = pytest.mark.django_db

DETAILS = {
    "notification": {"text": "Hello there"},
    "conditional_answer": {"accepted": True},
    "unfilled": {"reason": "NotOnShelf"},
    "conditional": {"reason": "Library use only", "reply_by": "2030-01-31", "cost": "7.50"},
    "renew_response": {"accepted": True, "due_date": "2030-02-01"},
    "cancel_response": {"accepted": False},
    "recalled": {"due_date": date(2030, 1, 10)},
}


@pytest.mark.parametrize("event", sorted(mapping.BORROWER_EVENTS))
def test_every_borrowing_event_becomes_a_valid_iso_message(event, library, peer, patron):
    req = make_borrowing(library, "sent", partner=peer, requester=patron, isbn="9780465026562",
                         oclc_number="123", cost=Decimal("20.00"), due_date=date(2030, 1, 1))
    notify_partner(req, event, note="a note", **DETAILS.get(event, {}))
    out = OutboundMessage.objects.get()
    assert out.state == "queued", out.last_error
    assert validate(out.xml.encode()) == []
    msg = parse(out.xml.encode())
    assert msg.header.requesting_agency_request_id == str(req.pk)
    assert str(msg.header.requesting_agency_id) == "ISIL:ZZ-ILLDESK"
    assert str(msg.header.supplying_agency_id) == "ISIL:ZZ-PEER"
    assert req.history.filter(kind=HistoryEvent.Kind.PARTNER_DATA, new_value__startswith="→").exists()


@pytest.mark.parametrize("event", sorted(mapping.LENDER_EVENTS))
def test_every_lending_event_becomes_a_valid_iso_message(event, library, peer):
    req = make_lending(library, "received_by_partner", partner=peer, borrower_request_id="77",
                       due_date=date(2030, 1, 1))
    notify_partner(req, event, note="a note", **DETAILS.get(event, {}))
    out = OutboundMessage.objects.get()
    assert out.state == "queued", out.last_error
    msg = parse(out.xml.encode())
    assert msg.header.requesting_agency_request_id == "77"
    assert msg.header.supplying_agency_request_id == str(req.pk)
    reason, status = mapping.LENDER_EVENTS[event]
    assert msg.message_info.reason_for_message is reason
    if status is not None:
        assert msg.status_info.status is status


def test_conditions_travel_in_the_note_and_as_offered_costs(library, peer):
    req = make_lending(library, "conditional", partner=peer)
    notify_partner(req, "conditional", note="Ask us", **DETAILS["conditional"])
    msg = parse(OutboundMessage.objects.get().xml.encode())
    assert msg.message_info.note == "Condition: Library use only, Cost: 7.50 EUR, Reply by: 2030-01-31, Ask us"
    assert msg.message_info.offered_costs.monetary_value == Decimal("7.50")
    # and our own borrowing side reads it back as conditions
    assert sam_event(msg.message_info.reason_for_message, msg.status_info.status, None,
                             note=msg.message_info.note, offered_costs=True) == "Conditions"


def test_the_lenders_request_id_is_echoed_back_once_known(library, peer):
    from partners.iso18626.messages import Status

    from .iso_helpers import post, sam

    req = make_borrowing(library, "sent", partner=peer)
    post(sam(req.pk, Status.WILL_SUPPLY, supplier_id="LEND-42"))
    notify_partner(req, "status_request")
    assert parse(OutboundMessage.objects.get().xml.encode()).header.supplying_agency_request_id == "LEND-42"


@pytest.fixture
def letters(monkeypatch):
    api = pytest.importorskip("letters.api")
    sent = []
    monkeypatch.setattr(api, "send_letter", lambda code, **kw: sent.append((code, kw)))
    return sent


@pytest.mark.parametrize(("side", "event", "code"), [
    ("borrowing", "request", "partner_request"),
    ("borrowing", "notification", "general_message"),
    ("borrowing", "renew", "partner_communication"),
    ("lending", "loaned", "lender_ship"),
    ("lending", "unfilled", "lender_reject"),
    ("lending", "loan_completed", "lender_checked_in"),
    ("lending", "overdue", "borrower_overdue"),
    ("lending", "will_supply", "partner_communication"),
])
def test_email_partners_get_the_matching_letter(side, event, code, letters, library, email_partner):
    email_partner.language = "fi"
    email_partner.save()
    make = make_borrowing if side == "borrowing" else make_lending
    req = make(library, "sent" if side == "borrowing" else "received_by_partner", partner=email_partner,
               due_date=date(2020, 1, 1))
    notify_partner(req, event, note="Kiitos", **DETAILS.get(event, {}))
    assert not OutboundMessage.objects.exists()
    (got, kwargs), = letters
    assert got == code == sides.get(side).partner_letters.get(event, "partner_communication")
    assert kwargs["to"] == ["ill@mail.example.org"] and kwargs["language"] == "fi" and kwargs["request"] == req
    assert kwargs["context"]["subject"] and kwargs["context"]["body"]
    assert kwargs["context"]["note"] == "Kiitos"


def test_a_letter_that_cannot_be_sent_leaves_a_visible_trace(monkeypatch, library, email_partner):
    api = pytest.importorskip("letters.api")

    def smtp_down(*args, **kwargs):
        raise ConnectionError("SMTP down")

    monkeypatch.setattr(api, "send_letter", smtp_down)
    req = make_lending(library, "created", partner=email_partner)
    notify_partner(req, "will_supply")
    assert req.history.filter(message__contains="SMTP down").exists()
    assert req.alerts.exists()


@pytest.mark.parametrize("profile_type", ["ncip_p2p", "external"])
def test_manual_partners_get_a_to_do_in_the_history(profile_type, library, bare_profile):
    partner = Partner.objects.create(code="MAN", name="Manual Library", profile_type=profile_type,
                                     workflow_profile=bare_profile)
    req = make_borrowing(library, "sent", partner=partner)
    notify_partner(req, "renew", note="two weeks")
    event = req.history.get(kind=HistoryEvent.Kind.PARTNER_DATA)
    assert "Tell them by hand: We ask to renew this loan — two weeks" in event.message
    assert not OutboundMessage.objects.exists()


def test_no_partner_and_unknown_events(library):
    req = make_borrowing(library, "created")
    notify_partner(req, "request")
    assert req.history.filter(message__contains="No active partner").exists()
    with pytest.raises(ValueError, match="unknown borrowing event"):
        notify_partner(req, "loaned")


@pytest.mark.parametrize("requested_format", ["physical", "digital", "physical_non_returnable"])
def test_our_request_reads_back_as_the_same_lending_request(requested_format, library, peer, patron):
    from lending.iso import request_fields
    from partners.iso18626 import serialize
    from partners.messaging.outgoing import build_request

    req = make_borrowing(library, "sent", partner=peer, requester=patron, isbn="9780465026562", issn="",
                         request_type="chapter", chapter_title="Chapter 3", pages="10-20", volume="2",
                         requested_format=requested_format, request_note="Urgent", needed_by=date(2030, 5, 1))
    fields = request_fields(parse(serialize(build_request(req, peer, note="Thanks"))))
    assert fields["borrower_request_id"] == str(req.pk)
    assert (fields["title"], fields["isbn"], fields["chapter_title"], fields["pages"], fields["volume"]) == (
        req.title, "9780465026562", "Chapter 3", "10-20", "2")
    assert fields["requested_format"] == requested_format and fields["request_type"] == "chapter"
    assert fields["requester_name"] == "Pia Patron" and fields["needed_by"] == date(2030, 5, 1)
    assert "Urgent" in fields["request_note"] and "Thanks" in fields["request_note"]
