"""Answering the borrowing library: will supply, conditions, reject, renewals, recall, cancel replies,
general messages and status queries. Each sends its partner event (ISO message or letter)."""

from __future__ import annotations

from datetime import date

from django.db import transaction
from django.utils import timezone
from django.utils.translation import gettext as _

from illdesk.models import GeneralMessage, HistoryEvent, Note
from illdesk.notes import add_note, check_len
from illdesk.reasons import RejectReason, reason_label
from illdesk.workflow import ActionRefused

from ..models import LendingRequest
from ..statuses import Status
from .common import let_go, notify, transition

S = Status


def will_supply(req: LendingRequest, *, by, note: str = "") -> LendingRequest:
    check_len(note)
    with transaction.atomic():
        req = transition(req, "will_supply", by=by, message=note)
        add_note(req, Note.Kind.TO_PARTNER, note, by=by)
        notify(req, "will_supply", by=by, note=note)
    return req


def conditional(req: LendingRequest, *, by, reason: str, reply_by: date, note: str = "") -> LendingRequest:
    """Supply on conditions: the borrower answers by the reply-by date (yes → Created, no → Rejected)."""
    reason = (reason or "").strip()
    if not reason:
        raise ActionRefused(_("Give the condition."), status=400)
    if len(reason) > 200:
        raise ActionRefused(_("The condition can be at most 200 characters."), status=400)
    if reply_by is None or reply_by < timezone.localdate():
        raise ActionRefused(_("The reply-by date cannot be in the past."), status=400)
    check_len(note)
    with transaction.atomic():
        req = transition(req, "conditional", by=by, reason=reason, reply_by=reply_by,
                         message=_("Condition: %(reason)s") % {"reason": reason},
                         tracked=("conditional_reason", "reply_by"))
        add_note(req, Note.Kind.TO_PARTNER, note, by=by)
        notify(req, "conditional", by=by, note=note, reason=reason, reply_by=reply_by.isoformat())
    return req


def reject(req: LendingRequest, *, by, reason: str, internal_note: str = "", partner_note: str = "") -> LendingRequest:
    """Rejected the borrower request: the reason and internal note go to the Notes tab, the borrower gets
    ISO Unfilled or the Lender Reject letter (and moves on to its next lender)."""
    if reason not in RejectReason.values:
        raise ActionRefused(_("Choose a reject reason from the list."), status=400)
    check_len(internal_note)
    check_len(partner_note)
    with transaction.atomic():
        req = transition(req, "reject", by=by, reason=reason,
                         message=_("Reason: %(reason)s") % {"reason": reason_label(reason)},
                         tracked=("reject_reason",))
        add_note(req, Note.Kind.INTERNAL, _("Rejected: %(reason)s") % {"reason": reason_label(reason)}
                 + (f"\n{internal_note.strip()}" if internal_note.strip() else ""), by=by)
        add_note(req, Note.Kind.TO_PARTNER, partner_note, by=by)
        let_go(req, by=by)
        notify(req, "unfilled", by=by, note=partner_note, reason=reason)
    return req


def renew(req: LendingRequest, *, by, due_date: date, internal_note: str = "",
          partner_note: str = "") -> LendingRequest:
    """Grant a renewal (Renew requested, or by hand under the profile's staff-renewal step)."""
    if due_date is None or due_date < timezone.localdate():
        raise ActionRefused(_("The new due date cannot be in the past."), status=400)
    check_len(internal_note)
    check_len(partner_note)
    with transaction.atomic():
        req = transition(req, "renew", by=by, due_date=due_date, tracked=("due_date",))
        add_note(req, Note.Kind.INTERNAL, internal_note, by=by)
        add_note(req, Note.Kind.TO_PARTNER, partner_note, by=by)
        notify(req, "renew_response", by=by, note=partner_note, accepted=True, due_date=due_date.isoformat())
    return req


def refuse_renewal(req: LendingRequest, *, by, note: str = "") -> LendingRequest:
    check_len(note)
    with transaction.atomic():
        req = transition(req, "refuse_renewal", by=by, message=note or _("Renewal refused"))
        add_note(req, Note.Kind.TO_PARTNER, note, by=by)
        notify(req, "renew_response", by=by, note=note, accepted=False,
               due_date=req.due_date.isoformat() if req.due_date else None)
    return req


def recall(req: LendingRequest, *, by, due_date: date | None = None, note: str = "") -> LendingRequest:
    """Ask for an item we lent out back early (ISO Recalled or the recall letter)."""
    if due_date is not None and due_date < timezone.localdate():
        raise ActionRefused(_("The new due date cannot be in the past."), status=400)
    check_len(note)
    with transaction.atomic():
        req = transition(req, "recall", by=by, due_date=due_date, message=note, tracked=("due_date",))
        add_note(req, Note.Kind.TO_PARTNER, note, by=by)
        notify(req, "recalled", by=by, note=note, due_date=req.due_date.isoformat() if req.due_date else None)
    return req


def _status_before_cancel_reply(req: LendingRequest) -> str:
    """Where a refused cancel takes the request back to: the status it had when the borrower asked."""
    labels = {str(label): value for value, label in Status.choices}
    last = (req.history.filter(kind=HistoryEvent.Kind.STATUS, new_value=str(S.CANCEL_REPLY.label))
            .order_by("-at", "-id").values_list("old_value", flat=True).first())
    status = labels.get(last or "", S.CREATED)
    return status if status != S.CANCEL_REPLY else S.CREATED


def answer_cancel(req: LendingRequest, *, by, accepted: bool, note: str = "") -> LendingRequest:
    """The borrower asked to cancel: yes → Cancelled (item back, fulfilment cancelled); no → the request
    carries on where it was."""
    check_len(note)
    with transaction.atomic():
        resume = _status_before_cancel_reply(req)
        req = transition(req, "answer_cancel", by=by, accepted=accepted, resume_status=resume,
                         message=note or (_("Cancel accepted") if accepted else _("Cancel refused")))
        if accepted:
            let_go(req, by=by)
        add_note(req, Note.Kind.TO_PARTNER, note, by=by)
        notify(req, "cancel_response", by=by, note=note, accepted=accepted)
    return req


def general_message(req: LendingRequest, *, by, text: str) -> LendingRequest:
    text = (text or "").strip()
    if not text:
        raise ActionRefused(_("Write a message first."), status=400)
    if len(text) > 1000:
        raise ActionRefused(_("A message can be at most 1000 characters."), status=400)
    with transaction.atomic():
        req = transition(req, "general_message", by=by, message=text)
        GeneralMessage.objects.create(request=req, direction=GeneralMessage.Direction.SENT, text=text,
                                      author=by if getattr(by, "is_authenticated", False) else None)
        LendingRequest.objects.filter(pk=req.pk).update(has_active_message=True)
        notify(req, "notification", by=by, note=text, text=text)
    return req


def status_query(req: LendingRequest, *, by) -> LendingRequest:
    """ISO partners only: exchange statuses with the borrower; its answer is recorded as a note when it
    arrives (partners.messaging)."""
    with transaction.atomic():
        req = transition(req, "status_query", by=by, message=_("Status query: our status sent to the borrower"))
        notify(req, "status_request_response", by=by)
    return req
