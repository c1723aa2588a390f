"""Forms of the lending row actions, the fulfilment and shipping pages and the print slip report."""

from __future__ import annotations

from django import forms
from django.utils import timezone
from django.utils.translation import gettext
from django.utils.translation import gettext_lazy as _

from illdesk.assignment import assignable_users
from illdesk.dialogs import DialogForm
from illdesk.reasons import RejectReason
from illdesk.uploads import ALLOWED_UPLOADS, check_upload, max_upload_mb

from . import actions
from .actions.manage import EDITABLE
from .models import FulfillmentRequest, Item, LendingRequest

NOTE = {"required": False, "max_length": 1000, "widget": forms.Textarea(attrs={"rows": 3})}


class DateInput(forms.DateInput):
    input_type = "date"


def future_date(value):
    if value is not None and value < timezone.localdate():
        raise forms.ValidationError(_("The date cannot be in the past."))
    return value


class RefuseRenewalForm(DialogForm):
    note = forms.CharField(label=_("Note to partner"), **NOTE)

    def save(self, *, by) -> str:
        actions.refuse_renewal(self.obj, by=by, note=self.cleaned_data["note"])
        return gettext("Renewal refused; the borrower was told.")


class EditForm(forms.ModelForm):
    """Edit: the request attribute fields (seed 002); status and workflow fields change only by actions."""

    class Meta:
        model = LendingRequest
        fields = list(EDITABLE)
        widgets = {"due_date": DateInput(), "needed_by": DateInput(), "last_interest_date": DateInput(),
                   "request_note": forms.Textarea(attrs={"rows": 3})}

    def __init__(self, *args, obj: LendingRequest | None = None, user=None, **kwargs) -> None:
        # A copy: validating must not change the request the view holds.
        instance = LendingRequest.objects.get(pk=obj.pk) if obj is not None else None
        super().__init__(*args, instance=instance, **kwargs)
        self.obj, self.user = obj, user

    def changes(self) -> dict:
        return {name: self.cleaned_data[name] for name in self.changed_data if name in EDITABLE}


class RejectForm(DialogForm):
    reason = forms.ChoiceField(label=_("Reject reason"), choices=[("", "—"), *RejectReason.choices])
    internal_note = forms.CharField(label=_("Internal note"), **NOTE)
    partner_note = forms.CharField(label=_("Note to partner"), **NOTE)

    def save(self, *, by) -> str:
        d = self.cleaned_data
        actions.reject(self.obj, by=by, reason=d["reason"], internal_note=d["internal_note"],
                       partner_note=d["partner_note"])
        return gettext("The request is rejected; the borrower was told.")


class RenewForm(DialogForm):
    due_date = forms.DateField(label=_("Due date"), widget=DateInput(), validators=[future_date])
    internal_note = forms.CharField(label=_("Internal note"), **NOTE)
    partner_note = forms.CharField(label=_("Note to partner"), **NOTE)

    def __init__(self, *args, **kwargs) -> None:
        super().__init__(*args, **kwargs)
        if self.obj is not None and self.obj.due_date:
            self.fields["due_date"].initial = self.obj.due_date

    def save(self, *, by) -> str:
        d = self.cleaned_data
        actions.renew(self.obj, by=by, due_date=d["due_date"], internal_note=d["internal_note"],
                      partner_note=d["partner_note"])
        return gettext("Renewed until %(date)s.") % {"date": d["due_date"].isoformat()}


class RecallForm(DialogForm):
    due_date = forms.DateField(label=_("New due date"), required=False, widget=DateInput(),
                               validators=[future_date], help_text=_("Empty keeps the current due date."))
    note = forms.CharField(label=_("Note to partner"), **NOTE)

    def save(self, *, by) -> str:
        d = self.cleaned_data
        actions.recall(self.obj, by=by, due_date=d["due_date"], note=d["note"])
        return gettext("The item is recalled.")


class ConditionalForm(DialogForm):
    reason = forms.CharField(label=_("Reason"), max_length=200,
                             help_text=_("The condition the borrower must accept, e.g. “Reading room use only”."))
    reply_by = forms.DateField(label=_("Date for reply"), widget=DateInput(), validators=[future_date],
                               help_text=_("The last day we wait for the borrower's answer."))
    note = forms.CharField(label=_("Note"), **NOTE)

    def save(self, *, by) -> str:
        d = self.cleaned_data
        actions.conditional(self.obj, by=by, reason=d["reason"], reply_by=d["reply_by"], note=d["note"])
        return gettext("Conditions sent; the borrower answers by %(date)s.") % {"date": d["reply_by"].isoformat()}


YES_NO = [("yes", _("Yes")), ("no", _("No"))]


class AnswerForm(DialogForm):
    answer = forms.ChoiceField(label=_("Answer"), choices=YES_NO, widget=forms.RadioSelect)
    note = forms.CharField(label=_("Note"), **NOTE)

    @property
    def accepted(self) -> bool:
        return self.cleaned_data["answer"] == "yes"


class ConditionAnswerForm(AnswerForm):
    """The borrower's answer to our conditions, got by email (ISO borrowers answer by message)."""

    def save(self, *, by) -> str:
        req = actions.conditional_answer(self.obj, accepted=self.accepted, by=by, note=self.cleaned_data["note"])
        return gettext("Recorded: the request is “%(status)s”.") % {"status": req.get_status_display()}


class CancelAnswerForm(AnswerForm):
    def save(self, *, by) -> str:
        req = actions.answer_cancel(self.obj, by=by, accepted=self.accepted, note=self.cleaned_data["note"])
        return gettext("Cancel answered: the request is “%(status)s”.") % {"status": req.get_status_display()}


class GeneralMessageForm(DialogForm):
    text = forms.CharField(label=_("Message"), max_length=1000, widget=forms.Textarea(attrs={"rows": 5}))

    def save(self, *, by) -> str:
        actions.general_message(self.obj, by=by, text=self.cleaned_data["text"])
        return gettext("Message sent to the borrower.")


# --- digital shipping ------------------------------------------------------------------------------------


class ShipDigitallyForm(DialogForm):
    file = forms.FileField(label=_("File"), help_text=_("One file (PDF, ZIP, JPEG, PNG or TIFF); zip several files "
                                                        "into one."))
    note = forms.CharField(label=_("Note to partner"), **NOTE)

    def __init__(self, *args, **kwargs) -> None:
        super().__init__(*args, **kwargs)
        self.fields["file"].widget.attrs["accept"] = ",".join(sorted(ALLOWED_UPLOADS))
        self.fields["file"].help_text = _("One file of at most %(mb)d MB (PDF, ZIP, JPEG, PNG or TIFF); zip several "
                                          "files into one.") % {"mb": max_upload_mb()}

    def clean_file(self):
        return check_upload(self.cleaned_data["file"])

    def save(self, *, by) -> str:
        req = actions.ship_digitally(self.obj, upload=self.cleaned_data["file"], by=by, note=self.cleaned_data["note"])
        return gettext("File shipped; the request is “%(status)s”.") % {"status": req.get_status_display()}


# --- the Shipping Items page --------------------------------------------------------------------------------


class ShipItemForm(forms.Form):
    barcode = forms.CharField(label=_("Item barcode"), max_length=60,
                              widget=forms.TextInput(attrs={"autofocus": True, "autocomplete": "off"}))
    request_id = forms.CharField(label=_("Request id"), max_length=100,
                                 widget=forms.TextInput(attrs={"autocomplete": "off"}))
    note = forms.CharField(label=_("Note to partner"), required=False, max_length=1000)


class ScanInForm(forms.Form):
    barcode = forms.CharField(label=_("Returned item barcode"), max_length=60,
                              widget=forms.TextInput(attrs={"autocomplete": "off"}))


# --- Manage fulfillment options ---------------------------------------------------------------------------


class SearchForm(forms.Form):
    title = forms.CharField(label=_("Title"), required=False, max_length=500)
    author = forms.CharField(label=_("Author"), required=False, max_length=300)
    isbn = forms.CharField(label=_("ISBN"), required=False, max_length=40)
    issn = forms.CharField(label=_("ISSN"), required=False, max_length=20)
    oclc_number = forms.CharField(label=_("OCLC number"), required=False, max_length=30)
    record_id = forms.CharField(label=_("Record id"), required=False, max_length=60)


class _RequestAttributes(forms.Form):
    """Fields both kinds of fulfilment request have (seed 002, "Lending Request Attribute Fields")."""

    kind = forms.CharField(widget=forms.HiddenInput)
    year = forms.CharField(label=_("Year"), required=False, max_length=20)
    volume = forms.CharField(label=_("Volume"), required=False, max_length=50)
    description = forms.CharField(label=_("Description"), required=False, max_length=200)
    note = forms.CharField(label=_("Note"), required=False, max_length=1000, widget=forms.Textarea(attrs={"rows": 3}))

    def __init__(self, *args, req: LendingRequest, **kwargs) -> None:
        kwargs.setdefault("initial", {})
        kwargs["initial"] = {"kind": self.KIND, "year": req.year, "volume": req.volume,
                             "note": self.default_note(req), **kwargs["initial"]}
        super().__init__(*args, **kwargs)
        self.req = req

    @staticmethod
    def default_note(req: LendingRequest) -> str:
        """The seed puts article/chapter title, volume, issue, chapter, pages and year into the note."""
        parts = [(_("Article/Chapter title"), req.chapter_title), (_("Volume"), req.volume),
                 (_("Issue"), req.issue), (_("Pages"), req.pages), (_("Year"), req.year)]
        return "; ".join(f"{label}: {value}" for label, value in parts if value)

    def details(self) -> dict:
        out = {}
        for name, value in self.cleaned_data.items():
            if name in ("kind", "item") or value in (None, ""):
                continue
            out[name] = value.isoformat() if hasattr(value, "isoformat") else value
        return out


class PhysicalRequestForm(_RequestAttributes):
    KIND = FulfillmentRequest.Kind.SHIP_PHYSICALLY
    item = forms.ModelChoiceField(label=_("Item"), queryset=Item.objects.none(), empty_label=None)
    to_location = forms.CharField(label=_("To (library location)"), required=False, max_length=100,
                                  initial="Resource sharing desk")
    destination = forms.CharField(label=_("Destination location"), required=False, max_length=100)
    call_number_type = forms.ChoiceField(label=_("Call number type"), required=False, choices=[
        ("", "—"), ("lc", _("Library of Congress")), ("dewey", _("Dewey")), ("udc", _("UDC")),
        ("local", _("Local scheme"))])
    call_number = forms.CharField(label=_("Call number"), required=False, max_length=100)

    def __init__(self, *args, req: LendingRequest, **kwargs) -> None:
        super().__init__(*args, req=req, **kwargs)
        items = Item.objects.filter(record_id=req.record_id).select_related("library").order_by("barcode")
        self.fields["item"].queryset = items
        self.fields["item"].label_from_instance = (
            lambda i: f"{i.barcode} · {i.library.code} {i.location} {i.call_number} · {i.get_state_display()}")


class DigitalRequestForm(_RequestAttributes):
    KIND = FulfillmentRequest.Kind.SHIP_DIGITALLY
    managing_department = forms.CharField(label=_("Managing department"), required=False, max_length=100,
                                          initial="Digitization")
    number_of_students = forms.IntegerField(label=_("Number of students"), required=False, min_value=0)
    copies_for_students = forms.IntegerField(label=_("Number of copies for students"), required=False, min_value=0)
    copies_for_staff = forms.IntegerField(label=_("Number of copies for staff"), required=False, min_value=0)
    resource_total_pages = forms.IntegerField(label=_("Resource total pages"), required=False, min_value=1)
    required_chapters = forms.CharField(label=_("Required chapters"), required=False, max_length=100)
    total_chapters_count = forms.IntegerField(label=_("Total chapters count"), required=False, min_value=1)
    pages_from = forms.IntegerField(label=_("Required pages from"), required=False, min_value=1)
    pages_to = forms.IntegerField(label=_("Required pages to"), required=False, min_value=1)
    includes_images = forms.BooleanField(label=_("Includes image(s)"), required=False)
    available_from = forms.DateField(label=_("Date available from"), required=False, widget=DateInput())
    available_to = forms.DateField(label=_("Date available to"), required=False, widget=DateInput())
    note_1 = forms.CharField(label=_("Note 1"), required=False, max_length=500)
    note_2 = forms.CharField(label=_("Note 2"), required=False, max_length=500)
    note_3 = forms.CharField(label=_("Note 3"), required=False, max_length=500)
    material_type = forms.ChoiceField(label=_("Material type"), required=False, choices=[
        ("", "—"), ("book", _("Book")), ("article", _("Article")), ("chapter", _("Book chapter")),
        ("other", _("Other"))])
    needed_by = forms.DateField(label=_("Date needed by"), required=False, widget=DateInput())

    def clean(self):
        data = super().clean()
        first, last = data.get("pages_from"), data.get("pages_to")
        if first and last:
            if last < first:
                self.add_error("pages_to", _("The last page comes before the first."))
            else:
                data["total_required_pages"] = last - first + 1  # calculated, as in the seed
        start, end = data.get("available_from"), data.get("available_to")
        if start and end and end < start:
            self.add_error("available_to", _("The end date comes before the start date."))
        return data


def fulfillment_form(kind: str, data=None, *, req: LendingRequest):
    cls = PhysicalRequestForm if kind == FulfillmentRequest.Kind.SHIP_PHYSICALLY else DigitalRequestForm
    return cls(data, req=req, prefix=kind)


# --- print slip report ------------------------------------------------------------------------------------


class ReportForm(forms.Form):
    """The Print Slip Report dialog: printer or user, Excel or XML; Send, or Download."""

    TARGETS = [("printer", _("Printer")), ("user", _("User"))]
    target = forms.ChoiceField(label=_("Choose type"), choices=TARGETS, widget=forms.RadioSelect, initial="user")
    printer = forms.ChoiceField(label=_("Printer"), required=False)
    user = forms.ModelChoiceField(label=_("User"), queryset=None, required=False)
    format = forms.ChoiceField(label=_("Format type"), choices=[("xlsx", _("Excel")), ("xml", "XML"),
                                                                ("pdf", _("PDF (report slip letter)"))],
                               widget=forms.RadioSelect, initial="xlsx")

    def __init__(self, *args, printers=(), user=None, **kwargs) -> None:
        super().__init__(*args, **kwargs)
        self.fields["printer"].choices = [("", "—")] + [(p.email, f"{p.label} ({p.email})") for p in printers]
        self.fields["user"].queryset = assignable_users().exclude(email="")
        self.fields["user"].label_from_instance = lambda u: f"{u.get_full_name() or u.username} ({u.email})"
        if user is not None and user.email:
            self.fields["user"].initial = user.pk

    def recipient(self) -> str:
        """For Send: the address the report goes to (validated)."""
        data = self.cleaned_data
        if data["target"] == "printer":
            if not data.get("printer"):
                raise forms.ValidationError(_("Choose a printer."))
            return data["printer"]
        if not data.get("user"):
            raise forms.ValidationError(_("Choose a user."))
        return data["user"].email
