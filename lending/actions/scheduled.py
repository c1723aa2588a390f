"""What the scheduled jobs (integrations.jobs) do to a lending request: the steps staff take, with the
same side effects — a request we stop working on lets its item and fulfilment requests go, the borrower
is told what a staff action would tell it. The jobs choose the requests; these change them."""

from __future__ import annotations

from django.db import transaction
from django.utils.translation import gettext as _
from django_fsm import can_proceed

from ..models import LendingRequest
from .common import let_go, notify, transition


def overdue(req: LendingRequest, *, by=None) -> LendingRequest:
    """Past its due date: "Overdue" where the status allows it, and the borrower gets the overdue message
    (also when the status stays, e.g. a renewal is being asked for)."""
    due = req.due_date.isoformat() if req.due_date else ""
    with transaction.atomic():
        if can_proceed(req.mark_overdue):
            req = transition(req, "mark_overdue", by=by, message=_("Due date %(date)s passed") % {"date": due})
        notify(req, "overdue", by=by, due_date=due or None)
    return req


def expire(req: LendingRequest, *, by=None) -> LendingRequest:
    """The last interest date passed before we supplied: Expired, and what was put aside goes back."""
    with transaction.atomic():
        req = transition(req, "expire", by=by, message=_("Last interest date %(date)s passed")
                         % {"date": req.last_interest_date.isoformat() if req.last_interest_date else "—"})
        let_go(req, by=by)
    return req


def auto_reject(req: LendingRequest, *, hours: int, by=None) -> LendingRequest:
    """Left in "Pending auto reject" too long: Rejected as a staff reject would (item back on the shelf,
    fulfilment requests cancelled), and the borrower moves on to its next lender."""
    with transaction.atomic():
        req = transition(req, "auto_reject", by=by,
                         message=_("Pending auto reject for more than %(n)s hours") % {"n": hours})
        let_go(req, by=by)
        notify(req, "unfilled", by=by, reason=req.reject_reason)
    return req


def lapse_condition(req: LendingRequest, *, by=None) -> LendingRequest:
    """The borrower did not answer our conditions by the reply-by date: taken as a "no" (Rejected), the
    borrower is told the request is unfilled."""
    date_text = req.reply_by.isoformat() if req.reply_by else "—"
    with transaction.atomic():
        req = transition(req, "borrower_answered_condition", by=by, accepted=False,
                         message=_("The borrower did not answer by %(date)s.") % {"date": date_text},
                         tracked=("reply_by",))
        let_go(req, by=by)
        notify(req, "unfilled", by=by, reason="PolicyProblem",
               note=_("No answer to our condition by %(date)s.") % {"date": date_text})
    return req
