"""The patron request form (one form, its citation fields chosen by the request type), the form a
patron changes an open request with, and the staff form that links an unauthenticated request."""

from __future__ import annotations

import time
from dataclasses import dataclass
from typing import Any

from django import forms
from django.core import signing
from django.utils import timezone
from django.utils.functional import Promise
from django.utils.translation import gettext_lazy as _

from borrowing.models import BorrowingRequest
from illdesk.models import Format, Patron, PickupLocation, RequestType

from . import actions
from .identifiers import clean_text, normalize_doi, normalize_isbn, normalize_issn, normalize_pmid
from .models import OpacSettings

T = RequestType
TOKEN_SALT = "opac.request-form"
TOKEN_MAX_AGE = 24 * 3600


@dataclass(frozen=True)
class F:
    """One citation field as a request type shows it."""

    name: str
    label: Promise
    required: bool = False
    help: Promise | str = ""


_YEAR = F("year", _("Year"))
_ISBN = F("isbn", _("ISBN"))
_ISSN = F("issn", _("ISSN"))
_DOI = F("doi", _("DOI"), help=_("For example 10.1000/xyz123 — use “Fill in from DOI or PubMed id”."))
_PMID = F("pmid", _("PubMed id (PMID)"))
_PUB = F("publisher", _("Publisher"))
_PLACE = F("place_of_publication", _("Place of publication"))
_EDITION = F("edition", _("Edition"))
_VOLUME = F("volume", _("Volume"))
_ISSUE = F("issue", _("Issue"))
_PAGES = F("pages", _("Pages"), help=_("For example 113-129"))

# The fields each request type asks for, in order (Koha's Standard backend types; seed 003).
TYPE_FIELDS: dict[str, tuple[F, ...]] = {
    T.BOOK: (F("title", _("Title"), True), F("author", _("Author")), _EDITION, _PUB, _PLACE, _YEAR, _ISBN,
             F("volume", _("Volume (of a multi-volume work)")), _DOI),
    T.CHAPTER: (F("chapter_title", _("Chapter title"), True), F("chapter_author", _("Chapter author")),
                F("title", _("Book title"), True), F("author", _("Book author or editor")), _PAGES, _EDITION,
                _PUB, _PLACE, _YEAR, _ISBN, _DOI, _PMID),
    T.JOURNAL: (F("title", _("Journal title"), True), _ISSN, _VOLUME, _ISSUE, _YEAR, _PUB),
    T.ARTICLE: (F("chapter_title", _("Article title"), True), F("chapter_author", _("Article author(s)")),
                F("title", _("Journal title"), True), _VOLUME, _ISSUE, _PAGES, _YEAR, _ISSN, _DOI, _PMID),
    T.THESIS: (F("title", _("Title"), True), F("author", _("Author"), True),
               F("publisher", _("University or institution")), _PLACE, _YEAR, _DOI),
    T.CONFERENCE: (F("chapter_title", _("Paper title")), F("chapter_author", _("Paper author(s)")),
                   F("title", _("Conference or proceedings title"), True), F("author", _("Editor")), _PAGES,
                   F("place_of_publication", _("Place of the conference")), _PUB, _YEAR, _ISBN, _ISSN, _DOI),
    T.OTHER: (F("title", _("Title"), True), F("author", _("Author or creator")), _PUB, _YEAR, _ISBN, _ISSN, _DOI,
              F("pages", _("Pages or part"))),
}
PART_TYPES = frozenset({T.CHAPTER, T.ARTICLE, T.CONFERENCE})
CITATION_NAMES = tuple(dict.fromkeys(f.name for spec in TYPE_FIELDS.values() for f in spec))


def default_format(request_type: str) -> str:
    """Parts (articles, chapters, papers) usually come as copies; whole items as loans."""
    return Format.DIGITAL if request_type in PART_TYPES else Format.PHYSICAL


def type_of(data: Any, default: str = T.BOOK) -> str:
    value = (data or {}).get("request_type") or default
    return str(value) if value in T.values else str(default)


def make_token() -> str:
    """A signed timestamp: requests without login that come back faster than a person types are bots."""
    return signing.dumps(int(time.time()), salt=TOKEN_SALT)


def token_age(token: str) -> float | None:
    try:
        started = signing.loads(token, salt=TOKEN_SALT, max_age=TOKEN_MAX_AGE)
    except (signing.BadSignature, TypeError):
        return None
    return time.time() - started if isinstance(started, int) else None


class RequestForm(forms.Form):
    """One form for every request type. `request_type` (from the data or `initial`) decides which
    citation fields exist, their labels and which are required; a type change re-renders the form.

    Form errors go next to their fields; the checks that need the database (limit, duplicates) run in
    `clean` and `save` places the request through `opac.actions.create_request`.
    """

    request_type = forms.ChoiceField(label=_("What do you need?"), choices=T.choices, widget=forms.RadioSelect)
    oclc_number = forms.CharField(required=False, max_length=30, widget=forms.HiddenInput)
    requested_format = forms.ChoiceField(label=_("Format"), choices=Format.choices, widget=forms.RadioSelect)
    pickup_location = forms.ModelChoiceField(
        label=_("Pickup location"), queryset=PickupLocation.objects.none(), empty_label=_("Choose…"))
    last_interest_date = forms.DateField(
        label=_("Not needed after"), required=False, widget=forms.DateInput(attrs={"type": "date"}),
        help_text=_("Optional. The library stops looking for the item after this date."))
    request_note = forms.CharField(
        label=_("Note to the library"), required=False, max_length=2000,
        widget=forms.Textarea(attrs={"rows": 3}))
    confirm_duplicate = forms.BooleanField(
        label=_("I know, and I want to send this request anyway"), required=False)
    # without login only
    name = forms.CharField(label=_("Your name"), max_length=200,
                           widget=forms.TextInput(attrs={"autocomplete": "name"}))
    email = forms.EmailField(label=_("Your email address"),
                             widget=forms.EmailInput(attrs={"autocomplete": "email"}))
    website = forms.CharField(label=_("Leave this field empty"), required=False,
                              widget=forms.TextInput(attrs={"autocomplete": "off", "tabindex": "-1"}))
    started = forms.CharField(required=False, widget=forms.HiddenInput)

    def __init__(self, data=None, *, patron: Patron | None = None, opac: OpacSettings | None = None,
                 initial: dict | None = None, **kwargs) -> None:
        super().__init__(data, initial=initial, **kwargs)
        self.patron = patron
        self.opac = opac or OpacSettings.load()
        self.kind = type_of(data if data is not None else initial)
        self.duplicates: list[BorrowingRequest] = []
        for spec in TYPE_FIELDS[self.kind]:
            model_field = BorrowingRequest._meta.get_field(spec.name)
            self.fields[spec.name] = forms.CharField(
                label=spec.label, required=spec.required, max_length=model_field.max_length,
                help_text=spec.help)
        self.order_fields(["request_type", *(f.name for f in TYPE_FIELDS[self.kind])])
        self.fields["request_type"].initial = self.kind
        self.fields["requested_format"].initial = default_format(self.kind)
        pickups = PickupLocation.objects.select_related("library").order_by("library__name", "name")
        self.fields["pickup_location"].queryset = pickups
        self.fields["pickup_location"].label_from_instance = (
            lambda p: f"{p.name} ({p.library.name})" if p.name != p.library.name else p.name)
        if not pickups.exists():
            self.fields["pickup_location"].required = False
        elif self.initial.get("pickup_location") is None:
            home = patron.home_library_id if patron else None
            first = next((p for p in pickups if p.library_id == home), None) or (
                pickups[0] if len(pickups) == 1 else None)
            self.fields["pickup_location"].initial = first.pk if first else None
        if patron is not None:
            for name in ("name", "email", "website", "started"):
                del self.fields[name]
        else:
            self.fields["started"].initial = make_token()
        for name, field in self.fields.items():
            if field.help_text:
                field.widget.attrs.setdefault("aria-describedby", f"id_{name}_help")

    # --- for the template --------------------------------------------------------------------------

    @property
    def lookup_fields(self) -> list[forms.BoundField]:
        """DOI and PMID, shown first with the lookup button next to them."""
        return [self[name] for name in ("doi", "pmid") if name in self.fields]

    @property
    def citation_fields(self) -> list[forms.BoundField]:
        return [self[f.name] for f in TYPE_FIELDS[self.kind] if f.name not in ("doi", "pmid")]

    @property
    def is_anonymous(self) -> bool:
        return self.patron is None

    # --- per field ---------------------------------------------------------------------------------

    def _identifier(self, name: str, normalize, message) -> str:
        value = clean_text(self.cleaned_data.get(name), 300)
        if not value:
            return ""
        normalized = normalize(value)
        if not normalized:
            raise forms.ValidationError(message)
        return normalized

    def clean_isbn(self) -> str:
        return self._identifier("isbn", normalize_isbn, _("This is not a valid ISBN (10 or 13 digits)."))

    def clean_issn(self) -> str:
        return self._identifier("issn", normalize_issn, _("This is not a valid ISSN (for example 1234-5679)."))

    def clean_doi(self) -> str:
        return self._identifier("doi", normalize_doi, _("A DOI starts with 10. and contains a slash."))

    def clean_pmid(self) -> str:
        return self._identifier("pmid", normalize_pmid, _("A PubMed id is a number of up to nine digits."))

    def clean_last_interest_date(self):
        value = self.cleaned_data.get("last_interest_date")
        if value is not None and value < timezone.localdate():
            raise forms.ValidationError(_("This date is in the past."))
        return value

    # --- across fields -----------------------------------------------------------------------------

    def clean(self) -> dict[str, Any]:
        data = super().clean()
        for name in CITATION_NAMES:
            if name in self.fields and isinstance(data.get(name), str):
                data[name] = clean_text(data[name], self.fields[name].max_length or 500)
        if self.kind == T.ARTICLE and not any(data.get(f) for f in ("year", "volume", "doi", "pmid")):
            self.add_error("year", _("Give the year or the volume so that the article can be found."))
        if self.patron is None:
            self._check_human(data)
        elif not self.errors:
            self._check_patron(data)
        return data

    def _check_human(self, data: dict[str, Any]) -> None:
        """Honeypot plus minimum fill time: no external captcha, nothing for a person to solve."""
        if data.get("website"):
            raise forms.ValidationError(_("Your request could not be accepted. Please try again."), code="bot")
        age = token_age(self.data.get("started", ""))
        if age is None:
            raise forms.ValidationError(_("The form has expired. Please check the details and send it again."),
                                        code="expired")
        if age < self.opac.min_fill_seconds:
            raise forms.ValidationError(_("That was very fast. Please check the details and send the form again."),
                                        code="too_fast")

    def _check_patron(self, data: dict[str, Any]) -> None:
        if actions.limit_reached(self.patron):
            raise forms.ValidationError(
                _("You already have %(n)d open requests, the most your patron category allows. You can send a "
                  "new one when one of them is completed.") % {"n": self.patron.category.request_limit},
                code="limit")
        mode = self.opac.duplicate_check
        if mode == OpacSettings.DuplicateCheck.OFF:
            return
        self.duplicates = actions.find_duplicates(self.patron, data)
        if not self.duplicates:
            return
        if mode == OpacSettings.DuplicateCheck.BLOCK:
            raise forms.ValidationError(_("You have already requested this item (request %(ids)s).") % {
                "ids": ", ".join(str(r.pk) for r in self.duplicates)}, code="duplicate")
        if not data.get("confirm_duplicate"):
            raise forms.ValidationError(
                _("You have already requested this item (request %(ids)s). Tick the box below to send it "
                  "anyway.") % {"ids": ", ".join(str(r.pk) for r in self.duplicates)}, code="duplicate_warning")

    @property
    def needs_duplicate_confirmation(self) -> bool:
        return any(e.code == "duplicate_warning" for e in self.non_field_errors().as_data())

    def full_clean(self) -> None:
        super().full_clean()
        for name in self.errors:
            if name in self.fields:
                widget = self.fields[name].widget
                widget.attrs["aria-invalid"] = "true"
                described = widget.attrs.get("aria-describedby", "")
                widget.attrs["aria-describedby"] = f"{described} id_{name}_error".strip()

    # --- the side effect -------------------------------------------------------------------------

    def save(self, *, by=None) -> BorrowingRequest:
        data = self.cleaned_data
        fields = [*(f.name for f in TYPE_FIELDS[self.kind]), "oclc_number"]
        values = {name: data.get(name, "") for name in fields}
        values.update(request_type=self.kind, requested_format=data["requested_format"],
                      pickup_location=data.get("pickup_location"),
                      last_interest_date=data.get("last_interest_date"), request_note=data.get("request_note", ""))
        if self.patron is not None:
            return actions.create_request(values, patron=self.patron, by=by)
        return actions.create_request(values, patron=None, by=None, name=data["name"], email=data["email"])


class ModifyForm(forms.Form):
    """What a patron may still change while the library has not processed the request."""

    pickup_location = forms.ModelChoiceField(label=_("Pickup location"), queryset=PickupLocation.objects.none(),
                                             required=False, empty_label="—")
    last_interest_date = forms.DateField(label=_("Not needed after"), required=False,
                                         widget=forms.DateInput(attrs={"type": "date"}))
    request_note = forms.CharField(label=_("Note to the library"), required=False, max_length=2000,
                                   widget=forms.Textarea(attrs={"rows": 3}))

    def __init__(self, *args, **kwargs) -> None:
        super().__init__(*args, **kwargs)
        pickups = PickupLocation.objects.select_related("library").order_by("library__name", "name")
        self.fields["pickup_location"].queryset = pickups
        self.fields["pickup_location"].required = pickups.exists()

    def clean_last_interest_date(self):
        value = self.cleaned_data.get("last_interest_date")
        if value is not None and value < timezone.localdate():
            raise forms.ValidationError(_("This date is in the past."))
        return value


class NoteForm(forms.Form):
    note = forms.CharField(label=_("Message to the library (optional)"), required=False, max_length=1000,
                           widget=forms.Textarea(attrs={"rows": 2}))


class LinkPatronForm(forms.Form):
    """Staff: the patron an unauthenticated request belongs to."""

    patron = forms.ModelChoiceField(label=_("Patron"), queryset=Patron.objects.select_related("category"),
                                    widget=forms.RadioSelect)
    approve = forms.BooleanField(label=_("Approve the request now"), required=False, initial=True)

    def __init__(self, *args, candidates=None, **kwargs) -> None:
        super().__init__(*args, **kwargs)
        if candidates is not None:
            self.fields["patron"].queryset = candidates
