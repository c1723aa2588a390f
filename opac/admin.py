"""OPAC settings in the admin: one row, edited in place (it cannot be added twice or deleted)."""

from django.contrib import admin
from django.http import HttpRequest
from django.utils.translation import gettext_lazy as _

from .models import OpacSettings


@admin.register(OpacSettings)
class OpacSettingsAdmin(admin.ModelAdmin):
    list_display = ["__str__", "allow_unauthenticated", "duplicate_check", "confirm_to_patron", "staff_notices"]
    fieldsets = [
        (_("Who may request"), {"fields": ["allow_unauthenticated", "min_fill_seconds"],
                                "description": _("Which patron categories may request, and how many open "
                                                 "requests each may have, is set on the patron categories.")}),
        (_("Checks"), {"fields": ["duplicate_check"]}),
        (_("Notices"), {"fields": ["confirm_to_patron", "staff_notices"]}),
        (_("Page"), {"fields": ["instructions"]}),
    ]

    def has_add_permission(self, request: HttpRequest) -> bool:
        return super().has_add_permission(request) and not OpacSettings.objects.exists()

    def has_delete_permission(self, request: HttpRequest, obj=None) -> bool:
        return False
