"""Which slip a borrowing request gets (seed 000), asked through the side registry by letters/."""

from django.utils.translation import gettext as _

from .statuses import AT_PARTNER, BEFORE_SEND, HELD_RETURNABLE, SHIPPED, Status

#: The letters and slips of letters.catalog this side sends: its request pages, admin previews and letter
#: lists offer these (registered as SideInfo.letters).
LETTERS = frozenset({
    "assignment_notice", "borrowing_info", "cancel_request", "damaged_lost_report", "general_message",
    "partner_communication", "partner_request", "patron_digital_delivery", "patron_ready_for_pickup",
    "patron_request_update", "patron_unavailable", "query_to_patron", "receive_slip", "return_slip",
    "staff_patron_cancelled", "staff_patron_modified",
})


def slip_for(req) -> str | None:
    """Receive slip for received (not returned) requests, return slip for returned ones."""
    if req.status in (*HELD_RETURNABLE, Status.RECEIVED_NON_RETURNABLE):
        return "receive_slip"
    if req.status in (Status.RETURNED_BY_PATRON, Status.RETURNED_TO_PARTNER):
        return "return_slip"
    return None


def skip_reason(req) -> str:
    status = req.get_status_display()
    if req.status in (*BEFORE_SEND, *AT_PARTNER, *SHIPPED):
        return _("not received yet (status “%(status)s”)") % {"status": status}
    if req.status == Status.RECEIVED_DIGITALLY:
        return _("received digitally: there is no item to label")
    return _("no slip is printed for status “%(status)s”") % {"status": status}


def letter_values(req) -> dict:
    """What letters and slips print as the request's barcode and pickup location."""
    return {"barcode": req.temp_barcode, "pickup_location": str(req.pickup_location) if req.pickup_location_id else ""}
