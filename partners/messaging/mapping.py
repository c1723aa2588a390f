"""The mapping tables between ISO 18626 and our two state machines, kept as data.

Borrowing side (we asked; a lender sends us supplyingAgencyMessages):
    ``sam_event(reason, status, answer, ...)`` names the *event* a message carries, and
    ``BORROWING_RULES[event]`` lists the steps tried in order against the request.
Lending side (we lend; a borrower sends us requestingAgencyMessages):
    ``ram_event(action, note)`` and ``LENDING_RULES[event]`` likewise.
Outgoing:
    ``BORROWER_EVENTS`` (our borrowing events -> Request / RAM action) and ``LENDER_EVENTS``
    (our lending events -> SAM reasonForMessage + status), plus ``LENDING_STATUS_QUERY``: the
    Alma status-query mapping of seed 000/002 (our lending status -> the ISO status we report).

A step is one of:
    Noop(statuses)            the request already is where the message would take it: answer OK
    T(name, **args)           run transition `name` when the state machine allows it now;
                              "$due_date", "$resume_status", … are filled from the message
    Reject()                  borrowing.actions.apply_partner_reject (rota moves on)
    Message()                 a general message from the partner (active-message flag set)
    StatusNote()              the partner's status recorded as a note, nothing else changes
    Note(text)                a history row only
    Call(action, guard=t, …)  run a workflow action ("lending.actions.conditional_answer") when
                              transition `t` is possible now
    Reply(event, when=…)      answer the partner with one of our own events (outbox)
    Error(type, text)         answer ERROR with that errorType
When no step applies the answer is ERROR UnrecognisedDataValue, saying which status stopped it.
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field
from typing import Any

from borrowing.statuses import AFTER_SEND, HELD_RETURNABLE
from borrowing.statuses import Status as B
from lending.statuses import ON_LOAN
from lending.statuses import Status as L

from ..iso18626.messages import Action, ErrorType, ReasonForMessage, Status

# --- steps ---------------------------------------------------------------------------------------


@dataclass(frozen=True)
class Step:
    kind: str
    name: str = ""
    statuses: frozenset[str] = frozenset()
    args: tuple[tuple[str, Any], ...] = ()
    error_type: str = ""

    @property
    def kwargs(self) -> dict[str, Any]:
        return dict(self.args)


def Noop(*statuses: str) -> Step:  # noqa: N802 - reads as data
    return Step("noop", statuses=frozenset(str(s) for s in statuses))


def T(name: str, **args: Any) -> Step:  # noqa: N802
    return Step("transition", name, args=tuple(args.items()))


def Reject() -> Step:  # noqa: N802
    return Step("reject")


def Message() -> Step:  # noqa: N802
    return Step("message")


def StatusNote() -> Step:  # noqa: N802
    return Step("status_note")


def Note(text: str) -> Step:  # noqa: N802
    return Step("note", text)


def Call(action: str, *, guard: str, **args: Any) -> Step:  # noqa: N802
    return Step("call", action, args=(("guard", guard), *args.items()))


def Reply(event: str, *, when: tuple[str, ...] | list[str] = (), **details: Any) -> Step:  # noqa: N802
    return Step("reply", event, statuses=frozenset(str(s) for s in when), args=tuple(details.items()))


def Error(error_type: ErrorType, text: str) -> Step:  # noqa: N802
    return Step("error", text, error_type=str(error_type))


@dataclass(frozen=True)
class Rule:
    steps: tuple[Step, ...]
    label: str
    # Also take the message's statusInfo/status into account afterwards (a RenewResponse "N"
    # that comes with status Recalled is a refusal *and* a recall).
    then_status: bool = False
    # Loaned carries the due date in statusInfo/dueDate; partner_shipped_physically has no
    # argument for it, so it is set as a plain field change afterwards.
    set_due_date: bool = False
    extra: dict = field(default_factory=dict)


# --- borrowing side: supplyingAgencyMessage -> borrowing request -----------------------------------

_CANCELLED = (B.CANCELLED_BY_PARTNER, B.CANCELLED, B.CANCELLED_BY_PATRON)
_AFTER_ACCEPT = [s for s in AFTER_SEND if s != B.SENT]
_AFTER_WILL_SUPPLY = [s for s in AFTER_SEND if s not in (B.SENT, B.ACCEPTED, B.CONDITIONAL)]
_AFTER_LOANED = [*HELD_RETURNABLE, B.SHIPPED_PHYSICALLY, B.RETURNED_TO_PARTNER, B.RETURNED_BY_PATRON,
                 B.LENDER_CHECKED_IN, B.DAMAGED_COMMUNICATED, B.LOST_COMMUNICATED, B.COMPLETED]

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
    "RetryPossible": Rule((Noop(B.CONDITIONAL), T("partner_conditional"), Reject()), "Retry possible"),
    "Loaned": Rule((Noop(*_AFTER_LOANED), T("partner_shipped_physically")), "Loaned", set_due_date=True),
    "CopyCompleted": Rule((Noop(B.SHIPPED_DIGITALLY, B.RECEIVED_DIGITALLY, B.RECEIVED_NON_RETURNABLE,
                                B.COMPLETED),
                           T("partner_shipped_digitally")), "Copy completed"),
    "Overdue": Rule((Noop(B.OVERDUE), T("partner_overdue", due_date="$due_date")), "Overdue"),
    "Recalled": Rule((Noop(B.RECALLED_BY_PARTNER), T("partner_recalled", due_date="$due_date")), "Recalled"),
    # Unfilled after we asked to cancel settles the cancel; otherwise the rota moves on.
    "Unfilled": Rule((Noop(B.REJECTED_BY_PARTNER, *_CANCELLED, B.COMPLETED),
                      T("partner_cancel_answer", accepted=True), Reject()), "Unfilled"),
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

# "#seq:12#" sequence markers ReShare puts into notes; meaningless to people.
SEQ_MARKER = re.compile(r"#seq:[0-9]+#")
CONDITION_MARKERS = ("#ReShareAddLoanCondition#", "#ReShareSupplierAwaitingConditionConfirmation#")
CONDITION_PREFIXES = ("Condition:", "Cost:")  # crosslink's Alma shim writes conditions this way
CONDITION_AGREE_MARKER = "#ReShareLoanConditionAgreeResponse#"


def clean_note(note: str | None) -> str:
    return SEQ_MARKER.sub("", note or "").strip()


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


# --- lending side: requestingAgencyMessage -> lending request --------------------------------------

_L_CANCELLED = (L.CANCELLED, L.CANCEL_REPLY)
_L_AFTER_RECEIVED = [L.RECEIVED_BY_PARTNER, L.RENEW_REQUESTED, L.STAFF_RENEWAL, L.RENEWAL_RESPONSE,
                     L.PATRON_RENEWAL, L.RETURNED_BY_PARTNER, L.COMPLETED]
_L_SHIPPED_OR_LATER = [*ON_LOAN, L.RETURNED_BY_PARTNER, L.SHIPPED_DIGITALLY, L.COMPLETED, L.LOST, L.DAMAGED]

_CONDITIONAL_ANSWER = "lending.actions.conditional_answer"

LENDING_RULES: dict[str, Rule] = {
    "Received": Rule((Noop(*_L_AFTER_RECEIVED), T("borrower_received"), T("borrower_received_digitally")),
                     "Received"),
    "Renew": Rule((Noop(L.RENEW_REQUESTED, L.PATRON_RENEWAL), T("borrower_requests_renewal")), "Renew"),
    "ShippedReturn": Rule((Noop(L.RETURNED_BY_PARTNER, L.COMPLETED), T("borrower_shipped_return")),
                          "Shipped return"),
    # A Cancel while our conditions wait for an answer is the borrower declining them (that is how
    # ReShare and crosslink say "REJECT"); once shipped, the answer is an automatic "no".
    "Cancel": Rule((Noop(*_L_CANCELLED, L.REJECTED, L.EXPIRED),
                    Call(_CONDITIONAL_ANSWER, guard="borrower_answered_condition", accepted=False),
                    T("borrower_requests_cancel"),
                    Reply("cancel_response", when=_L_SHIPPED_OR_LATER, accepted=False)), "Cancel"),
    "ConditionAccepted": Rule((Call(_CONDITIONAL_ANSWER, guard="borrower_answered_condition", accepted=True),
                               Message()), "Conditions accepted"),
    "ConditionRejected": Rule((Call(_CONDITIONAL_ANSWER, guard="borrower_answered_condition", accepted=False),
                               Message()), "Conditions declined"),
    "StatusRequest": Rule((Reply("status_request_response"),), "Status request"),
    "Notification": Rule((Message(),), "Message"),
    "ShippedForward": Rule((Error(ErrorType.UNSUPPORTED_ACTION_TYPE,
                                 "action ShippedForward: forwarding an item to another library is not "
                                 "supported; ship it back to us instead"),), "Shipped forward"),
}

_EDGE_NON_WORD = re.compile(r"^\W+|\W+$")


def ram_event(action: Action, note: str | None = None) -> str:
    """The event (a key of LENDING_RULES) a requestingAgencyMessage carries."""
    if action is Action.NOTIFICATION:
        text = clean_note(note)
        first = _EDGE_NON_WORD.sub("", text.replace(CONDITION_AGREE_MARKER, "").strip().split("\n")[0]).upper()
        if CONDITION_AGREE_MARKER in text or first == "ACCEPT":
            return "ConditionAccepted"
        if first == "REJECT":
            return "ConditionRejected"
        return "Notification"
    return {
        Action.STATUS_REQUEST: "StatusRequest",
        Action.RECEIVED: "Received",
        Action.CANCEL: "Cancel",
        Action.RENEW: "Renew",
        Action.SHIPPED_RETURN: "ShippedReturn",
        Action.SHIPPED_FORWARD: "ShippedForward",
    }[action]


# --- outgoing ------------------------------------------------------------------------------------

# Our borrowing events -> "request" or the RAM action (notes for the ones ISO has no action for).
BORROWER_EVENTS: dict[str, Action | None] = {
    "request": None,  # the Request message itself
    "cancel": Action.CANCEL,
    "renew": Action.RENEW,
    "received": Action.RECEIVED,
    "shipped_return": Action.SHIPPED_RETURN,
    "status_request": Action.STATUS_REQUEST,
    "notification": Action.NOTIFICATION,
    "damaged": Action.NOTIFICATION,
    "lost": Action.NOTIFICATION,
    "resupply": Action.NOTIFICATION,
    # accepted -> Notification "#ReShareLoanConditionAgreeResponse# ACCEPT"; declined -> Cancel "REJECT"
    "conditional_answer": Action.NOTIFICATION,
}

# Our lending events -> (reasonForMessage, status). None as status: our current status, mapped
# with LENDING_STATUS_QUERY. Reasons follow what Alma expects (crosslink's Alma shim).
LENDER_EVENTS: dict[str, tuple[ReasonForMessage, Status | None]] = {
    "expect_to_supply": (ReasonForMessage.REQUEST_RESPONSE, Status.EXPECT_TO_SUPPLY),
    "will_supply": (ReasonForMessage.REQUEST_RESPONSE, Status.WILL_SUPPLY),
    "unfilled": (ReasonForMessage.REQUEST_RESPONSE, Status.UNFILLED),
    "retry_possible": (ReasonForMessage.REQUEST_RESPONSE, Status.RETRY_POSSIBLE),
    # Conditions: WillSupply with the terms in the note ("Condition: …, Cost: …") and offeredCosts;
    # Notification so that Alma shows the note.
    "conditional": (ReasonForMessage.NOTIFICATION, Status.WILL_SUPPLY),
    "loaned": (ReasonForMessage.STATUS_CHANGE, Status.LOANED),
    "copy_completed": (ReasonForMessage.STATUS_CHANGE, Status.COPY_COMPLETED),
    "overdue": (ReasonForMessage.STATUS_CHANGE, Status.OVERDUE),
    "recalled": (ReasonForMessage.STATUS_CHANGE, Status.RECALLED),
    "loan_completed": (ReasonForMessage.REQUEST_RESPONSE, Status.LOAN_COMPLETED),
    "completed_without_return": (ReasonForMessage.STATUS_CHANGE, Status.COMPLETED_WITHOUT_RETURN),
    "cancelled": (ReasonForMessage.STATUS_CHANGE, Status.CANCELLED),
    "renew_response": (ReasonForMessage.RENEW_RESPONSE, None),
    "cancel_response": (ReasonForMessage.CANCEL_RESPONSE, None),
    "status_request_response": (ReasonForMessage.STATUS_REQUEST_RESPONSE, None),
    "notification": (ReasonForMessage.NOTIFICATION, None),
}

# Seed 000/002 "Status query": each Alma lending status reports as one ISO status. The first item
# is the seed's name for the group (it goes into the note), the second the ISO 18626 status sent.
# The seed's "Unknown" (damaged, all others) has no ISO status: we repeat the last one we sent.
LENDING_STATUS_QUERY: dict[str, tuple[str, Status | None]] = {
    L.REJECTED: ("Not supplied", Status.UNFILLED),
    L.LOCATE_FAILED: ("Not supplied", Status.UNFILLED),
    L.EXPIRED: ("Not supplied", Status.UNFILLED),
    L.CREATED: ("Pending", Status.REQUEST_RECEIVED),
    L.BEING_PROCESSED: ("Pending", Status.REQUEST_RECEIVED),
    L.WILL_SUPPLY: ("Pending", Status.REQUEST_RECEIVED),
    L.NON_EXPIRING: ("Pending", Status.REQUEST_RECEIVED),
    L.STAFF_RENEWAL: ("In process", Status.LOANED),
    L.RENEWAL_RESPONSE: ("In process", Status.LOANED),
    L.CANCEL_REPLY: ("Cancel pending", Status.REQUEST_RECEIVED),
    L.CANCELLED: ("Cancelled", Status.CANCELLED),
    L.SHIPPED_DIGITALLY: ("Shipped", Status.COPY_COMPLETED),
    L.SHIPPED_PHYSICALLY: ("Shipped", Status.LOANED),
    L.RECEIVED_BY_PARTNER: ("Received", Status.LOANED),
    L.RENEW_REQUESTED: ("Renew pending", Status.LOANED),
    L.PATRON_RENEWAL: ("Renew pending", Status.LOANED),
    L.OVERDUE: ("Overdue", Status.OVERDUE),
    L.RETURNED_BY_PARTNER: ("Returned", Status.LOANED),
    L.LENDER_CHECK_IN: ("Returned", Status.LOAN_COMPLETED),
    L.COMPLETED: ("Returned", Status.LOAN_COMPLETED),
    L.RECALLED: ("Recalled", Status.RECALLED),
    L.LOST: ("Lost", Status.COMPLETED_WITHOUT_RETURN),
    L.DAMAGED: ("Unknown", None),
    L.BORROWER_RECALL: ("Unknown", None),
    L.PENDING_AUTO_REJECT: ("Unknown", None),
    L.CONDITIONAL: ("Unknown", None),
    L.REACTIVATED: ("Unknown", None),
}


# Outside a status query (the status a RenewResponse, CancelResponse or Notification carries) the
# seed's coarse "Pending" would send a borrower that heard WillSupply back to square one.
PRECISE_STATUS: dict[str, Status | None] = {
    L.WILL_SUPPLY: Status.WILL_SUPPLY,
    L.BEING_PROCESSED: Status.EXPECT_TO_SUPPLY,
    L.CONDITIONAL: Status.WILL_SUPPLY,
    L.CANCEL_REPLY: None,  # unchanged: what we said last
}


def lending_iso_status(status: str, *, supplied_format: str = "", reject_reason: str = "",
                       last_sent: Status | None = None, precise: bool = False) -> tuple[str, Status]:
    """(seed label, ISO status) to report for a lending request in `status`.

    "Request completed" is reached by several roads; it reports CopyCompleted for a digital copy
    and Unfilled after a reject, so that the borrower is not told a loan came back. `precise` (any
    message but a StatusRequestResponse) uses PRECISE_STATUS where the seed's groups are coarse."""
    label, iso = LENDING_STATUS_QUERY[status]
    if precise and status in PRECISE_STATUS:
        iso = PRECISE_STATUS[status]
    if status == L.COMPLETED and supplied_format == "digital":
        iso = Status.COPY_COMPLETED
    elif status == L.COMPLETED and reject_reason and not supplied_format:
        label, iso = "Not supplied", Status.UNFILLED
    if iso is None:
        iso = last_sent or Status.REQUEST_RECEIVED
    return label, iso
