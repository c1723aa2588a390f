"""Lending row actions (SPEC §2, seed 002): each a Dialog (form + the action it runs) or a page of its
own (lending.views.PAGES), shown only when its condition holds.

Transition-backed actions are offered when the state machine offers the transition; the extra ones
carry their own `available(obj, user)` rule, which reads only columns of the row (the task list asks
it for every row without extra queries).
"""

from __future__ import annotations

from django.utils.translation import gettext_lazy as _

from illdesk.dialogs import Dialog
from illdesk.roles import is_operator

from . import actions, forms, printing
from .models import LendingRequest
from .statuses import REMOVABLE, Status

S = Status


def _staff(obj: LendingRequest, user) -> bool:
    return is_operator(user) and obj.removed_at is None


def can_edit(obj: LendingRequest, user) -> bool:
    return _staff(obj, user) and obj.is_active and actions.lock_holder(obj, user) is None


def holds_edit_lock(obj: LendingRequest, user) -> bool:
    return obj.lock_is_held and obj.locked_by_id == getattr(user, "pk", None)


def can_manage_fulfillment(obj: LendingRequest, user) -> bool:
    return _staff(obj, user) and obj.status in actions.PLACEABLE


def can_search(obj: LendingRequest, user) -> bool:
    return can_manage_fulfillment(obj, user) and obj.locate_status != LendingRequest.LocateStatus.LOCATED


def can_print_slip(obj: LendingRequest, user) -> bool:
    return is_operator(user) and printing.slip_code(obj) is not None


def can_record_condition_answer(obj: LendingRequest, user) -> bool:
    """ISO borrowers answer by message; for the others staff record the answer they got by email."""
    return _staff(obj, user) and obj.status == S.CONDITIONAL and not (obj.partner_id and obj.partner.is_iso)


def can_answer_cancel(obj: LendingRequest, user) -> bool:
    return _staff(obj, user) and obj.status == S.CANCEL_REPLY


def can_refuse_renewal(obj: LendingRequest, user) -> bool:
    return _staff(obj, user) and obj.status == S.RENEW_REQUESTED


def can_remove(obj: LendingRequest, user) -> bool:
    return _staff(obj, user) and obj.status in REMOVABLE


# --- run functions: (obj, form, user) -> message --------------------------------------------------------


def _reject(obj, form, user):
    d = form.cleaned_data
    actions.reject(obj, by=user, reason=d["reason"], internal_note=d["internal_note"], partner_note=d["partner_note"])
    return _("The request is rejected; the borrower was told.")


def _renew(obj, form, user):
    d = form.cleaned_data
    actions.renew(obj, by=user, due_date=d["due_date"], internal_note=d["internal_note"],
                  partner_note=d["partner_note"])
    return _("Renewed until %(date)s.") % {"date": d["due_date"].isoformat()}


def _refuse_renewal(obj, form, user):
    actions.refuse_renewal(obj, by=user, note=form.cleaned_data["note"])
    return _("Renewal refused; the borrower was told.")


def _recall(obj, form, user):
    d = form.cleaned_data
    actions.recall(obj, by=user, due_date=d["due_date"], note=d["note"])
    return _("The item is recalled.")


def _conditional(obj, form, user):
    d = form.cleaned_data
    actions.conditional(obj, by=user, reason=d["reason"], reply_by=d["reply_by"], note=d["note"])
    return _("Conditions sent; the borrower answers by %(date)s.") % {"date": d["reply_by"].isoformat()}


def _condition_answer(obj, form, user):
    req = actions.conditional_answer(obj, accepted=form.accepted, by=user, note=form.cleaned_data["note"])
    return _("Recorded: the request is “%(status)s”.") % {"status": req.get_status_display()}


def _answer_cancel(obj, form, user):
    req = actions.answer_cancel(obj, by=user, accepted=form.accepted, note=form.cleaned_data["note"])
    return _("Cancel answered: the request is “%(status)s”.") % {"status": req.get_status_display()}


def _message(obj, form, user):
    actions.general_message(obj, by=user, text=form.cleaned_data["text"])
    return _("Message sent to the borrower.")


def _ship_digitally(obj, form, user):
    req = actions.ship_digitally(obj, upload=form.cleaned_data["file"], by=user, note=form.cleaned_data["note"])
    return _("File shipped; the request is “%(status)s”.") % {"status": req.get_status_display()}


def _release_edit_lock(obj, form, user):
    actions.release_edit_lock(obj, user)
    return _("You stopped editing; others can work on the request again.")


def _remove(obj, form, user):
    actions.remove(obj, by=user)
    return _("Removed from the task list (kept for statistics).")


def _page(obj, form, user):  # pragma: no cover - pages are served by lending.views.PAGES
    raise NotImplementedError


DIALOGS = (
    # pages of their own (lending.views.PAGES); listed here for their place in the row actions
    # (Locate: the transition's dialog; several matches continue on the search page)
    Dialog("edit", _("Edit"), forms.EditForm, _page, available=can_edit),
    Dialog("fulfillment", _("Manage fulfillment options"), None, _page, available=can_manage_fulfillment),
    Dialog("search", _("Search"), None, _page, available=can_search),
    Dialog("ship_physically", _("Ship item"), None, _page),
    Dialog("print_slip", _("Print slip"), None, _page, available=can_print_slip),
    Dialog("duplicate", _("Duplicate"), None, _page, available=_staff,
           confirm=_("Create a new lending request with this citation, format, borrower and notes?")),
    Dialog("more_details", _("More details"), None, _page, available=lambda obj, user: is_operator(user)),
    # transitions that take input
    Dialog("locate", _("Locate"), None, _page,
           confirm=_("Look for this citation in the local inventory? (Edit the citation first if it is wrong.)")),
    Dialog("reject", _("Reject"), forms.RejectForm, _reject),
    Dialog("renew", _("Renew"), forms.RenewForm, _renew),
    Dialog("recall", _("Recall"), forms.RecallForm, _recall),
    Dialog("conditional", _("Conditional"), forms.ConditionalForm, _conditional),
    Dialog("general_message", _("General message"), forms.GeneralMessageForm, _message),
    Dialog("ship_digitally", _("Ship item digitally"), forms.ShipDigitallyForm, _ship_digitally),
    # extra actions with their own rule
    Dialog("condition_answer", _("Record the borrower's answer"), forms.AnswerForm, _condition_answer,
           available=can_record_condition_answer),
    Dialog("answer_cancel", _("Answer cancel request"), forms.AnswerForm, _answer_cancel, available=can_answer_cancel),
    Dialog("refuse_renewal", _("Refuse renewal"), forms.NoteForm, _refuse_renewal, available=can_refuse_renewal),
    Dialog("release_edit_lock", _("Stop editing"), None, _release_edit_lock, available=holds_edit_lock,
           confirm=_("Release the edit lock so that others can work on this request?")),
    Dialog("remove", _("Remove"), None, _remove, available=can_remove,
           confirm=_("Remove this request from the task list? It stays available for statistics.")),
)

#: Confirm-only transitions (the request page posts them with an optional note; lending.views.perform).
SIMPLE = {
    "will_supply": lambda req, user, note: actions.will_supply(req, by=user, note=note),
    "detach_from_inventory": lambda req, user, note: actions.detach(req, by=user),
    "check_in": lambda req, user, note: actions.check_in(req, by=user, note=note),
    "ship_non_returnable": lambda req, user, note: actions.ship_non_returnable(req, by=user, note=note),
    "status_query": lambda req, user, note: actions.status_query(req, by=user),
    "reactivate": lambda req, user, note: actions.reactivate(req, by=user, note=note),
}
