"""Filter and invoice forms of the reports pages."""

from __future__ import annotations

from datetime import date

from django import forms
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from illdesk.models import ResourceSharingLibrary

from .stats import Period

MAX_DAYS = 366 * 10


def last_twelve_months(today: date | None = None) -> tuple[date, date]:
    today = today or timezone.localdate()
    year, month = (today.year - 1, today.month + 1) if today.month < 12 else (today.year, 1)
    return date(year, month, 1), today


def quick_ranges(today: date | None = None) -> list[tuple[str, date, date]]:
    today = today or timezone.localdate()
    start12, _end = last_twelve_months(today)
    return [
        (str(_("Last 12 months")), start12, today),
        (str(_("This year")), date(today.year, 1, 1), today),
        (str(_("Last year")), date(today.year - 1, 1, 1), date(today.year - 1, 12, 31)),
    ]


class PeriodForm(forms.Form):
    start = forms.DateField(label=_("From"), required=False, widget=forms.DateInput(attrs={"type": "date"}))
    end = forms.DateField(label=_("To"), required=False, widget=forms.DateInput(attrs={"type": "date"}))
    library = forms.ModelChoiceField(label=_("Library"), queryset=ResourceSharingLibrary.objects.all(),
                                     required=False, empty_label=_("All libraries"))

    def clean(self):
        data = super().clean()
        default_start, default_end = last_twelve_months()
        start, end = data.get("start") or default_start, data.get("end") or default_end
        if start > end:
            raise forms.ValidationError(_("The period ends before it starts."))
        if (end - start).days > MAX_DAYS:
            raise forms.ValidationError(_("Choose a period of at most ten years."))
        data["start"], data["end"] = start, end
        return data

    def period(self) -> Period:
        """The chosen period, or the last twelve months when the form is empty or invalid."""
        if self.is_bound and self.is_valid():
            library = self.cleaned_data.get("library")
            return Period(self.cleaned_data["start"], self.cleaned_data["end"], library.pk if library else None)
        start, end = last_twelve_months()
        return Period(start, end, None)


class InvoiceReportForm(forms.Form):
    partner = forms.ModelChoiceField(label=_("Partner"), queryset=None)
    start = forms.DateField(label=_("Shipped from"), widget=forms.DateInput(attrs={"type": "date"}))
    end = forms.DateField(label=_("Shipped until"), widget=forms.DateInput(attrs={"type": "date"}))
    library = forms.ModelChoiceField(label=_("Library"), queryset=ResourceSharingLibrary.objects.all(),
                                     required=False, empty_label=_("All libraries"))

    def __init__(self, *args, **kwargs) -> None:
        super().__init__(*args, **kwargs)
        from partners.models import Partner

        self.fields["partner"].queryset = Partner.objects.order_by("name")

    def clean(self):
        data = super().clean()
        if data.get("start") and data.get("end") and data["start"] > data["end"]:
            raise forms.ValidationError(_("The period ends before it starts."))
        return data
