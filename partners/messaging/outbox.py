"""The outbox: ISO 18626 messages written with the change they report, delivered by Celery.

    queue(req, partner, event, …)  builds the message and stores an OutboundMessage in the caller's
                                   transaction; delivery is enqueued on commit
    deliver(message_id)            one delivery attempt (the Celery task calls this)
    retry_due()                    the sweeper: re-enqueues whatever is due, so a message whose task
                                   was never enqueued (Redis down at commit) or lost (worker killed)
                                   still goes out
    retry_now(message, by=…)       the staff "Retry" button

Delivery is at-least-once and in order per request and partner: a message waits while an earlier
one to the same partner about the same request is undelivered. A row is claimed with a conditional
UPDATE, so two workers never send the same message at once.
"""

from __future__ import annotations

import http.client
import logging
import urllib.error
import urllib.request
from datetime import date, datetime, timedelta
from decimal import Decimal
from typing import Any
from urllib.parse import urlsplit

from django.conf import settings
from django.contrib.contenttypes.models import ContentType
from django.db import transaction
from django.db.models import F, Q
from django.utils import timezone
from django.utils.translation import gettext as _

from illdesk.models import Alert, HistoryEvent
from illdesk.workflow import ActionRefused, record

from ..iso18626 import MAX_MESSAGE_BYTES, Iso18626Error, parse, serialize, validate
from ..iso18626.messages import (
    MessageStatus,
    RequestConfirmation,
    RequestingAgencyMessageConfirmation,
    SupplyingAgencyMessageConfirmation,
)
from ..models import OutboundMessage
from . import outgoing

log = logging.getLogger("illdesk.iso18626")
State = OutboundMessage.State
PENDING = (State.QUEUED, State.SENDING, State.RETRYING)
USER_AGENT = "illdesk ISO 18626"


def _setting(name: str, default: int) -> int:
    return int(getattr(settings, name, default))


def backoff_seconds(attempts: int) -> int:
    """Seconds to wait after the `attempts`-th failed attempt: base · 2^(n-1), capped."""
    base = _setting("ILLDESK_ISO_RETRY_BASE_SECONDS", 30)
    cap = _setting("ILLDESK_ISO_RETRY_MAX_SECONDS", 3600)
    return int(min(cap, base * 2 ** max(0, attempts - 1)))


def _jsonable(value: Any) -> Any:
    if isinstance(value, dict):
        return {str(k): _jsonable(v) for k, v in value.items()}
    if isinstance(value, list | tuple):
        return [_jsonable(v) for v in value]
    if isinstance(value, date | datetime | Decimal):
        return value.isoformat() if not isinstance(value, Decimal) else str(value)
    if value is None or isinstance(value, bool | int | float | str):
        return value
    return str(value)


def _history(req, *, by, new: str, message: str = "") -> None:
    record(req, by=by, kind=HistoryEvent.Kind.PARTNER_DATA, field=_("ISO 18626 message"), new=new,
           message=message[:2000])


# --- queue ---------------------------------------------------------------------------------------


def queue(req, partner, event: str, *, note: str = "", details: dict | None = None, by=None) -> OutboundMessage:
    """Build and store the message for `event`; deliver it once the caller's transaction commits."""
    details = details or {}
    now = timezone.now()
    row = OutboundMessage(content_type=ContentType.objects.get_for_model(type(req)), object_id=req.pk,
                          partner=partner, event=event, kind="", next_attempt_at=now, created_at=now,
                          created_by=by if getattr(by, "is_authenticated", False) else None,
                          payload={"event": event, "note": note, "details": _jsonable(details)})
    _fill(row, req)
    row.save()
    _history(req, by=by, new=f"→ {partner.name}: {row.summary or event}",
             message=note if row.state != State.FAILED else row.last_error)
    if row.state == State.QUEUED:
        transaction.on_commit(lambda: enqueue(row.pk))
    else:
        _alert(req, row)
    return row


def _fill(row: OutboundMessage, req) -> None:
    """Build the XML into `row`; a message that cannot be built is stored as failed (with the reason)
    so that staff see it and can retry after fixing the partner's data."""
    payload = row.payload or {}
    try:
        built = outgoing.build(req, row.partner, payload.get("event", row.event), note=payload.get("note", ""),
                               details=payload.get("details") or {})
        xml = serialize(built.message)
    except (outgoing.OutgoingError, ValueError) as exc:
        row.kind = row.kind or "message"
        row.summary = row.summary or row.event
        row.state, row.last_error = State.FAILED, str(exc)
        return
    problems = validate(xml)
    row.kind = built.message.kind.value
    row.summary = built.summary
    row.xml = xml.decode("utf-8")
    row.payload = {**payload, "iso_status": built.iso_status}
    if problems:  # a bug on our side: never send what the schema refuses
        row.state, row.last_error = State.FAILED, "not valid ISO 18626: " + "; ".join(problems[:3])
        log.error("outgoing ISO 18626 message does not validate: %s", problems)


def enqueue(message_id: int) -> None:
    """Hand the message to Celery. When that fails the row stays due and the sweeper sends it."""
    from ..tasks import deliver_outbound

    try:
        deliver_outbound.delay(message_id)
    except Exception:  # Redis down, broker misconfigured …: nothing is lost, the sweeper retries
        log.warning("could not enqueue delivery of ISO 18626 message %s; the sweeper will send it",
                    message_id, exc_info=True)


# --- deliver -------------------------------------------------------------------------------------


class _NoRedirect(urllib.request.HTTPRedirectHandler):
    def redirect_request(self, req, fp, code, msg, headers, newurl):  # noqa: ANN001
        return None  # a redirected POST would lose its body; report the 3xx instead


def post(url: str, body: bytes, *, secret: str = "", timeout: float = 10.0) -> tuple[int, bytes]:
    """POST the XML; returns (HTTP status, body). Raises OSError/HTTPException on network failure."""
    if urlsplit(url).scheme not in ("http", "https"):
        raise ValueError(f"not an http(s) URL: {url!r}")
    headers = {"Content-Type": "application/xml; charset=utf-8", "Accept": "application/xml",
               "User-Agent": USER_AGENT}
    if secret:
        headers["Authorization"] = f"Bearer {secret}"
    request = urllib.request.Request(url, data=body, method="POST", headers=headers)  # noqa: S310
    opener = urllib.request.build_opener(_NoRedirect)
    try:
        with opener.open(request, timeout=timeout) as response:
            return response.status, response.read(MAX_MESSAGE_BYTES + 1)
    except urllib.error.HTTPError as exc:
        return exc.code, exc.read(MAX_MESSAGE_BYTES + 1) if exc.fp else b""


def _request_of(msg: OutboundMessage):
    """The request the message is about (None if it was deleted since)."""
    return msg.content_type.model_class()._default_manager.filter(pk=msg.object_id).first()


def _alert(req, msg: OutboundMessage) -> None:
    Alert.objects.create(request=req, text=(_("ISO 18626 message “%(m)s” to %(p)s failed: %(e)s")
                                            % {"m": msg.summary, "p": msg.partner.name, "e": msg.last_error})[:300])
    if hasattr(req, "has_alerts"):
        type(req).objects.filter(pk=req.pk).update(has_alerts=True)


def _earlier_pending(msg: OutboundMessage) -> bool:
    return OutboundMessage.objects.filter(content_type=msg.content_type_id, object_id=msg.object_id,
                                          partner=msg.partner_id, id__lt=msg.id, state__in=PENDING).exists()


def _release_next(msg: OutboundMessage) -> None:
    nxt = (OutboundMessage.objects.filter(content_type=msg.content_type_id, object_id=msg.object_id,
                                          partner=msg.partner_id, id__gt=msg.id, state__in=PENDING)
           .order_by("id").first())
    if nxt is not None and nxt.state != State.SENDING and (nxt.next_attempt_at or timezone.now()) <= timezone.now():
        transaction.on_commit(lambda: enqueue(nxt.pk))


def claim_seconds() -> int:
    """How long a claim holds: longer than an attempt can take, so that only the claim of a worker that
    died mid-send expires (the sweeper then sends the message again)."""
    return _setting("ILLDESK_ISO_CLAIM_SECONDS", _setting("ILLDESK_ISO_TIMEOUT_SECONDS", 10) * 3 + 30)


def _claim(message_id: int) -> bool:
    now = timezone.now()
    lease = timedelta(seconds=claim_seconds())
    due = Q(state__in=[State.QUEUED, State.RETRYING], next_attempt_at__lte=now) | Q(state=State.SENDING,
                                                                                   claimed_until__lt=now)
    return bool(OutboundMessage.objects.filter(due, pk=message_id)
                .update(state=State.SENDING, claimed_until=now + lease, attempts=F("attempts") + 1))


def deliver(message_id: int) -> str:
    """One delivery attempt. Returns the resulting state (or "waiting"/"not due")."""
    msg = OutboundMessage.objects.filter(pk=message_id).select_related("partner").first()
    if msg is None:
        return "missing"
    if msg.state in (State.SENT, State.FAILED):
        return msg.state
    if _earlier_pending(msg):
        return "waiting"
    if not _claim(message_id):
        return "not due"
    msg.refresh_from_db()
    partner = msg.partner
    if not partner.iso_endpoint:
        return _finish(msg, State.FAILED, _("The partner has no ISO 18626 endpoint configured."))
    timeout = _setting("ILLDESK_ISO_TIMEOUT_SECONDS", 10)
    try:
        status, body = post(partner.iso_endpoint, msg.xml.encode("utf-8"), secret=partner.shared_secret,
                            timeout=timeout)
    except (OSError, http.client.HTTPException, ValueError) as exc:
        return _finish(msg, None, f"{type(exc).__name__}: {exc}")
    msg.http_status = status
    msg.response_xml = body.decode("utf-8", errors="replace").replace("\x00", "\ufffd")[:100_000]
    try:
        answer = parse(body)
    except Iso18626Error as exc:
        return _finish(msg, None, f"HTTP {status}; the answer is not an ISO 18626 confirmation "
                                  f"({exc.error_type}: {exc.error_value})")
    if not isinstance(answer, RequestConfirmation | SupplyingAgencyMessageConfirmation
                      | RequestingAgencyMessageConfirmation):
        return _finish(msg, None, f"HTTP {status}; the answer is a {answer.kind.value}, not a confirmation")
    if answer.confirmation_header.message_status is MessageStatus.ERROR:
        error = answer.error_data
        text = f"{error.error_type}: {error.error_value or ''}" if error else "ERROR without errorData"
        return _finish(msg, State.FAILED, _("The partner refused the message: %(e)s") % {"e": text})
    return _finish(msg, State.SENT, "")


def _finish(msg: OutboundMessage, state: str | None, error: str) -> str:
    """Record the outcome. `state` None means a transient failure: retry with backoff, then fail."""
    now = timezone.now()
    max_attempts = _setting("ILLDESK_ISO_MAX_ATTEMPTS", 10)
    if state is None:
        state = State.RETRYING if msg.attempts < max_attempts else State.FAILED
    msg.state, msg.last_error, msg.claimed_until = state, error[:4000], None
    if state == State.SENT:
        msg.sent_at, msg.next_attempt_at = now, None
    elif state == State.RETRYING:
        msg.next_attempt_at = now + timedelta(seconds=backoff_seconds(msg.attempts))
    else:
        msg.next_attempt_at = None
    # One transaction: a worker killed in between must not leave a failed message without its alert.
    with transaction.atomic():
        msg.save(update_fields=["state", "last_error", "claimed_until", "sent_at", "next_attempt_at", "http_status",
                                "response_xml"])
        if state == State.FAILED:
            log.warning("ISO 18626 message %s to %s failed: %s", msg.pk, msg.partner.code, error)
            req = _request_of(msg)
            if req is not None:
                _history(req, by=None, new=f"✗ {msg.partner.name}: {msg.summary}", message=error)
                _alert(req, msg)
    if state == State.RETRYING:
        log.info("ISO 18626 message %s to %s: attempt %s failed (%s); next at %s", msg.pk, msg.partner.code,
                 msg.attempts, error, msg.next_attempt_at)
        _schedule_retry(msg)
    if state in (State.SENT, State.FAILED):
        _release_next(msg)
    return state


def _schedule_retry(msg: OutboundMessage) -> None:
    from ..tasks import deliver_outbound

    if deliver_outbound.app.conf.task_always_eager:
        return  # eager "countdown" would run at once; the sweeper (or staff) retries
    try:
        deliver_outbound.apply_async((msg.pk,), countdown=backoff_seconds(msg.attempts))
    except Exception:
        log.warning("could not schedule retry of ISO 18626 message %s; the sweeper will", msg.pk, exc_info=True)


# --- sweeper and staff retry ---------------------------------------------------------------------


def due_messages(now=None, grace_seconds: int | None = None):
    now = now or timezone.now()
    grace = timedelta(seconds=_setting("ILLDESK_ISO_SWEEP_GRACE_SECONDS", 15) if grace_seconds is None
                      else grace_seconds)
    return OutboundMessage.objects.filter(
        Q(state=State.QUEUED, next_attempt_at__lte=now - grace) | Q(state=State.RETRYING, next_attempt_at__lte=now)
        | Q(state=State.SENDING, claimed_until__lt=now)
    ).order_by("id")


def retry_due(limit: int = 200, grace_seconds: int | None = None) -> int:
    """Re-enqueue every message whose time has come. Returns how many."""
    from ..tasks import deliver_outbound

    ids = list(due_messages(grace_seconds=grace_seconds).values_list("id", flat=True)[:limit])
    for message_id in ids:
        if deliver_outbound.app.conf.task_always_eager:
            deliver(message_id)
            continue
        try:
            deliver_outbound.delay(message_id)
        except Exception:
            deliver(message_id)
    return len(ids)


def retry_now(msg: OutboundMessage, *, by) -> OutboundMessage:
    """Staff asked to try again: rebuild if it never was built, reset the backoff, enqueue."""
    with transaction.atomic():
        msg = OutboundMessage.objects.select_for_update().get(pk=msg.pk)
        if msg.state == State.SENT:
            raise ActionRefused(_("This message was delivered already."))
        if msg.state == State.SENDING and msg.claimed_until and msg.claimed_until > timezone.now():
            raise ActionRefused(_("This message is being sent right now."))
        req = _request_of(msg)
        if req is None:
            raise ActionRefused(_("The request of this message no longer exists."), status=404)
        if not msg.xml:
            msg.state = State.QUEUED
            _fill(msg, req)
            if msg.state == State.FAILED:
                msg.save()
                raise ActionRefused(msg.last_error, status=400)
        msg.state, msg.attempts, msg.next_attempt_at, msg.claimed_until = State.QUEUED, 0, timezone.now(), None
        msg.save()
        _history(req, by=by, new=f"↻ {msg.partner.name}: {msg.summary}", message=_("Delivery retried by staff"))
        transaction.on_commit(lambda: enqueue(msg.pk))
    return msg
