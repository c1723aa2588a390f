"""What a patron reads for each staff status of a borrowing request (SPEC §7, seed 004: "they can see
the status of each request").

Staff statuses say where the request is in *our* workflow; a patron only needs to know what happens
for them: is the library still working on it, has another library been asked, is it on its way, can
they pick it up, must they bring it back. Every borrowing status has an entry (a test checks), so a
status added later cannot reach the patron page unlabelled.
"""

from __future__ import annotations

from dataclasses import dataclass

from django.utils.functional import Promise
from django.utils.translation import gettext_lazy as _
from django_fsm import can_proceed

from borrowing.statuses import Status

S = Status

# Stages: the CSS class of the status badge and the order of the little progress line.
PROCESSING, REQUESTED, TRANSIT, READY, LOAN, RETURN, DONE, CANCELLED = (
    "processing", "requested", "transit", "ready", "loan", "return", "done", "cancelled")


@dataclass(frozen=True)
class PatronStatus:
    text: Promise
    stage: str
    help: Promise | str = ""


_PROCESSING = PatronStatus(_("Being processed by the library"), PROCESSING)
_REQUESTED = PatronStatus(_("Requested from another library"), REQUESTED)
_ON_ITS_WAY = PatronStatus(_("On its way"), TRANSIT,
                           _("A library has sent the item; we will tell you when it arrives."))
_RETURNED = PatronStatus(_("Returned"), RETURN)

PATRON_STATUS: dict[str, PatronStatus] = {
    S.CREATED: _PROCESSING,
    S.PENDING_APPROVAL: PatronStatus(_("Waiting for approval"), PROCESSING,
                                     _("The library checks the request before ordering it.")),
    S.READY_TO_SEND: _PROCESSING,
    S.LOCATE_IN_PROCESS: _PROCESSING,
    S.LOCATE_FAILED: _PROCESSING,
    S.BAD_CITATION: PatronStatus(_("The library is checking the details"), PROCESSING,
                                 _("We may contact you if we cannot identify the item.")),
    S.LOCAL_HOLDING: PatronStatus(_("Being processed by the library"), PROCESSING,
                                  _("The item may be available in our own collection.")),
    S.REACTIVATED: _PROCESSING,
    S.SENT: _REQUESTED,
    S.ACCEPTED: _REQUESTED,
    S.WILL_SUPPLY: _REQUESTED,
    S.CONDITIONAL: _REQUESTED,
    S.REJECTED_BY_PARTNER: PatronStatus(_("Being processed by the library"), PROCESSING,
                                        _("We are asking another library.")),
    S.EXPORTED_TO_THIRD_PARTY: _REQUESTED,
    S.EXTERNALLY_OBTAINED: PatronStatus(_("Ordered from a document supplier"), REQUESTED),
    S.WAITING_CANCEL_RESPONSE: PatronStatus(_("Cancellation requested"), CANCELLED),
    S.SHIPPED_PHYSICALLY: _ON_ITS_WAY,
    S.SHIPPED_DIGITALLY: PatronStatus(_("On its way"), TRANSIT,
                                      _("A digital copy is on its way; we will send it to you.")),
    S.RECEIVED_PHYSICALLY: PatronStatus(_("Ready for pickup"), READY),
    S.RECEIVED_NON_RETURNABLE: PatronStatus(_("Ready for pickup"), READY,
                                            _("This copy is yours to keep; no need to return it.")),
    S.RECEIVED_DIGITALLY: PatronStatus(_("Delivered electronically"), DONE),
    S.LOANED_TO_PATRON: PatronStatus(_("On loan to you"), LOAN),
    S.RENEW_REQUESTED: PatronStatus(_("Renewal requested"), LOAN),
    S.MEDIATED_PATRON_RENEWAL: PatronStatus(_("Renewal requested"), LOAN),
    S.RENEWED_BY_PARTNER: PatronStatus(_("On loan to you – renewed"), LOAN),
    S.RENEW_NOT_ACCEPTED: PatronStatus(_("On loan to you – renewal not granted"), LOAN,
                                       _("Please return the item by the due date.")),
    S.RECALLED_BY_PARTNER: PatronStatus(_("Recalled – please return"), LOAN,
                                        _("The lending library needs the item back early.")),
    S.OVERDUE: PatronStatus(_("Overdue – please return"), LOAN),
    S.RETURNED_BY_PATRON: _RETURNED,
    S.RETURNED_TO_PARTNER: _RETURNED,
    S.LENDER_CHECKED_IN: _RETURNED,
    S.DAMAGED_COMMUNICATED: PatronStatus(_("Reported damaged"), RETURN,
                                         _("The library will contact you if anything is needed.")),
    S.LOST_COMMUNICATED: PatronStatus(_("Reported lost"), RETURN,
                                      _("The library will contact you if anything is needed.")),
    S.DECLARED_LOST_BY_PARTNER: PatronStatus(_("Reported lost"), RETURN,
                                             _("The library will contact you if anything is needed.")),
    S.CANCELLED_BY_PARTNER: PatronStatus(_("Cancelled by the library"), CANCELLED,
                                         _("No library could supply the item.")),
    S.CANCELLED: PatronStatus(_("Cancelled by the library"), CANCELLED),
    S.CANCELLED_BY_PATRON: PatronStatus(_("Cancelled by you"), CANCELLED),
    S.EXPIRED: PatronStatus(_("Expired"), CANCELLED,
                            _("The item did not arrive before the last date you needed it.")),
    S.COMPLETED: PatronStatus(_("Completed"), DONE),
}

def may_cancel(req) -> bool:
    """While staff have not processed it (seed 004): the `patron_cancel` transition decides."""
    return can_proceed(req.patron_cancel)


def may_modify(req) -> bool:
    """Pickup location, last interest date and note stay editable exactly as long as cancelling."""
    return may_cancel(req)


def may_ask_renewal(req) -> bool:
    return can_proceed(req.patron_asks_renewal)


def patron_status(status: str) -> PatronStatus:
    """The patron's words for `status` (an unknown status reads as "being processed", never raw)."""
    return PATRON_STATUS.get(status, _PROCESSING)
