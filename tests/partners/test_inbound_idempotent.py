"""Re-delivery of the same message: the same confirmation, nothing done twice."""

import pytest
from lxml import etree

from illdesk.models import GeneralMessage
from lending.models import LendingRequest
from partners.iso18626 import parse
from partners.iso18626.messages import Action, ReasonForMessage, Status
from partners.messaging import inbound
from partners.models import InboundMessage
from tests.factories import make_borrowing, make_lending

from .iso_helpers import post, ram, request, sam, status_of

pytestmark = pytest.mark.django_db


def test_the_same_bytes_twice_are_answered_alike_and_acted_on_once(peer, library):
    make_lending(library, "will_supply", partner=peer, borrower_request_id="B-1")
    body = ram("B-1", Action.NOTIFICATION, "Hello")
    first, _ = post(body)
    second, confirmation = post(body)
    assert status_of(confirmation) == "OK"
    assert first.content == second.content
    assert GeneralMessage.objects.count() == 1
    original, repeat = InboundMessage.objects.order_by("id")
    assert original.acted and not repeat.acted and repeat.duplicate_of == original
    assert repeat.request == original.request


def test_a_re_serialised_copy_of_the_same_message_is_still_the_same_message(peer, library):
    req = make_borrowing(library, "sent", partner=peer)
    body = sam(req.pk, Status.WILL_SUPPLY, ReasonForMessage.NOTIFICATION, note="Condition: Fee")
    post(body)
    root = etree.fromstring(body)
    etree.cleanup_namespaces(root)
    other = etree.tostring(root, pretty_print=False).replace(b"ill:", b"ns9:").replace(b"xmlns:ill", b"xmlns:ns9")
    assert other != body
    _, confirmation = post(other)
    assert status_of(confirmation) == "OK"
    assert InboundMessage.objects.filter(acted=True).count() == 1
    assert InboundMessage.objects.filter(duplicate_of__isnull=False).count() == 1


def test_a_repeated_request_creates_one_lending_request(peer, library, fake_create_incoming):
    body = request("B-9")
    post(body)
    post(body)
    assert LendingRequest.objects.count() == 1


def test_a_message_refused_before_is_tried_again_on_redelivery(peer, library):
    req = make_borrowing(library, "created", partner=peer)
    body = sam(req.pk, Status.LOANED)
    _, confirmation = post(body)
    assert status_of(confirmation) == "ERROR"
    type(req).objects.filter(pk=req.pk).update(status="sent")
    _, confirmation = post(body)
    assert status_of(confirmation) == "OK"
    assert type(req).objects.get(pk=req.pk).status == "shipped_physically"


def test_two_copies_arriving_at_once_act_once(peer, library, monkeypatch):
    """Another worker commits the same message between our look-up and our commit: the unique
    constraint stops us, our changes roll back, and we answer with the other's confirmation."""
    make_lending(library, "will_supply", partner=peer, borrower_request_id="B-2")
    body = ram("B-2", Action.NOTIFICATION, "Hi")
    InboundMessage.objects.create(idempotency_key=inbound.idempotency_key(parse(body)), acted=True,
                                  confirmation_xml="<copy/>", kind="requestingAgencyMessage")
    real, calls = inbound.acted_on, []

    def first_look_misses(key):
        calls.append(key)
        return None if len(calls) == 1 else real(key)

    monkeypatch.setattr(inbound, "acted_on", first_look_misses)
    answer = inbound.receive(body, remote_addr="127.0.0.1")
    assert answer.xml == b"<copy/>" and len(calls) == 2
    assert not GeneralMessage.objects.exists()  # our own handling was rolled back
    assert answer.log.duplicate_of is not None
