"""Lending row actions (SPEC §2, seed 002): each a Dialog (a form that does its action on save, or a
confirmation and the action it confirms) or a page of its own (lending.views.PAGES), shown only when its
condition holds.

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


# --- confirm-only dialogs: run(obj, None, user) -> message --------------------------------------------------------


def _release_edit_lock(obj, form, user):
    actions.release_edit_lock(obj, user)
    return _("You stopped editing; others can work on the request again.")


def _remove(obj, form, user):
    actions.remove(obj, by=user)
    return _("Removed from the task list (kept for statistics).")


DIALOGS = (
    # pages of their own (Side.pages = lending.views.PAGES); listed here for their place in the row actions
    # (Locate: the transition's dialog; several matches continue on the search page)
    Dialog("edit", _("Edit"), forms.EditForm, available=can_edit),
    Dialog("fulfillment", _("Manage fulfillment options"), None, available=can_manage_fulfillment),
    Dialog("search", _("Search"), None, available=can_search),
    Dialog("ship_physically", _("Ship item"), None),
    Dialog("print_slip", _("Print slip"), None, available=can_print_slip),
    Dialog("duplicate", _("Duplicate"), None, available=_staff,
           confirm=_("Create a new lending request with this citation, format, borrower and notes?")),
    Dialog("more_details", _("More details"), None, available=lambda obj, user: is_operator(user)),
    # transitions that take input
    Dialog("locate", _("Locate"), None,
           confirm=_("Look for this citation in the local inventory? (Edit the citation first if it is wrong.)")),
    Dialog("reject", _("Reject"), forms.RejectForm),
    Dialog("renew", _("Renew"), forms.RenewForm),
    Dialog("recall", _("Recall"), forms.RecallForm),
    Dialog("conditional", _("Conditional"), forms.ConditionalForm),
    Dialog("general_message", _("General message"), forms.GeneralMessageForm),
    Dialog("ship_digitally", _("Ship item digitally"), forms.ShipDigitallyForm),
    # extra actions with their own rule
    Dialog("condition_answer", _("Record the borrower's answer"), forms.ConditionAnswerForm,
           available=can_record_condition_answer),
    Dialog("answer_cancel", _("Answer cancel request"), forms.CancelAnswerForm, available=can_answer_cancel),
    Dialog("refuse_renewal", _("Refuse renewal"), forms.RefuseRenewalForm, available=can_refuse_renewal),
    Dialog("release_edit_lock", _("Stop editing"), None, _release_edit_lock, available=holds_edit_lock,
           confirm=_("Release the edit lock so that others can work on this request?")),
    Dialog("remove", _("Remove"), None, _remove, available=can_remove,
           confirm=_("Remove this request from the task list? It stays available for statistics.")),
)

#: Confirm-only actions (the request page posts them with an optional note; illdesk.requestviews.perform).
SIMPLE = {
    "will_supply": lambda req, user, note: actions.will_supply(req, by=user, note=note),
    "detach_from_inventory": lambda req, user, note: actions.detach(req, by=user),
    "check_in": lambda req, user, note: actions.check_in(req, by=user, note=note),
    "ship_non_returnable": lambda req, user, note: actions.ship_non_returnable(req, by=user, note=note),
    "status_query": lambda req, user, note: actions.status_query(req, by=user),
    "reactivate": lambda req, user, note: actions.reactivate(req, by=user, note=note),
}
