"""Borrowing row actions that take input: each a form and the action it runs (see illdesk.dialogs)."""

from django.utils.translation import gettext_lazy as _

from illdesk import bulk
from illdesk.dialogs import Dialog, per_page
from illdesk.roles import is_operator

from . import actions, communications, forms, locate
from .statuses import REMOVABLE


def _done(message):
    return lambda *a, **k: str(message)


def _send(obj, form, user):
    actions.send(obj, by=user, note=form.cleaned_data["note"])
    return _("The request was sent to %(partner)s.") % {"partner": obj.partner.name}


def _cancel(obj, form, user):
    req = actions.cancel(obj, by=user, note=form.cleaned_data["note"])
    if req.status == "waiting_cancel_response":
        return _("The lender was asked to cancel; the request waits for the answer.")
    return _("The request is cancelled and the patron informed.")


def _conditional(obj, form, user):
    accept = form.cleaned_data["accept"]
    actions.conditional_reply(obj, by=user, accept=accept, note=form.cleaned_data["note"])
    return _("Conditions accepted: the request is back with the lender.") if accept else \
        _("Conditions declined: the rota moves to the next partner.")


def _receive(obj, form, user):
    d = form.cleaned_data
    req = actions.receive(obj, by=user, received_format=d["received_format"], temp_barcode=d["temp_barcode"],
                          note=d["note"])
    return _("Received (%(status)s).") % {"status": req.get_status_display()}


def _return(obj, form, user):
    req = actions.return_item(obj, by=user, at_other_desk=form.cleaned_data["at_other_desk"],
                              note=form.cleaned_data["note"])
    return _("Return recorded: %(status)s.") % {"status": req.get_status_display()}


def _reject(obj, form, user):
    d = form.cleaned_data
    req = actions.reject(obj, by=user, reason=d["reason"], internal_note=d["internal_note"],
                         partner_note=d["partner_note"], notify_patron=d["notify_patron"])
    if req.partner_id and req.partner_id != obj.partner_id:
        return _("Rejected; the next partner in the rota is %(p)s.") % {"p": req.partner.name}
    return _("Rejected; no partner is left in the rota.")


def _renew(obj, form, user):
    d = form.cleaned_data
    actions.renew(obj, by=user, due_date=d["due_date"], internal_note=d["internal_note"],
                  partner_note=d["partner_note"])
    return _("Renewed until %(d)s.") % {"d": d["due_date"]}


def _request_renew(obj, form, user):
    req = actions.request_renew(obj, by=user, note=form.cleaned_data["note"])
    return _("Renewal requested.") if req.status == "renew_requested" else _("Renewed.")


def _damaged(obj, form, user):
    actions.report_damaged_or_lost(obj, by=user, lost=False, note=form.cleaned_data["note"])
    return _("Damage reported to the lender.")


def _lost(obj, form, user):
    actions.report_damaged_or_lost(obj, by=user, lost=True, note=form.cleaned_data["note"])
    return _("Loss reported to the lender.")


def _resupply(obj, form, user):
    actions.resupply(obj, by=user, reason=form.cleaned_data["reason"])
    return _("A new copy was requested from the lender.")


def _message(obj, form, user):
    actions.general_message(obj, by=user, text=form.cleaned_data["text"])
    return _("Message sent to the lender.")


def _obtain(obj, form, user):
    d = form.cleaned_data
    actions.obtain_externally(obj, by=user, supplier=d["supplier"], cost=d["cost"], note=d["note"])
    return _("Recorded as obtained externally.")


def _shipping_cost(obj, form, user):
    actions.edit_shipping_cost(obj, by=user, shipping_cost=form.cleaned_data["shipping_cost"])
    return _("Shipping cost saved.")


def _convert(obj, form, user):
    d = dict(form.cleaned_data)
    request_type = d.pop("request_type")
    changes = {k: v for k, v in d.items() if k in ("chapter_title", "chapter_author", "pages", "volume", "issue",
                                                     "owner", "pickup_location")}
    actions.convert_request_type(obj, by=user, request_type=request_type, changes=changes)
    return _("Request type converted; the rota was recalculated.")


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


def _purchase(obj, form, user):
    purchase = actions.purchase_request(obj, by=user, cancel_request=form.cleaned_data["cancel_request"])
    return _("Purchase request %(pk)s created.") % {"pk": purchase.pk}


def _remove(obj, form, user):
    report = bulk.remove(type(obj), [obj.pk], REMOVABLE, by=user)
    if report.skipped:
        from illdesk.workflow import ActionRefused

        raise ActionRefused(report.skipped[0][1])
    return _("Removed from the task list (kept for statistics).")


def _partner_email(obj, form, user):
    d = form.cleaned_data
    communications.start(obj, by=user, to=d["to"], subject=d["subject"], body=d["body"])
    return _("Email sent to %(to)s; the thread is in the Communications tab.") % {"to": d["to"]}


def _patron_query(obj, form, user):
    d = form.cleaned_data
    communications.send_query_to_patron(obj, by=user, template=d["template"], subject=d.get("subject", ""),
                                        body=d.get("body", ""), note=d["note"])
    return _("Query sent to the patron.")


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
    Dialog("send", _("Send"), forms.NoteForm, _send),
    Dialog("start_locate", _("Locate resource"), None, locate.run_dialog,
           confirm=_("Search the local inventory and the partners' catalogues for this citation now?")),
    Dialog("cancel", _("Cancel"), forms.NoteForm, _cancel),
    Dialog("request_cancel", _("Cancel"), forms.NoteForm, _cancel),
    Dialog("conditional_reply", _("Conditional reply"), forms.ConditionalReplyForm, _conditional),
    Dialog("receive", _("Receive"), forms.ReceiveForm, _receive),
    Dialog("return_item", _("Return"), forms.ReturnForm, _return),
    Dialog("reject", _("Reject"), forms.RejectForm, _reject),
    Dialog("renew", _("Renew"), forms.RenewForm, _renew),
    Dialog("request_renew", _("Request renew"), forms.NoteForm, _request_renew),
    Dialog("report_damaged", _("Damaged"), forms.NoteForm, _damaged),
    Dialog("report_lost", _("Lost"), forms.NoteForm, _lost),
    Dialog("resupply", _("Resupply"), forms.ResupplyForm, _resupply),
    Dialog("general_message", _("General message"), forms.GeneralMessageForm, _message),
    Dialog("obtain_externally", _("Obtain externally"), forms.ObtainExternallyForm, _obtain),
    Dialog("convert_request_type", _("Convert request type"), forms.ConvertForm, _convert),
    Dialog("recalculate_rota", _("Recalculate rota"), None, _recalculate,
           confirm=_("Rebuild the rota from the rota-assignment rules?")),
    Dialog("remove_and_recalculate_rota", _("Remove and recalculate rota"), None, _remove_recalculate,
           confirm=_("Remove all partners and build a new rota? A partner the request was already sent to stays.")),
    Dialog("status_query", _("Status query"), None, _status_query,
           confirm=_("Ask the lender for the current status?")),
    # extra actions: not status changes, their own availability rule
    Dialog("link_patron", _("Link to patron"), None, _done(""), available=_needs_patron_link),
    Dialog("view_resources", _("View local / network resources"), None, _done(_("Opened.")), available=_staff),
    Dialog("edit_shipping_cost", _("Edit shipping cost"), forms.ShippingCostForm, _shipping_cost, available=_staff),
    Dialog("duplicate", _("Duplicate"), None, _duplicate, available=_staff,
           confirm=_("Create a new request with this citation, requester, owner, format and pickup location?")),
    Dialog("purchase_request", _("Purchase request"), forms.PurchaseForm, _purchase, available=_staff),
    Dialog("send_email_to_partner", _("Send email to partner"), forms.PartnerEmailForm, _partner_email,
           available=_staff),
    Dialog("send_query_to_patron", _("Send query to patron"), forms.PatronQueryForm, _patron_query,
           available=_can_query_patron),
    Dialog("resend_patron_email", _("Resend patron email"), None, _resend, available=_digital_delivery,
           confirm=_("Send the delivery email to the patron again?")),
    Dialog("remove", _("Remove"), None, _remove,
           available=lambda obj, user: is_operator(user) and obj.status in REMOVABLE and obj.removed_at is None,
           confirm=_("Remove this request from the task list? It stays available for statistics.")),
)

