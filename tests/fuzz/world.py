"""A small world for the form fuzz tests: one request in every status on both sides, the records and
rows the pages around them show (inventory, letters, tags, notes, a communication, a batch …)."""

from __future__ import annotations

import datetime
from dataclasses import dataclass, field
from pathlib import Path

from django.contrib.contenttypes.models import ContentType
from django.utils import timezone

from borrowing.models import BorrowingRequest, Communication, CommunicationEntry, PatronQueryTemplate
from borrowing.statuses import Status as BorrowingStatus
from illdesk.models import GeneralMessage, Note, Tag
from lending import marc
from lending.models import BibRecord, FulfillmentRequest, Item, LendingRequest
from lending.statuses import Status as LendingStatus
from letters import outbox
from partners.models import OutboundMessage
from tests.factories import make_borrowing, make_lending
from tools.models import Batch

SAMPLE_INVENTORY = Path(__file__).resolve().parents[2] / "lending" / "fixtures" / "sample_inventory.xml"
ON_LOAN = {"shipped_physically", "received_physically", "loaned_to_patron", "renew_requested", "renewed_by_partner",
           "renew_not_accepted", "mediated_patron_renewal", "recalled_by_partner", "overdue", "received_by_partner",
           "staff_renewal", "renewal_response", "patron_renewal", "recalled", "borrower_recall"}


@dataclass
class World:
    borrowing: list[BorrowingRequest] = field(default_factory=list)
    lending: list[LendingRequest] = field(default_factory=list)
    records: list[BibRecord] = field(default_factory=list)
    letter: object = None
    batch: object = None
    communication: object = None

    def first(self, model, status: str):
        return next(r for r in (self.borrowing if model is BorrowingRequest else self.lending) if r.status == status)

    def first_of(self, side: str, status: str):
        return self.first(BorrowingRequest if side == "borrowing" else LendingRequest, status)


def _due(status: str) -> datetime.date | None:
    return timezone.localdate() + datetime.timedelta(days=14) if status in ON_LOAN else None


def build(*, library, pickup, level, patron, iso_partner, email_partner, operator, editor=None) -> World:
    """`editor` holds the edit lock of one lending request (to offer "Stop editing")."""
    world = World()
    tag = Tag.objects.create(name="urgent")
    marc.load(str(SAMPLE_INVENTORY), library)
    world.records = list(BibRecord.objects.order_by("pk"))
    for i, status in enumerate(BorrowingStatus.values):
        digital = "digital" in status
        req = make_borrowing(library, status, partner=(iso_partner, email_partner)[i % 2], requester=patron,
                             pickup_location=pickup, level_of_service=level, due_date=_due(status),
                             external_id=f"B-{i}", supplied_format="digital" if digital else "",
                             shipped_at=timezone.now() if digital else None, assignee=operator if i % 4 else None)
        world.borrowing.append(req)
    # an OPAC visitor's request (link to patron) and an article (convert, copyright)
    world.borrowing.append(make_borrowing(library, "created", unauthenticated_name="Vera Visitor",
                                          unauthenticated_email="vera@example.org", pickup_location=pickup))
    world.borrowing.append(make_borrowing(library, "sent", partner=email_partner, requester=patron,
                                          request_type="article", chapter_title="On fuzzing", issn="0028-0836"))
    first = Item.objects.filter(record=world.records[0]).first()
    for i, status in enumerate(LendingStatus.values):
        # a copy of its own: an item serves one active lending request at a time
        item = Item.objects.create(record=first.record, barcode=f"39008{i:06d}", library=first.library)
        partner = (iso_partner, email_partner)[i % 2]
        if status == "conditional":
            partner = email_partner  # staff record the borrower's answer only for non-ISO borrowers
        req = make_lending(library, status, partner=partner, borrower_request_id=f"BRW-{i}", due_date=_due(status),
                           assignee=operator if i % 4 else None,
                           record=world.records[0] if i % 3 != 1 else None, item=item if i % 3 != 1 else None,
                           locate_status="located" if i % 3 != 1 else "not_located", requester_name="Pat Borrower")
        world.lending.append(req)
    if editor is not None:
        world.lending.append(make_lending(library, "created", partner=email_partner, borrower_request_id="BRW-LOCK",
                                          locked_by=editor, locked_until=timezone.now() + datetime.timedelta(hours=1)))
    digitize = world.first(LendingRequest, "created")
    FulfillmentRequest.objects.create(request=digitize, kind=FulfillmentRequest.Kind.SHIP_DIGITALLY,
                                      record=digitize.record, details={"pages": "1-10"}, created_by=operator)
    for req in [*world.borrowing[:6], *world.lending[:6]]:
        req.tags.add(tag)
        Note.objects.create(request=req, kind=Note.Kind.INTERNAL, text="checked the shelf", author=operator)
        GeneralMessage.objects.create(request=req, direction=GeneralMessage.Direction.RECEIVED, text="hello")
    PatronQueryTemplate.objects.create(code="CITE", name="Citation", subject="About your request",
                                       body="We could not find {title}.")
    sent = world.first(BorrowingRequest, "sent")
    world.communication = Communication.objects.create(request=sent, partner=email_partner, subject="Where is it?",
                                                       to="ill@mail.example.org", created_by=operator)
    CommunicationEntry.objects.create(communication=world.communication, direction="sent", body="Any news?",
                                      author=operator)
    world.letter = outbox.send_letter("patron_request_update", request=sent, to=["pia@example.org"],
                                      context={"message": "sent"}, by=operator)
    world.batch = Batch.objects.create(name="Monday", library=library, created_by=operator)
    world.batch.requests.add(*world.borrowing[:3])
    OutboundMessage.objects.create(content_type=ContentType.objects.get_for_model(BorrowingRequest), object_id=sent.pk,
                                   partner=iso_partner, kind="supplyingAgencyMessage", event="send",
                                   state=OutboundMessage.State.FAILED, last_error="connection refused")
    return world
