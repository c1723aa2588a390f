"""Manage fulfillment options (seed 002): the located resource and its items; placing a ship-physically
or ship-digitally request with the seed's fields; alerts for each; cancelling."""

import pytest
from django.urls import reverse

from illdesk.models import Alert
from illdesk.workflow import ActionRefused, run_transition, update_fields
from lending import actions
from lending.models import FulfillmentRequest
from tests.factories import make_lending

from .helpers import dialog, fresh, item, offered


def _located(iso_partner, kuhn, **fields):
    return actions.create_incoming(iso_partner, fields={"title": kuhn.title, "isbn": kuhn.isbn, **fields})


def test_the_page_lists_the_located_items(client, operator, kuhn, iso_partner):
    req = _located(iso_partner, kuhn)
    client.force_login(operator)
    assert "fulfillment" in offered(client, req)
    page = dialog(client, req, "fulfillment")
    assert page.status_code == 200
    assert [i.barcode for i in page.context["items"]] == ["39001000001", "39001000002"]
    assert [kind for kind, _label, _form in page.context["place_forms"]] == ["ship_physically", "ship_digitally"]


def test_place_a_ship_physically_request(client, operator, kuhn, iso_partner):
    req = _located(iso_partner, kuhn)
    client.force_login(operator)
    copy = item("39001000002")
    data = {"kind": "ship_physically", "ship_physically-kind": "ship_physically",
            "ship_physically-item": copy.pk, "ship_physically-to_location": "RS desk",
            "ship_physically-call_number_type": "dewey", "ship_physically-call_number": "501 KUH c.2",
            "ship_physically-note": "Handle with care"}
    response = dialog(client, req, "fulfillment", data)
    assert response.status_code == 302
    fr = FulfillmentRequest.objects.get()
    assert (fr.kind, fr.state, fr.item, fr.record) == ("ship_physically", "in_process", copy, kuhn)
    assert fr.details == {"to_location": "RS desk", "call_number_type": "dewey", "call_number": "501 KUH c.2",
                          "note": "Handle with care"}
    req = fresh(req)
    assert (req.status, req.item, req.has_alerts) == ("being_processed", copy, True)
    copy.refresh_from_db()
    assert copy.state == "in_resource_sharing"
    assert list(Alert.objects.values_list("text", flat=True)) == [f"Citation Move Request in Process (#{fr.pk})"]
    assert req.history.filter(kind="status", new_value="Being processed").exists()
    assert req.history.filter(field="Fulfillment request", new_value="In process").exists()


def test_place_a_ship_digitally_request_with_the_digitization_fields(client, operator, kuhn, iso_partner):
    req = _located(iso_partner, kuhn, request_type="chapter", chapter_title="Anomaly", pages="52-65")
    client.force_login(operator)
    data = {"kind": "ship_digitally", "ship_digitally-kind": "ship_digitally", "ship_digitally-pages_from": "52",
            "ship_digitally-pages_to": "65", "ship_digitally-includes_images": "on",
            "ship_digitally-needed_by": "2099-01-31", "ship_digitally-managing_department": "Digitization",
            "ship_digitally-material_type": "chapter", "ship_digitally-note": "Pages: 52-65"}
    assert dialog(client, req, "fulfillment", data).status_code == 302
    fr = FulfillmentRequest.objects.get()
    assert fr.kind == "ship_digitally" and fr.item is None
    assert fr.details["total_required_pages"] == 14 and fr.details["needed_by"] == "2099-01-31"
    assert fr.details["includes_images"] is True
    assert Alert.objects.get().text.startswith("Citation Digitization Request in Process")
    assert fresh(req).status == "being_processed"


def test_invalid_attributes_are_shown_and_nothing_is_placed(client, operator, kuhn, iso_partner):
    req = _located(iso_partner, kuhn)
    client.force_login(operator)
    data = {"kind": "ship_digitally", "ship_digitally-kind": "ship_digitally", "ship_digitally-pages_from": "65",
            "ship_digitally-pages_to": "52"}
    response = dialog(client, req, "fulfillment", data)
    assert response.status_code == 400 and "The last page comes before the first." in response.content.decode()
    assert not FulfillmentRequest.objects.exists() and fresh(req).status == "created"


def test_an_item_in_another_process_cannot_be_requested(client, operator, kuhn, iso_partner):
    first, second = _located(iso_partner, kuhn), _located(iso_partner, kuhn)
    copy = item("39001000001")
    actions.place_fulfillment_request(first, kind="ship_physically", by=operator, item=copy)
    client.force_login(operator)
    data = {"kind": "ship_physically", "ship_physically-kind": "ship_physically", "ship_physically-item": copy.pk}
    response = dialog(client, second, "fulfillment", data)
    assert response.status_code == 409
    assert f"in process for lending request {first.pk}" in response.content.decode()
    assert FulfillmentRequest.objects.count() == 1 and fresh(second).status == "created"


def test_cancel_a_fulfillment_request(client, operator, kuhn, iso_partner):
    req = _located(iso_partner, kuhn)
    copy = item("39001000001")
    fr = actions.place_fulfillment_request(req, kind="ship_physically", by=operator, item=copy)
    client.force_login(operator)
    response = client.post(reverse("lending:dialog", args=[req.pk, "fulfillment"]), {"cancel": fr.pk})
    assert response.status_code == 302
    fr.refresh_from_db()
    copy.refresh_from_db()
    assert (fr.state, copy.state) == ("cancelled", "on_shelf")
    assert Alert.objects.filter(text__startswith="Citation Move Request Canceled").exists()
    again = client.post(reverse("lending:dialog", args=[req.pk, "fulfillment"]), {"cancel": fr.pk})
    assert again.status_code == 409


def test_not_offered_once_shipped_or_without_a_located_record(client, operator, library, iso_partner):
    client.force_login(operator)
    shipped = make_lending(library, "shipped_physically", iso_partner)
    assert "fulfillment" not in offered(client, shipped)
    assert dialog(client, shipped, "fulfillment").status_code == 409
    unlocated = make_lending(library, "locate_failed", iso_partner, locate_status="not_located")
    page = dialog(client, unlocated, "fulfillment")
    assert page.status_code == 200 and page.context["place_forms"] == []
    refused = client.post(reverse("lending:dialog", args=[unlocated.pk, "fulfillment"]),
                          {"kind": "ship_digitally", "ship_digitally-kind": "ship_digitally"})
    assert refused.status_code == 409 and "Locate the resource first" in refused.content.decode()


def test_the_database_keeps_an_item_to_one_active_request(operator, kuhn, iso_partner):
    """Past every check (two operators at once, a job, a direct change): the constraint refuses the second
    claim with a sentence, and the first request keeps its copy."""
    first, second = _located(iso_partner, kuhn), _located(iso_partner, kuhn)
    copy = item("39001000001")
    actions.place_fulfillment_request(first, kind="ship_physically", by=operator, item=copy)
    with pytest.raises(ActionRefused, match="already in process for another lending request"):
        update_fields(second, by=operator, changes={"item": copy})
    with pytest.raises(ActionRefused, match="already in process for another lending request"):
        run_transition(second, "ship_physically", by=operator, item=copy)
    assert fresh(second).item_id is None and fresh(second).status == "created"
    assert fresh(first).item_id == copy.pk


def test_a_request_that_let_its_item_go_frees_it_for_another(operator, kuhn, iso_partner):
    first, second = _located(iso_partner, kuhn), _located(iso_partner, kuhn)
    copy = item("39001000001")
    actions.place_fulfillment_request(first, kind="ship_physically", by=operator, item=copy)
    actions.reject(first, by=operator, reason="NonCirculating")
    actions.place_fulfillment_request(second, kind="ship_physically", by=operator, item=item("39001000001"))
    assert fresh(second).item_id == copy.pk
    # Reactivating the first would make two holders: refused, not a database error.
    with pytest.raises(ActionRefused, match="already in process for another lending request"):
        run_transition(fresh(first), "reactivate", by=None)
