"""One of everything: a small world holding a row of every model the admin lists and the requests the
staff and patron pages need, so every URL pattern can be filled with the id of a real object.

`text(default, limit)` gives each free-text value: the plain default for the access matrix, a hostile
payload (cut to the column's size) for the XSS checks.
"""

from __future__ import annotations

import datetime
from collections.abc import Callable
from dataclasses import dataclass, field
from decimal import Decimal

from django.contrib.auth.models import User
from django.contrib.contenttypes.models import ContentType
from django.core.files.base import ContentFile
from django.utils import timezone
from django.utils.html import escape

from tests.factories import make_borrowing, make_lending

Text = Callable[[str, int], str]


def plain(default: str, limit: int = 10_000) -> str:
    return default


@dataclass
class World:
    ids: dict[str, int | str] = field(default_factory=dict)
    objects: dict[str, object] = field(default_factory=dict)
    api_token: str = ""

    def __getitem__(self, name: str):
        return self.objects[name]


def build(cast, text: Text = plain) -> World:  # noqa: PLR0915 - one flat recipe is easier to read than many
    from django_celery_beat.models import ClockedSchedule, IntervalSchedule, PeriodicTask, SolarSchedule

    from borrowing.models import (
        CatalogSource,
        Communication,
        CommunicationEntry,
        PatronQueryTemplate,
        PurchaseRequest,
        RotaEntry,
    )
    from illdesk.models import (
        Alert,
        Attachment,
        GeneralMessage,
        HistoryEvent,
        Note,
        Patron,
        StatusAlias,
        StatusSetting,
        Tag,
    )
    from integrations.api import hash_token
    from integrations.models import (
        ApiToken,
        ImportedRecord,
        IntegrationProfile,
        JobRun,
        JobRunLine,
        LibraryCodeMapping,
        OverdueNotice,
    )
    from lending.models import BibRecord, FulfillmentRequest, Item
    from letters.models import LetterTemplate, SentLetter
    from opac.models import OpacSettings
    from partners.models import InboundMessage, OutboundMessage, RotaAssignmentRule, RotaTemplate, RotaTemplateMember
    from reports.models import CopyrightRule, FeeRule, Invoice
    from tools.models import Batch

    w = World()
    o = w.objects
    library, pickup, patron = cast.library, cast.pickup, cast.patron
    iso, mail = cast.iso_partner, cast.email_partner
    now = timezone.now()

    # configuration that staff and patrons see by name
    library.name = text("Main Library", 200)
    library.address = text("Yliopistonkatu 1", 500)
    library.save()
    pickup.name = text("Main desk", 100)
    pickup.save()
    iso.name = text("Peer University", 200)
    iso.save()
    mail.name = text("Mail Library", 200)
    mail.address = text("Postikatu 2", 500)
    mail.save()
    patron.first_name, patron.last_name = text("Pia", 100), text("Patron", 100)
    patron.save()
    cast.operator.first_name = text("Olli", 150)
    cast.operator.save()
    other_user = User.objects.create_user("other", "other@example.org", "other")
    o["other_patron"] = Patron.objects.create(user=other_user, card_number="P0002", first_name=text("Olavi", 100),
                                              last_name="Other", email="olavi@example.org", category=cast.category,
                                              home_library=library)
    o["tag"] = Tag.objects.create(name=text("urgent", 60))
    o["status_setting"] = StatusSetting.objects.create(side="borrowing", status="expired", inactive=True)

    def cite(**extra) -> dict:
        return {"title": text("The structure of scientific revolutions", 500), "author": text("Kuhn, Thomas S.", 300),
                "chapter_title": text("Chapter one", 500), "publisher": text("Chicago UP", 300),
                "request_note": text("Please hurry", 2000), **extra}

    # borrowing: one to work on, the patron's own (open, and on loan), another patron's, one without a patron
    b = o["borrowing"] = make_borrowing(library, "pending_approval", partner=iso, requester=patron,
                                        pickup_location=pickup, level_of_service=cast.level, **cite())
    o["opac_own"] = make_borrowing(library, "created", partner=iso, requester=patron, pickup_location=pickup,
                                   **cite())
    o["opac_loan"] = make_borrowing(library, "loaned_to_patron", partner=iso, requester=patron,
                                    pickup_location=pickup, due_date=datetime.date(2031, 1, 31), **cite())
    o["opac_other"] = make_borrowing(library, "created", partner=iso, requester=o["other_patron"],
                                     pickup_location=pickup, **cite())
    o["unlinked"] = make_borrowing(library, "created", partner=None, unauthenticated_name=text("Vera Visitor", 200),
                                   unauthenticated_email="vera@example.org", pickup_location=pickup, **cite())
    o["received"] = make_borrowing(library, "received_physically", partner=mail, requester=patron,
                                   pickup_location=pickup, temp_barcode="ILL-1", **cite())
    b.tags.add(o["tag"])

    # lending: located on a record with an item
    o["record"] = BibRecord.objects.create(record_id="991", title=text("Suomen historia", 500),
                                           author=text("Meinander, Henrik", 300))
    o["item"] = Item.objects.create(record=o["record"], barcode="3900012345", library=library,
                                    location=text("Stacks", 100), call_number=text("92.7 MEI", 100))
    lend = o["lending"] = make_lending(library, "created", partner=iso, record=o["record"], item=o["item"],
                                       requester_name=text("Professor X", 200), **cite())
    o["lending_copy"] = make_lending(library, "created", partner=mail, requested_format="digital",
                                     request_type="article", borrower_request_id="BRW-2", **cite())
    lend.tags.add(o["tag"])
    o["fulfillment"] = FulfillmentRequest.objects.create(request=lend, kind="ship_physically", item=o["item"],
                                                         created_by=cast.operator)

    # what hangs off a request
    for req in (b, lend):
        ct = ContentType.objects.get_for_model(req)
        side = ct.app_label
        o[f"{side}_note"] = Note.objects.create(content_type=ct, object_id=req.pk, kind="internal",
                                                text=text("Check the shelf", 2000), author=cast.operator)
        o[f"{side}_message"] = GeneralMessage.objects.create(content_type=ct, object_id=req.pk, direction="received",
                                                             text=text("We are looking for it", 1000))
        o[f"{side}_alert"] = Alert.objects.create(content_type=ct, object_id=req.pk, text=text("Overdue soon", 300))
        o[f"{side}_history"] = HistoryEvent.objects.create(content_type=ct, object_id=req.pk, kind="note",
                                                           field="Note", new_value=text("New note", 2000),
                                                           message=text("Added by hand", 2000), actor=cast.operator)
        attachment = Attachment(content_type=ct, object_id=req.pk, name=text("scan.pdf", 255), size=9,
                                content_type_label="application/pdf", uploaded_by=cast.operator)
        attachment.file.save("scan.pdf", ContentFile(b"%PDF-1.4\n"), save=False)
        attachment.save()
        o[f"{side}_attachment"] = attachment
        o[f"{side}_outbound"] = OutboundMessage.objects.create(
            content_type=ct, object_id=req.pk, partner=iso, kind="supplyingAgencyMessage", event="note",
            summary=text("Note to partner", 200), state="failed", attempts=3, last_error=text("HTTP 500", 2000))
        o[f"{side}_inbound"] = InboundMessage.objects.create(
            content_type=ct, object_id=req.pk, partner=iso, kind="requestingAgencyMessage",
            summary=text("Notification from peer", 200), raw="<ISO18626Message/>", message_status="OK")
        o[f"{side}_letter"] = SentLetter.objects.create(
            content_type=ct, object_id=req.pk, code="lender_reject" if side == "lending" else "partner_request",
            language="en", to=["ill@mail.example.org"], subject=text("About your request", 500),
            body_text=text("Dear colleague", 5000),
            body_html=f"<p>{escape(text('Dear colleague', 5000))}</p>",  # the letter renderer escapes
            state="retrying", sent_by=cast.operator)

    o["rota_entry"] = RotaEntry.objects.create(request=b, partner=iso, position=1, reject_reason=text("NotHeld", 200))
    o["communication"] = Communication.objects.create(request=b, partner=mail, subject=text("Where is it?", 200),
                                                      to="ill@mail.example.org", created_by=cast.operator)
    CommunicationEntry.objects.create(communication=o["communication"], direction="sent",
                                      body=text("Could you check?", 10000), author=cast.operator)
    o["purchase"] = PurchaseRequest.objects.create(title=text("Buy this", 500), source_request=b)
    o["catalog_source"] = CatalogSource.objects.create(name=text("Local SRU", 100), kind="network",
                                                       base_url="http://127.0.0.1:9/sru", timeout_seconds=1,
                                                       active=False)
    o["query_template"] = PatronQueryTemplate.objects.create(code="Q1", name=text("Which edition?", 100),
                                                             subject=text("Your request", 200),
                                                             body=text("Which edition do you need?", 2000))
    o["rota_template"] = RotaTemplate.objects.create(code="R1", name=text("Nordic first", 100))
    o["rota_member"] = RotaTemplateMember.objects.create(template=o["rota_template"], partner=iso, position=1)
    o["rota_rule"] = RotaAssignmentRule.objects.create(name=text("Articles", 100), template=o["rota_template"],
                                                       active=False)

    # letters, OPAC, integrations, reports, tools
    o["letter_template"] = LetterTemplate.objects.create(code="assignment_notice", language="fi", active=False,
                                                         subject=text("Tehtävä", 200))
    o["opac_settings"] = OpacSettings.load()
    o["opac_settings"].instructions = text("Ask at the desk", 2000)
    o["opac_settings"].save()
    o["profile"] = IntegrationProfile.objects.create(code="LIBRIS", name=text("Libris", 200),
                                                     description=text("Swedish requests", 2000),
                                                     base_url="http://127.0.0.1:9/api", library_code="Hb",
                                                     resource_sharing_library=library,
                                                     harvest_start_date=datetime.date(2025, 1, 1), active=False)
    o["code_mapping"] = LibraryCodeMapping.objects.create(profile=o["profile"], external_code="Hb", library=library)
    o["imported"] = ImportedRecord.objects.create(profile=o["profile"], external_key="LF1", borrowing_request=b)
    o["job_run"] = JobRun.objects.create(job="libris_import", name=text("Import from Libris", 250),
                                         profile=o["profile"], state="completed", finished_at=now,
                                         errors=text("One record failed", 5000), summary=text("1 failed", 300))
    JobRunLine.objects.create(run=o["job_run"], key=text("LF1", 120), outcome="failed",
                              message=text("The record has no title", 2000))
    o["overdue_notice"] = OverdueNotice.objects.create(lending_request=lend, due_date=datetime.date(2025, 1, 1))
    w.api_token = "security-test-token-" + "x" * 20
    o["api_token"] = ApiToken.objects.create(partner=iso, name=text("Web form", 100), prefix=w.api_token[:8],
                                             token_hash=hash_token(w.api_token))
    o["fee_rule"] = FeeRule.objects.create(partner=iso, per_loan=Decimal("8"), currency="EUR",
                                           note=text("Agreed in 2024", 2000))
    o["copyright_rule"] = CopyrightRule.objects.create()
    o["invoice"] = Invoice.objects.create(partner=iso, period_start=datetime.date(2025, 1, 1),
                                          period_end=datetime.date(2025, 1, 31), currency="EUR",
                                          note=text("Thank you", 2000), created_by=cast.manager)
    o["status_alias"] = StatusAlias.objects.create(side="borrowing", status="sent", label=text("With the lender", 100))
    o["batch"] = Batch.objects.create(name=text("Course reading", 120), library=library,
                                      note=text("For the spring course", 2000), created_by=cast.operator)
    o["batch"].requests.add(b)

    # celery beat: the schedules migrations do not create
    o["interval"] = IntervalSchedule.objects.create(every=10, period="minutes")
    o["clocked"] = ClockedSchedule.objects.create(clocked_time=now + datetime.timedelta(days=1))
    o["solar"] = SolarSchedule.objects.create(event="sunrise", latitude=Decimal("60.17"), longitude=Decimal("24.94"))
    o["periodic"] = PeriodicTask.objects.filter(task__startswith="integrations.").first() or \
        PeriodicTask.objects.create(name="x", task="integrations.tasks.expire_requests", interval=o["interval"])

    w.ids = {name: obj.pk for name, obj in o.items()}
    return w
