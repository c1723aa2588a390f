"""Admin for status aliases (Koha's ILL_STATUS_ALIAS) and request batches."""

from django import forms
from django.contrib import admin
from django.utils.translation import gettext_lazy as _

from .models import Batch, StatusAlias, status_choices


class StatusAliasForm(forms.ModelForm):
    """The status is picked from both sides' statuses; `clean` checks it belongs to the chosen side."""

    status = forms.ChoiceField(label=_("status"))

    class Meta:
        model = StatusAlias
        fields = ["side", "status", "library", "label"]

    def __init__(self, *args, **kwargs) -> None:
        super().__init__(*args, **kwargs)
        self.fields["status"].choices = [
            (str(_("Borrowing")), status_choices("borrowing")),
            (str(_("Lending")), status_choices("lending")),
        ]


@admin.register(StatusAlias)
class StatusAliasAdmin(admin.ModelAdmin):
    form = StatusAliasForm
    list_display = ["side", "status", "builtin", "label", "library"]
    list_filter = ["side", "library"]
    search_fields = ["status", "label"]

    @admin.display(description=_("built-in label"))
    def builtin(self, obj: StatusAlias) -> str:
        from .aliases import builtin_label

        return builtin_label(obj.side, obj.status)


@admin.register(Batch)
class BatchAdmin(admin.ModelAdmin):
    list_display = ["name", "library", "created_by", "created_at"]
    list_filter = ["library"]
    search_fields = ["name", "note"]
    raw_id_fields = ["requests"]
    readonly_fields = ["created_by", "created_at"]
