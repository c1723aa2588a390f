"""The ISO tables (borrowing/iso.py, lending/iso.py, partners.messaging.mapping) are complete: every ISO
status, reason, answer and action has a defined outcome, every row names real transitions and statuses, and applied to a
request in *any* status a message either acts, changes nothing, or is refused with an ERROR."""

import inspect
from datetime import UTC, datetime
from itertools import product

import pytest

from borrowing import iso as biso
from borrowing.models import BorrowingRequest
from borrowing.statuses import Status as B
from lending import iso as liso
from lending.models import LendingRequest
from lending.statuses import Status as L
from partners.iso18626.messages import (
    Action,
    ActiveSection,
    AgencyId,
    Header,
    MessageInfo,
    ReasonForMessage,
    RequestingAgencyMessage,
    SchemeValue,
    Status,
    StatusInfo,
    SupplyingAgencyMessage,
)
from partners.messaging import engine, mapping
from partners.notify import EVENT_TEXT
from tests.factories import make_borrowing, make_lending

STATUSES = [*Status, None]
ANSWERS = [None, True, False]


def _transitions(model) -> set[str]:
    return {name for name, member in inspect.getmembers(model) if hasattr(member, "_django_fsm")}


def _check_rule(rule, model, statuses) -> None:
    for step in rule.steps:
        assert step.kind in {"noop", "transition", "message", "status_note", "note", "reply", "error", "call"}
        assert step.statuses <= set(statuses), step
        if step.kind == "transition":
            assert step.name in _transitions(model), step.name
        if step.kind == "call":
            assert step.kwargs["guard"] in _transitions(model)
            # a real function of the side's actions, not a dotted string
            assert callable(step.action) and step.action.__module__.startswith(model._meta.app_label)
        if step.kind == "error":
            assert step.error_type and step.name


def test_every_supplying_agency_message_has_a_borrowing_rule():
    seen = set()
    for reason, status, answer in product(ReasonForMessage, STATUSES, ANSWERS):
        for kwargs in ({}, {"note": "Condition: x"}, {"offered_costs": True}, {"reason_unfilled": "Duplicate"}):
            event = biso.sam_event(reason, status, answer, **kwargs)
            assert event in biso.BORROWING_RULES, (reason, status, answer, kwargs)
            seen.add(event)
    assert seen == set(biso.BORROWING_RULES)  # and no row is unreachable


@pytest.mark.parametrize("event", sorted(biso.BORROWING_RULES))
def test_every_borrowing_row_names_real_transitions_and_statuses(event):
    _check_rule(biso.BORROWING_RULES[event], BorrowingRequest, B.values)


def test_every_action_has_a_lending_rule():
    seen = {liso.ram_event(action, note) for action, note in
            product(Action, [None, "hello", "ACCEPT", " reject! ", "#ReShareLoanConditionAgreeResponse#"])}
    assert seen == set(liso.LENDING_RULES)


@pytest.mark.parametrize("event", sorted(liso.LENDING_RULES))
def test_every_lending_row_names_real_transitions_and_statuses(event):
    _check_rule(liso.LENDING_RULES[event], LendingRequest, L.values)


def test_the_status_query_mapping_covers_every_lending_status_as_in_the_seeds():
    assert set(liso.LENDING_STATUS_QUERY) == set(L.values)
    seed = {  # seed 000/002 "Status query": ISO status group -> Alma lending statuses
        "Not supplied": {L.REJECTED, L.LOCATE_FAILED, L.EXPIRED},
        "Pending": {L.CREATED, L.BEING_PROCESSED, L.WILL_SUPPLY, L.NON_EXPIRING},
        "In process": {L.STAFF_RENEWAL, L.RENEWAL_RESPONSE},
        "Cancel pending": {L.CANCEL_REPLY},
        "Cancelled": {L.CANCELLED},
        "Shipped": {L.SHIPPED_DIGITALLY, L.SHIPPED_PHYSICALLY},
        "Received": {L.RECEIVED_BY_PARTNER},
        "Renew pending": {L.RENEW_REQUESTED, L.PATRON_RENEWAL},
        "Overdue": {L.OVERDUE},
        "Returned": {L.RETURNED_BY_PARTNER, L.LENDER_CHECK_IN, L.COMPLETED},
        "Recalled": {L.RECALLED},
        "Lost": {L.LOST},
    }
    for label, statuses in seed.items():
        for status in statuses:
            assert liso.LENDING_STATUS_QUERY[status][0] == label, status
    unknown = {s for s, (label, _) in liso.LENDING_STATUS_QUERY.items() if label == "Unknown"}
    assert L.DAMAGED in unknown and unknown.isdisjoint(set().union(*seed.values()))
    for status in L.values:  # every status reports a real ISO status
        assert isinstance(liso.lending_iso_status(status)[1], Status)
    assert liso.lending_iso_status(L.DAMAGED, last_sent=Status.LOANED)[1] is Status.LOANED
    assert liso.lending_iso_status(L.COMPLETED, supplied_format="digital")[1] is Status.COPY_COMPLETED
    assert liso.lending_iso_status(L.COMPLETED, reject_reason="NotOwned")[1] is Status.UNFILLED


def test_the_outgoing_tables_cover_the_contract_events():
    borrower = {"request", "cancel", "renew", "received", "shipped_return", "status_request", "notification",
                "damaged", "lost", "resupply", "conditional_answer"}
    lender = {"expect_to_supply", "will_supply", "unfilled", "retry_possible", "conditional", "loaned",
              "copy_completed", "overdue", "recalled", "loan_completed", "completed_without_return", "cancelled",
              "renew_response", "cancel_response", "status_request_response", "notification"}
    assert set(mapping.BORROWER_EVENTS) == borrower
    assert set(mapping.LENDER_EVENTS) == lender
    assert borrower | lender <= set(EVENT_TEXT)


def test_a_refused_cancel_resumes_a_status_partner_cancel_answer_can_reach():
    assert set(biso.RESUME_AFTER_REFUSED_CANCEL) == set(STATUSES)
    targets = BorrowingRequest.partner_cancel_answer._django_fsm.transitions[B.WAITING_CANCEL_RESPONSE].target
    assert set(biso.RESUME_AFTER_REFUSED_CANCEL.values()) <= set(targets.allowed_states)


# --- every row against a request in every status: acts, changes nothing, or ERROR -------------------
# choose_step is what run_rule executes; asking it needs no writes, so the whole matrix is cheap.


def _sam(pk, reason, status, answer, note="n", reason_unfilled=None):
    return SupplyingAgencyMessage(
        Header(AgencyId("ISIL", "ZZ-PEER"), AgencyId("ISIL", "ZZ-ILLDESK"), datetime(2025, 1, 1, tzinfo=UTC),
               str(pk)),
        MessageInfo(reason, answer_yes_no=answer, note=note,
                    reason_unfilled=SchemeValue(reason_unfilled) if reason_unfilled else None),
        StatusInfo(status, due_date=datetime(2030, 1, 1, 12, tzinfo=UTC)))


def _outcome(req, rule, ctx) -> str:
    step = engine.choose_step(req, rule, ctx)
    if step is None:
        return "ERROR UnrecognisedDataValue"  # "… is not possible while request N is …"
    return f"ERROR {step.error_type}" if step.kind == "error" else f"{step.kind}:{step.name}"


@pytest.mark.django_db
def test_every_borrowing_event_in_every_status_has_a_defined_outcome(library, peer):
    samples = {}  # event -> one message carrying it
    for reason, status, answer in product(ReasonForMessage, STATUSES, ANSWERS):
        samples.setdefault(biso.sam_event(reason, status, answer), _sam(0, reason, status, answer))
    samples["UnfilledDuplicate"] = _sam(0, ReasonForMessage.REQUEST_RESPONSE, Status.UNFILLED, None,
                                        reason_unfilled="Duplicate")
    samples["Conditions"] = _sam(0, ReasonForMessage.NOTIFICATION, Status.WILL_SUPPLY, None, note="Condition: x")
    assert set(samples) == set(biso.BORROWING_RULES)
    contexts = {}
    one = make_borrowing(library, "sent", partner=peer)
    for event, msg in samples.items():
        msg.header.requesting_agency_request_id = str(one.pk)
        _, found, rule, ctx = biso.sam_context(msg, peer)
        assert found == event
        contexts[event] = (rule, ctx)
    table = {}
    for status in B.values:
        req = BorrowingRequest(pk=one.pk, status=status, partner=peer, owner=library)  # conditions only read it
        for event, (rule, ctx) in contexts.items():
            table[(status, event)] = _outcome(req, rule, ctx)
    assert len(table) == len(B.values) * len(samples)
    assert table[(B.SENT, "Loaned")] == "transition:partner_shipped_physically"
    assert table[(B.SHIPPED_PHYSICALLY, "Loaned")].startswith("noop")
    assert table[(B.CREATED, "Loaned")] == "ERROR UnrecognisedDataValue"
    assert table[(B.SENT, "Unfilled")] == "call:apply_partner_reject"
    assert table[(B.WAITING_CANCEL_RESPONSE, "Unfilled")] == "transition:partner_cancel_answer"
    assert table[(B.WILL_SUPPLY, "RetryPossible")] == "transition:partner_conditional"
    assert table[(B.SENT, "RenewNoAnswer")] == "ERROR UnrecognisedDataElement"
    assert all(table[(s, "Message")] == "message:" for s in B.values)


@pytest.mark.django_db
def test_every_lending_event_in_every_status_has_a_defined_outcome(library, peer):
    notes = {"Notification": "hi", "ConditionAccepted": "ACCEPT", "ConditionRejected": "REJECT"}
    events = {liso.ram_event(a, None): a for a in Action} | {
        "ConditionAccepted": Action.NOTIFICATION, "ConditionRejected": Action.NOTIFICATION}
    assert set(events) == set(liso.LENDING_RULES)
    one = make_lending(library, "created", partner=peer, borrower_request_id="B-1")
    contexts = {}
    for event, action in events.items():
        msg = RequestingAgencyMessage(Header(AgencyId("ISIL", "ZZ-ILLDESK"), AgencyId("ISIL", "ZZ-PEER"),
                                             datetime(2025, 1, 1, tzinfo=UTC), "B-1"),
                                      ActiveSection(action, notes.get(event)))
        _, found, rule, ctx = liso.ram_context(msg, peer)
        assert found == event
        contexts[event] = (rule, ctx)
    table = {}
    for status in L.values:
        req = LendingRequest(pk=one.pk, status=status, partner=peer, owner=library)
        for event, (rule, ctx) in contexts.items():
            table[(status, event)] = _outcome(req, rule, ctx)
    assert len(table) == len(L.values) * len(events)
    assert table[(L.SHIPPED_PHYSICALLY, "Received")] == "transition:borrower_received"
    assert table[(L.SHIPPED_DIGITALLY, "Received")] == "transition:borrower_received_digitally"
    assert table[(L.CONDITIONAL, "Cancel")] == "call:conditional_answer"
    assert table[(L.CREATED, "Cancel")] == "transition:borrower_requests_cancel"
    assert table[(L.RECEIVED_BY_PARTNER, "Cancel")] == "reply:cancel_response"
    assert table[(L.CREATED, "ShippedForward")] == "ERROR UnsupportedActionType"
    assert all(table[(s, "StatusRequest")] == "reply:status_request_response" for s in L.values)
