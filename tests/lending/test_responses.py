"""Answering the borrower (seed 002): Will supply, Conditional (and the borrower's yes / no), Reject,
Renew, Refuse renewal, Recall, answering a cancel request, General message, Status query. Each: shown
only under its condition, its effect, its history row, its partner event, and a refusal that changes
nothing."""

from datetime import timedelta

import pytest
from django.utils import timezone

from illdesk.models import GeneralMessage, Note
from illdesk.workflow import run_transition
from lending import actions
from partners.models import Partner, WorkflowProfile
from tests.factories import make_lending

from .helpers import dialog, events, fresh, item, offered, perform, statuses

TODAY = timezone.localdate()


def _partner(profile_type="iso18626", **steps):
    fields = {f.name: True for f in WorkflowProfile._meta.get_fields() if f.get_internal_type() == "BooleanField"}
    fields.update(steps)
    n = Partner.objects.count()
    profile = WorkflowProfile.objects.create(code=f"P{n}", name=f"Profile {n}", **fields)
    return Partner.objects.create(code=f"B{n}", name=f"Borrower {n}", profile_type=profile_type,
                                  email=f"b{n}@example.org", workflow_profile=profile)


def _unchanged(req, response, code=409):
    before = (fresh(req).status, req.history.count())
    assert response.status_code == code
    return before


def test_will_supply(client, operator, library, partner_events):
    req = make_lending(library, "created", _partner())
    client.force_login(operator)
    assert "will_supply" in offered(client, req)
    assert perform(client, req, "will_supply", note="Within a week").status_code == 302
    req = fresh(req)
    assert req.status == "will_supply" and statuses(req) == ["Will supply"]
    assert events(partner_events) == ["will_supply"]
    assert req.notes.get().kind == Note.Kind.TO_PARTNER
    assert "will_supply" not in offered(client, req)
    assert perform(client, req, "will_supply").status_code == 409
    assert statuses(fresh(req)) == ["Will supply"]


def test_will_supply_needs_the_profile_step(client, operator, library):
    req = make_lending(library, "created", _partner(will_supply=False))
    client.force_login(operator)
    assert "will_supply" not in offered(client, req)
    assert perform(client, req, "will_supply").status_code == 409
    assert fresh(req).status == "created" and not req.history.exists()


@pytest.mark.parametrize(("answer", "target"), [("yes", "created"), ("no", "rejected")])
def test_conditional_and_an_email_borrowers_answer(client, operator, library, partner_events, answer, target):
    req = make_lending(library, "being_processed", _partner("email"))
    client.force_login(operator)
    assert "conditional" in offered(client, req)
    reply_by = TODAY + timedelta(days=5)
    response = dialog(client, req, "conditional", {"reason": "Reading room use only", "reply_by": reply_by,
                                                   "note": "Please confirm"})
    assert response.status_code == 302
    req = fresh(req)
    assert (req.status, req.conditional_reason, req.reply_by) == ("conditional", "Reading room use only", reply_by)
    assert partner_events[-1] == (req.pk, "conditional", {"note": "Please confirm", "reason": "Reading room use only",
                                                          "reply_by": reply_by.isoformat()})
    names = offered(client, req)
    assert "condition_answer" in names and "conditional" not in names
    assert dialog(client, req, "condition_answer", {"answer": answer, "note": "ok"}).status_code == 302
    req = fresh(req)
    assert (req.status, req.reply_by) == (target, None)
    assert statuses(req)[-2:] == ["Conditional", "Created lending request" if answer == "yes" else
                                  "Rejected the borrower request"]
    assert req.notes.filter(kind=Note.Kind.FROM_PARTNER, text="ok").exists()


def test_iso_borrowers_answer_conditions_by_message_only(client, operator, library):
    req = make_lending(library, "conditional", _partner("iso18626"), reply_by=TODAY)
    client.force_login(operator)
    assert "condition_answer" not in offered(client, req)
    assert dialog(client, req, "condition_answer", {"answer": "yes"}).status_code == 409
    done = actions.conditional_answer(req, accepted=True, by=None, note="Fine")
    assert (done.status, done.reply_by) == ("created", None)


def test_conditional_needs_a_reason_and_a_future_date(client, operator, library):
    req = make_lending(library, "created", _partner())
    client.force_login(operator)
    response = dialog(client, req, "conditional", {"reason": "", "reply_by": TODAY - timedelta(days=1)})
    assert response.status_code == 400
    assert set(response.context["form"].errors) == {"reason", "reply_by"}
    assert fresh(req).status == "created" and not req.history.exists()


def test_reject_with_a_reason_and_notes(client, operator, kuhn, iso_partner, partner_events):
    req = actions.create_incoming(iso_partner, fields={"title": kuhn.title, "isbn": kuhn.isbn})
    copy = item("39001000001")
    actions.place_fulfillment_request(req, kind="ship_physically", by=operator, item=copy)
    client.force_login(operator)
    assert "reject" in offered(client, req)
    bad = dialog(client, req, "reject", {"reason": "Nonsense"})
    assert bad.status_code == 400 and fresh(req).status == "being_processed"
    response = dialog(client, req, "reject", {"reason": "NotOnShelf", "internal_note": "Checked twice",
                                              "partner_note": "Sorry!"})
    assert response.status_code == 302
    req = fresh(req)
    assert (req.status, req.reject_reason, req.reject_reason_display) == ("rejected", "NotOnShelf", "Not on shelf")
    assert statuses(req)[-1] == "Rejected the borrower request"
    assert set(req.notes.values_list("kind", "text")) == {("internal", "Rejected: Not on shelf\nChecked twice"),
                                                          ("to_partner", "Sorry!")}
    copy.refresh_from_db()
    assert copy.state == "on_shelf"
    assert partner_events[-1] == (req.pk, "unfilled", {"note": "Sorry!", "reason": "NotOnShelf"})
    assert "reject" not in offered(client, req)
    assert dialog(client, req, "reject", {"reason": "NotOwned"}).status_code == 409


def test_reject_is_not_offered_once_shipped(client, operator, library, iso_partner):
    req = make_lending(library, "shipped_physically", iso_partner)
    client.force_login(operator)
    assert "reject" not in offered(client, req)
    assert dialog(client, req, "reject", {"reason": "NotOwned"}).status_code == 409
    assert fresh(req).status == "shipped_physically"


def test_renew_and_refuse_renewal(client, operator, library, partner_events):
    partner = _partner()
    req = make_lending(library, "renew_requested", partner, due_date=TODAY + timedelta(days=3))
    client.force_login(operator)
    assert {"renew", "refuse_renewal"} <= set(offered(client, req))
    new_due = TODAY + timedelta(days=30)
    response = dialog(client, req, "renew", {"due_date": new_due, "internal_note": "ok", "partner_note": "Enjoy"})
    assert response.status_code == 302
    req = fresh(req)
    assert (req.status, req.due_date) == ("received_by_partner", new_due)
    assert req.history.filter(kind="field", field="Due date", new_value=str(new_due)).exists()
    assert partner_events[-1] == (req.pk, "renew_response", {"note": "Enjoy", "accepted": True,
                                                             "due_date": new_due.isoformat()})
    other = make_lending(library, "renew_requested", partner, due_date=TODAY + timedelta(days=3))
    assert dialog(client, other, "refuse_renewal", {"note": "Needed here"}).status_code == 302
    assert fresh(other).status == "received_by_partner"
    assert partner_events[-1][1:] == ("renew_response", {"note": "Needed here", "accepted": False,
                                                         "due_date": (TODAY + timedelta(days=3)).isoformat()})
    assert "refuse_renewal" not in offered(client, fresh(other))


def test_renew_needs_staff_renewal_in_the_profile_and_a_future_date(client, operator, library):
    client.force_login(operator)
    off = make_lending(library, "received_by_partner", _partner(staff_renewal=False))
    assert "renew" not in offered(client, off)
    assert dialog(client, off, "renew", {"due_date": TODAY + timedelta(days=9)}).status_code == 409
    on = make_lending(library, "received_by_partner", _partner())
    response = dialog(client, on, "renew", {"due_date": TODAY - timedelta(days=1)})
    assert response.status_code == 400 and fresh(on).status == "received_by_partner"


def test_recall(client, operator, library, partner_events):
    req = make_lending(library, "received_by_partner", _partner(), due_date=TODAY + timedelta(days=20))
    client.force_login(operator)
    assert "recall" in offered(client, req)
    earlier = TODAY + timedelta(days=7)
    assert dialog(client, req, "recall", {"due_date": earlier, "note": "Needed locally"}).status_code == 302
    req = fresh(req)
    assert (req.status, req.due_date) == ("recalled", earlier)
    assert partner_events[-1] == (req.pk, "recalled", {"note": "Needed locally", "due_date": earlier.isoformat()})
    assert "recall" not in offered(client, req)
    off = make_lending(library, "received_by_partner", _partner(recall=False))
    assert "recall" not in offered(client, off)
    assert dialog(client, off, "recall", {}).status_code == 409


@pytest.mark.parametrize(("answer", "target"), [("yes", "cancelled"), ("no", "will_supply")])
def test_answer_a_cancel_request(client, operator, library, partner_events, answer, target):
    req = make_lending(library, "will_supply", _partner())
    req = run_transition(req, "borrower_requests_cancel", by=None)
    client.force_login(operator)
    assert "answer_cancel" in offered(client, req)
    assert dialog(client, req, "answer_cancel", {"answer": answer}).status_code == 302
    assert fresh(req).status == target
    assert partner_events[-1][1:] == ("cancel_response", {"note": "", "accepted": answer == "yes"})
    assert "answer_cancel" not in offered(client, fresh(req))


def test_general_message(client, operator, library, partner_events):
    req = make_lending(library, "shipped_physically", _partner("email"))
    client.force_login(operator)
    assert "general_message" in offered(client, req)
    too_long = dialog(client, req, "general_message", {"text": "x" * 1001})
    assert too_long.status_code == 400 and not GeneralMessage.objects.exists()
    assert dialog(client, req, "general_message", {"text": "Please return soon"}).status_code == 302
    req = fresh(req)
    message = GeneralMessage.objects.get()
    assert (message.direction, message.text, message.author, req.has_active_message) == (
        "sent", "Please return soon", operator, True)
    assert req.history.filter(kind="action", message="Please return soon").exists()
    assert partner_events[-1] == (req.pk, "notification", {"note": "Please return soon", "text": "Please return soon"})
    manual = make_lending(library, "created", _partner("external"))
    assert "general_message" not in offered(client, manual)


def test_status_query_only_for_iso_partners(client, operator, library, partner_events):
    req = make_lending(library, "shipped_physically", _partner("iso18626"))
    client.force_login(operator)
    assert "status_query" in offered(client, req)
    assert perform(client, req, "status_query").status_code == 302
    assert events(partner_events) == ["status_request_response"]
    assert fresh(req).status == "shipped_physically"
    assert req.history.filter(kind="action", field="Status query").exists()
    email = make_lending(library, "shipped_physically", _partner("email"))
    assert "status_query" not in offered(client, email)
    assert perform(client, email, "status_query").status_code == 409
    assert events(partner_events) == ["status_request_response"]
