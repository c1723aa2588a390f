from __future__ import annotations

from django import forms
from django.utils.translation import gettext_lazy as _

from illdesk.models import ResourceSharingLibrary

from .models import Batch


class BatchForm(forms.ModelForm):
    class Meta:
        model = Batch
        fields = ["name", "library", "note"]
        widgets = {"note": forms.Textarea(attrs={"rows": 2})}

    def __init__(self, *args, **kwargs) -> None:
        super().__init__(*args, **kwargs)
        self.fields["library"].queryset = ResourceSharingLibrary.objects.all()
        if self.fields["library"].queryset.count() == 1 and not self.is_bound:
            self.fields["library"].initial = self.fields["library"].queryset.first()


class AddToBatchForm(forms.Form):
    references = forms.CharField(
        label=_("Requests to add"), widget=forms.Textarea(attrs={"rows": 3, "autocomplete": "off"}),
        help_text=_("Request ids, external ids or temporary barcodes — type or scan, one per line."))
