"""Admin for borrowing requests, their rota entries and purchase requests. Status is read-only:
every status change goes through the transitions (borrowing/actions.py)."""

from django.contrib import admin
from django.utils.translation import gettext_lazy as _

from illdesk.admin import RequestAdminBase

from .models import BorrowingRequest, PurchaseRequest, RotaEntry


class RotaEntryInline(admin.TabularInline):
    model = RotaEntry
    extra = 0
    fields = ["position", "partner", "state", "reject_reason", "locate_result", "sent_at"]
    ordering = ["position"]
    autocomplete_fields = ["partner"]


@admin.register(BorrowingRequest)
class BorrowingRequestAdmin(RequestAdminBase):
    list_display = ["id", "external_id", "short_title", "status", "partner", "owner", "requester", "assignee",
                    "requested_format", "created_at", "updated_at", "is_active"]
    list_display_links = ["id", "external_id"]
    list_filter = ["status", "is_active", "request_type", "requested_format", "supplied_format", "owner",
                   "partner__profile_type", "level_of_service", "patron_category", "pickup_location__kind",
                   "patron_info_required", "has_active_message", "has_active_note", "has_partner_note",
                   "tags", "event_name"]
    search_fields = [*RequestAdminBase.search_fields, "requester__last_name", "requester__first_name",
                     "requester__card_number", "unauthenticated_name", "temp_barcode"]
    autocomplete_fields = [*RequestAdminBase.autocomplete_fields, "requester"]
    list_select_related = ["partner", "owner", "requester", "assignee"]
    readonly_fields = [*RequestAdminBase.readonly_fields, "shipped_at", "resupply_used"]
    inlines = [RotaEntryInline]
    fieldsets = [
        (None, {"fields": ["status", "is_active", "external_id", "owner", "partner", "assignee", "tags"]}),
        RequestAdminBase.citation_fieldset,
        (_("Requester"), {"fields": ["requester", "patron_category", "unauthenticated_name",
                                     "unauthenticated_email", "pickup_location", "request_note"]}),
        (_("Service"), {"fields": ["requested_format", "supplied_format", "level_of_service", "temp_barcode",
                                   "event_name", "shipped_at", "resupply_used"]}),
        RequestAdminBase.dates_fieldset,
        (_("Due date before recall"), {"fields": ["pre_recall_due_date"], "classes": ["collapse"]}),
        RequestAdminBase.money_fieldset,
        (_("Flags"), {"fields": ["patron_info_required", "printed", "reported", "has_active_message",
                                 "has_active_note", "has_partner_note", "has_open_communication"],
                      "classes": ["collapse"]}),
    ]


@admin.register(RotaEntry)
class RotaEntryAdmin(admin.ModelAdmin):
    list_display = ["request", "position", "partner", "state", "reject_reason", "locate_result", "sent_at"]
    list_filter = ["state", "partner__profile_type"]
    search_fields = ["request__external_id", "request__title", "partner__name", "partner__code"]
    ordering = ["-request_id", "position"]
    raw_id_fields = ["request"]
    autocomplete_fields = ["partner"]
    list_select_related = ["request", "partner"]


@admin.register(PurchaseRequest)
class PurchaseRequestAdmin(admin.ModelAdmin):
    list_display = ["title", "author", "isbn", "issn", "requester", "created_by", "created_at"]
    search_fields = ["title", "author", "isbn", "issn", "requester__last_name", "requester__card_number"]
    ordering = ["-created_at"]
    date_hierarchy = "created_at"
    raw_id_fields = ["source_request", "created_by"]
    autocomplete_fields = ["requester"]
    list_select_related = ["requester", "created_by"]
