"""Malformed, hostile and unknown input to /iso18626: an ERROR confirmation (never a 500), logged."""

import logging

import pytest
from django.test import Client

from borrowing.models import BorrowingRequest
from illdesk import sides
from partners.iso18626 import MAX_MESSAGE_BYTES
from partners.iso18626.messages import AgencyId, ReasonForMessage, Status
from partners.models import InboundMessage
from tests.factories import make_borrowing

from .iso_helpers import error_of, post, sam, status_of

pytestmark = pytest.mark.django_db

XXE = b"""<?xml version="1.0"?>
<!DOCTYPE foo [<!ENTITY xxe SYSTEM "file:///etc/passwd">]>
<ISO18626Message xmlns="http://illtransactions.org/2013/iso18626"><request>&xxe;</request></ISO18626Message>"""
LAUGHS = b"""<?xml version="1.0"?>
<!DOCTYPE lolz [<!ENTITY lol "lol"><!ENTITY lol2 "&lol;&lol;&lol;&lol;&lol;&lol;&lol;&lol;&lol;&lol;">
<!ENTITY lol3 "&lol2;&lol2;&lol2;&lol2;&lol2;&lol2;&lol2;&lol2;&lol2;&lol2;">]>
<ISO18626Message xmlns="http://illtransactions.org/2013/iso18626"><request>&lol3;</request></ISO18626Message>"""
UTF16_DOCTYPE = '<?xml version="1.0" encoding="UTF-16"?><!DOCTYPE x [<!ENTITY a "b">]><ISO18626Message/>'.encode(
    "utf-16")


@pytest.mark.parametrize(("body", "error_type"), [
    (XXE, "BadlyFormedMessage"),
    (LAUGHS, "BadlyFormedMessage"),
    (UTF16_DOCTYPE, "BadlyFormedMessage"),
    (b"", "BadlyFormedMessage"),
    (b'{"request": {"title": "json"}}', "BadlyFormedMessage"),
    (b"<html><body>hello</body></html>", "BadlyFormedMessage"),
    (b"\x00\x01\x02\xff\xfe binary \x00", "BadlyFormedMessage"),
    (b"<ISO18626Message xmlns='http://illtransactions.org/2013/iso18626'><request>", "BadlyFormedMessage"),
    (b"<ISO18626Message xmlns='http://illtransactions.org/2013/iso18626'><frobnicate/></ISO18626Message>",
     "UnrecognisedDataElement"),
])
def test_hostile_and_malformed_bodies_get_an_error_confirmation_and_a_log_row(body, error_type, caplog):
    with caplog.at_level(logging.WARNING, logger="illdesk.iso18626"):
        _, confirmation = post(body)
    assert status_of(confirmation) == "ERROR"
    assert error_of(confirmation)[0] == error_type
    log = InboundMessage.objects.get()
    assert log.message_status == "ERROR" and log.error_type == error_type and log.raw_size == len(body)
    assert "\x00" not in log.raw  # PostgreSQL text cannot hold NUL
    assert "refused" in caplog.text
    assert b"root:" not in log.confirmation_xml.encode()  # nothing of /etc/passwd came back


def test_an_oversized_body_is_refused_without_reading_it_all():
    body = b"<ISO18626Message>" + b" " * (MAX_MESSAGE_BYTES + 10) + b"</ISO18626Message>"
    _, confirmation = post(body)
    assert error_of(confirmation)[0] == "BadlyFormedMessage"
    log = InboundMessage.objects.get()
    assert log.raw_size == MAX_MESSAGE_BYTES + 1 and len(log.raw) <= MAX_MESSAGE_BYTES


def test_get_is_not_allowed():
    response = Client().get("/iso18626")
    assert response.status_code == 405 and response["Allow"] == "POST"


def test_a_stranger_and_an_inactive_partner_are_refused(peer, library):
    _, confirmation = post(sam(1, Status.LOANED, sender=AgencyId("ISIL", "XX-NOBODY")))
    assert error_of(confirmation) == ("UnrecognisedDataValue",
                                      "header/supplyingAgencyId: ISIL:XX-NOBODY is not a partner of this library")
    peer.active = False
    peer.save()
    req = make_borrowing(library, "sent", partner=peer)
    _, confirmation = post(sam(req.pk, Status.LOANED))
    assert "not active" in error_of(confirmation)[1]
    assert BorrowingRequest.objects.get(pk=req.pk).status == "sent"


@pytest.fixture
def secret_peer(peer, library):
    peer.shared_secret = "s3cret"
    peer.save()
    return make_borrowing(library, "sent", partner=peer)


def test_a_shared_secret_is_required_when_the_partner_has_one(secret_peer):
    _, confirmation = post(sam(secret_peer.pk, Status.WILL_SUPPLY, ReasonForMessage.REQUEST_RESPONSE))
    assert error_of(confirmation) == ("UnrecognisedDataValue",
                                      "header/requestingAgencyAuthentication: the shared secret is missing or wrong")
    _, confirmation = post(sam(secret_peer.pk, Status.WILL_SUPPLY, ReasonForMessage.REQUEST_RESPONSE),
                           HTTP_AUTHORIZATION="Bearer wrong")
    assert status_of(confirmation) == "ERROR"
    assert BorrowingRequest.objects.get(pk=secret_peer.pk).status == "sent"


@pytest.mark.parametrize("how", ["bearer", "header", "xml"])
def test_the_secret_may_come_as_a_header_or_in_the_message(secret_peer, how):
    body = sam(secret_peer.pk, Status.WILL_SUPPLY, ReasonForMessage.REQUEST_RESPONSE)
    headers = {}
    if how == "bearer":
        headers["HTTP_AUTHORIZATION"] = "Bearer s3cret"
    elif how == "header":
        headers["HTTP_X_ISO18626_SHARED_SECRET"] = "s3cret"
    else:
        body = body.replace(b"</ill:supplyingAgencyRequestId>",
                            b"</ill:supplyingAgencyRequestId><ill:requestingAgencyAuthentication>"
                            b"<ill:securityCode>s3cret</ill:securityCode></ill:requestingAgencyAuthentication>")
    _, confirmation = post(body, **headers)
    assert status_of(confirmation) == "OK"
    assert BorrowingRequest.objects.get(pk=secret_peer.pk).status == "will_supply"
    if how == "xml":
        assert "s3cret" not in InboundMessage.objects.get().display_raw


def test_a_bug_on_our_side_is_an_error_confirmation_not_a_500(peer, library, monkeypatch, caplog):
    req = make_borrowing(library, "sent", partner=peer)

    def explode(msg, partner):
        raise RuntimeError("boom")

    monkeypatch.setitem(sides.get("borrowing").iso_handlers, "supplyingAgencyMessage", explode)
    with caplog.at_level(logging.ERROR, logger="illdesk.iso18626"):
        _, confirmation = post(sam(req.pk, Status.LOANED))
    assert status_of(confirmation) == "ERROR"
    assert "internal error" in error_of(confirmation)[1]
    assert "boom" in caplog.text
    assert InboundMessage.objects.get().message_status == "ERROR"
