"""Which slip a lending request gets (seed 002), asked through the side registry by letters/."""

from django.utils.translation import gettext as _

from illdesk.models import Format

from .statuses import BEFORE_SHIP, ON_LOAN, Status

#: The letters and slips of letters.catalog this side sends: its request pages, admin previews and letter
#: lists offer these (registered as SideInfo.letters).
LETTERS = frozenset({
    "assignment_notice", "borrower_overdue", "general_message", "incoming_slip", "lender_checked_in",
    "lender_recall", "lender_reject", "lender_ship", "lending_report_slip", "partner_communication",
    "shipping_slip",
})


def slip_for(req) -> str | None:
    """Incoming slip before shipping, shipping slip once shipped (physical items only)."""
    if req.status in (*BEFORE_SHIP, Status.CONDITIONAL):
        return "incoming_slip"
    if req.supplied_format == Format.DIGITAL:
        return None
    if req.status in ON_LOAN or (req.shipped_at and req.status in (Status.COMPLETED, Status.RETURNED_BY_PARTNER)):
        return "shipping_slip"
    return None


def skip_reason(req) -> str:
    if req.supplied_format == Format.DIGITAL:
        return _("shipped digitally: there is no item to label")
    return _("no slip is printed for status “%(status)s”") % {"status": req.get_status_display()}


def letter_values(req) -> dict:
    """What letters and slips print as the request's barcode (the copy we send) and pickup location (none)."""
    return {"barcode": req.item.barcode if req.item_id else "", "pickup_location": ""}
