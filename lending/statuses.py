"""Lending request statuses (SPEC §2, seed 002) and the groups transitions are declared over."""

from django.db import models
from django.utils.translation import gettext_lazy as _


class Status(models.TextChoices):
    CREATED = "created", _("Created lending request")
    BEING_PROCESSED = "being_processed", _("Being processed")
    BORROWER_RECALL = "borrower_recall", _("Borrower recall")
    CANCEL_REPLY = "cancel_reply", _("Cancel reply")
    CANCELLED = "cancelled", _("Cancelled")
    CONDITIONAL = "conditional", _("Conditional")
    DAMAGED = "damaged", _("Damaged")
    EXPIRED = "expired", _("Expired")
    LENDER_CHECK_IN = "lender_check_in", _("Lender check in")
    LOCATE_FAILED = "locate_failed", _("Locate failed")
    LOST = "lost", _("Lost")
    NON_EXPIRING = "non_expiring", _("Non expiring")
    OVERDUE = "overdue", _("Overdue request")
    PENDING_AUTO_REJECT = "pending_auto_reject", _("Pending auto reject")
    RECALLED = "recalled", _("Recalled item")
    RECEIVED_BY_PARTNER = "received_by_partner", _("Received by partner")
    REJECTED = "rejected", _("Rejected the borrower request")
    RENEW_REQUESTED = "renew_requested", _("Renew requested")
    RETURNED_BY_PARTNER = "returned_by_partner", _("Returned by partner")
    SHIPPED_PHYSICALLY = "shipped_physically", _("Shipped physically")
    WILL_SUPPLY = "will_supply", _("Will supply")
    STAFF_RENEWAL = "staff_renewal", _("Staff renewal")
    RENEWAL_RESPONSE = "renewal_response", _("Renewal response")
    PATRON_RENEWAL = "patron_renewal", _("Patron renewal")
    REACTIVATED = "reactivated", _("Request reactivated")
    # final
    SHIPPED_DIGITALLY = "shipped_digitally", _("Shipped digitally")
    COMPLETED = "completed", _("Request completed")


S = Status

FINAL = frozenset({S.SHIPPED_DIGITALLY, S.COMPLETED})
REMOVABLE = FINAL
# Not yet shipped: ours to work on.
BEFORE_SHIP = [S.CREATED, S.BEING_PROCESSED, S.WILL_SUPPLY, S.LOCATE_FAILED, S.PENDING_AUTO_REJECT,
               S.REACTIVATED, S.NON_EXPIRING]
# The item is out with the borrowing library.
ON_LOAN = [S.SHIPPED_PHYSICALLY, S.RECEIVED_BY_PARTNER, S.OVERDUE, S.RECALLED, S.BORROWER_RECALL,
           S.RENEW_REQUESTED, S.STAFF_RENEWAL, S.RENEWAL_RESPONSE, S.PATRON_RENEWAL]
# A request in one of these no longer holds its item; every other request holds the item it names, and an item
# is held by one request at a time (LendingRequest.Meta, constraint lending_item_held_once).
HOLDS_NO_ITEM = frozenset({*FINAL, S.REJECTED, S.CANCELLED, S.EXPIRED})
REACTIVATABLE = [S.COMPLETED, S.SHIPPED_DIGITALLY, S.REJECTED, S.CANCELLED, S.EXPIRED]
ACTIVE_NOT_FINAL = [s for s in Status if s not in FINAL]
