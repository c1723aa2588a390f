"""The outbox: delivery after commit, retries with backoff against a peer that fails then works,
ERROR confirmations as failures, ordering, the sweeper when nothing could be enqueued, staff retry."""

import logging
from datetime import timedelta

import pytest
import time_machine
from django.urls import reverse
from django.utils import timezone

from illdesk.models import Alert
from partners.iso18626 import parse
from partners.messaging import outbox
from partners.models import OutboundMessage
from partners.notify import notify_partner
from partners.tasks import deliver_outbound, retry_due_messages
from tests.factories import make_borrowing

pytestmark = pytest.mark.django_db
State = OutboundMessage.State


@pytest.fixture
def req(library, peer, peer_server, eager_celery):
    peer.iso_endpoint = peer_server.url
    peer.save()
    return make_borrowing(library, "renew_requested", partner=peer)


def send(req, django_capture_on_commit_callbacks, event="renew", **details):
    with django_capture_on_commit_callbacks(execute=True):
        notify_partner(req, event, note="please", **details)
    return OutboundMessage.objects.order_by("-id").first()


def fresh(msg):
    return OutboundMessage.objects.get(pk=msg.pk)


def test_it_is_delivered_after_commit_and_the_confirmation_kept(req, peer_server,
                                                                 django_capture_on_commit_callbacks):
    msg = send(req, django_capture_on_commit_callbacks)
    msg = fresh(msg)
    assert msg.state == State.SENT and msg.attempts == 1 and msg.sent_at and msg.http_status == 200
    headers, body = peer_server.received[0]
    assert headers["Content-Type"].startswith("application/xml") and "Authorization" not in headers
    sent = parse(body)
    assert sent.action.value == "Renew" and sent.note == "please"
    assert sent.header.requesting_agency_request_id == str(req.pk)
    assert parse(msg.response_xml.encode()).confirmation_header.message_status.value == "OK"


def test_nothing_is_sent_when_the_transaction_rolls_back(req, peer_server, django_capture_on_commit_callbacks):
    from django.db import transaction

    with django_capture_on_commit_callbacks(execute=True) as callbacks:
        try:
            with transaction.atomic():
                notify_partner(req, "renew")
                raise RuntimeError("the action failed")
        except RuntimeError:
            pass
    assert not callbacks and not OutboundMessage.objects.exists() and not peer_server.received


def test_the_shared_secret_goes_in_the_authorization_header(req, peer, peer_server,
                                                            django_capture_on_commit_callbacks):
    peer.shared_secret = "s3cret"
    peer.save()
    send(req, django_capture_on_commit_callbacks)
    assert peer_server.received[0][0]["Authorization"] == "Bearer s3cret"


def test_a_peer_that_fails_then_works_gets_it_on_the_retry(req, peer_server, django_capture_on_commit_callbacks):
    peer_server.script = ["500", "ok"]
    with time_machine.travel(timezone.now(), tick=False) as clock:
        msg = fresh(send(req, django_capture_on_commit_callbacks))
        assert msg.state == State.RETRYING and msg.attempts == 1 and "HTTP 500" in msg.last_error
        assert msg.next_attempt_at == timezone.now() + timedelta(seconds=30)
        assert retry_due_messages() == 0  # not due yet
        clock.shift(timedelta(seconds=31))
        assert retry_due_messages() == 1
    msg = fresh(msg)
    assert msg.state == State.SENT and msg.attempts == 2 and len(peer_server.received) == 2


def test_backoff_doubles_then_the_message_fails_visibly(req, peer_server, settings,
                                                        django_capture_on_commit_callbacks):
    settings.ILLDESK_ISO_MAX_ATTEMPTS = 4
    peer_server.script = ["500", "garbage", "redirect", "500"]
    waits = []
    with time_machine.travel(timezone.now(), tick=False) as clock:
        msg = send(req, django_capture_on_commit_callbacks)
        for _ in range(3):
            msg = fresh(msg)
            waits.append((msg.next_attempt_at - timezone.now()).total_seconds())
            clock.shift(msg.next_attempt_at - timezone.now())
            retry_due_messages()
    msg = fresh(msg)
    assert waits == [30, 60, 120]
    assert msg.state == State.FAILED and msg.attempts == 4
    assert Alert.objects.filter(text__contains="failed").exists()
    assert req.history.filter(new_value__startswith="✗").exists()
    assert outbox.backoff_seconds(20) == 3600  # capped


def test_a_timeout_is_a_failure_to_retry(req, peer_server, settings, django_capture_on_commit_callbacks):
    settings.ILLDESK_ISO_TIMEOUT_SECONDS = 1
    peer_server.script = [("hang", 2)]
    msg = fresh(send(req, django_capture_on_commit_callbacks))
    assert msg.state == State.RETRYING and "timed out" in msg.last_error


def test_an_error_confirmation_from_the_peer_is_a_failure(req, peer_server, django_capture_on_commit_callbacks):
    peer_server.script = ["error"]
    msg = fresh(send(req, django_capture_on_commit_callbacks))
    assert msg.state == State.FAILED and msg.attempts == 1
    assert "UnrecognisedDataValue: we do not know that request" in msg.last_error
    assert Alert.objects.exists()


def test_nothing_is_lost_when_the_task_cannot_be_enqueued(req, peer_server, monkeypatch, caplog,
                                                         django_capture_on_commit_callbacks):
    def broker_down(*args, **kwargs):
        raise ConnectionError("Redis is down")

    monkeypatch.setattr(deliver_outbound, "delay", broker_down)
    with caplog.at_level(logging.WARNING, logger="illdesk.iso18626"):
        msg = fresh(send(req, django_capture_on_commit_callbacks))
    assert msg.state == State.QUEUED and not peer_server.received
    assert "sweeper" in caplog.text
    assert outbox.retry_due() == 0  # a grace period first, in case the task is merely slow
    with time_machine.travel(timezone.now() + timedelta(seconds=20)):
        assert outbox.retry_due() == 1
    assert fresh(msg).state == State.SENT and len(peer_server.received) == 1


def test_a_worker_that_died_mid_send_is_taken_over(req, peer_server, django_capture_on_commit_callbacks):
    peer_server.script = ["500"]
    msg = send(req, django_capture_on_commit_callbacks)
    OutboundMessage.objects.filter(pk=msg.pk).update(state=State.SENDING,
                                                     claimed_until=timezone.now() - timedelta(seconds=1))
    assert outbox.retry_due() == 1
    assert fresh(msg).state == State.SENT


def test_messages_to_one_partner_about_one_request_go_in_order(req, peer_server,
                                                              django_capture_on_commit_callbacks):
    peer_server.script = ["500"]
    first = fresh(send(req, django_capture_on_commit_callbacks, event="renew"))
    assert first.state == State.RETRYING
    second = send(req, django_capture_on_commit_callbacks, event="notification", text="and this")
    assert fresh(second).state == State.QUEUED  # waits behind the first
    assert outbox.deliver(second.pk) == "waiting"
    with time_machine.travel(timezone.now() + timedelta(seconds=31)):
        with django_capture_on_commit_callbacks(execute=True):
            outbox.deliver(first.pk)
    assert fresh(first).state == State.SENT and fresh(second).state == State.SENT
    assert [parse(b).action.value for _, b in peer_server.received] == ["Renew", "Renew", "Notification"]


def test_a_sent_message_is_never_sent_again(req, peer_server, django_capture_on_commit_callbacks):
    msg = send(req, django_capture_on_commit_callbacks)
    assert outbox.deliver(msg.pk) == State.SENT
    assert len(peer_server.received) == 1


def test_a_partner_without_an_agency_id_or_endpoint_fails_at_once(library, peer, eager_celery,
                                                                 django_capture_on_commit_callbacks):
    peer.agency_id_value = ""
    peer.save()
    req = make_borrowing(library, "renew_requested", partner=peer)
    msg = send(req, django_capture_on_commit_callbacks)
    assert msg.state == State.FAILED and "no ISO agency id" in msg.last_error and not msg.xml
    peer.agency_id_value = "ZZ-PEER"
    peer.iso_endpoint = ""
    peer.save()
    msg2 = send(req, django_capture_on_commit_callbacks)
    assert fresh(msg2).state == State.FAILED and "no ISO 18626 endpoint" in fresh(msg2).last_error


def test_staff_retry_rebuilds_and_sends(client, operator, library, peer, peer_server, eager_celery,
                                        django_capture_on_commit_callbacks):
    peer.agency_id_value = ""
    peer.save()
    req = make_borrowing(library, "renew_requested", partner=peer)
    msg = send(req, django_capture_on_commit_callbacks)
    client.force_login(operator)
    page = client.get(reverse("partners:delivery_problems"))
    assert page.status_code == 200 and f'id="problem-{msg.pk}"' in page.content.decode()
    peer.agency_id_value, peer.iso_endpoint = "ZZ-PEER", peer_server.url
    peer.save()
    with django_capture_on_commit_callbacks(execute=True):
        response = client.post(reverse("partners:retry_message", args=[msg.pk]))
    assert response.status_code == 302
    msg = fresh(msg)
    assert msg.state == State.SENT and msg.xml and len(peer_server.received) == 1
    assert f'id="problem-{msg.pk}"' not in client.get(reverse("partners:delivery_problems")).content.decode()
    assert req.history.filter(new_value__startswith="↻").exists()


def test_the_problems_page_is_for_operators(client, outsider):
    url = reverse("partners:delivery_problems")
    assert client.get(url).status_code == 302  # to the login page
    client.force_login(outsider)
    assert client.get(url).status_code == 403
    assert client.post(reverse("partners:retry_message", args=[1])).status_code == 403


def test_the_request_messages_page_shows_both_directions(client, operator, req, peer_server,
                                                         django_capture_on_commit_callbacks):
    from partners.iso18626.messages import Status

    from .iso_helpers import post, sam

    send(req, django_capture_on_commit_callbacks)
    post(sam(req.pk, Status.LOANED, __import__("partners.iso18626.messages", fromlist=["x"]).ReasonForMessage
             .RENEW_RESPONSE, answer=True))
    client.force_login(operator)
    url = reverse("partners:request_messages", args=["borrowing", req.pk])
    page = client.get(url).content.decode()
    assert "Renew" in page and "RenewResponse Loaned Y" in page and "Sent" in page and "Received" in page
    partial = client.get(url, HTTP_HX_REQUEST="true").content.decode()
    assert "<html" not in partial and "RenewResponse" in partial
    assert client.get(reverse("partners:request_messages", args=["nope", req.pk])).status_code == 404
