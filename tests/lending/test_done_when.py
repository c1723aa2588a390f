"""Issue 4 "Done when": an operator takes incoming requests from created to completed through the UI —
a physical loan (scan to ship, returned, checked in), a digital copy (upload), a non-returnable, a
conditional answered both ways, and a reject. The borrower's own steps arrive as ISO messages; here
they are the transitions the ISO mapping runs (lending.iso.LENDING_RULES)."""

from datetime import timedelta

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile
from django.urls import reverse
from django.utils import timezone

from illdesk.workflow import run_transition
from lending import actions
from letters.models import SentLetter

from .helpers import dialog, events, fresh, item, offered, perform, statuses

SHIP = reverse("lending:ship")


def _incoming(partner, record, **fields):
    return actions.create_incoming(partner, fields={"title": record.title, "author": record.author,
                                                    "isbn": record.isbn, "borrower_request_id": "BRW-42", **fields})


def test_a_physical_loan_from_created_to_completed(client, operator, kuhn, iso_partner, partner_events):
    req = _incoming(iso_partner, kuhn, due_date=timezone.localdate() + timedelta(days=28))
    assert (req.status, req.locate_status) == ("created", "located")
    client.force_login(operator)
    dialog(client, req, "assign", {"assignee": operator.pk})
    assert client.get(reverse("lending:list"), {"tab": "mine"}).context["rows"][0][0].pk == req.pk
    assert perform(client, req, "will_supply").status_code == 302
    copy = item("39001000002")
    placed = dialog(client, req, "fulfillment", {"kind": "ship_physically", "ship_physically-kind": "ship_physically",
                                                 "ship_physically-item": copy.pk})
    assert placed.status_code == 302 and fresh(req).status == "being_processed"
    slip = client.get(reverse("lending:dialog", args=[req.pk, "print_slip"]), {"download": "1"})
    assert slip.status_code == 200 and fresh(req).printed
    assert dialog(client, req, "ship_physically").status_code == 302
    assert client.post(SHIP, {"op": "ship", "barcode": copy.barcode, "request_id": str(req.pk)}).status_code == 302
    assert (fresh(req).status, item(copy.barcode).state) == ("shipped_physically", "shipped")
    run_transition(fresh(req), "borrower_received", by=None)          # ISO Received
    run_transition(fresh(req), "borrower_shipped_return", by=None)    # ISO ShippedReturn
    assert client.post(SHIP, {"op": "scan_in", "barcode": copy.barcode}).status_code == 302
    req = fresh(req)
    assert (req.status, req.is_active, item(copy.barcode).state) == ("completed", False, "on_shelf")
    assert statuses(req) == ["Will supply", "Being processed", "Shipped physically", "Received by partner",
                             "Returned by partner", "Request completed"]
    assert events(partner_events) == ["will_supply", "loaned", "loan_completed"]


def test_an_email_partner_gets_the_ship_and_checked_in_letters(client, operator, kuhn, email_partner):
    req = _incoming(email_partner, kuhn)
    client.force_login(operator)
    client.post(SHIP, {"op": "ship", "barcode": "39001000001", "request_id": str(req.pk)})
    assert perform(client, fresh(req), "check_in").status_code == 302
    assert fresh(req).status == "completed"
    letters = list(SentLetter.objects.order_by("id").values_list("code", flat=True))
    assert letters == ["lender_ship", "lender_checked_in"]


def test_a_digital_copy(client, operator, kuhn, email_partner, settings, tmp_path):
    settings.MEDIA_ROOT = tmp_path
    req = _incoming(email_partner, kuhn, requested_format="digital", request_type="chapter", pages="1-20")
    client.force_login(operator)
    assert "ship_digitally" in offered(client, req)
    upload = SimpleUploadedFile("chapter.pdf", b"%PDF-1.7\n...", content_type="application/pdf")
    assert dialog(client, req, "ship_digitally", {"file": upload}).status_code == 302
    req = fresh(req)
    # the full profile waits for the borrower's digital receipt
    assert (req.status, req.attachments.get().name) == ("shipped_digitally", "chapter.pdf")
    run_transition(req, "borrower_received_digitally", by=None)
    assert fresh(req).status == "completed"


def test_a_non_returnable(client, operator, kuhn, iso_partner, partner_events):
    req = _incoming(iso_partner, kuhn, requested_format="physical_non_returnable")
    client.force_login(operator)
    assert perform(client, req, "ship_non_returnable").status_code == 302
    run_transition(fresh(req), "borrower_received", by=None)
    assert perform(client, fresh(req), "check_in").status_code == 302
    req = fresh(req)
    assert (req.status, req.supplied_format) == ("completed", "physical_non_returnable")
    assert events(partner_events) == ["loaned", "loan_completed"]


@pytest.mark.parametrize(("accepted", "then"), [(True, "created"), (False, "rejected")])
def test_a_conditional_answered_by_message(client, operator, kuhn, iso_partner, accepted, then, partner_events):
    req = _incoming(iso_partner, kuhn)
    client.force_login(operator)
    reply_by = timezone.localdate() + timedelta(days=3)
    dialog(client, req, "conditional", {"reason": "Reading room only", "reply_by": reply_by})
    assert fresh(req).status == "conditional"
    req = actions.conditional_answer(fresh(req), accepted=accepted, by=None, note="#ReShareLoanConditionAgree#")
    assert (req.status, req.reply_by) == (then, None)
    if accepted:  # back to work: ship it
        client.post(SHIP, {"op": "ship", "barcode": "39001000001", "request_id": str(req.pk)})
        assert fresh(req).status == "shipped_physically"
    assert events(partner_events)[0] == "conditional"


def test_a_reject(client, operator, library, iso_partner, inventory, partner_events):
    req = actions.create_incoming(iso_partner, fields={"title": "Not in our catalogue at all"})
    assert req.status == "locate_failed"
    client.force_login(operator)
    assert dialog(client, req, "reject", {"reason": "NotOwned", "internal_note": "Checked the catalogue"}) \
        .status_code == 302
    req = fresh(req)
    assert (req.status, req.reject_reason) == ("rejected", "NotOwned")
    assert partner_events == [(req.pk, "unfilled", {"note": "", "reason": "NotOwned"})]
