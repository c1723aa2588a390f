"""A lender's supplyingAgencyMessages drive our borrowing requests (POST /iso18626)."""

from datetime import UTC, date, datetime, timedelta

import pytest
from django.utils import timezone

from borrowing.models import BorrowingRequest, RotaEntry
from illdesk.models import GeneralMessage, HistoryEvent, Note
from partners.iso18626.messages import ReasonForMessage as R
from partners.iso18626.messages import Status
from partners.models import InboundMessage, OutboundMessage, Partner
from tests.factories import make_borrowing

from .iso_helpers import error_of, post, sam, status_of

pytestmark = pytest.mark.django_db


def fresh(req):
    return BorrowingRequest.objects.get(pk=req.pk)


@pytest.fixture
def sent(library, peer):
    return make_borrowing(library, "sent", partner=peer)


def test_it_accepts_will_supply_and_answers_ok_in_the_same_response(sent):
    response, confirmation = post(sam(sent.pk, Status.WILL_SUPPLY, R.REQUEST_RESPONSE))
    assert status_of(confirmation) == "OK"
    assert confirmation.reason_for_message is R.REQUEST_RESPONSE
    assert fresh(sent).status == "will_supply"
    log = InboundMessage.objects.get()
    assert log.acted and log.request == fresh(sent) and "<" in log.raw and log.confirmation_xml
    assert fresh(sent).history.filter(kind=HistoryEvent.Kind.PARTNER_DATA, new_value__contains="WillSupply").exists()


def test_a_peer_that_never_sends_expect_to_supply_can_ship_at_once(sent):
    due = datetime(2031, 3, 1, 12, tzinfo=UTC)
    _, confirmation = post(sam(sent.pk, Status.LOANED, due=due, note="Return by post"))
    assert status_of(confirmation) == "OK"
    req = fresh(sent)
    assert req.status == "shipped_physically" and req.due_date == date(2031, 3, 1)
    assert Note.objects.filter(kind="from_partner", text="Return by post").exists()


def test_expect_to_supply_then_will_supply_then_a_late_expect_to_supply_is_harmless(sent):
    post(sam(sent.pk, Status.EXPECT_TO_SUPPLY, R.REQUEST_RESPONSE))
    assert fresh(sent).status == "accepted"
    post(sam(sent.pk, Status.WILL_SUPPLY, R.REQUEST_RESPONSE))
    _, confirmation = post(sam(sent.pk, Status.EXPECT_TO_SUPPLY, R.REQUEST_RESPONSE))
    assert status_of(confirmation) == "OK" and fresh(sent).status == "will_supply"


def test_a_notification_with_an_empty_status_becomes_a_general_message(sent):
    _, confirmation = post(sam(sent.pk, None, R.NOTIFICATION, note="We are looking for it"))
    assert status_of(confirmation) == "OK"
    req = fresh(sent)
    assert req.status == "sent" and req.has_active_message
    assert GeneralMessage.objects.get().text == "We are looking for it"


@pytest.mark.parametrize("kwargs", [
    {"note": "Condition: LibraryUseOnly, Cost: 5 EUR"},
    {"note": "#ReShareAddLoanCondition# library use only"},
    {"offered_cost": "12.50"},
    {"loan_condition": "NoReproduction"},
])
def test_conditions_carried_in_a_notification_make_the_request_conditional(sent, kwargs):
    _, confirmation = post(sam(sent.pk, Status.WILL_SUPPLY, R.NOTIFICATION, **kwargs))
    assert status_of(confirmation) == "OK"
    req = fresh(sent)
    assert req.status == "conditional"
    assert Note.objects.filter(kind="from_partner").exists()


def test_retry_possible_after_will_supply_asks_staff_like_a_condition(sent):
    post(sam(sent.pk, Status.WILL_SUPPLY, R.REQUEST_RESPONSE))
    _, confirmation = post(sam(sent.pk, Status.RETRY_POSSIBLE, R.REQUEST_RESPONSE, note="Ask again in May"))
    assert status_of(confirmation) == "OK" and fresh(sent).status == "conditional"


def test_unfilled_moves_the_rota_to_the_next_lender(sent, full_profile):
    second = Partner.objects.create(code="TWO", name="Two", profile_type="iso18626", agency_id_type="ISIL",
                                    agency_id_value="ZZ-TWO", iso_endpoint="http://127.0.0.1:9/iso18626",
                                    workflow_profile=full_profile)
    RotaEntry.objects.create(request=sent, partner=sent.partner, position=1, state="active")
    RotaEntry.objects.create(request=sent, partner=second, position=2)
    _, confirmation = post(sam(sent.pk, Status.UNFILLED, R.REQUEST_RESPONSE, reason_unfilled="NotOnShelf",
                               note="Missing"))
    assert status_of(confirmation) == "OK"
    req = fresh(sent)
    assert req.partner == second and req.status == "rejected_by_partner"
    assert req.rota_entries.get(position=1).reject_reason == "NotOnShelf"


def test_unfilled_with_reason_duplicate_is_terminal(sent):
    _, confirmation = post(sam(sent.pk, Status.UNFILLED, R.REQUEST_RESPONSE, reason_unfilled="Duplicate"))
    assert status_of(confirmation) == "OK"
    assert fresh(sent).status == "cancelled_by_partner"


def test_an_unsolicited_cancelled_ends_the_request(sent):
    _, confirmation = post(sam(sent.pk, Status.CANCELLED, R.STATUS_CHANGE))
    assert status_of(confirmation) == "OK" and fresh(sent).status == "cancelled_by_partner"


def test_a_cancel_answered_no_resumes_the_status_the_lender_reports(library, peer):
    req = make_borrowing(library, "waiting_cancel_response", partner=peer)
    post(sam(req.pk, Status.WILL_SUPPLY, R.CANCEL_RESPONSE, answer=False))
    assert fresh(req).status == "will_supply"
    req2 = make_borrowing(library, "waiting_cancel_response", partner=peer)
    post(sam(req2.pk, Status.CANCELLED, R.CANCEL_RESPONSE, answer=True))
    assert fresh(req2).status == "cancelled"


def test_renew_answers_yes_with_a_new_due_date_and_no(library, peer):
    req = make_borrowing(library, "renew_requested", partner=peer, due_date=date(2030, 1, 1))
    post(sam(req.pk, Status.LOANED, R.RENEW_RESPONSE, answer=True, due=datetime(2030, 2, 1, 12, tzinfo=UTC)))
    req = fresh(req)
    assert req.status == "renewed_by_partner" and req.due_date == date(2030, 2, 1)
    req2 = make_borrowing(library, "renew_requested", partner=peer)
    post(sam(req2.pk, Status.LOANED, R.RENEW_RESPONSE, answer=False))
    assert fresh(req2).status == "renew_not_accepted"


def test_a_refused_renewal_with_status_recalled_is_also_a_recall(library, peer):
    req = make_borrowing(library, "renew_requested", partner=peer)
    post(sam(req.pk, Status.RECALLED, R.RENEW_RESPONSE, answer=False, due=datetime(2030, 1, 5, 12, tzinfo=UTC)))
    req = fresh(req)
    assert req.status == "recalled_by_partner" and req.due_date == date(2030, 1, 5)


def test_overdue_recall_and_loan_completed(library, peer):
    req = make_borrowing(library, "loaned_to_patron", partner=peer, due_date=date(2030, 1, 1))
    post(sam(req.pk, Status.OVERDUE))
    assert fresh(req).status == "overdue"
    post(sam(req.pk, Status.RECALLED, due=datetime(2029, 12, 24, 12, tzinfo=UTC)))
    req = fresh(req)
    assert req.status == "recalled_by_partner" and req.due_date == date(2029, 12, 24)
    assert req.pre_recall_due_date == date(2030, 1, 1)
    done = make_borrowing(library, "returned_to_partner", partner=peer)
    _, confirmation = post(sam(done.pk, Status.LOAN_COMPLETED, R.REQUEST_RESPONSE))
    assert status_of(confirmation) == "OK" and fresh(done).status == "lender_checked_in"
    copy = make_borrowing(library, "received_non_returnable", partner=peer)
    post(sam(copy.pk, Status.LOAN_COMPLETED, R.REQUEST_RESPONSE))
    assert fresh(copy).status == "completed"


def test_a_copy_completed_ships_digitally(sent):
    post(sam(sent.pk, Status.COPY_COMPLETED))
    assert fresh(sent).status == "shipped_digitally"


def test_a_status_request_response_is_recorded_as_a_note(library, peer):
    req = make_borrowing(library, "shipped_physically", partner=peer)
    post(sam(req.pk, Status.LOANED, R.STATUS_REQUEST_RESPONSE, note="On its way"))
    assert fresh(req).status == "shipped_physically"
    assert Note.objects.get(kind="from_partner").text == "Partner status: Loaned — On its way"


def test_a_transition_not_allowed_now_is_an_error_with_a_human_value(library, peer):
    req = make_borrowing(library, "created", partner=peer)
    _, confirmation = post(sam(req.pk, Status.OVERDUE))
    assert status_of(confirmation) == "ERROR"
    error_type, value = error_of(confirmation)
    assert error_type == "UnrecognisedDataValue"
    assert "Overdue is not possible while request" in value and "Created borrowing request" in value
    assert fresh(req).status == "created"
    log = InboundMessage.objects.get()
    assert log.message_status == "ERROR" and log.request == req and not log.acted


def test_unknown_request_ids_and_strangers_get_errors(sent, full_profile):
    _, confirmation = post(sam("abc", Status.LOANED))
    assert error_of(confirmation)[0] == "UnrecognisedDataValue"
    _, confirmation = post(sam(999999, Status.LOANED))
    assert "no request 999999" in error_of(confirmation)[1]
    other = Partner.objects.create(code="OTHER", name="Other", profile_type="iso18626", agency_id_type="ISIL",
                                   agency_id_value="ZZ-OTHER", workflow_profile=full_profile,
                                   allowed_networks="127.0.0.1")
    from partners.iso18626.messages import AgencyId

    _, confirmation = post(sam(sent.pk, Status.LOANED, sender=AgencyId("isil", "zz-other")))
    # another partner's request reads exactly like one we do not have, naming nobody
    assert error_of(confirmation)[1] == f"header/requestingAgencyRequestId: we have no request {sent.pk} with you"
    assert "PEER" not in error_of(confirmation)[1]
    assert InboundMessage.objects.filter(partner=other).exists()  # matched case-insensitively
    assert fresh(sent).status == "sent"


def test_the_due_date_lands_on_the_same_calendar_day(sent):
    post(sam(sent.pk, Status.LOANED, due=datetime(2030, 6, 30, 23, 30, tzinfo=UTC)))
    # 23:30 UTC is already July 1st in Helsinki
    assert fresh(sent).due_date == timezone.localdate(datetime(2030, 6, 30, 23, 30, tzinfo=UTC))


def test_nothing_is_queued_for_a_lender_message(sent):
    post(sam(sent.pk, Status.LOANED))
    assert not OutboundMessage.objects.exists()
    assert timedelta  # keep import used for readers adding time-based cases
