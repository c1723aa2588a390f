"""Builders for ISO 18626 messages as a peer would send them, and posting them to /iso18626."""

from __future__ import annotations

from datetime import UTC, datetime
from decimal import Decimal
from itertools import count

from django.test import Client

from partners.iso18626 import parse, serialize
from partners.iso18626.messages import (
    Action,
    ActiveSection,
    AgencyId,
    BibliographicInfo,
    Costs,
    DeliveryInfo,
    Header,
    MessageInfo,
    ReasonForMessage,
    Request,
    RequestingAgencyMessage,
    SchemeValue,
    ServiceInfo,
    ServiceType,
    Status,
    StatusInfo,
    SupplyingAgencyMessage,
)

US = AgencyId("ISIL", "ZZ-ILLDESK")
PEER = AgencyId("ISIL", "ZZ-PEER")
_clock = count(1)


def stamp() -> datetime:
    """A distinct timestamp per message, as a real peer's clock would give."""
    return datetime(2025, 1, 1, 12, 0, tzinfo=UTC).replace(microsecond=next(_clock) % 1_000_000)


def sam(request_id, status: Status | None, reason: ReasonForMessage = ReasonForMessage.STATUS_CHANGE, *,
        answer: bool | None = None, note: str | None = None, due: datetime | None = None,
        reason_unfilled: str | None = None, offered_cost: str | None = None, loan_condition: str | None = None,
        sender: AgencyId = PEER, recipient: AgencyId = US, supplier_id: str = "L-1") -> bytes:
    info = MessageInfo(reason, answer_yes_no=answer, note=note,
                       reason_unfilled=SchemeValue(reason_unfilled) if reason_unfilled else None,
                       offered_costs=Costs(SchemeValue("EUR"), Decimal(offered_cost)) if offered_cost else None)
    msg = SupplyingAgencyMessage(
        Header(sender, recipient, stamp(), str(request_id), "", supplier_id), info,
        StatusInfo(status, due_date=due),
        delivery_info=DeliveryInfo(loan_condition=SchemeValue(loan_condition)) if loan_condition else None)
    if status is None:  # the writer refuses an empty status; peers (Alma) send one anyway
        msg.status_info.status = Status.LOANED
        return serialize(msg).replace(b">Loaned<", b"><")
    return serialize(msg)


def ram(request_id, action: Action, note: str | None = None, *, sender: AgencyId = PEER,
        recipient: AgencyId = US, supplier_id: str | None = None) -> bytes:
    return serialize(RequestingAgencyMessage(Header(recipient, sender, stamp(), str(request_id), "", supplier_id),
                                             ActiveSection(action, note)))


def request(request_id="BRW-1", *, title: str | None = "Gödel, Escher, Bach", service=ServiceType.LOAN,
            sender: AgencyId = PEER, recipient: AgencyId = US) -> bytes:
    return serialize(Request(Header(recipient, sender, stamp(), str(request_id), ""),
                             BibliographicInfo(title=title, author="Hofstadter, Douglas"),
                             service_info=ServiceInfo(service) if service else None))


def post(body: bytes, client: Client | None = None, **headers):
    """POST to /iso18626; returns (HTTP response, parsed confirmation)."""
    response = (client or Client()).post("/iso18626", data=body, content_type="application/xml", **headers)
    assert response.status_code == 200, response.content[:300]
    assert response["Content-Type"].startswith("application/xml")
    return response, parse(response.content)


def status_of(confirmation) -> str:
    return confirmation.confirmation_header.message_status.value


def error_of(confirmation) -> tuple[str, str]:
    error = confirmation.error_data
    return (error.error_type.value, error.error_value or "") if error else ("", "")
