"""Redis (broker and cache) down while staff work: logging in, the task list, the request page and a
staff action all still answer, quickly; the ISO message and the letter the action queued wait in their
outboxes, and when Redis is back the sweepers beat sends deliver them, once each."""

from __future__ import annotations

import time

from letters.models import SentLetter
from partners.models import OutboundMessage

from .services import ON_POSTGRESQL_TEST_DATABASE, Browser, beat, wait_until

pytestmark = ON_POSTGRESQL_TEST_DATABASE
SWEEPERS = ("partners.retry_due_messages", "letters.tasks.sweep_outbox")


def timed(call, *args, **kwargs):
    started = time.monotonic()
    result = call(*args, **kwargs)
    return result, time.monotonic() - started


def test_a_crashed_redis_stops_no_one_and_loses_nothing(web, redis, queue, start_worker, operator, peer, inbox,
                                                         iso_request):
    worker = start_worker(EMAIL_URL=inbox.url, ILLDESK_ISO_SWEEP_GRACE_SECONDS=0).ready()
    redis.crash()  # and with it every task it held: it keeps nothing on disk

    staff = Browser(web.base)
    _none, took = timed(staff.login, "operator", "operator")  # failed-login counts live in the cache
    assert took < 15
    for path in ("/borrowing/", f"/borrowing/{iso_request.pk}/"):
        (status, _body), took = timed(staff.get, path)
        assert (path, status) == (path, 200) and took < 15
    (status, body, _location), took = timed(staff.post, f"/borrowing/{iso_request.pk}/dialog/receive/",
                                            {"received_format": "physical"})
    assert status == 302, body[-2000:]
    assert took < 20

    iso_request.refresh_from_db()
    assert iso_request.status == "received_physically"
    msg = OutboundMessage.objects.get(object_id=iso_request.pk)
    letter = SentLetter.objects.get(object_id=iso_request.pk, code="patron_ready_for_pickup")
    assert (msg.state, msg.attempts, letter.state, letter.attempts) == ("queued", 0, "queued", 0)
    assert not peer.received and not inbox.messages

    redis.start()  # empty: whatever was enqueued before the crash is gone
    beat(redis.url, queue, *SWEEPERS)
    wait_until(lambda: OutboundMessage.objects.filter(pk=msg.pk, state="sent").exists()
               and SentLetter.objects.filter(pk=letter.pk, state="sent").exists(),
               "the message and the letter delivered by the sweepers", timeout=60, logs=(worker, web.process))
    assert len(peer.received) == 1 and peer.received[0][1] == msg.xml.encode()
    assert [to for to, _content in inbox.messages] == [["pia@example.org"]]


def test_a_frozen_redis_does_not_hang_the_pages(web, redis, queue, start_worker, staff, peer, iso_request):
    """SIGSTOP: the kernel still accepts connections but Redis never answers (a hung or partitioned
    server). Without timeouts every cache read and every enqueue would wait forever."""
    worker = start_worker(ILLDESK_ISO_SWEEP_GRACE_SECONDS=0).ready()
    redis.freeze()

    (status, body, _location), took = timed(staff.post, f"/borrowing/{iso_request.pk}/dialog/general_message/",
                                            {"text": "Is it on its way?"})
    assert status == 302, body[-2000:]
    assert took < 20  # one enqueue gives up after two 2 s socket timeouts
    for path in ("/borrowing/", f"/borrowing/{iso_request.pk}/"):
        (status, _body), took = timed(staff.get, path)
        assert (path, status) == (path, 200) and took < 15
    msg = OutboundMessage.objects.get(object_id=iso_request.pk)
    assert msg.state == "queued" and not peer.received

    redis.thaw()
    beat(redis.url, queue, *SWEEPERS)
    wait_until(lambda: OutboundMessage.objects.filter(pk=msg.pk, state="sent").exists(),
               "the message delivered by the sweeper", timeout=60, logs=(worker, web.process))
    time.sleep(1)  # an enqueue that reached Redis after all, late, must not send it again
    assert len(peer.received) == 1
