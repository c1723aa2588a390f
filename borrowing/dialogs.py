"""Borrowing row actions: the dialogs (a form that does its action on save, or a confirmation and the
action it confirms; see illdesk.dialogs), their availability rules, and the confirm-only buttons."""

from django.utils.translation import gettext_lazy as _

from illdesk import bulk
from illdesk.dialogs import Dialog, per_page
from illdesk.roles import is_operator

from . import actions, communications, forms, locate
from .statuses import REMOVABLE


def _done(message):
    return lambda *a, **k: str(message)


def _recalculate(obj, form, user):
    req = actions.recalculate_rota(obj, by=user)
    return _("Rota recalculated (%(n)d partners).") % {"n": req.rota_entries.count()}


def _remove_recalculate(obj, form, user):
    req = actions.recalculate_rota(obj, by=user, remove_all=True)
    return _("Rota rebuilt (%(n)d partners).") % {"n": req.rota_entries.count()}


def _status_query(obj, form, user):
    actions.status_query(obj, by=user)
    return _("Status query sent; the answer will appear in the notes.")


def _duplicate(obj, form, user):
    copy = actions.duplicate(obj, by=user)
    return _("New request %(pk)s created as a copy.") % {"pk": copy.pk}


def _remove(obj, form, user):
    report = bulk.remove(type(obj), [obj.pk], REMOVABLE, by=user)
    if report.skipped:
        from illdesk.workflow import ActionRefused

        raise ActionRefused(report.skipped[0][1])
    return _("Removed from the task list (kept for statistics).")


def _resend(obj, form, user):
    communications.resend_patron_email(obj, by=user)
    return _("The delivery email was sent to the patron again.")


def _can_query_patron(obj, user) -> bool:
    has_address = bool((obj.requester_id and obj.requester.email) or obj.unauthenticated_email)
    return is_operator(user) and has_address and per_page(
        "patron_query_templates", lambda: communications.query_templates().exists())


def _digital_delivery(obj, user) -> bool:
    return is_operator(user) and (obj.status == "received_digitally" or obj.supplied_format == "digital")


def _needs_patron_link(obj, user) -> bool:
    return is_operator(user) and obj.needs_patron_link


def _staff(obj, user) -> bool:
    return is_operator(user)


DIALOGS = (
    Dialog("send", _("Send"), forms.SendForm),
    Dialog("start_locate", _("Locate resource"), None, locate.run_dialog,
           confirm=_("Search the local inventory and the partners' catalogues for this citation now?")),
    Dialog("cancel", _("Cancel"), forms.CancelForm),
    Dialog("request_cancel", _("Cancel"), forms.CancelForm),
    Dialog("conditional_reply", _("Conditional reply"), forms.ConditionalReplyForm),
    Dialog("receive", _("Receive"), forms.ReceiveForm),
    Dialog("return_item", _("Return"), forms.ReturnForm),
    Dialog("reject", _("Reject"), forms.RejectForm),
    Dialog("renew", _("Renew"), forms.RenewForm),
    Dialog("request_renew", _("Request renew"), forms.RequestRenewForm),
    Dialog("report_damaged", _("Damaged"), forms.DamagedForm),
    Dialog("report_lost", _("Lost"), forms.LostForm),
    Dialog("resupply", _("Resupply"), forms.ResupplyForm),
    Dialog("general_message", _("General message"), forms.GeneralMessageForm),
    Dialog("obtain_externally", _("Obtain externally"), forms.ObtainExternallyForm),
    Dialog("convert_request_type", _("Convert request type"), forms.ConvertForm),
    Dialog("recalculate_rota", _("Recalculate rota"), None, _recalculate,
           confirm=_("Rebuild the rota from the rota-assignment rules?")),
    Dialog("remove_and_recalculate_rota", _("Remove and recalculate rota"), None, _remove_recalculate,
           confirm=_("Remove all partners and build a new rota? A partner the request was already sent to stays.")),
    Dialog("status_query", _("Status query"), None, _status_query,
           confirm=_("Ask the lender for the current status?")),
    # extra actions: not status changes, their own availability rule
    Dialog("link_patron", _("Link to patron"), None, _done(""), available=_needs_patron_link),
    Dialog("view_resources", _("View local / network resources"), None, _done(_("Opened.")), available=_staff),
    Dialog("edit_shipping_cost", _("Edit shipping cost"), forms.ShippingCostForm, available=_staff),
    Dialog("duplicate", _("Duplicate"), None, _duplicate, available=_staff,
           confirm=_("Create a new request with this citation, requester, owner, format and pickup location?")),
    Dialog("purchase_request", _("Purchase request"), forms.PurchaseForm, available=_staff),
    Dialog("send_email_to_partner", _("Send email to partner"), forms.PartnerEmailForm, available=_staff),
    Dialog("send_query_to_patron", _("Send query to patron"), forms.PatronQueryForm,
           available=_can_query_patron),
    Dialog("resend_patron_email", _("Resend patron email"), None, _resend, available=_digital_delivery,
           confirm=_("Send the delivery email to the patron again?")),
    Dialog("remove", _("Remove"), None, _remove,
           available=lambda obj, user: is_operator(user) and obj.status in REMOVABLE and obj.removed_at is None,
           confirm=_("Remove this request from the task list? It stays available for statistics.")),
)


def _plain(name):
    return lambda req, user, note: actions.transition(req, name, by=user, message=note)


#: Confirm-only actions (the request page posts them with an optional note; illdesk.requestviews.perform).
SIMPLE = {
    **{name: _plain(name) for name in ("approve", "loan_to_patron", "reactivate", "check_out_to_patron",
                                       "mark_overdue", "complete")},
    "cancel_recall": lambda req, user, note: actions.cancel_recall(req, by=user),
}
