"""What every answer of POST /iso18626 must be, whatever was posted, and the world the messages aim at."""

from __future__ import annotations

from django.contrib.contenttypes.models import ContentType
from django.test import Client

from borrowing.models import BorrowingRequest
from illdesk.models import GeneralMessage, HistoryEvent, Note
from lending.models import LendingRequest
from partners.iso18626 import MAX_MESSAGE_BYTES, parse, validate
from partners.iso18626.codec import INTERNAL_ERROR_PREFIX
from partners.iso18626.messages import (
    MessageKind,
    RequestConfirmation,
    RequestingAgencyMessageConfirmation,
    SupplyingAgencyMessageConfirmation,
)
from partners.models import InboundMessage, OutboundMessage, Partner
from tests.factories import make_borrowing, make_lending

from .iso_messages import Ids

CONFIRMATION_OF = {
    MessageKind.REQUEST: RequestConfirmation,
    MessageKind.SUPPLYING_AGENCY_MESSAGE: SupplyingAgencyMessageConfirmation,
    MessageKind.REQUESTING_AGENCY_MESSAGE: RequestingAgencyMessageConfirmation,
}
INTERNAL = ("internal error", INTERNAL_ERROR_PREFIX)

BORROWING_STATUSES = ["sent", "accepted", "will_supply", "conditional", "shipped_physically", "loaned_to_patron",
                      "renew_requested", "waiting_cancel_response", "returned_to_partner", "completed"]
LENDING_STATUSES = ["created", "will_supply", "conditional", "shipped_physically", "received_by_partner",
                    "renew_requested", "cancel_reply", "completed"]


def build_world(library, peer, full_profile) -> Ids:
    """Requests with the peer on both sides, an inactive partner and one that needs a shared secret."""
    borrowing = [make_borrowing(library, s, partner=peer).pk for s in BORROWING_STATUSES]
    lending = [make_lending(library, s, partner=peer, borrower_request_id=f"BRW-{i}").pk
               for i, s in enumerate(LENDING_STATUSES, start=1)]
    others = []
    for code, extra in (("SLEEPY", {"active": False}), ("SECRET", {"shared_secret": "s3cret"})):
        Partner.objects.create(code=code, name=code.title(), profile_type=Partner.ProfileType.ISO18626,
                               agency_id_type="ISIL", agency_id_value=f"ZZ-{code}", workflow_profile=full_profile,
                               **extra)
        others.append(("ISIL", f"ZZ-{code}"))
    return Ids(sender=(peer.agency_id_type, peer.agency_id_value), us=("ISIL", "ZZ-ILLDESK"),
               borrowing_pks=tuple(borrowing), lending_pks=tuple(lending),
               lending_ids=tuple(f"BRW-{i}" for i in range(1, len(LENDING_STATUSES) + 1)),
               other_agencies=(*others, ("ISIL", "XX-NOBODY"), ("OCLC", "ZZ-PEER")))


def snapshot() -> tuple:
    """Everything a message may change, compactly."""
    return (
        list(BorrowingRequest.objects.order_by("pk").values_list(
            "pk", "status", "is_active", "due_date", "partner_id", "has_active_note", "has_active_message")),
        list(LendingRequest.objects.order_by("pk").values_list("pk", "status", "is_active", "partner_id",
                                                               "borrower_request_id")),
        HistoryEvent.objects.count(), Note.objects.count(), GeneralMessage.objects.count(),
        OutboundMessage.objects.count(),
    )


def post(body: bytes, **headers):
    return Client().post("/iso18626", data=body, content_type="application/xml", **headers)


def check_answer(body: bytes, response, expected: type, before: tuple) -> str:
    """The answer is a valid ISO confirmation of the right type, logged with the raw message; a refusal
    left the database as it was; nothing is half-created. Returns "OK" or "ERROR"."""
    assert response.status_code == 200, response.content[:300]
    assert response["Content-Type"].startswith("application/xml")
    assert validate(response.content) == [], response.content.decode()
    confirmation = parse(response.content)
    assert type(confirmation) is expected, (type(confirmation).__name__, response.content[:400])
    status = confirmation.confirmation_header.message_status.value
    error = confirmation.error_data
    log = InboundMessage.objects.order_by("-pk").first()
    # The endpoint reads one byte past the limit, no more, before refusing.
    assert log is not None and log.raw_size == min(len(body), MAX_MESSAGE_BYTES + 1) and log.raw_sha256
    assert log.confirmation_xml.encode() == response.content
    assert log.message_status == status
    if len(body) <= MAX_MESSAGE_BYTES:
        assert log.raw == body.decode("utf-8", errors="replace").replace("\x00", "\ufffd")
    if status == "ERROR":
        assert error is not None and error.error_type and log.error_type == error.error_type.value
        assert not any(marker in (error.error_value or "") for marker in INTERNAL), error.error_value
        assert not log.acted
        assert snapshot() == before, "a refused message changed the database"
    else:
        assert error is None and (log.acted or log.duplicate_of_id) and log.content_type_id and log.object_id
        model = ContentType.objects.get_for_id(log.content_type_id).model_class()
        assert model.objects.filter(pk=log.object_id).exists()
    assert_nothing_half_created(before)
    return status


def assert_nothing_half_created(before: tuple) -> None:
    """Every lending request a message created went the whole way: created, recorded, located."""
    old = {row[0] for row in before[1]}
    lending_ct = ContentType.objects.get_for_model(LendingRequest)
    for req in LendingRequest.objects.exclude(pk__in=old):
        kinds = set(HistoryEvent.objects.filter(content_type=lending_ct, object_id=req.pk)
                    .values_list("field", flat=True))
        assert "Created" in kinds, f"lending request {req.pk} ({req.status}) has no creation event: half-created"
        assert req.locate_status != LendingRequest.LocateStatus.NOT_RUN, f"lending request {req.pk} never located"
