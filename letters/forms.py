"""Forms of the letters pages: compose (pick a letter, preview, send) and the partner request email."""

from __future__ import annotations

from urllib.parse import urlsplit

from django import forms
from django.conf import settings
from django.core.validators import validate_email
from django.utils.translation import gettext_lazy as _

from illdesk.inputs import parse_pk, parse_pks

from . import catalog
from .recipients import clean_addresses

# Letter-specific variables an operator may fill in when sending by hand (others come from the request).
FREE_TEXT = {"note", "message", "reason", "query_type", "query_body", "topic", "changes", "renewal_fee", "pickup_until",
             "download_url", "days_overdue", "what", "assignee_name", "assigned_by"}
LONG_TEXT = {"note", "message", "changes", "query_body"}
LINKS = {"download_url"}  # become <a href> in the HTML letter


def validate_web_address(value: str) -> None:
    """Only http(s) links: a javascript: or data: "link" in a letter would run or show whatever it holds."""
    parts = urlsplit(value.strip())
    if parts.scheme.lower() not in ("http", "https") or not parts.netloc:
        raise forms.ValidationError(_("Enter a web address (https://…)."))


def validate_addresses(value: str) -> list[str]:
    addresses = clean_addresses(value)
    if not addresses:
        raise forms.ValidationError(_("Enter at least one email address."))
    for address in addresses:
        try:
            validate_email(address)
        except forms.ValidationError as exc:
            raise forms.ValidationError(_("“%(value)s” is not an email address.") % {"value": address}) from exc
    return addresses


class ComposeForm(forms.Form):
    """One applicable letter for one request: recipients, language and the letter's own variables."""

    code = forms.ChoiceField(label=_("Letter"))
    language = forms.ChoiceField(label=_("Language"), required=False)
    to = forms.CharField(label=_("To"), max_length=1000, help_text=_("Separate several addresses with commas."))

    def __init__(self, *args, side: str, **kwargs) -> None:
        super().__init__(*args, **kwargs)
        self.fields["code"].choices = [(s.code, s.name) for s in catalog.for_side(side)]
        self.fields["language"].choices = [("", _("Reader's language"))] + list(settings.LANGUAGES)
        code = self.data.get("code") or self.initial.get("code")
        self.spec = catalog.LETTERS.get(code) if code in dict(self.fields["code"].choices) else None
        for name, help_text in (self.spec.variables.items() if self.spec else ()):
            if name not in FREE_TEXT:
                continue
            widget = forms.Textarea(attrs={"rows": 4}) if name in LONG_TEXT else forms.TextInput()
            self.fields[f"var_{name}"] = forms.CharField(label=name.replace("_", " ").capitalize(),
                                                         help_text=help_text, required=False,
                                                         max_length=4000, widget=widget,
                                                         validators=[validate_web_address] if name in LINKS else [])

    def clean_to(self) -> list[str]:
        return validate_addresses(self.cleaned_data["to"])

    def extra_context(self) -> dict:
        return {name[4:]: value for name, value in self.cleaned_data.items() if name.startswith("var_") and value}


class PartnerChoiceField(forms.ModelMultipleChoiceField):
    def _check_values(self, value):
        # An id past 64 bits names no partner, and SQLite cannot even compare it (OverflowError in IN (…)).
        for pk in value:
            if parse_pk(pk) is None:
                raise forms.ValidationError(self.error_messages["invalid_pk_value"], code="invalid_pk_value",
                                            params={"pk": pk})
        return super()._check_values(value)


class PartnerRequestForm(forms.Form):
    """Koha's "Place request with partners": pick partners, edit the subject and text, send."""

    search = forms.CharField(label=_("Filter partner libraries"), required=False, max_length=200)
    partners = PartnerChoiceField(queryset=None, label=_("Select partner libraries"),
                                              widget=forms.SelectMultiple(attrs={"size": 10}))
    subject = forms.CharField(label=_("Subject line"), max_length=300)
    body = forms.CharField(label=_("Email text"), widget=forms.Textarea(attrs={"rows": 18}), max_length=20000)

    def __init__(self, *args, partners, **kwargs) -> None:
        """`partners`: the partner libraries' queryset (the request's `partner` field names the model)."""
        super().__init__(*args, **kwargs)
        queryset = partners.filter(active=True).exclude(email="").order_by("code")
        term = (self.data.get("search") or self.initial.get("search") or "").strip()[:200]
        if term and "\x00" not in term:  # the field refuses NUL, and PostgreSQL cannot even compare it
            from django.db.models import Q

            chosen = self.data.getlist("partners") if hasattr(self.data, "getlist") else []
            chosen = parse_pks(chosen)
            queryset = queryset.filter(Q(name__icontains=term) | Q(code__icontains=term) | Q(pk__in=chosen))
        self.fields["partners"].queryset = queryset
        self.fields["partners"].label_from_instance = lambda p: f"{p.code.upper()} – {p.name} <{p.email}>"

    def clean_subject(self) -> str:
        return " ".join(self.cleaned_data["subject"].split())
