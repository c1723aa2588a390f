"""Shipping (seed 002): Ship item on the Shipping Items page (scan barcode + request id), Ship
non-returnable, Ship item digitally (one uploaded file), and scanning returned items in (checked in)."""

from django.core.files.uploadedfile import SimpleUploadedFile
from django.urls import reverse

from illdesk.models import Attachment
from lending import actions
from lending.models import FulfillmentRequest
from tests.factories import make_lending

from .helpers import dialog, events, fresh, item, offered, perform, statuses

PDF = b"%PDF-1.4\n1 0 obj<<>>endobj\ntrailer<<>>\n%%EOF\n"
SHIP = reverse("lending:ship")


def _located(partner, record, **fields):
    return actions.create_incoming(partner, fields={"title": record.title, "isbn": record.isbn, **fields})


def test_ship_item_opens_the_shipping_items_page(client, operator, kuhn, iso_partner):
    req = _located(iso_partner, kuhn)
    client.force_login(operator)
    assert "ship_physically" in offered(client, req)
    response = dialog(client, req, "ship_physically")
    assert response.status_code == 302 and response["Location"] == f"{SHIP}?request={req.pk}"
    page = client.get(response["Location"])
    assert page.context["ship_form"].initial["request_id"] == str(req.pk)


def test_scan_barcode_and_request_id_ships_physically(client, operator, kuhn, iso_partner, partner_events):
    req = _located(iso_partner, kuhn, due_date="2099-02-01")
    client.force_login(operator)
    response = client.post(SHIP, {"op": "ship", "barcode": "39001000002", "request_id": str(req.pk),
                                  "note": "Tracking JJ123"})
    assert response.status_code == 302
    req = fresh(req)
    assert (req.status, req.item.barcode, req.supplied_format) == ("shipped_physically", "39001000002", "physical")
    assert req.shipped_at is not None
    assert item("39001000002").state == "shipped"
    assert statuses(req) == ["Shipped physically"]
    assert req.history.filter(kind="field", field="Item status", new_value="Shipped").exists()
    assert events(partner_events) == ["loaned"]
    assert partner_events[0][2] == {"note": "Tracking JJ123", "barcode": "39001000002", "due_date": "2099-02-01"}
    page = client.get(SHIP)
    assert [r.pk for r in page.context["recent"]] == [req.pk]


def test_the_request_id_may_be_the_external_id(client, operator, kuhn, iso_partner):
    req = _located(iso_partner, kuhn, external_id="ISO-77")
    client.force_login(operator)
    client.post(SHIP, {"op": "ship", "barcode": "39001000001", "request_id": "ISO-77"})
    assert fresh(req).status == "shipped_physically"


def test_shipping_completes_the_move_request(client, operator, kuhn, iso_partner):
    req = _located(iso_partner, kuhn)
    fr = actions.place_fulfillment_request(req, kind="ship_physically", by=operator, item=item("39001000001"))
    client.force_login(operator)
    client.post(SHIP, {"op": "ship", "barcode": "39001000001", "request_id": str(req.pk)})
    fr.refresh_from_db()
    assert fr.state == "completed"
    assert fresh(req).alerts.filter(text__startswith="Citation Move Request Completed").exists()


def _refused(client, req, barcode, text):
    before = (fresh(req).status, req.history.count())
    response = client.post(SHIP, {"op": "ship", "barcode": barcode, "request_id": str(req.pk)})
    assert response.status_code == 409, response.status_code
    assert text in response.content.decode()
    assert (fresh(req).status, req.history.count()) == before


def test_shipping_refuses_the_wrong_item(client, operator, kuhn, inventory, iso_partner, library, partner_events):
    client.force_login(operator)
    req = _located(iso_partner, kuhn)
    _refused(client, req, "39001000004", "is “Flora Fennica”, not the title request")
    _refused(client, req, "NOPE", "No item has the barcode NOPE.")
    # the item chosen in fulfilment is the one to ship
    actions.place_fulfillment_request(req, kind="ship_physically", by=operator, item=item("39001000001"))
    _refused(client, req, "39001000002", f"Request {req.pk} is for item 39001000001, not 39001000002.")
    # an item on loan (or already shipped for another request) cannot go
    other = _located(iso_partner, kuhn)
    from lending.models import Item

    Item.objects.filter(barcode="39001000002").update(state="on_loan")
    _refused(client, other, "39001000002", "Item 39001000002 is on loan.")
    Item.objects.filter(barcode="39001000002").update(state="on_shelf")
    actions.ship_item(req, barcode="39001000001", by=operator)
    _refused(client, other, "39001000001", f"in process for lending request {req.pk}")
    # not located: locate first
    unlocated = make_lending(library, "locate_failed", iso_partner, locate_status="not_located")
    _refused(client, unlocated, "39001000002", "has no located resource: locate it first")
    # a shipped request cannot ship again
    response = client.post(SHIP, {"op": "ship", "barcode": "39001000001", "request_id": str(req.pk)})
    assert response.status_code == 409 and "cannot do this while it is “Shipped physically”" in \
        response.content.decode()
    assert events(partner_events) == ["loaned"]


def test_ship_item_is_not_offered_for_other_formats(client, operator, kuhn, iso_partner):
    client.force_login(operator)
    digital = _located(iso_partner, kuhn, requested_format="digital")
    non_returnable = _located(iso_partner, kuhn, requested_format="physical_non_returnable")
    assert "ship_physically" not in offered(client, digital)
    assert "ship_physically" not in offered(client, non_returnable)
    assert "ship_non_returnable" in offered(client, non_returnable)
    assert "ship_non_returnable" not in offered(client, digital)
    response = client.post(SHIP, {"op": "ship", "barcode": "39001000001", "request_id": str(digital.pk)})
    assert response.status_code == 409 and fresh(digital).status == "created"


def test_ship_non_returnable(client, operator, kuhn, email_partner, partner_events):
    req = _located(email_partner, kuhn, requested_format="physical_non_returnable")
    client.force_login(operator)
    assert perform(client, req, "ship_non_returnable", note="Keep it").status_code == 302
    req = fresh(req)
    assert (req.status, req.supplied_format) == ("shipped_physically", "physical_non_returnable")
    assert statuses(req) == ["Shipped physically"]
    assert partner_events == [(req.pk, "loaned", {"note": "Keep it", "non_returnable": True})]
    assert perform(client, req, "ship_non_returnable").status_code == 409


def _upload(name="article.pdf", data=PDF, content_type="application/pdf"):
    return SimpleUploadedFile(name, data, content_type=content_type)


def test_ship_digitally_uploads_one_file(client, operator, kuhn, iso_partner, partner_events, settings, tmp_path):
    settings.MEDIA_ROOT = tmp_path
    iso_partner.workflow_profile.waiting_for_digital_receipt = True
    iso_partner.workflow_profile.save()
    req = _located(iso_partner, kuhn, requested_format="digital")
    fr = actions.place_fulfillment_request(req, kind="ship_digitally", by=operator)
    client.force_login(operator)
    assert "ship_digitally" in offered(client, req)
    response = dialog(client, req, "ship_digitally", {"file": _upload(), "note": "Here it is"})
    assert response.status_code == 302
    req = fresh(req)
    assert (req.status, req.supplied_format, req.is_active) == ("shipped_digitally", "digital", False)
    attachment = Attachment.objects.get()
    assert (attachment.name, attachment.size, attachment.uploaded_by) == ("article.pdf", len(PDF), operator)
    assert attachment.file.read() == PDF
    fr.refresh_from_db()
    assert fr.state == "cancelled"  # seed 002: a ship-digitally request is cancelled by the upload
    assert events(partner_events) == ["copy_completed"]
    assert partner_events[0][2]["attachment_id"] == attachment.pk


def test_ship_digitally_completes_when_the_partner_does_not_wait(client, operator, kuhn, email_partner,
                                                                 settings, tmp_path):
    settings.MEDIA_ROOT = tmp_path
    email_partner.workflow_profile.waiting_for_digital_receipt = False
    email_partner.workflow_profile.save()
    req = _located(email_partner, kuhn, requested_format="digital")
    client.force_login(operator)
    dialog(client, req, "ship_digitally", {"file": _upload("scan.zip", b"PK\x03\x04rest", "application/zip")})
    assert fresh(req).status == "completed"


def test_ship_digitally_refuses_bad_files(client, operator, kuhn, iso_partner, settings, tmp_path):
    settings.MEDIA_ROOT = tmp_path
    settings.ILLDESK_MAX_UPLOAD_MB = 1
    req = _located(iso_partner, kuhn, requested_format="digital")
    client.force_login(operator)
    cases = [
        (_upload("big.pdf", b"%PDF-" + b"x" * (1024 * 1024)), "larger than 1 MB"),
        (_upload("run.exe", b"MZ\x90\x00", "application/x-msdownload"), "Files of type “.exe” cannot be shipped"),
        (_upload("fake.pdf", b"<html>not a pdf</html>", "application/pdf"), "The file's content is not pdf."),
        (_upload("odd.pdf", PDF, "text/html"), "does not fit “.pdf”"),
        (_upload("empty.pdf", b"", "application/pdf"), "The submitted file is empty."),
    ]
    for upload, message in cases:
        response = dialog(client, req, "ship_digitally", {"file": upload})
        assert response.status_code == 400, upload.name
        assert message in " ".join(response.context["form"].errors["file"]), upload.name
    assert fresh(req).status == "created" and not Attachment.objects.exists()


def test_scan_in_a_returned_item_checks_the_request_in(client, operator, kuhn, iso_partner, partner_events):
    req = _located(iso_partner, kuhn)
    client.force_login(operator)
    client.post(SHIP, {"op": "ship", "barcode": "39001000001", "request_id": str(req.pk)})
    from illdesk.workflow import run_transition

    run_transition(fresh(req), "borrower_received", by=None)
    run_transition(fresh(req), "borrower_shipped_return", by=None)
    response = client.post(SHIP, {"op": "scan_in", "barcode": "39001000001"})
    assert response.status_code == 302
    req = fresh(req)
    assert (req.status, req.is_active) == ("completed", False)
    assert item("39001000001").state == "on_shelf"
    assert events(partner_events) == ["loaned", "loan_completed"]
    again = client.post(SHIP, {"op": "scan_in", "barcode": "39001000001"})
    assert again.status_code == 409 and "No lending request is waiting for item 39001000001" in again.content.decode()


def test_the_shipping_page_is_for_staff_only(client, outsider):
    client.force_login(outsider)
    assert client.get(SHIP).status_code == 403


def test_fulfillment_requests_record_who_and_what(operator, kuhn, iso_partner):
    req = _located(iso_partner, kuhn)
    fr = actions.place_fulfillment_request(req, kind="ship_digitally", by=operator, details={"pages_from": 1})
    assert (fr.created_by, fr.details) == (operator, {"pages_from": 1})
    assert str(fr) == f"Ship digitally #{fr.pk} (In process)"
    assert FulfillmentRequest.objects.filter(request=req).count() == 1
