from django import forms
from django.utils.translation import gettext_lazy as _

from illdesk.models import Format, PickupLocation, RequestType, ResourceSharingLibrary
from illdesk.reasons import RejectReason

NOTE = {"required": False, "max_length": 1000, "widget": forms.Textarea(attrs={"rows": 3})}


class ObjForm(forms.Form):
    """Dialog forms receive the request and the user; most don't need them."""

    def __init__(self, *args, obj=None, user=None, **kwargs):
        self.obj, self.user = obj, user
        super().__init__(*args, **kwargs)


class NoteForm(ObjForm):
    note = forms.CharField(label=_("Note"), **NOTE)


class ConditionalReplyForm(ObjForm):
    accept = forms.TypedChoiceField(label=_("Accept the lender's conditions?"), coerce=lambda v: v == "yes",
                                    choices=[("yes", _("Yes")), ("no", _("No"))], widget=forms.RadioSelect)
    note = forms.CharField(label=_("Note to partner"), **NOTE)


class ReceiveForm(ObjForm):
    received_format = forms.ChoiceField(label=_("Received format"), choices=Format.choices)
    temp_barcode = forms.CharField(label=_("Temporary barcode"), required=False, max_length=60,
                                   help_text=_("Left empty, one is generated when the library is set up to."))
    note = forms.CharField(label=_("Note"), **NOTE)

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        if self.obj is not None:
            self.fields["received_format"].initial = self.obj.requested_format


class ReturnForm(ObjForm):
    at_other_desk = forms.BooleanField(
        label=_("Returned at another desk (goes to the resource-sharing library first)"), required=False)
    note = forms.CharField(label=_("Note"), **NOTE)


class RejectForm(ObjForm):
    reason = forms.ChoiceField(label=_("Reject reason"), choices=[("", "—")] + list(RejectReason.choices))
    internal_note = forms.CharField(label=_("Internal note"), **NOTE)
    partner_note = forms.CharField(label=_("Note to partner"), **NOTE)
    notify_patron = forms.BooleanField(label=_("Notify user"), required=False)


class RenewForm(ObjForm):
    due_date = forms.DateField(label=_("New due date"), widget=forms.DateInput(attrs={"type": "date"}))
    internal_note = forms.CharField(label=_("Internal note"), **NOTE)
    partner_note = forms.CharField(label=_("Note to partner"), **NOTE)

    def clean_due_date(self):
        value = self.cleaned_data["due_date"]
        if self.obj is not None and self.obj.due_date and value <= self.obj.due_date:
            raise forms.ValidationError(_("The new due date must be after the current one (%(d)s).")
                                        % {"d": self.obj.due_date})
        return value


class ResupplyForm(ObjForm):
    reason = forms.CharField(label=_("Why is a new copy needed?"), max_length=1000,
                             widget=forms.Textarea(attrs={"rows": 3}))


class GeneralMessageForm(ObjForm):
    text = forms.CharField(label=_("Message"), max_length=1000, widget=forms.Textarea(attrs={"rows": 4}))


class ObtainExternallyForm(ObjForm):
    supplier = forms.CharField(label=_("Ordered from"), max_length=200, initial=_("External document supplier"))
    cost = forms.DecimalField(label=_("Cost"), required=False, max_digits=10, decimal_places=2, min_value=0)
    note = forms.CharField(label=_("Note"), **NOTE)


class ShippingCostForm(ObjForm):
    shipping_cost = forms.DecimalField(label=_("Shipping cost"), required=False, max_digits=10, decimal_places=2,
                                       min_value=0)

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        if self.obj is not None:
            self.fields["shipping_cost"].initial = self.obj.shipping_cost


class ConvertForm(ObjForm):
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


class PurchaseForm(ObjForm):
    cancel_request = forms.BooleanField(
        label=_("Cancel the borrowing request (otherwise it stays active next to the purchase request)"),
        required=False)


class PartnerEmailForm(ObjForm):
    to = forms.EmailField(label=_("To"))
    subject = forms.CharField(label=_("Subject"), max_length=200)
    body = forms.CharField(label=_("Body"), max_length=10000, widget=forms.Textarea(attrs={"rows": 8}))

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        from .communications import default_body

        if self.obj is not None:
            if self.obj.partner_id:
                self.fields["to"].initial = self.obj.partner.email
            self.fields["subject"].initial = _("Interlibrary loan request %(id)s") % {
                "id": self.obj.external_id or self.obj.pk}
            self.fields["body"].initial = default_body(self.obj)


class ReplyForm(forms.Form):
    body = forms.CharField(label=_("Text"), max_length=10000, widget=forms.Textarea(attrs={"rows": 5}))


class PatronQueryForm(ObjForm):
    template = forms.ModelChoiceField(label=_("Email template"), queryset=None)
    subject = forms.CharField(label=_("Subject"), required=False, max_length=200)
    body = forms.CharField(label=_("Body"), required=False, max_length=5000, widget=forms.Textarea(attrs={"rows": 6}))
    note = forms.CharField(label=_("Note to patron"), **NOTE)

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        from .communications import query_templates, render_query

        templates = query_templates()
        self.fields["template"].queryset = templates
        if len(templates) == 1:
            only = templates[0]
            self.fields["template"].initial = only.pk
            self.fields["template"].widget = forms.HiddenInput()
            if only.edit_if_single and self.obj is not None:
                subject, body = render_query(only, self.obj)
                self.fields["subject"].initial = subject
                self.fields["body"].initial = body
            else:
                del self.fields["subject"]
                del self.fields["body"]
