"""The ISO 18626 vocabulary both sides share, kept as data (no side is named here).

    BORROWER_EVENTS   our borrowing events -> Request / RAM action (partners.messaging.outgoing)
    LENDER_EVENTS     our lending events -> SAM reasonForMessage + status
    the note markers  what real peers put into notes (ReShare sequence and condition markers)

The inbound tables sit beside each state machine: borrowing/iso.py (supplyingAgencyMessage ->
BorrowingRequest) and lending/iso.py (requestingAgencyMessage -> LendingRequest, and the status we
report); their step language is partners.messaging.engine.
"""

from __future__ import annotations

import re

from ..iso18626.messages import Action, ReasonForMessage, Status

# "#seq:12#" sequence markers ReShare puts into notes; meaningless to people.
SEQ_MARKER = re.compile(r"#seq:[0-9]+#")
CONDITION_MARKERS = ("#ReShareAddLoanCondition#", "#ReShareSupplierAwaitingConditionConfirmation#")
CONDITION_PREFIXES = ("Condition:", "Cost:")  # crosslink's Alma shim writes conditions this way
CONDITION_AGREE_MARKER = "#ReShareLoanConditionAgreeResponse#"


def clean_note(note: str | None) -> str:
    return SEQ_MARKER.sub("", note or "").strip()


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

# Our lending events -> (reasonForMessage, status). None as status: the ISO status the request is in,
# from the side's `iso_status` (lending/iso.py). Reasons follow what Alma expects (crosslink's Alma shim).
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
