"""The partner's endpoint answers HTTP 500, sleeps past our timeout, answers something that is not ISO
18626, then is down altogether: a real worker retries the message through Redis, waiting longer each
time, then marks it failed where staff look (the request's messages, the delivery problems list, an
alert). Once the partner is back, staff retry and the same message goes out: nothing lost, nothing new."""

from __future__ import annotations

from illdesk.models import Alert
from partners.models import OutboundMessage

from .services import ON_POSTGRESQL_TEST_DATABASE, wait_until

pytestmark = ON_POSTGRESQL_TEST_DATABASE


def test_each_kind_of_partner_failure_is_retried_with_backoff_then_failed_visibly(staff, start_worker, peer,
                                                                                  iso_request):
    worker = start_worker(ILLDESK_ISO_TIMEOUT_SECONDS=1, ILLDESK_ISO_RETRY_BASE_SECONDS=1, ILLDESK_ISO_MAX_ATTEMPTS=4)
    peer.script.extend(["500", ("hang", 3), "garbage"])  # the fourth attempt finds the peer down

    status, _body, _ = staff.post(f"/borrowing/{iso_request.pk}/dialog/general_message/", {"text": "Any news?"})
    assert status == 302
    msg = OutboundMessage.objects.get(object_id=iso_request.pk)

    seen: list[tuple] = []  # every attempt's outcome as staff could see it: attempts, state, error, next attempt

    def failed() -> bool:
        row = OutboundMessage.objects.values_list("attempts", "state", "last_error", "next_attempt_at").get(pk=msg.pk)
        if row[1] in ("retrying", "failed") and (not seen or seen[-1][:2] != row[:2]):
            seen.append(row)
            if row[0] == 3:
                peer.down()
        return row[1] == "failed"

    wait_until(failed, "the message failing after four attempts", timeout=90, interval=0.05, logs=(worker,))

    assert [row[:2] for row in seen] == [(1, "retrying"), (2, "retrying"), (3, "retrying"), (4, "failed")]
    errors = [row[2] for row in seen]
    assert "HTTP 500" in errors[0]
    assert "timed out" in errors[1]
    assert "not an ISO 18626 confirmation" in errors[2]
    assert "Connection refused" in errors[3]
    # The waits double (1 s, 2 s, 4 s): as the peer saw the attempts come, and as the worker planned them.
    first, second, third = peer.arrivals
    assert second - first >= 1
    assert third - second >= 1 + 2  # the 1 s timeout, then the 2 s wait
    planned = [row[3] for row in seen[:3]]
    assert (planned[1] - planned[0]).total_seconds() >= 2 and (planned[2] - planned[1]).total_seconds() >= 4
    assert all(body == msg.xml.encode() for _headers, body in peer.received)

    msg.refresh_from_db()
    assert msg.next_attempt_at is None and msg.sent_at is None
    assert Alert.objects.filter(object_id=iso_request.pk, text__contains="Connection refused").exists()
    assert "✗ Peer University" in staff.get(f"/borrowing/{iso_request.pk}/tab/history/")[1]
    _status, problems = staff.get("/iso18626/problems/")
    row = problems.split(f'id="problem-{msg.pk}"')[1].split("</tr>")[0]
    assert "Failed" in row and "Connection refused" in row and "<td>4</td>" in row
    # The request page's "Partner messages" tab (loaded with htmx).
    _status, page = staff.get(f"/iso18626/messages/borrowing/{iso_request.pk}/")
    assert "Failed</span> · 4 attempts" in page and "Retry" in page

    peer.up()
    status, _body, _ = staff.post(f"/iso18626/problems/{msg.pk}/retry/")
    assert status == 302
    wait_until(lambda: OutboundMessage.objects.filter(pk=msg.pk, state="sent").exists(),
               "the retried message delivered", timeout=30, logs=(worker,))

    msg.refresh_from_db()
    assert (msg.attempts, msg.http_status) == (1, 200)
    assert OutboundMessage.objects.filter(object_id=iso_request.pk).count() == 1
    assert len(peer.received) == 4 and peer.received[3][1] == msg.xml.encode()
    assert iso_request.history.filter(new_value__startswith="↻").exists()
    assert f'id="problem-{msg.pk}"' not in staff.get("/iso18626/problems/")[1]
