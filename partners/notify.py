"""Telling the active partner about a step: `notify_partner(req, event, …)`.

Called by the borrowing and lending actions inside their transaction, right after run_transition.
The side comes from the model (BorrowingRequest: we are the requesting agency; LendingRequest: we
supply). What happens depends on the partner's profile type:

* iso18626  -> the ISO message goes into the outbox (same transaction), delivered by Celery;
* email     -> the matching letter (letters.api.send_letter) to the partner's address;
* ncip_p2p / external -> nothing electronic: a history row tells staff what to do by hand.
"""

from __future__ import annotations

import logging

from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy

from illdesk.models import Alert, HistoryEvent
from illdesk.reasons import reason_label
from illdesk.workflow import record

from .messaging import mapping

log = logging.getLogger("illdesk.iso18626")

# What each event means, for the letter's subject and for the to-do of manual partners.
EVENT_TEXT = {
    # borrowing
    "request": gettext_lazy("We request this item"),
    "cancel": gettext_lazy("We ask to cancel this request"),
    "renew": gettext_lazy("We ask to renew this loan"),
    "received": gettext_lazy("We have received the item"),
    "shipped_return": gettext_lazy("We have returned the item"),
    "status_request": gettext_lazy("Please tell us the status of this request"),
    "notification": gettext_lazy("Message about this request"),
    "damaged": gettext_lazy("The item was damaged while with us"),
    "lost": gettext_lazy("The item was lost while with us"),
    "resupply": gettext_lazy("Please supply the document again"),
    "conditional_answer": gettext_lazy("Our answer to your conditions"),
    # lending
    "expect_to_supply": gettext_lazy("We expect to supply this item"),
    "will_supply": gettext_lazy("We will supply this item"),
    "unfilled": gettext_lazy("We cannot supply this item"),
    "retry_possible": gettext_lazy("We cannot supply this item now; you may ask again"),
    "conditional": gettext_lazy("We can supply this item on conditions"),
    "loaned": gettext_lazy("We have shipped the item"),
    "copy_completed": gettext_lazy("We have sent the copy"),
    "overdue": gettext_lazy("The loan is overdue"),
    "recalled": gettext_lazy("We recall the item"),
    "loan_completed": gettext_lazy("We have checked the returned item in"),
    "completed_without_return": gettext_lazy("We have closed the loan without the item being returned"),
    "cancelled": gettext_lazy("We have cancelled this request"),
    "renew_response": gettext_lazy("Our answer to your renewal request"),
    "cancel_response": gettext_lazy("Our answer to your cancel request"),
    "status_request_response": gettext_lazy("The status of this request"),
}
BORROWER_EVENTS = frozenset(mapping.BORROWER_EVENTS)
LENDER_EVENTS = frozenset(mapping.LENDER_EVENTS)

# Letter codes (letters app) for email partners; every other event goes out as "partner_communication"
# with a subject and body saying what happened.
LETTERS = {
    "borrowing": {"request": "partner_request", "notification": "general_message",
                  "damaged": "damaged_lost_report", "lost": "damaged_lost_report"},
    "lending": {"loaned": "lender_ship", "unfilled": "lender_reject", "loan_completed": "lender_checked_in",
                "overdue": "borrower_overdue", "notification": "general_message", "recalled": "lender_recall"},
}


def side_of(req) -> str:
    return type(req)._meta.app_label


def notify_partner(req, event: str, *, by=None, note: str = "", **details) -> None:
    """Tell `req.partner` that `event` happened (see the module docstring)."""
    side = side_of(req)
    known = BORROWER_EVENTS if side == "borrowing" else LENDER_EVENTS
    if event not in known:
        raise ValueError(f"unknown {side} event {event!r}; expected one of {sorted(known)}")
    partner = req.partner
    if partner is None:
        record(req, by=by, kind=HistoryEvent.Kind.PARTNER_DATA, field=_("Partner message"),
               new=str(EVENT_TEXT[event]), message=_("No active partner: nothing was sent."))
        return
    if partner.is_iso:
        from .messaging.outbox import queue

        queue(req, partner, event, note=note, details=details, by=by)
    elif partner.is_email:
        _send_letter(req, partner, event, side=side, by=by, note=note, details=details)
    else:
        record(req, by=by, kind=HistoryEvent.Kind.PARTNER_DATA, field=_("Partner message"),
               new=str(EVENT_TEXT[event]),
               message=_("%(partner)s is a “%(type)s” partner: nothing is sent electronically. "
                         "Tell them by hand: %(what)s%(note)s")
               % {"partner": partner.name, "type": partner.get_profile_type_display(), "what": EVENT_TEXT[event],
                  "note": f" — {note}" if note else ""})


def _body(req, event: str, note: str, details: dict) -> str:
    lines = [str(EVENT_TEXT[event]) + "."]
    if side_of(req) == "lending" and req.borrower_request_id:
        lines.append(_("Your request: %(id)s") % {"id": req.borrower_request_id})
    lines.append(_("Our request: %(id)s") % {"id": req.pk})
    lines.append(_("Title: %(t)s") % {"t": req.citation_line})
    if "accepted" in details:
        lines.append(_("Answer: %(a)s") % {"a": _("yes") if details["accepted"] else _("no")})
    if details.get("reason"):
        lines.append(_("Reason: %(r)s") % {"r": reason_label(str(details["reason"]))})
    if details.get("due_date"):
        lines.append(_("Due date: %(d)s") % {"d": details["due_date"]})
    if details.get("cost"):
        lines.append(_("Cost: %(c)s") % {"c": details["cost"]})
    if details.get("reply_by"):
        lines.append(_("Please answer by %(d)s.") % {"d": details["reply_by"]})
    text = details.get("text") or note
    if text:
        lines.extend(["", str(text)])
    return "\n".join(lines)


def _send_letter(req, partner, event: str, *, side: str, by, note: str, details: dict) -> None:
    code = LETTERS[side].get(event, "partner_communication")
    if not partner.email:
        record(req, by=by, kind=HistoryEvent.Kind.PARTNER_DATA, field=_("Letter"), new=code,
               message=_("%(partner)s has no email address: letter not sent.") % {"partner": partner.name})
        return
    context = {
        **details,
        "event": event,
        "note": note,
        "partner": partner,
        "subject": f"{EVENT_TEXT[event]} ({req.pk}: {req.title[:60]})",
        "body": _body(req, event, note, details),
    }
    if code == "general_message":
        context["message"] = details.get("text") or note
    elif code == "damaged_lost_report":
        context["what"] = _("damaged") if event == "damaged" else _("lost")
    elif code == "lender_reject" and details.get("reason"):
        context["reason"] = reason_label(str(details["reason"]))
    elif code == "borrower_overdue" and getattr(req, "due_date", None):
        from django.utils import timezone

        context.setdefault("days_overdue", max(0, (timezone.localdate() - req.due_date).days))
    try:
        from letters.api import send_letter

        send_letter(code, request=req, to=[partner.email], language=partner.language, context=context, by=by)
    except Exception as exc:  # the mail server being down must not undo the staff's step
        log.exception("letter %s to partner %s failed", code, partner.code)
        record(req, by=by, kind=HistoryEvent.Kind.PARTNER_DATA, field=_("Letter"), new=code,
               message=_("Letter to %(partner)s could not be sent: %(error)s")
               % {"partner": partner.name, "error": exc})
        Alert.objects.create(request=req, text=_("Letter “%(code)s” to %(partner)s was not sent.")
                             % {"code": code, "partner": partner.name})
