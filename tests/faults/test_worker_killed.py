"""`kill -9` of the Celery worker while it waits for the partner's answer: the message stays visibly
"Sending" (one attempt) while the dead worker's claim holds, then shows among the delivery problems,
and beat's sweeper hands it to a new worker, which sends it: the partner gets the same message again
(at-least-once, the second attempt on record), it is never lost, and no second message is made."""

from __future__ import annotations

import re

from django.utils import timezone

from partners.models import OutboundMessage

from .services import ON_POSTGRESQL_TEST_DATABASE, beat, wait_until

pytestmark = ON_POSTGRESQL_TEST_DATABASE
TIMINGS = {"ILLDESK_ISO_TIMEOUT_SECONDS": 5, "ILLDESK_ISO_CLAIM_SECONDS": 12}


def test_a_message_whose_worker_was_killed_mid_send_is_sent_by_the_next_worker(redis, queue, start_worker, staff,
                                                                                peer, iso_request):
    first = start_worker("first", **TIMINGS)
    peer.script.append(("hang", 30))  # the partner takes its time: the worker is killed while it waits

    status, _body, _ = staff.post(f"/borrowing/{iso_request.pk}/dialog/general_message/", {"text": "Any news?"})
    assert status == 302
    msg = OutboundMessage.objects.get(object_id=iso_request.pk)
    wait_until(lambda: peer.received, "the worker posting the message", timeout=90, logs=(first,))
    first.kill9()

    msg.refresh_from_db()
    assert (msg.state, msg.attempts) == ("sending", 1) and msg.claimed_until > timezone.now()
    page = staff.get(f"/iso18626/messages/borrowing/{iso_request.pk}/")[1]
    assert re.search(r"Sending</span> · 1 attempt\b", page)
    assert f'id="problem-{msg.pk}"' not in staff.get("/iso18626/problems/")[1]

    second = start_worker("second", **TIMINGS).ready()
    # While the claim holds the sweeper leaves the message alone: its worker may only be slow.
    beat(redis.url, queue, "partners.retry_due_messages")
    wait_until(lambda: re.search(r"retry_due_messages\[.*\] succeeded in .*: 0$", second.log_text(), re.M),
               "the sweeper's first round", timeout=30, logs=(second,))
    assert timezone.now() < msg.claimed_until, "the new worker took so long to start that the claim expired"
    assert OutboundMessage.objects.get(pk=msg.pk).state == "sending" and len(peer.received) == 1

    wait_until(lambda: timezone.now() > msg.claimed_until, "the dead worker's claim expiring", timeout=30)
    problems = staff.get("/iso18626/problems/")[1]
    assert f'id="problem-{msg.pk}"' in problems  # sending for too long: staff see it
    beat(redis.url, queue, "partners.retry_due_messages")
    wait_until(lambda: OutboundMessage.objects.filter(pk=msg.pk, state="sent").exists(),
               "the new worker sending the message", timeout=30, logs=(second,))

    msg.refresh_from_db()
    assert (msg.attempts, msg.http_status) == (2, 200)
    assert OutboundMessage.objects.filter(object_id=iso_request.pk).count() == 1
    assert [body for _headers, body in peer.received] == [msg.xml.encode()] * 2
    assert f'id="problem-{msg.pk}"' not in staff.get("/iso18626/problems/")[1]
