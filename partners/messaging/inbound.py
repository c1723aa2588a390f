"""POST /iso18626: one message in, one confirmation out, never an exception.

    receive(body, headers=…, remote_addr=…) -> Answer(xml, log)

1. Read tolerantly (codec.parse); anything unreadable, hostile or oversized gets an ERROR
   confirmation with the codec's errorType.
2. Identify the peer by the *sender's* agency id (requestingAgencyId for a request or a
   requestingAgencyMessage, supplyingAgencyId for a supplyingAgencyMessage), type and value
   matched case-insensitively against Partner.agency_id_type/value; the other agency id must be
   ours (settings.ILLDESK_ISO_SYMBOL).
3. The message must prove it is the partner's (trust.py): its shared secret, an address on its
   allow-list, or both when both are set; a partner with neither is refused.
4. Idempotency: a key over the message's kind, header and content; a message whose key already
   acted is answered with the very same confirmation and nothing happens twice (a unique
   constraint settles two copies arriving at once).
5. Apply: the side that registered a handler for the message kind (borrowing/iso.py for a
   supplyingAgencyMessage, lending/iso.py for a request or a requestingAgencyMessage) runs it in one
   transaction with the log row; a refusal (engine.Refused) rolls back.
Every message, good or bad, is stored as an InboundMessage with the confirmation we gave.
"""

from __future__ import annotations

import hashlib
import logging
from collections.abc import Mapping
from dataclasses import dataclass

from django.conf import settings
from django.contrib.contenttypes.models import ContentType
from django.db import IntegrityError, transaction
from django.utils.translation import gettext as _

from illdesk import sides
from illdesk.models import HistoryEvent
from illdesk.workflow import record

from ..iso18626 import MAX_MESSAGE_BYTES, Iso18626Error, build_confirmation, parse, serialize
from ..iso18626.messages import (
    AgencyId,
    ErrorType,
    Header,
    Message,
    Request,
    RequestingAgencyMessage,
    SupplyingAgencyMessage,
)
from ..models import InboundMessage
from . import peers, trust
from .engine import Refused

log = logging.getLogger("illdesk.iso18626")


@dataclass
class Answer:
    xml: bytes
    log: InboundMessage


# The kind a side registers its handler under (SideInfo.iso_handlers).
MESSAGE_KINDS: dict[type, str] = {Request: "request", SupplyingAgencyMessage: "supplyingAgencyMessage",
                                  RequestingAgencyMessage: "requestingAgencyMessage"}


def _handler(msg: Message):
    kind = MESSAGE_KINDS[type(msg)]
    handler = sides.handler_for(kind)
    if handler is None:  # a side switched off (not installed): say so instead of failing
        log.error("no side handles ISO 18626 %s messages", kind)
        raise Refused(ErrorType.UNRECOGNISED_DATA_VALUE,
                      f"{kind}: this library cannot take these messages at the moment; please send it another way")
    return handler


def _stored_text(body: bytes) -> str:
    # PostgreSQL text cannot hold NUL; hostile input may be anything.
    return body[:MAX_MESSAGE_BYTES].decode("utf-8", errors="replace").replace("\x00", "\ufffd")


def _symbol(agency: AgencyId) -> str:
    return f"{agency.type.strip()}:{agency.value.strip()}".casefold()


def our_symbol() -> str:
    return settings.ILLDESK_ISO_SYMBOL.strip().casefold()


def _summary(msg: Message) -> str:
    if isinstance(msg, SupplyingAgencyMessage):
        status = msg.status_info.status.value if msg.status_info.status else "(no status)"
        answer = {True: " Y", False: " N", None: ""}[msg.message_info.answer_yes_no]
        return f"{msg.message_info.reason_for_message.value} {status}{answer}"
    if isinstance(msg, RequestingAgencyMessage):
        return msg.action.value
    if isinstance(msg, Request):
        return "Request"
    return msg.kind.value


def idempotency_key(msg: Request | SupplyingAgencyMessage | RequestingAgencyMessage) -> str:
    h: Header = msg.header
    parts = [msg.kind.value, _symbol(h.requesting_agency_id), _symbol(h.supplying_agency_id),
             h.requesting_agency_request_id, h.supplying_agency_request_id or "", h.timestamp.isoformat()]
    if isinstance(msg, SupplyingAgencyMessage):
        info, status = msg.message_info, msg.status_info
        parts += [info.reason_for_message.value, status.status.value if status.status else "",
                  str(info.answer_yes_no), info.note or "", status.due_date.isoformat() if status.due_date else ""]
    elif isinstance(msg, RequestingAgencyMessage):
        parts += [msg.action.value, msg.note or ""]
    else:
        parts += [msg.bibliographic_info.title or "", msg.bibliographic_info.title_of_component or ""]
    return hashlib.sha256("\x1f".join(parts).encode("utf-8")).hexdigest()


def _link(entry: InboundMessage, req) -> None:
    if req is not None:
        entry.content_type = ContentType.objects.get_for_model(type(req))
        entry.object_id = req.pk


def _refuse(entry: InboundMessage, about: Message | Iso18626Error, error_type: ErrorType | str | None = None,
            error_value: str | None = None) -> Answer:
    if isinstance(about, Iso18626Error):
        confirmation = build_confirmation(about, ok=False, error_type=error_type, error_value=error_value)
    else:
        confirmation = build_confirmation(about, ok=False, error_type=ErrorType(error_type),
                                          error_value=error_value)
    error = confirmation.error_data
    xml = serialize(confirmation)
    entry.message_status = "ERROR"
    entry.acted = False
    entry.error_type = error.error_type.value if error else ""
    entry.error_value = (error.error_value or "") if error else ""
    entry.confirmation_xml = xml.decode("utf-8")
    entry.save()
    log.warning("ISO 18626 message from %s refused (%s): %s: %s", entry.remote_addr or "?",
                entry.partner.code if entry.partner_id else "unknown peer", entry.error_type, entry.error_value)
    return Answer(xml, entry)


def acted_on(key: str) -> InboundMessage | None:
    # Every message asks and almost none was seen before: the id first (at most one row acted, by
    # the unique constraint), the whole row only for a repeat.
    found = list(InboundMessage.objects.filter(idempotency_key=key, acted=True).order_by().values_list("pk")[:1])
    return InboundMessage.objects.get(pk=found[0][0]) if found else None


def _duplicate(entry: InboundMessage, original: InboundMessage) -> Answer:
    entry.duplicate_of = original
    entry.content_type_id, entry.object_id = original.content_type_id, original.object_id
    entry.confirmation_xml = original.confirmation_xml
    entry.outcome = _("repeated message: answered as before, nothing done again")
    entry.save()
    log.info("ISO 18626 message %s repeated (first was %s)", entry.idempotency_key[:12], original.pk)
    return Answer(original.confirmation_xml.encode("utf-8"), entry)


def receive(body: bytes, *, headers: Mapping[str, str] | None = None, remote_addr: str = "") -> Answer:
    """Handle one POSTed message; always returns a confirmation (see the module docstring)."""
    headers = headers or {}
    source = trust.source_address(remote_addr, headers)
    # as stored text: PostgreSQL cannot hold NUL, and the address may be anything a proxy passed on
    entry = InboundMessage(remote_addr=source.replace("\x00", "\ufffd")[:60], raw_size=len(body),
                           raw=_stored_text(body),
                           raw_sha256=hashlib.sha256(body).hexdigest())
    try:
        return _receive(body, headers, entry, source)
    except Exception:
        log.exception("internal error handling an ISO 18626 message")
        error = Iso18626Error(ErrorType.UNRECOGNISED_DATA_VALUE, "")
        entry.pk = None
        entry.acted = False
        return _refuse(entry, error, ErrorType.UNRECOGNISED_DATA_VALUE,
                       "internal error at the receiving library; nothing was changed, please send it again later")


def _receive(body: bytes, headers: Mapping[str, str], entry: InboundMessage, source: str) -> Answer:
    if len(body) > MAX_MESSAGE_BYTES:
        return _refuse(entry, Iso18626Error(ErrorType.BADLY_FORMED_MESSAGE,
                                            f"message is more than the {MAX_MESSAGE_BYTES} bytes accepted"))
    try:
        msg = parse(body)
    except Iso18626Error as exc:
        if exc.message_kind is not None:
            entry.kind = exc.message_kind.value
        return _refuse(entry, exc)
    entry.kind = msg.kind.value
    entry.summary = _summary(msg)[:200]
    if not isinstance(msg, Request | SupplyingAgencyMessage | RequestingAgencyMessage):
        return _refuse(entry, msg, ErrorType.UNRECOGNISED_DATA_ELEMENT,
                       f"{msg.kind.value}: confirmations come back in the HTTP response; they are not posted")
    header = msg.header
    if not header.requesting_agency_request_id.strip():
        return _refuse(entry, msg, ErrorType.UNRECOGNISED_DATA_VALUE,
                       "header/requestingAgencyRequestId: empty; every message needs the borrower's request id")
    entry.requesting_request_id = header.requesting_agency_request_id[:200]
    entry.supplying_request_id = (header.supplying_agency_request_id or "")[:200]
    if isinstance(msg, SupplyingAgencyMessage):
        sender, recipient, sender_path, recipient_path = (header.supplying_agency_id, header.requesting_agency_id,
                                                          "supplyingAgencyId", "requestingAgencyId")
    else:
        sender, recipient, sender_path, recipient_path = (header.requesting_agency_id, header.supplying_agency_id,
                                                          "requestingAgencyId", "supplyingAgencyId")
    partner = peers.find_partner(sender)
    if partner is None:
        return _refuse(entry, msg, ErrorType.UNRECOGNISED_DATA_VALUE,
                       f"header/{sender_path}: {sender} is not a partner of this library")
    entry.partner = partner
    if not partner.active:
        return _refuse(entry, msg, ErrorType.UNRECOGNISED_DATA_VALUE,
                       f"header/{sender_path}: partner {sender} is not active at this library")
    if _symbol(recipient) != our_symbol():
        return _refuse(entry, msg, ErrorType.UNRECOGNISED_DATA_VALUE,
                       f"header/{recipient_path}: {recipient} is not this library ({settings.ILLDESK_ISO_SYMBOL})")
    refused = trust.refusal(partner, msg, headers, source)
    if refused:
        return _refuse(entry, msg, ErrorType.UNRECOGNISED_DATA_VALUE, refused)
    entry.idempotency_key = idempotency_key(msg)
    original = acted_on(entry.idempotency_key)
    if original is not None:
        return _duplicate(entry, original)
    try:
        with transaction.atomic():
            handled = _handler(msg)(msg, partner)
            xml = serialize(build_confirmation(msg, ok=True))
            _link(entry, handled.request)
            entry.acted = True
            entry.outcome = handled.outcome[:4000]
            entry.confirmation_xml = xml.decode("utf-8")
            entry.save()
            if handled.request is not None:
                note = getattr(msg, "note", None) or (msg.message_info.note if isinstance(msg, SupplyingAgencyMessage)
                                                      else None)
                record(handled.request, by=None, kind=HistoryEvent.Kind.PARTNER_DATA,
                       field=_("ISO 18626 message"), new=f"← {partner.name}: {entry.summary}",
                       message=(handled.outcome + (f" — {note}" if note else ""))[:2000])
    except Refused as exc:
        entry.pk, entry.acted, entry.outcome = None, False, ""
        entry.content_type, entry.object_id = None, None
        _link(entry, exc.request)
        return _refuse(entry, msg, exc.error_type, exc.error_value)
    except IntegrityError:  # the same message committed by another worker since we looked
        original = acted_on(entry.idempotency_key)
        if original is None:
            raise
        entry.pk, entry.acted = None, False
        return _duplicate(entry, original)
    log.info("ISO 18626 %s from %s: %s", entry.summary, partner.code, entry.outcome)
    return Answer(xml, entry)
