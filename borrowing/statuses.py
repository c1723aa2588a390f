"""Borrowing request statuses (SPEC §1, seed 000) and the groups transitions are declared over."""

from django.db import models
from django.utils.translation import gettext_lazy as _


class Status(models.TextChoices):
    CREATED = "created", _("Created borrowing request")
    PENDING_APPROVAL = "pending_approval", _("Pending approval")
    READY_TO_SEND = "ready_to_send", _("Ready to be sent")
    LOCATE_IN_PROCESS = "locate_in_process", _("Locate in process")
    LOCATE_FAILED = "locate_failed", _("Locate failed")
    BAD_CITATION = "bad_citation", _("Bad citation")
    LOCAL_HOLDING = "local_holding", _("Local holding")
    SENT = "sent", _("Request sent to partner")
    ACCEPTED = "accepted", _("Request accepted")
    WILL_SUPPLY = "will_supply", _("Will supply")
    CONDITIONAL = "conditional", _("Conditional")
    REJECTED_BY_PARTNER = "rejected_by_partner", _("Rejected by partner")
    SHIPPED_PHYSICALLY = "shipped_physically", _("Shipped physically")
    SHIPPED_DIGITALLY = "shipped_digitally", _("Shipped digitally")
    RECEIVED_PHYSICALLY = "received_physically", _("Physically received by library")
    RECEIVED_NON_RETURNABLE = "received_non_returnable", _("Received – non-returnable")
    LOANED_TO_PATRON = "loaned_to_patron", _("Loaned item to patron")
    RETURNED_BY_PATRON = "returned_by_patron", _("Returned by patron")
    RETURNED_TO_PARTNER = "returned_to_partner", _("Returned item to partner")
    LENDER_CHECKED_IN = "lender_checked_in", _("Lender check in")
    RENEW_REQUESTED = "renew_requested", _("Renew requested")
    RENEWED_BY_PARTNER = "renewed_by_partner", _("Renewed by partner")
    RENEW_NOT_ACCEPTED = "renew_not_accepted", _("Renew request not accepted")
    MEDIATED_PATRON_RENEWAL = "mediated_patron_renewal", _("Mediated patron renewal")
    RECALLED_BY_PARTNER = "recalled_by_partner", _("Recalled by partner")
    OVERDUE = "overdue", _("Overdue request")
    DAMAGED_COMMUNICATED = "damaged_communicated", _("Reported damaged to partner")
    LOST_COMMUNICATED = "lost_communicated", _("Reported lost to partner")
    DECLARED_LOST_BY_PARTNER = "declared_lost_by_partner", _("Declared lost by partner")
    WAITING_CANCEL_RESPONSE = "waiting_cancel_response", _("Waiting for cancel response")
    EXPORTED_TO_THIRD_PARTY = "exported_to_third_party", _("Exported to third party")
    EXTERNALLY_OBTAINED = "externally_obtained", _("Externally obtained")
    REACTIVATED = "reactivated", _("Request reactivated")
    # final
    CANCELLED_BY_PARTNER = "cancelled_by_partner", _("Cancelled by partner")
    CANCELLED_BY_PATRON = "cancelled_by_patron", _("Cancelled by patron")
    CANCELLED = "cancelled", _("Cancelled by staff")
    RECEIVED_DIGITALLY = "received_digitally", _("Received digitally")
    EXPIRED = "expired", _("Expired")
    COMPLETED = "completed", _("Request completed")


S = Status

FINAL = frozenset({S.CANCELLED_BY_PARTNER, S.CANCELLED_BY_PATRON, S.CANCELLED, S.RECEIVED_DIGITALLY, S.EXPIRED,
                   S.COMPLETED})
# "View" instead of "Edit", and the only statuses a request may be removed from the task list in (seed 000).
VIEW_ONLY = frozenset({S.RETURNED_TO_PARTNER, S.COMPLETED, S.SHIPPED_DIGITALLY, S.CANCELLED_BY_PARTNER,
                       S.CANCELLED})
REMOVABLE = VIEW_ONLY | FINAL

# Not yet with a partner: the request is still ours to prepare.
BEFORE_SEND = [S.CREATED, S.PENDING_APPROVAL, S.READY_TO_SEND, S.LOCATE_IN_PROCESS, S.LOCATE_FAILED,
               S.BAD_CITATION, S.LOCAL_HOLDING, S.REJECTED_BY_PARTNER, S.REACTIVATED]
# With a partner, nothing shipped yet.
AT_PARTNER = [S.SENT, S.ACCEPTED, S.WILL_SUPPLY, S.CONDITIONAL]
SHIPPED = [S.SHIPPED_PHYSICALLY, S.SHIPPED_DIGITALLY]
# The item is here (returnable) and has not gone back.
HELD_RETURNABLE = [S.RECEIVED_PHYSICALLY, S.LOANED_TO_PATRON, S.RENEW_REQUESTED, S.RENEWED_BY_PARTNER,
                   S.RENEW_NOT_ACCEPTED, S.MEDIATED_PATRON_RENEWAL, S.RECALLED_BY_PARTNER, S.OVERDUE]
RECEIVED = [*HELD_RETURNABLE, S.RECEIVED_NON_RETURNABLE, S.RECEIVED_DIGITALLY]
# Convert request type is offered in these (seed 000).
CONVERTIBLE = [S.CREATED, S.READY_TO_SEND, S.LOCATE_FAILED, S.REJECTED_BY_PARTNER, S.EXPIRED,
               S.RECALLED_BY_PARTNER, S.PENDING_APPROVAL, S.BAD_CITATION, S.LOCAL_HOLDING]
REACTIVATABLE = [S.CANCELLED, S.COMPLETED, S.CANCELLED_BY_PATRON, S.WAITING_CANCEL_RESPONSE,
                 S.REJECTED_BY_PARTNER, S.EXPORTED_TO_THIRD_PARTY]
# Ready for the closing step.
CLOSABLE = [S.RETURNED_TO_PARTNER, S.LENDER_CHECKED_IN, S.RECEIVED_DIGITALLY, S.SHIPPED_DIGITALLY,
            S.DAMAGED_COMMUNICATED, S.LOST_COMMUNICATED, S.DECLARED_LOST_BY_PARTNER, S.REJECTED_BY_PARTNER,
            S.EXTERNALLY_OBTAINED, S.EXPORTED_TO_THIRD_PARTY, S.RECEIVED_NON_RETURNABLE]
ACTIVE_NOT_FINAL = [s for s in Status if s not in FINAL]
# Sent to a partner and not yet closed: messages to the lender make sense.
AFTER_SEND = [*AT_PARTNER, *SHIPPED, *RECEIVED, S.RETURNED_TO_PARTNER, S.RETURNED_BY_PATRON,
              S.WAITING_CANCEL_RESPONSE, S.DAMAGED_COMMUNICATED, S.LOST_COMMUNICATED, S.LENDER_CHECKED_IN,
              S.DECLARED_LOST_BY_PARTNER]
