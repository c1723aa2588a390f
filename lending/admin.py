"""Admin for lending requests and the local inventory (bibliographic records and items). Status is
read-only: every status change goes through the transitions (lending/actions.py)."""

from django.contrib import admin
from django.db.models import Count
from django.utils.translation import gettext_lazy as _

from illdesk.admin import RequestAdminBase

from .models import BibRecord, FulfillmentRequest, Item, LendingRequest


class ItemInline(admin.TabularInline):
    model = Item
    extra = 0
    fields = ["barcode", "library", "location", "call_number", "state"]


@admin.register(BibRecord)
class BibRecordAdmin(admin.ModelAdmin):
    list_display = ["record_id", "title", "author", "isbn", "issn", "year", "item_count"]
    search_fields = ["record_id", "title", "author", "isbn", "issn", "oclc_number"]
    ordering = ["title"]
    inlines = [ItemInline]

    def get_queryset(self, request):
        return super().get_queryset(request).annotate(_item_count=Count("items"))

    @admin.display(description=_("items"), ordering="_item_count")
    def item_count(self, obj) -> int:
        return obj._item_count


@admin.register(Item)
class ItemAdmin(admin.ModelAdmin):
    list_display = ["barcode", "record", "library", "location", "call_number", "state"]
    list_filter = ["state", "library"]
    search_fields = ["barcode", "call_number", "record__title", "record__record_id"]
    ordering = ["barcode"]
    autocomplete_fields = ["record"]
    list_select_related = ["record", "library"]


@admin.register(LendingRequest)
class LendingRequestAdmin(RequestAdminBase):
    list_display = ["id", "external_id", "short_title", "status", "partner", "owner", "assignee",
                    "requested_format", "locate_status", "printed", "reported", "has_alerts", "created_at",
                    "is_active"]
    list_display_links = ["id", "external_id"]
    list_filter = ["status", "is_active", "request_type", "requested_format", "supplied_format", "owner",
                   "partner__profile_type", "level_of_service", "locate_status", "printed", "reported",
                   "has_alerts", "has_active_message", "has_active_note", "tags"]
    search_fields = [*RequestAdminBase.search_fields, "requester_name", "borrower_request_id",
                     "item__barcode", "record__record_id"]
    autocomplete_fields = [*RequestAdminBase.autocomplete_fields, "record", "item"]
    list_select_related = ["partner", "owner", "assignee"]
    readonly_fields = [*RequestAdminBase.readonly_fields, "shipped_at", "locked_by", "locked_until"]
    fieldsets = [
        (None, {"fields": ["status", "is_active", "external_id", "borrower_request_id", "owner", "partner",
                           "assignee", "tags"]}),
        RequestAdminBase.citation_fieldset,
        (_("Borrower"), {"fields": ["requester_name", "request_note"]}),
        (_("Fulfilment"), {"fields": ["requested_format", "supplied_format", "level_of_service",
                                      "locate_status", "record", "item", "shipped_at", "conditional_reason",
                                      "reject_reason"]}),
        RequestAdminBase.dates_fieldset,
        RequestAdminBase.money_fieldset,
        (_("Flags"), {"fields": ["patron_info_required", "printed", "reported", "has_alerts",
                                 "has_active_message", "has_active_note", "has_partner_note"],
                      "classes": ["collapse"]}),
        (_("Edit lock"), {"fields": ["locked_by", "locked_until"], "classes": ["collapse"]}),
    ]


@admin.register(FulfillmentRequest)
class FulfillmentRequestAdmin(admin.ModelAdmin):
    """Requests placed from Manage fulfillment options; changed only by the lending actions."""

    list_display = ["id", "request", "kind", "state", "item", "created_by", "created_at", "closed_at"]
    list_filter = ["kind", "state"]
    search_fields = ["request__id", "request__title", "item__barcode"]
    list_select_related = ["request", "item", "created_by"]
    readonly_fields = ["request", "kind", "state", "record", "item", "details", "created_by", "created_at",
                       "closed_at"]

    def has_add_permission(self, request) -> bool:
        return False
