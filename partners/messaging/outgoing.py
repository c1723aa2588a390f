"""Our requests and events -> the ISO 18626 messages that tell a partner about them.

Which agency we are comes from the request's side (`sides.of(req).iso_role`). As the requesting agency:
the Request and requestingAgencyMessages, with our request's pk as requestingAgencyRequestId. As the
supplying agency: supplyingAgencyMessages with the borrower's id (`borrower_request_id`) and our pk as
supplyingAgencyRequestId, the status from the side's `iso_status`.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import UTC, date, datetime
from decimal import Decimal, InvalidOperation
from typing import Any

from django.conf import settings
from django.contrib.contenttypes.models import ContentType
from django.utils import timezone

from illdesk import sides

from ..iso18626.messages import (
    Action,
    ActiveSection,
    AgencyId,
    BibliographicInfo,
    BibliographicItemId,
    BibliographicRecordId,
    BillingInfo,
    Costs,
    DeliveryInfo,
    ElectronicAddress,
    Header,
    MessageInfo,
    PatronInfo,
    PhysicalAddress,
    PublicationInfo,
    Request,
    RequestedDeliveryInfo,
    RequestingAgencyInfo,
    RequestingAgencyMessage,
    RequestType,
    SchemeValue,
    ServiceInfo,
    ServiceType,
    Status,
    StatusInfo,
    SupplyingAgencyMessage,
)
from . import mapping


class OutgoingError(Exception):
    """The message cannot be built (e.g. the partner has no agency id): staff must fix the data."""


@dataclass
class Built:
    message: Request | SupplyingAgencyMessage | RequestingAgencyMessage
    summary: str
    iso_status: str = ""


def our_agency() -> AgencyId:
    id_type, _, value = settings.ILLDESK_ISO_SYMBOL.partition(":")
    return AgencyId(id_type.strip(), value.strip())


def partner_agency(partner) -> AgencyId:
    if not partner.agency_id_type or not partner.agency_id_value:
        raise OutgoingError(f"partner {partner.code} has no ISO agency id (type and value)")
    return AgencyId(partner.agency_id_type, partner.agency_id_value)


def iso_date(value: date | datetime | str | None) -> datetime | None:
    """A due date as xs:dateTime: noon UTC, so that it is the same calendar day everywhere.
    Actions may pass dates as ISO strings (they travel through JSON)."""
    if value in (None, ""):
        return None
    if isinstance(value, str):
        try:
            value = datetime.fromisoformat(value) if "T" in value else date.fromisoformat(value)
        except ValueError:
            return None
    if isinstance(value, datetime):
        return value
    return datetime(value.year, value.month, value.day, 12, tzinfo=UTC)


def _decimal(value: Any) -> Decimal | None:
    if value in (None, ""):
        return None
    try:
        return Decimal(str(value))
    except (InvalidOperation, ValueError):
        return None


def _text(value: Any) -> str | None:
    text = "" if value is None else str(value).strip()
    return text or None


def _last_partner_request_id(req, partner) -> str | None:
    from ..models import InboundMessage

    return (InboundMessage.objects.filter(content_type=ContentType.objects.get_for_model(type(req)),
                                          object_id=req.pk, partner=partner, message_status="OK")
            .exclude(supplying_request_id="").order_by("-id").values_list("supplying_request_id", flat=True)
            .first())


def _last_sent_status(req) -> Status | None:
    from ..models import OutboundMessage

    payloads = (OutboundMessage.objects.filter(content_type=ContentType.objects.get_for_model(type(req)),
                                               object_id=req.pk).order_by("-id").values_list("payload", flat=True))
    for payload in payloads[:20]:
        value = (payload or {}).get("iso_status")
        if value:
            return Status(value)
    return None


# --- we request (iso_role "requester") ------------------------------------------------------------------------------


def borrower_header(req, partner) -> Header:
    return Header(
        supplying_agency_id=partner_agency(partner),
        requesting_agency_id=our_agency(),
        timestamp=timezone.now(),
        requesting_agency_request_id=str(req.pk),
        multiple_item_request_id="",
        supplying_agency_request_id=_last_partner_request_id(req, partner),
    )


_PUBLICATION_TYPES = {"book": "Book", "chapter": "Chapter", "journal": "Journal", "article": "Article",
                      "thesis": "Thesis", "conference": "ConferenceProc"}
_SERVICE_TYPES = {"digital": ServiceType.COPY, "physical": ServiceType.LOAN,
                  "physical_non_returnable": ServiceType.COPY}


def _address_lines(text: str) -> PhysicalAddress | None:
    lines = [line.strip() for line in (text or "").splitlines() if line.strip()]
    if not lines:
        return None
    return PhysicalAddress(line1=lines[0], line2=", ".join(lines[1:]) or None)


def build_request(req, partner, *, note: str = "") -> Request:
    item_ids = [BibliographicItemId(code, value) for code, value in
                (("ISBN", req.isbn), ("ISSN", req.issn), ("DOI", req.doi), ("PMID", req.pmid)) if value]
    record_ids = [BibliographicRecordId("OCLC", req.oclc_number)] if req.oclc_number else []
    owner = req.owner
    addresses: list = []
    if owner.email:
        addresses.append(ElectronicAddress(SchemeValue("Email"), owner.email))
    if (physical := _address_lines(owner.address)) is not None:
        addresses.append(physical)
    patron = None
    if req.requester_id:
        patron = PatronInfo(patron_id=req.requester.card_number, surname=req.requester.last_name,
                            given_name=req.requester.first_name,
                            patron_type=SchemeValue(req.patron_category.code) if req.patron_category_id else None)
    elif req.unauthenticated_name:
        patron = PatronInfo(surname=req.unauthenticated_name)
    notes = "\n".join(t for t in (req.request_note, note) if t)
    need_before = req.needed_by or req.last_interest_date
    return Request(
        header=borrower_header(req, partner),
        bibliographic_info=BibliographicInfo(
            title=_text(req.title), author=_text(req.author), edition=_text(req.edition),
            title_of_component=_text(req.chapter_title), author_of_component=_text(req.chapter_author),
            volume=_text(req.volume), issue=_text(req.issue), pages_requested=_text(req.pages),
            bibliographic_item_ids=item_ids, bibliographic_record_ids=record_ids,
        ),
        publication_info=PublicationInfo(
            publisher=_text(req.publisher),
            publication_type=SchemeValue(_PUBLICATION_TYPES[req.request_type])
            if req.request_type in _PUBLICATION_TYPES else None,
            publication_date=_text(req.year), place_of_publication=_text(req.place_of_publication),
        ),
        service_info=ServiceInfo(
            service_type=_SERVICE_TYPES.get(req.requested_format, ServiceType.LOAN),
            request_type=RequestType.NEW,
            service_level=SchemeValue(req.level_of_service.code) if req.level_of_service_id else None,
            preferred_format=SchemeValue("PaperCopy") if req.requested_format == "physical_non_returnable" else None,
            need_before_date=iso_date(need_before),
            note=notes or None,
        ),
        requested_delivery_infos=[RequestedDeliveryInfo(sort_order=i + 1, address=a) for i, a in enumerate(addresses)],
        requesting_agency_info=RequestingAgencyInfo(name=owner.name, addresses=addresses),
        patron_info=patron,
        billing_info=BillingInfo(maximum_costs=Costs(SchemeValue(req.currency), req.cost)) if req.cost else None,
    )


_BORROWER_NOTES = {
    "damaged": "The borrowing library reports the item damaged.",
    "lost": "The borrowing library reports the item lost.",
    "resupply": "Please supply the document again: it did not arrive in usable form.",
}


def build_borrower_message(req, partner, event: str, *, note: str = "", details: dict) -> Built:
    if event not in mapping.BORROWER_EVENTS:
        raise ValueError(f"unknown borrowing event {event!r}")
    if event == "request":
        return Built(build_request(req, partner, note=note), "Request")
    action = mapping.BORROWER_EVENTS[event]
    text = note
    if event == "notification":
        text = details.get("text") or note
    elif event in _BORROWER_NOTES:
        text = "\n".join(t for t in (_BORROWER_NOTES[event], note) if t)
    elif event == "conditional_answer":
        if details.get("accepted"):
            text = f"{mapping.CONDITION_AGREE_MARKER} ACCEPT" + (f"\n{note}" if note else "")
        else:
            action = Action.CANCEL
            text = "REJECT" + (f"\n{note}" if note else "")
    assert action is not None
    message = RequestingAgencyMessage(borrower_header(req, partner), ActiveSection(action, text or None))
    label = {"damaged": " (damaged)", "lost": " (lost)", "resupply": " (resupply)",
             "conditional_answer": " (conditions accepted)" if details.get("accepted") else " (conditions declined)"}
    return Built(message, f"{action.value}{label.get(event, '')}")


# --- we supply (iso_role "supplier") ----------------------------------------------------------------------------------


def lender_header(req, partner) -> Header:
    return Header(
        supplying_agency_id=our_agency(),
        requesting_agency_id=partner_agency(partner),
        timestamp=timezone.now(),
        requesting_agency_request_id=req.borrower_request_id or str(req.pk),
        multiple_item_request_id="",
        supplying_agency_request_id=str(req.pk),
    )


def _conditions_note(details: dict, note: str) -> str:
    parts = []
    if details.get("reason"):
        parts.append(f"Condition: {details['reason']}")
    cost = _decimal(details.get("cost"))
    if cost:
        parts.append(f"Cost: {cost} {details.get('currency') or 'EUR'}")
    if details.get("reply_by"):
        parts.append(f"Reply by: {details['reply_by']}")
    if note:
        parts.append(note)
    return ", ".join(parts) or "Condition: see the supplying library's note"


def build_lender_message(req, partner, event: str, *, note: str = "", details: dict) -> Built:
    if event not in mapping.LENDER_EVENTS:
        raise ValueError(f"unknown lending event {event!r}")
    reason, status = mapping.LENDER_EVENTS[event]
    label, current = sides.of(req).iso_status(req, last_sent=_last_sent_status(req),
                                              precise=event != "status_request_response")
    answer: bool | None = None
    text = note
    offered = None
    reason_unfilled = reason_retry = None
    retry_after = None
    if event == "renew_response":
        answer = bool(details.get("accepted"))
    elif event == "cancel_response":
        answer = bool(details.get("accepted"))
        status = Status.CANCELLED if answer else None
    elif event == "status_request_response":
        text = f"Status: {label} ({req.get_status_display()})" + (f"\n{note}" if note else "")
    elif event == "notification":
        text = details.get("text") or note
    elif event == "unfilled":
        reason_unfilled = SchemeValue(str(details.get("reason") or req.reject_reason or "NotAvailable"))
    elif event == "retry_possible":
        reason_retry = SchemeValue(str(details.get("reason") or "NotCurrentAvailableForILL"))
        retry_after = iso_date(details.get("retry_after"))
    elif event == "conditional":
        text = _conditions_note(details, note)
        cost = _decimal(details.get("cost"))
        if cost:
            offered = Costs(SchemeValue(str(details.get("currency") or req.currency or "EUR")), cost)
    status = status or current
    due = details.get("due_date") or (req.due_date if event in ("loaned", "overdue", "recalled", "renew_response")
                                      else None)
    delivery = None
    if event in ("loaned", "copy_completed"):
        delivery = DeliveryInfo(date_sent=req.shipped_at or timezone.now(),
                                item_id=req.item.barcode if getattr(req, "item_id", None) else None)
    message = SupplyingAgencyMessage(
        header=lender_header(req, partner),
        message_info=MessageInfo(reason_for_message=reason, answer_yes_no=answer, note=text or None,
                                 reason_unfilled=reason_unfilled, reason_retry=reason_retry,
                                 offered_costs=offered, retry_after=retry_after),
        status_info=StatusInfo(status=status, due_date=iso_date(due), last_change=timezone.now()),
        delivery_info=delivery,
    )
    summary = f"{reason.value} {status.value}"
    if answer is not None:
        summary += " (yes)" if answer else " (no)"
    return Built(message, summary, iso_status=status.value)


def build(req, partner, event: str, *, note: str = "", details: dict | None = None) -> Built:
    details = details or {}
    if sides.of(req).iso_role == "requester":
        return build_borrower_message(req, partner, event, note=note, details=details)
    return build_lender_message(req, partner, event, note=note, details=details)

