"""Borrowing row actions through their dialogs (seed 000): shown only when their condition holds,
their effect, their history row, and a refusal that leaves the request unchanged."""

from datetime import date, timedelta

import pytest
import time_machine
from django.urls import reverse
from django.utils import timezone

from borrowing.models import BorrowingRequest, PurchaseRequest, RotaEntry
from illdesk.models import GeneralMessage, HistoryEvent, Note
from illdesk.workflow import run_transition
from partners.models import Partner, RotaAssignmentRule, RotaTemplate, RotaTemplateMember
from tests.factories import make_borrowing


def dialog(client, req, name, data=None):
    url = reverse("borrowing:dialog", args=[req.pk, name])
    return client.post(url, data or {}) if data is not None else client.get(url)


def offered(client, req):
    return [a.name for a in client.get(reverse("borrowing:detail", args=[req.pk])).context["actions"]]


def fresh(req):
    return BorrowingRequest.objects.get(pk=req.pk)


@pytest.fixture
def second_lender(full_profile):
    return Partner.objects.create(code="SECOND", name="Second Library", profile_type="iso18626",
                                  agency_id_type="ISIL", agency_id_value="ZZ-SECOND", workflow_profile=full_profile)


@pytest.fixture
def rule(iso_partner, second_lender):
    template = RotaTemplate.objects.create(code="NORDIC", name="Nordic")
    RotaTemplateMember.objects.create(template=template, partner=iso_partner, position=1)
    RotaTemplateMember.objects.create(template=template, partner=second_lender, position=2)
    return RotaAssignmentRule.objects.create(name="Books", template=template, send_automatically=True)


@pytest.fixture
def req(library, patron, pickup):
    return make_borrowing(library, "created", requester=patron, patron_category=patron.category,
                          pickup_location=pickup, due_date=timezone.localdate() + timedelta(days=20))


def test_a_returnable_loan_from_created_to_completed(client, operator, req, rule, iso_partner):
    client.force_login(operator)
    assert "send" not in offered(client, req)  # no partner yet
    dialog(client, req, "recalculate_rota", {})
    req = fresh(req)
    assert req.partner == iso_partner
    assert list(req.rota_entries.values_list("partner__code", "state")) == [("PEER", "active"),
                                                                             ("SECOND", "pending")]
    assert dialog(client, req, "send", {"note": "Thanks!"}).status_code == 302
    req = fresh(req)
    assert req.status == "sent"
    assert req.rota_entries.get(partner=iso_partner).sent_at is not None
    run_transition(req, "partner_will_supply", by=None)
    run_transition(req, "partner_shipped_physically", by=None)
    dialog(client, req, "receive", {"received_format": "physical", "temp_barcode": ""})
    req = fresh(req)
    assert req.status == "received_physically"
    assert req.temp_barcode == f"ILL{req.pk:08d}"
    client.post(reverse("borrowing:perform", args=[req.pk, "check_out_to_patron"]))
    assert fresh(req).status == "loaned_to_patron"
    dialog(client, req, "return_item", {})
    assert fresh(req).status == "returned_to_partner"
    run_transition(fresh(req), "partner_checked_in", by=None)
    client.post(reverse("borrowing:perform", args=[req.pk, "complete"]))
    req = fresh(req)
    assert req.status == "completed" and not req.is_active
    statuses = list(req.history.filter(kind="status").order_by("at", "id").values_list("new_value", flat=True))
    assert statuses == ["Request sent to partner", "Will supply", "Shipped physically",
                        "Physically received by library", "Loaned item to patron", "Returned item to partner",
                        "Lender check in", "Request completed"]


def test_reject_moves_to_the_next_partner_and_sends_automatically(client, operator, req, rule, second_lender):
    client.force_login(operator)
    dialog(client, req, "recalculate_rota", {})
    dialog(client, fresh(req), "send", {"note": ""})
    response = dialog(client, fresh(req), "reject", {"reason": "NotOnShelf", "internal_note": "slow lender",
                                                     "partner_note": "Thanks anyway"})
    assert response.status_code == 302
    req = fresh(req)
    assert req.partner == second_lender
    assert req.status == "sent"  # the rule sends to the next partner automatically
    assert req.rota_entries.get(position=1).state == "rejected"
    assert req.rota_entries.get(position=1).reject_reason == "NotOnShelf"
    notes = set(Note.objects.filter(object_id=req.pk).values_list("kind", "text"))
    assert ("internal", "slow lender") in notes
    assert any(kind == "to_partner" and "Thanks anyway" in text for kind, text in notes)
    # the last partner rejects too: completed, patron told
    dialog(client, req, "reject", {"reason": "NotOwned"})
    req = fresh(req)
    assert req.status == "completed"
    letter = req.history.get(field="Letter")
    assert "pia@example.org" in letter.new_value


def test_the_library_can_keep_rejected_requests_active(client, operator, req, iso_partner, library):
    library.keep_rejected_active = True
    library.save()
    BorrowingRequest.objects.filter(pk=req.pk).update(partner=iso_partner)
    client.force_login(operator)
    dialog(client, req, "send", {"note": ""})
    dialog(client, fresh(req), "reject", {"reason": "Lacking"})
    req = fresh(req)
    assert req.status == "rejected_by_partner" and req.is_active


def test_reject_needs_a_reason_and_the_profile_step(client, operator, library, bare_profile, iso_partner):
    req = make_borrowing(library, "sent", partner=iso_partner)
    client.force_login(operator)
    response = dialog(client, req, "reject", {"reason": ""})
    assert response.status_code == 400
    assert "This field is required" in response.content.decode()
    iso_partner.workflow_profile = bare_profile
    iso_partner.save()
    assert "reject" not in offered(client, req)
    response = dialog(client, req, "reject", {"reason": "Lacking"})
    assert response.status_code == 409
    assert fresh(req).status == "sent"
    assert not HistoryEvent.objects.filter(object_id=req.pk).exists()


def test_cancel_before_sending_and_after(client, operator, library, iso_partner, email_partner):
    client.force_login(operator)
    early = make_borrowing(library, "created")
    dialog(client, early, "cancel", {"note": "Patron found it"})
    assert fresh(early).status == "cancelled"
    sent = make_borrowing(library, "sent", partner=iso_partner)
    assert "cancel" not in offered(client, sent) and "request_cancel" in offered(client, sent)
    dialog(client, sent, "request_cancel", {"note": ""})
    assert fresh(sent).status == "waiting_cancel_response"


def test_renewals_follow_the_profile(client, operator, library, iso_partner, full_profile):
    client.force_login(operator)
    held = make_borrowing(library, "loaned_to_patron", partner=iso_partner, due_date=date(2030, 1, 10))
    dialog(client, held, "request_renew", {"note": "One more month please"})
    assert fresh(held).status == "renew_requested"
    full_profile.renew_response = False
    full_profile.save()
    held2 = make_borrowing(library, "loaned_to_patron", partner=iso_partner, due_date=date(2030, 1, 10))
    dialog(client, held2, "request_renew", {"note": ""})
    assert fresh(held2).status == "renewed_by_partner"
    response = dialog(client, held, "renew", {"due_date": "2030-01-01"})
    assert response.status_code == 400 and "must be after" in response.content.decode()
    dialog(client, held, "renew", {"due_date": "2030-02-10"})
    held = fresh(held)
    assert held.status == "renewed_by_partner" and held.due_date == date(2030, 2, 10)
    assert held.history.filter(field="Due date", old_value="2030-01-10", new_value="2030-02-10").exists()


def test_cancel_recall_restores_the_due_date(client, operator, library, iso_partner, full_profile):
    client.force_login(operator)
    held = make_borrowing(library, "loaned_to_patron", partner=iso_partner, due_date=date(2030, 3, 1))
    run_transition(held, "partner_recalled", by=None, due_date=date(2030, 1, 15))
    held = fresh(held)
    assert held.due_date == date(2030, 1, 15)
    client.post(reverse("borrowing:perform", args=[held.pk, "cancel_recall"]))
    held = fresh(held)
    assert held.status == "loaned_to_patron" and held.due_date == date(2030, 3, 1)
    full_profile.cancel_recall = False
    full_profile.save()
    run_transition(held, "partner_recalled", by=None)
    assert "cancel_recall" not in offered(client, held)


def test_damaged_and_lost_need_the_profile_and_a_returnable_item(client, operator, library, iso_partner,
                                                                  external_partner):
    client.force_login(operator)
    held = make_borrowing(library, "received_physically", partner=iso_partner)
    assert {"report_damaged", "report_lost"} <= set(offered(client, held))
    copy = make_borrowing(library, "received_non_returnable", partner=iso_partner)
    assert "report_lost" not in offered(client, copy)
    manual = make_borrowing(library, "received_physically", partner=external_partner)
    assert "report_lost" not in offered(client, manual)
    dialog(client, held, "report_lost", {"note": "Patron lost it"})
    assert fresh(held).status == "lost_communicated"


def test_general_message_only_after_sending_to_a_peer(client, operator, library, iso_partner):
    client.force_login(operator)
    unsent = make_borrowing(library, "ready_to_send", partner=iso_partner)
    assert "general_message" not in offered(client, unsent)
    sent = make_borrowing(library, "sent", partner=iso_partner)
    response = dialog(client, sent, "general_message", {"text": "x" * 1001})
    assert response.status_code == 400
    dialog(client, sent, "general_message", {"text": "Could you send it by courier?"})
    message = GeneralMessage.objects.get(object_id=sent.pk)
    assert message.direction == "sent" and message.text == "Could you send it by courier?"


def test_resupply_once_within_seven_days(client, operator, library, iso_partner):
    client.force_login(operator)
    req = make_borrowing(library, "sent", partner=iso_partner)
    run_transition(req, "partner_shipped_digitally", by=None)
    dialog(client, fresh(req), "receive", {"received_format": "digital"})
    assert fresh(req).status == "received_digitally"
    with time_machine.travel(timezone.now() + timedelta(days=8)):
        assert "resupply" not in offered(client, req)
    dialog(client, fresh(req), "resupply", {"reason": "Pages 12-13 missing"})
    req = fresh(req)
    assert req.status == "sent" and req.resupply_used
    run_transition(req, "partner_shipped_digitally", by=None)
    assert "resupply" not in offered(client, fresh(req))


def test_conditional_reply_yes_and_no(client, operator, library, iso_partner, rule, second_lender):
    client.force_login(operator)
    yes = make_borrowing(library, "conditional", partner=iso_partner, reply_by=date(2030, 1, 1))
    dialog(client, yes, "conditional_reply", {"accept": "yes"})
    yes = fresh(yes)
    assert yes.status == "sent" and yes.reply_by is None
    no = make_borrowing(library, "created")
    dialog(client, no, "recalculate_rota", {})
    dialog(client, fresh(no), "send", {"note": ""})
    run_transition(fresh(no), "partner_conditional", by=None)
    dialog(client, fresh(no), "conditional_reply", {"accept": "no"})
    no = fresh(no)
    assert no.partner == second_lender


def test_duplicate_purchase_and_shipping_cost(client, operator, library, iso_partner, patron, pickup):
    client.force_login(operator)
    done = make_borrowing(library, "completed", partner=iso_partner, requester=patron, pickup_location=pickup,
                          isbn="9789510000000", request_note="For my thesis")
    dialog(client, done, "edit_shipping_cost", {"shipping_cost": "12.50"})
    assert str(fresh(done).shipping_cost) == "12.50"
    dialog(client, done, "duplicate", {})
    copy = BorrowingRequest.objects.exclude(pk=done.pk).get()
    assert (copy.title, copy.isbn, copy.requester, copy.pickup_location, copy.request_note, copy.status) == (
        done.title, "9789510000000", patron, pickup, "For my thesis", "created")
    active = make_borrowing(library, "created", requester=patron)
    dialog(client, active, "purchase_request", {"cancel_request": "on"})
    purchase = PurchaseRequest.objects.get()
    assert purchase.requester == patron and fresh(active).status == "cancelled"


def test_convert_request_type(client, operator, library):
    client.force_login(operator)
    req = make_borrowing(library, "created", request_type="book")
    response = dialog(client, req, "convert_request_type", {"request_type": "chapter", "owner": library.pk})
    assert response.status_code == 400  # a chapter needs its title
    dialog(client, req, "convert_request_type", {"request_type": "chapter", "chapter_title": "Intro",
                                                 "pages": "1-20", "owner": library.pk})
    req = fresh(req)
    assert (req.request_type, req.chapter_title, req.pages) == ("chapter", "Intro", "1-20")
    assert req.history.filter(field="Request type", old_value="Book", new_value="Book chapter").exists()
    shipped = make_borrowing(library, "shipped_physically")
    assert "convert_request_type" not in offered(client, shipped)


def test_remove_only_final(client, operator, library):
    client.force_login(operator)
    active = make_borrowing(library, "sent")
    assert "remove" not in offered(client, active)
    done = make_borrowing(library, "cancelled")
    dialog(client, done, "remove", {})
    assert fresh(done).removed_at is not None


def test_an_unavailable_action_is_refused_and_changes_nothing(client, operator, library):
    client.force_login(operator)
    req = make_borrowing(library, "created")
    response = dialog(client, req, "receive", {"received_format": "physical"})
    assert response.status_code == 409
    assert fresh(req).status == "created"
    assert not HistoryEvent.objects.exists()
    assert dialog(client, req, "no_such_action", {}).status_code == 404


def test_rota_entries_use_only_active_partners(operator, library, rule, second_lender):
    from borrowing import rota

    second_lender.active = False
    second_lender.save()
    req = make_borrowing(library, "created")
    rota.rebuild(req, by=operator, keep_active=False)
    assert list(RotaEntry.objects.values_list("partner__code", flat=True)) == ["PEER"]
