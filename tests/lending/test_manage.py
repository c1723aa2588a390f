"""Checked in, Reactivate, Duplicate, Remove, More details and Print slip (seed 002)."""

from django.urls import reverse

from illdesk.workflow import run_transition
from lending import actions
from lending.models import Item, LendingRequest
from tests.factories import make_lending

from .helpers import dialog, events, fresh, item, offered, perform, statuses


def _shipped(partner, record, operator, barcode="39001000001"):
    req = actions.create_incoming(partner, fields={"title": record.title, "isbn": record.isbn})
    return actions.ship_item(req, barcode=barcode, by=operator)


def test_checked_in_closes_the_request_and_tells_the_borrower(client, operator, kuhn, iso_partner, partner_events):
    req = _shipped(iso_partner, kuhn, operator)
    req = run_transition(req, "borrower_received", by=None)
    client.force_login(operator)
    assert "check_in" in offered(client, req)
    assert perform(client, req, "check_in").status_code == 302
    req = fresh(req)
    assert (req.status, req.is_active) == ("completed", False)
    assert statuses(req)[-1] == "Request completed"
    assert item("39001000001").state == "on_shelf"
    assert events(partner_events) == ["loaned", "loan_completed"]
    assert "check_in" not in offered(client, req)
    assert perform(client, req, "check_in").status_code == 409


def test_no_checked_in_message_when_the_iso_profile_lacks_it(operator, kuhn, iso_partner, partner_events):
    iso_partner.workflow_profile.checked_in_message = False
    iso_partner.workflow_profile.save()
    req = actions.check_in(_shipped(iso_partner, kuhn, operator), by=operator)
    assert req.status == "completed" and events(partner_events) == ["loaned"]
    assert req.history.filter(field="Checked in", message__contains="does not include it").exists()


def test_checked_in_is_not_offered_before_shipping(client, operator, library, iso_partner):
    req = make_lending(library, "being_processed", iso_partner)
    client.force_login(operator)
    assert "check_in" not in offered(client, req)
    assert perform(client, req, "check_in").status_code == 409


def test_reactivate_relinks_the_item_managers_only(client, operator, manager, kuhn, iso_partner):
    req = actions.check_in(_shipped(iso_partner, kuhn, operator), by=operator)
    client.force_login(operator)
    assert "reactivate" not in offered(client, req)
    assert perform(client, req, "reactivate").status_code == 409
    client.force_login(manager)
    assert "reactivate" in offered(client, req)
    assert perform(client, req, "reactivate").status_code == 302
    req = fresh(req)
    assert (req.status, req.is_active, req.item.barcode) == ("reactivated", True, "39001000001")
    assert item("39001000001").state == "in_resource_sharing"


def test_reactivate_refused_when_the_item_is_in_another_process(client, manager, operator, kuhn, iso_partner):
    first = actions.check_in(_shipped(iso_partner, kuhn, operator), by=operator)
    _shipped(iso_partner, kuhn, operator)  # the same copy went out again
    client.force_login(manager)
    response = perform(client, first, "reactivate")
    assert response.status_code == 409 and "Cannot reactivate" in response.content.decode()
    assert fresh(first).status == "completed"
    Item.objects.filter(barcode="39001000001").update(state="on_loan")
    assert "is on loan" in perform(client, first, "reactivate").content.decode()


def test_duplicate_opens_the_copy_for_editing(client, operator, library, iso_partner):
    req = make_lending(library, "shipped_physically", iso_partner, volume="7", requester_name="Pia",
                       external_id="ISO-9", request_note="urgent")
    client.force_login(operator)
    assert "duplicate" in offered(client, req)
    response = dialog(client, req, "duplicate", {})
    copy = LendingRequest.objects.exclude(pk=req.pk).get()
    assert response.status_code == 302 and response["Location"] == reverse("lending:dialog", args=[copy.pk, "edit"])
    assert (copy.status, copy.title, copy.volume, copy.requester_name, copy.partner, copy.request_note) == (
        "created", req.title, "7", "Pia", iso_partner, "urgent")
    assert copy.external_id == "" and copy.locate_status == "not_run"
    assert copy.history.get().message == f"Duplicate of {req.pk}"
    assert req.history.filter(field="Duplicated").exists()


def test_remove_only_final_requests(client, operator, library, iso_partner):
    client.force_login(operator)
    active = make_lending(library, "shipped_physically", iso_partner)
    assert "remove" not in offered(client, active)
    assert dialog(client, active, "remove", {}).status_code == 409
    done = make_lending(library, "completed", iso_partner)
    assert "remove" in offered(client, done)
    assert dialog(client, done, "remove", {}).status_code == 302
    assert fresh(done).removed_at is not None
    assert "remove" not in offered(client, done)


def test_more_details(client, operator, kuhn, iso_partner):
    req = actions.create_incoming(iso_partner, fields={"title": kuhn.title, "isbn": kuhn.isbn, "pages": "1-9",
                                                       "borrower_request_id": "BRW-7"})
    client.force_login(operator)
    assert "more_details" in offered(client, req)
    page = dialog(client, req, "more_details")
    text = page.content.decode()
    assert page.status_code == 200 and "BRW-7" in text and "SAMPLE-0001" in text and "39001000002" in text
    fragment = dialog(client, req, "more_details", HTTP_HX_REQUEST="true")
    assert fragment.status_code == 200 and "<html" not in fragment.content.decode()


def test_print_slip_incoming_before_shipping_and_shipping_after(client, operator, kuhn, iso_partner):
    req = actions.create_incoming(iso_partner, fields={"title": kuhn.title, "isbn": kuhn.isbn})
    client.force_login(operator)
    assert "print_slip" in offered(client, req)
    page = dialog(client, req, "print_slip")
    assert page.status_code == 200 and page.context["code"] == "incoming_slip"
    pdf = client.get(reverse("lending:dialog", args=[req.pk, "print_slip"]), {"download": "1"})
    assert pdf.status_code == 200 and pdf["Content-Type"] == "application/pdf" and pdf.content.startswith(b"%PDF")
    assert 'filename="incoming_slip-' in pdf["Content-Disposition"]
    req = fresh(req)
    assert req.printed is True
    assert req.history.filter(field="Request printed", new_value="Yes", message="incoming_slip").exists()
    shipped = actions.ship_item(req, barcode="39001000001", by=operator)
    assert dialog(client, shipped, "print_slip").context["code"] == "shipping_slip"
    pdf = client.get(reverse("lending:dialog", args=[req.pk, "print_slip"]), {"download": "1"})
    assert 'filename="shipping_slip-' in pdf["Content-Disposition"]


def test_print_slip_says_so_when_pdfs_are_unavailable(client, operator, library, iso_partner, monkeypatch):
    from lending import printing

    req = make_lending(library, "created", iso_partner)
    monkeypatch.setattr(printing, "_letters", lambda: None)
    client.force_login(operator)
    response = client.get(reverse("lending:dialog", args=[req.pk, "print_slip"]), {"download": "1"})
    assert response.status_code == 503
    assert "PDF slips are unavailable" in response.content.decode()
    assert fresh(req).printed is False


def test_print_slip_not_offered_for_digital_shipments(client, operator, library, iso_partner):
    req = make_lending(library, "shipped_digitally", iso_partner, supplied_format="digital")
    client.force_login(operator)
    assert "print_slip" not in offered(client, req)
    assert dialog(client, req, "print_slip").status_code == 409


def test_outsiders_get_403_and_nothing_changes(client, outsider, library, iso_partner):
    req = make_lending(library, "created", iso_partner)
    client.force_login(outsider)
    assert dialog(client, req, "reject", {"reason": "NotOwned"}).status_code == 403
    assert perform(client, req, "will_supply").status_code == 403
    assert client.get(reverse("lending:report"), {"ids": [req.pk]}).status_code == 403
    assert fresh(req).status == "created" and not req.history.exists()
