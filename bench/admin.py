"""The baseline: Django admin's own faceted changelist over the same data, on a separate AdminSite
(the app's admin is untouched). `show_facets = ALWAYS` and list_filter on the same fields as the task
list facets, so each changelist page computes the same disjunctive counts the admin's way: one
aggregate per filter, a COUNT(...) FILTER (...) per value."""

from django.contrib import admin
from django.contrib.admin import ShowFacets

from borrowing.models import BorrowingRequest
from lending.models import LendingRequest


class BenchAdminSite(admin.AdminSite):
    site_header = "illdesk bench admin (baseline)"


site = BenchAdminSite(name="benchadmin")


class _Baseline(admin.ModelAdmin):
    show_facets = ShowFacets.ALWAYS
    ordering = ["-created_at", "-id"]
    list_per_page = 25  # the task list's page size
    search_fields = ["title", "chapter_title"]  # the task list's "Title" search field


@admin.register(BorrowingRequest, site=site)
class BorrowingBaseline(_Baseline):
    list_display = ["id", "title", "status", "partner", "requester", "created_at", "due_date", "assignee"]
    list_select_related = ["partner", "requester", "assignee"]
    list_filter = ["is_active", "tags", "partner", "status", "created_at", "updated_at", "requested_format",
                   "supplied_format", "due_date", "last_interest_date", "patron_info_required",
                   "has_active_message", "owner", "has_partner_note", "pickup_location__kind", "level_of_service",
                   "patron_category", "assignee", "event_name"]


@admin.register(LendingRequest, site=site)
class LendingBaseline(_Baseline):
    list_display = ["id", "title", "status", "partner", "requester_name", "created_at", "due_date", "assignee"]
    list_select_related = ["partner", "assignee"]
    list_filter = ["is_active", "assignee", "status", "printed", "reported", "partner", "created_at", "updated_at",
                   "requested_format", "supplied_format", "due_date", "last_interest_date", "owner",
                   "level_of_service", "has_alerts"]
