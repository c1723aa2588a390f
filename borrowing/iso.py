"""ISO 18626 beside the borrowing state machine: a lender's supplyingAgencyMessage -> our request.

    sam_event(reason, status, answer, ...)   the *event* a message carries
    BORROWING_RULES[event]                   the steps tried in order (partners.messaging.engine)
    handle_sam(msg, partner)                 the handler borrowing registers for supplyingAgencyMessage
"""

from __future__ import annotations

from typing import Any

from illdesk.inputs import parse_pk
from illdesk.workflow import update_fields
from partners.iso18626.messages import ErrorType, ReasonForMessage, Status, SupplyingAgencyMessage
from partners.messaging.engine import (
    Call,
    Error,
    Handled,
    Message,
    Noop,
    Note,
    Refused,
    Rule,
    StatusNote,
    T,
    local_date,
    run_rule,
)
from partners.messaging.mapping import CONDITION_MARKERS, CONDITION_PREFIXES, clean_note

from . import actions
from .models import BorrowingRequest, RotaEntry
from .statuses import AFTER_SEND, HELD_RETURNABLE
from .statuses import Status as B

# --- the table -----------------------------------------------------------------------------------

_CANCELLED = (B.CANCELLED_BY_PARTNER, B.CANCELLED, B.CANCELLED_BY_PATRON)
_AFTER_ACCEPT = [s for s in AFTER_SEND if s != B.SENT]
_AFTER_WILL_SUPPLY = [s for s in AFTER_SEND if s not in (B.SENT, B.ACCEPTED, B.CONDITIONAL)]
_AFTER_LOANED = [*HELD_RETURNABLE, B.SHIPPED_PHYSICALLY, B.RETURNED_TO_PARTNER, B.RETURNED_BY_PATRON,
                 B.LENDER_CHECKED_IN, B.DAMAGED_COMMUNICATED, B.LOST_COMMUNICATED, B.COMPLETED]

# The lender can't supply: the rota moves on. The partner's note goes in whole (this action does not
# limit notes; a partner's reasons may be long).
_REJECT = Call(actions.apply_partner_reject, guard="partner_unfilled", says="rejected ({reason})",
               reason="$reason", note="$note")

BORROWING_RULES: dict[str, Rule] = {
    "RequestReceived": Rule((Note("The lender has received the request."),), "Request received"),
    "NoStatus": Rule((Note("The lender sent a message without a status: nothing changes."),), "No status"),
    "ExpectToSupply": Rule((Noop(*_AFTER_ACCEPT), T("partner_accepted")), "Expect to supply"),
    "WillSupply": Rule((Noop(*_AFTER_WILL_SUPPLY), T("partner_will_supply")), "Will supply"),
    # Conditions or costs the borrower must accept (WillSupply + loanCondition/offeredCosts, or a
    # note with the "#…#" markers / "Condition:" prefix real peers use). Without the conditional
    # step in the partner's profile the terms still reach staff as a general message.
    "Conditions": Rule((Noop(B.CONDITIONAL), T("partner_conditional"), Message()), "Conditional"),
    # RetryPossible (also after WillSupply, as ReShare sends it): staff decide like for a condition;
    # a partner without the conditional step is treated as a reject.
    "RetryPossible": Rule((Noop(B.CONDITIONAL), T("partner_conditional"), _REJECT), "Retry possible"),
    "Loaned": Rule((Noop(*_AFTER_LOANED), T("partner_shipped_physically")), "Loaned", set_due_date=True),
    "CopyCompleted": Rule((Noop(B.SHIPPED_DIGITALLY, B.RECEIVED_DIGITALLY, B.RECEIVED_NON_RETURNABLE,
                                B.COMPLETED),
                           T("partner_shipped_digitally")), "Copy completed"),
    "Overdue": Rule((Noop(B.OVERDUE), T("partner_overdue", due_date="$due_date")), "Overdue"),
    "Recalled": Rule((Noop(B.RECALLED_BY_PARTNER), T("partner_recalled", due_date="$due_date")), "Recalled"),
    # Unfilled after we asked to cancel settles the cancel; otherwise the rota moves on.
    "Unfilled": Rule((Noop(B.REJECTED_BY_PARTNER, *_CANCELLED, B.COMPLETED),
                      T("partner_cancel_answer", accepted=True), _REJECT), "Unfilled"),
    # Unfilled with reason Duplicate: the lender already has this request; asking the next lender
    # would order it twice, so the request ends here (ReShare bug history).
    "UnfilledDuplicate": Rule((Noop(*_CANCELLED, B.COMPLETED), T("partner_cancel_answer", accepted=True),
                               T("partner_cancelled")), "Unfilled (duplicate)"),
    # The lender checked the item in: "Lender check in" when we returned it (profiles with the lender
    # check-in step; without it our return already completed the request), else complete.
    "LoanCompleted": Rule((Noop(B.COMPLETED, B.LENDER_CHECKED_IN), T("partner_checked_in"), T("complete")),
                          "Loan completed"),
    "CompletedWithoutReturn": Rule((Noop(B.COMPLETED, B.DECLARED_LOST_BY_PARTNER), T("complete"),
                                    T("partner_declared_lost")), "Completed without return"),
    # An unsolicited Cancelled (the lender gave up) as well as the answer to our cancel.
    "Cancelled": Rule((Noop(*_CANCELLED), T("partner_cancel_answer", accepted=True), T("partner_cancelled")),
                      "Cancelled"),
    "RenewYes": Rule((T("partner_renew_answer", accepted=True, due_date="$due_date"),
                      T("renew", due_date="$due_date!"), Noop(B.RENEWED_BY_PARTNER, *HELD_RETURNABLE)),
                     "Renew accepted", then_status=True),
    "RenewNo": Rule((T("partner_renew_answer", accepted=False), Noop(*HELD_RETURNABLE)), "Renew refused",
                    then_status=True),
    "RenewNoAnswer": Rule((Error(ErrorType.UNRECOGNISED_DATA_ELEMENT,
                                 "messageInfo/answerYesNo: required in a RenewResponse"),), "Renew answer"),
    "CancelYes": Rule((Noop(*_CANCELLED), T("partner_cancel_answer", accepted=True), T("partner_cancelled")),
                      "Cancel accepted"),
    "CancelNo": Rule((T("partner_cancel_answer", accepted=False, resume_status="$resume_status"),
                      Noop(*[s for s in AFTER_SEND if s != B.WAITING_CANCEL_RESPONSE])), "Cancel refused"),
    "CancelNoAnswer": Rule((Error(ErrorType.UNRECOGNISED_DATA_ELEMENT,
                                  "messageInfo/answerYesNo: required in a CancelResponse"),), "Cancel answer"),
    "StatusReport": Rule((StatusNote(),), "Status report"),
    "Message": Rule((Message(),), "Message"),
}

# The borrowing status to resume when a lender refuses our cancel, from the status it reports.
RESUME_AFTER_REFUSED_CANCEL: dict[Status | None, str] = {
    None: B.SENT,
    Status.REQUEST_RECEIVED: B.SENT,
    Status.EXPECT_TO_SUPPLY: B.ACCEPTED,
    Status.WILL_SUPPLY: B.WILL_SUPPLY,
    Status.RETRY_POSSIBLE: B.SENT,
    Status.LOANED: B.SHIPPED_PHYSICALLY,
    Status.OVERDUE: B.SHIPPED_PHYSICALLY,
    Status.RECALLED: B.SHIPPED_PHYSICALLY,
    Status.COPY_COMPLETED: B.SHIPPED_DIGITALLY,
    Status.UNFILLED: B.SENT,
    Status.LOAN_COMPLETED: B.SENT,
    Status.COMPLETED_WITHOUT_RETURN: B.SENT,
    Status.CANCELLED: B.SENT,
}

# RequestResponse and StatusChange carry the same facts (Alma swaps them, see crosslink's shim).
_STATUS_EVENTS: dict[Status | None, str] = {
    None: "NoStatus",
    Status.REQUEST_RECEIVED: "RequestReceived",
    Status.EXPECT_TO_SUPPLY: "ExpectToSupply",
    Status.WILL_SUPPLY: "WillSupply",
    Status.LOANED: "Loaned",
    Status.OVERDUE: "Overdue",
    Status.RECALLED: "Recalled",
    Status.RETRY_POSSIBLE: "RetryPossible",
    Status.UNFILLED: "Unfilled",
    Status.COPY_COMPLETED: "CopyCompleted",
    Status.LOAN_COMPLETED: "LoanCompleted",
    Status.COMPLETED_WITHOUT_RETURN: "CompletedWithoutReturn",
    Status.CANCELLED: "Cancelled",
}
# Statuses a conditions message may come with (before anything is shipped).
_CONDITION_STATUSES = {None, Status.REQUEST_RECEIVED, Status.EXPECT_TO_SUPPLY, Status.WILL_SUPPLY}


def carries_conditions(note: str | None, *, loan_condition: bool, offered_costs: bool) -> bool:
    text = note or ""
    if any(m in text for m in CONDITION_MARKERS):
        return True
    if clean_note(text).startswith(CONDITION_PREFIXES):
        return True
    return loan_condition or offered_costs


def sam_event(reason: ReasonForMessage, status: Status | None, answer: bool | None, *, note: str | None = None,
              reason_unfilled: str | None = None, loan_condition: bool = False,
              offered_costs: bool = False) -> str:
    """The event (a key of BORROWING_RULES) a supplyingAgencyMessage carries."""
    conditions = carries_conditions(note, loan_condition=loan_condition, offered_costs=offered_costs)
    if reason is ReasonForMessage.NOTIFICATION:
        # The status of a Notification is ignored (Alma sends it empty, ReShare RequestReceived).
        return "Conditions" if conditions and status in _CONDITION_STATUSES else "Message"
    if reason is ReasonForMessage.STATUS_REQUEST_RESPONSE:
        return "StatusReport"
    if reason is ReasonForMessage.RENEW_RESPONSE:
        return {True: "RenewYes", False: "RenewNo", None: "RenewNoAnswer"}[answer]
    if reason is ReasonForMessage.CANCEL_RESPONSE:
        return {True: "CancelYes", False: "CancelNo", None: "CancelNoAnswer"}[answer]
    # RequestResponse / StatusChange
    if status is Status.UNFILLED and (reason_unfilled or "").strip().lower() == "duplicate":
        return "UnfilledDuplicate"
    if conditions and status in (Status.WILL_SUPPLY, Status.EXPECT_TO_SUPPLY):
        return "Conditions"
    return _STATUS_EVENTS[status]


# --- the handler ---------------------------------------------------------------------------------


def _not_yours(raw: str) -> Refused:
    # "We have none" and "it is not yours" read the same, naming nobody: a stranger learns nothing by asking.
    return Refused(ErrorType.UNRECOGNISED_DATA_VALUE,
                   f"header/requestingAgencyRequestId: we have no request {raw[:60]} with you")


def _borrowing_request(msg, partner, *, former_ok: bool):
    """The request the message is about, locked — only when it is with `partner` now or (`former_ok`: notes
    and status reports, which a lender may still send after the rota moved on) was sent to it before."""
    raw = msg.header.requesting_agency_request_id
    pk = parse_pk(raw)
    if pk is None:
        raise _not_yours(raw)
    # Found and locked in one statement.
    req = BorrowingRequest.objects.select_for_update(of=("self",)).filter(pk=pk).first()
    if req is None:
        raise _not_yours(raw)
    if req.partner_id == partner.pk:
        return req
    if former_ok and RotaEntry.objects.filter(request=req, partner=partner, sent_at__isnull=False).exists():
        return req
    raise _not_yours(raw)


def sam_context(msg: SupplyingAgencyMessage, partner) -> tuple[Any, str, Rule, dict]:
    """(locked borrowing request, event, rule, context) for a supplyingAgencyMessage."""
    info, status_info = msg.message_info, msg.status_info
    delivery = msg.delivery_info
    event = sam_event(
        info.reason_for_message, status_info.status, info.answer_yes_no, note=info.note,
        reason_unfilled=info.reason_unfilled.value if info.reason_unfilled else None,
        loan_condition=bool(delivery and delivery.loan_condition and delivery.loan_condition.value),
        offered_costs=bool(info.offered_costs and info.offered_costs.monetary_value > 0),
    )
    req = _borrowing_request(msg, partner, former_ok=event in ("Message", "StatusReport"))
    note = clean_note(info.note)
    costs = info.offered_costs
    if event == "Conditions" and costs and costs.monetary_value > 0 and "Cost:" not in note:
        note = f"Cost: {costs.monetary_value} {costs.currency_code.value}" + (f", {note}" if note else "")
    if event == "Conditions" and delivery and delivery.loan_condition and "Condition:" not in note:
        note = f"Condition: {delivery.loan_condition.value}" + (f", {note}" if note else "")
    ctx = {
        "note": note,
        "due_date": local_date(status_info.due_date),
        "resume_status": RESUME_AFTER_REFUSED_CANCEL.get(status_info.status),
        # a lender that gives no reason is taken to have none available (what staff see in the history)
        "reason": (info.reason_unfilled or info.reason_retry).value
        if (info.reason_unfilled or info.reason_retry) else "NotAvailable",
        "iso_status": status_info.status.value if status_info.status else "",
        "history": f"{partner.name}: {BORROWING_RULES[event].label}" + (f" — {note}" if note else ""),
    }
    return req, event, BORROWING_RULES[event], ctx


def handle_sam(msg: SupplyingAgencyMessage, partner) -> Handled:
    req, event, rule, ctx = sam_context(msg, partner)
    status_info = msg.status_info
    req, outcome = run_rule(req, rule, ctx)
    if rule.set_due_date and ctx["due_date"] and req.due_date != ctx["due_date"]:
        req = update_fields(req, by=None, changes={"due_date": ctx["due_date"]})
    if rule.then_status and status_info.status in (Status.RECALLED, Status.OVERDUE):
        try:
            req, more = run_rule(req, BORROWING_RULES[status_info.status.value], {**ctx, "note": ""})
            outcome += f"; {more}"
        except Refused:
            pass
    return Handled(req, outcome, event)


# Letter codes for email partners (partners.notify); every other event goes out as "partner_communication".
PARTNER_LETTERS = {"request": "partner_request", "notification": "general_message",
                   "damaged": "damaged_lost_report", "lost": "damaged_lost_report"}
