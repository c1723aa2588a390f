"""Telling the active partner about a step: `notify_partner(req, event, …)`.

Called by the sides' actions inside their transaction, right after the transition. The events a
request may announce and the letters for email partners are its side's (`illdesk.sides`:
partner_events, partner_letters). What happens depends on the partner's profile type:

* iso18626  -> the ISO message goes into the outbox (same transaction), delivered by Celery;
* email     -> the matching letter (letters.api.send_letter) to the partner's address;
* ncip_p2p / external -> nothing electronic: a history row tells staff what to do by hand.
"""

from __future__ import annotations

import logging

from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy

from illdesk import sides
from illdesk.models import Alert, HistoryEvent
from illdesk.reasons import reason_label
from illdesk.workflow import record

log = logging.getLogger("illdesk.iso18626")

# What each event means, for the letter's subject and for the to-do of manual partners.
EVENT_TEXT = {
    # as the requesting agency
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
    # as the supplying agency
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
def notify_partner(req, event: str, *, by=None, note: str = "", **details) -> None:
    """Tell `req.partner` that `event` happened (see the module docstring)."""
    side = sides.of(req)
    if event not in side.partner_events:
        raise ValueError(f"unknown {side.name} event {event!r}; expected one of {sorted(side.partner_events)}")
    partner = req.partner
    if partner is None:
        record(req, by=by, kind=HistoryEvent.Kind.PARTNER_DATA, field=_("Partner message"),
               new=str(EVENT_TEXT[event]), message=_("No active partner: nothing was sent."))
        return
    if partner.is_iso:
        from .messaging.outbox import queue

        queue(req, partner, event, note=note, details=details, by=by)
    elif partner.is_email:
        _send_letter(req, partner, event, letters=side.partner_letters, by=by, note=note, details=details)
    else:
        record(req, by=by, kind=HistoryEvent.Kind.PARTNER_DATA, field=_("Partner message"),
               new=str(EVENT_TEXT[event]),
               message=_("%(partner)s is a “%(type)s” partner: nothing is sent electronically. "
                         "Tell them by hand: %(what)s%(note)s")
               % {"partner": partner.name, "type": partner.get_profile_type_display(), "what": EVENT_TEXT[event],
                  "note": f" — {note}" if note else ""})


def _body(req, event: str, note: str, details: dict) -> str:
    lines = [str(EVENT_TEXT[event]) + "."]
    if getattr(req, "borrower_request_id", ""):  # the borrower's own id, when we supply
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


def _send_letter(req, partner, event: str, *, letters, by, note: str, details: dict) -> None:
    code = letters.get(event, "partner_communication")
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
