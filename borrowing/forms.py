"""The borrowing dialogs' forms. Each owns its effect: `save(by=user)` runs the borrowing action with what
was entered and returns the sentence the user sees afterwards (illdesk.dialogs.DialogForm)."""

from django import forms
from django.utils.translation import gettext
from django.utils.translation import gettext_lazy as _

from illdesk.dialogs import DialogForm
from illdesk.models import Format, PickupLocation, RequestType, ResourceSharingLibrary
from illdesk.reasons import RejectReason

from . import actions, communications

NOTE = {"required": False, "max_length": 1000, "widget": forms.Textarea(attrs={"rows": 3})}


class NoteForm(DialogForm):
    """A note, and the action that takes it (the subclasses below)."""

    note = forms.CharField(label=_("Note"), **NOTE)


class SendForm(NoteForm):
    def save(self, *, by) -> str:
        actions.send(self.obj, by=by, note=self.cleaned_data["note"])
        return gettext("The request was sent to %(partner)s.") % {"partner": self.obj.partner.name}


class CancelForm(NoteForm):
    def save(self, *, by) -> str:
        req = actions.cancel(self.obj, by=by, note=self.cleaned_data["note"])
        if req.status == "waiting_cancel_response":
            return gettext("The lender was asked to cancel; the request waits for the answer.")
        return gettext("The request is cancelled and the patron informed.")


class RequestRenewForm(NoteForm):
    def save(self, *, by) -> str:
        req = actions.request_renew(self.obj, by=by, note=self.cleaned_data["note"])
        return gettext("Renewal requested.") if req.status == "renew_requested" else gettext("Renewed.")


class DamagedForm(NoteForm):
    def save(self, *, by) -> str:
        actions.report_damaged_or_lost(self.obj, by=by, lost=False, note=self.cleaned_data["note"])
        return gettext("Damage reported to the lender.")


class LostForm(NoteForm):
    def save(self, *, by) -> str:
        actions.report_damaged_or_lost(self.obj, by=by, lost=True, note=self.cleaned_data["note"])
        return gettext("Loss reported to the lender.")


class ConditionalReplyForm(DialogForm):
    accept = forms.TypedChoiceField(label=_("Accept the lender's conditions?"), coerce=lambda v: v == "yes",
                                    choices=[("yes", _("Yes")), ("no", _("No"))], widget=forms.RadioSelect)
    note = forms.CharField(label=_("Note to partner"), **NOTE)

    def save(self, *, by) -> str:
        accept = self.cleaned_data["accept"]
        actions.conditional_reply(self.obj, by=by, accept=accept, note=self.cleaned_data["note"])
        return gettext("Conditions accepted: the request is back with the lender.") if accept else \
            gettext("Conditions declined: the rota moves to the next partner.")


class ReceiveForm(DialogForm):
    received_format = forms.ChoiceField(label=_("Received format"), choices=Format.choices)
    temp_barcode = forms.CharField(label=_("Temporary barcode"), required=False, max_length=60,
                                   help_text=_("Left empty, one is generated when the library is set up to."))
    note = forms.CharField(label=_("Note"), **NOTE)

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        if self.obj is not None:
            self.fields["received_format"].initial = self.obj.requested_format

    def save(self, *, by) -> str:
        d = self.cleaned_data
        req = actions.receive(self.obj, by=by, received_format=d["received_format"], temp_barcode=d["temp_barcode"],
                              note=d["note"])
        return gettext("Received (%(status)s).") % {"status": req.get_status_display()}


class ReturnForm(DialogForm):
    at_other_desk = forms.BooleanField(
        label=_("Returned at another desk (goes to the resource-sharing library first)"), required=False)
    note = forms.CharField(label=_("Note"), **NOTE)

    def save(self, *, by) -> str:
        req = actions.return_item(self.obj, by=by, at_other_desk=self.cleaned_data["at_other_desk"],
                                  note=self.cleaned_data["note"])
        return gettext("Return recorded: %(status)s.") % {"status": req.get_status_display()}


class RejectForm(DialogForm):
    reason = forms.ChoiceField(label=_("Reject reason"), choices=[("", "—")] + list(RejectReason.choices))
    internal_note = forms.CharField(label=_("Internal note"), **NOTE)
    partner_note = forms.CharField(label=_("Note to partner"), **NOTE)
    notify_patron = forms.BooleanField(label=_("Notify user"), required=False)

    def save(self, *, by) -> str:
        d = self.cleaned_data
        req = actions.reject(self.obj, by=by, reason=d["reason"], internal_note=d["internal_note"],
                             partner_note=d["partner_note"], notify_patron=d["notify_patron"])
        if req.partner_id and req.partner_id != self.obj.partner_id:
            return gettext("Rejected; the next partner in the rota is %(p)s.") % {"p": req.partner.name}
        return gettext("Rejected; no partner is left in the rota.")


class RenewForm(DialogForm):
    due_date = forms.DateField(label=_("New due date"), widget=forms.DateInput(attrs={"type": "date"}))
    internal_note = forms.CharField(label=_("Internal note"), **NOTE)
    partner_note = forms.CharField(label=_("Note to partner"), **NOTE)

    def clean_due_date(self):
        value = self.cleaned_data["due_date"]
        if self.obj is not None and self.obj.due_date and value <= self.obj.due_date:
            raise forms.ValidationError(_("The new due date must be after the current one (%(d)s).")
                                        % {"d": self.obj.due_date})
        return value

    def save(self, *, by) -> str:
        d = self.cleaned_data
        actions.renew(self.obj, by=by, due_date=d["due_date"], internal_note=d["internal_note"],
                      partner_note=d["partner_note"])
        return gettext("Renewed until %(d)s.") % {"d": d["due_date"]}


class ResupplyForm(DialogForm):
    reason = forms.CharField(label=_("Why is a new copy needed?"), max_length=1000,
                             widget=forms.Textarea(attrs={"rows": 3}))

    def save(self, *, by) -> str:
        actions.resupply(self.obj, by=by, reason=self.cleaned_data["reason"])
        return gettext("A new copy was requested from the lender.")


class GeneralMessageForm(DialogForm):
    text = forms.CharField(label=_("Message"), max_length=1000, widget=forms.Textarea(attrs={"rows": 4}))

    def save(self, *, by) -> str:
        actions.general_message(self.obj, by=by, text=self.cleaned_data["text"])
        return gettext("Message sent to the lender.")


class ObtainExternallyForm(DialogForm):
    supplier = forms.CharField(label=_("Ordered from"), max_length=200, initial=_("External document supplier"))
    cost = forms.DecimalField(label=_("Cost"), required=False, max_digits=10, decimal_places=2, min_value=0)
    note = forms.CharField(label=_("Note"), **NOTE)

    def save(self, *, by) -> str:
        d = self.cleaned_data
        actions.obtain_externally(self.obj, by=by, supplier=d["supplier"], cost=d["cost"], note=d["note"])
        return gettext("Recorded as obtained externally.")


class ShippingCostForm(DialogForm):
    shipping_cost = forms.DecimalField(label=_("Shipping cost"), required=False, max_digits=10, decimal_places=2,
                                       min_value=0)

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        if self.obj is not None:
            self.fields["shipping_cost"].initial = self.obj.shipping_cost

    def save(self, *, by) -> str:
        actions.edit_shipping_cost(self.obj, by=by, shipping_cost=self.cleaned_data["shipping_cost"])
        return gettext("Shipping cost saved.")


class ConvertForm(DialogForm):
    request_type = forms.ChoiceField(label=_("Convert to"), choices=RequestType.choices)
    chapter_title = forms.CharField(label=_("Chapter / article title"), required=False, max_length=500)
    chapter_author = forms.CharField(label=_("Chapter / article author"), required=False, max_length=300)
    pages = forms.CharField(label=_("Pages"), required=False, max_length=50)
    volume = forms.CharField(label=_("Volume"), required=False, max_length=50)
    issue = forms.CharField(label=_("Issue"), required=False, max_length=50)
    owner = forms.ModelChoiceField(label=_("Owner"), queryset=ResourceSharingLibrary.objects.all())
    pickup_location = forms.ModelChoiceField(label=_("Pickup location"), required=False,
                                             queryset=PickupLocation.objects.all())

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        if self.obj is not None:
            for name in ("chapter_title", "chapter_author", "pages", "volume", "issue"):
                self.fields[name].initial = getattr(self.obj, name)
            self.fields["owner"].initial = self.obj.owner_id
            self.fields["pickup_location"].initial = self.obj.pickup_location_id
            self.fields["request_type"].choices = [c for c in RequestType.choices if c[0] != self.obj.request_type]
        if ResourceSharingLibrary.objects.count() == 1:
            self.fields["owner"].disabled = True

    def clean(self):
        data = super().clean()
        if data.get("request_type") in ("chapter", "article", "conference") and not data.get("chapter_title"):
            self.add_error("chapter_title", _("A chapter or article needs its title."))
        return data

    def save(self, *, by) -> str:
        d = dict(self.cleaned_data)
        request_type = d.pop("request_type")
        changes = {k: v for k, v in d.items() if k in ("chapter_title", "chapter_author", "pages", "volume", "issue",
                                                         "owner", "pickup_location")}
        actions.convert_request_type(self.obj, by=by, request_type=request_type, changes=changes)
        return gettext("Request type converted; the rota was recalculated.")


class PurchaseForm(DialogForm):
    cancel_request = forms.BooleanField(
        label=_("Cancel the borrowing request (otherwise it stays active next to the purchase request)"),
        required=False)

    def save(self, *, by) -> str:
        purchase = actions.purchase_request(self.obj, by=by, cancel_request=self.cleaned_data["cancel_request"])
        return gettext("Purchase request %(pk)s created.") % {"pk": purchase.pk}


class PartnerEmailForm(DialogForm):
    to = forms.EmailField(label=_("To"))
    subject = forms.CharField(label=_("Subject"), max_length=200)
    body = forms.CharField(label=_("Body"), max_length=10000, widget=forms.Textarea(attrs={"rows": 8}))

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        if self.obj is not None:
            if self.obj.partner_id:
                self.fields["to"].initial = self.obj.partner.email
            self.fields["subject"].initial = _("Interlibrary loan request %(id)s") % {
                "id": self.obj.external_id or self.obj.pk}
            self.fields["body"].initial = communications.default_body(self.obj)

    def save(self, *, by) -> str:
        d = self.cleaned_data
        communications.start(self.obj, by=by, to=d["to"], subject=d["subject"], body=d["body"])
        return gettext("Email sent to %(to)s; the thread is in the Communications tab.") % {"to": d["to"]}


class ReplyForm(forms.Form):
    body = forms.CharField(label=_("Text"), max_length=10000, widget=forms.Textarea(attrs={"rows": 5}))


class PatronQueryForm(DialogForm):
    template = forms.ModelChoiceField(label=_("Email template"), queryset=None)
    subject = forms.CharField(label=_("Subject"), required=False, max_length=200)
    body = forms.CharField(label=_("Body"), required=False, max_length=5000, widget=forms.Textarea(attrs={"rows": 6}))
    note = forms.CharField(label=_("Note to patron"), **NOTE)

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        templates = communications.query_templates()
        self.fields["template"].queryset = templates
        if len(templates) == 1:
            only = templates[0]
            self.fields["template"].initial = only.pk
            self.fields["template"].widget = forms.HiddenInput()
            if only.edit_if_single and self.obj is not None:
                subject, body = communications.render_query(only, self.obj)
                self.fields["subject"].initial = subject
                self.fields["body"].initial = body
            else:
                del self.fields["subject"]
                del self.fields["body"]

    def save(self, *, by) -> str:
        d = self.cleaned_data
        communications.send_query_to_patron(self.obj, by=by, template=d["template"], subject=d.get("subject", ""),
                                            body=d.get("body", ""), note=d["note"])
        return gettext("Query sent to the patron.")
