"""Admin for integration profiles (with their library code mappings and schedule), job runs, imported
records, overdue notices and API tokens (shown once, when created)."""

from __future__ import annotations

from django.contrib import admin
from django.db import models
from django.template.response import TemplateResponse
from django.urls import reverse
from django.utils.html import format_html
from django.utils.translation import gettext_lazy as _

from .api import issue_token
from .models import ApiToken, ImportedRecord, IntegrationProfile, JobRun, JobRunLine, LibraryCodeMapping, OverdueNotice
from .schedules import delete_profile_schedule, sync_profile_schedule


class LibraryCodeMappingInline(admin.TabularInline):
    model = LibraryCodeMapping
    extra = 1
    fields = ["external_code", "library", "partner"]
    autocomplete_fields = ["partner"]


@admin.register(IntegrationProfile)
class IntegrationProfileAdmin(admin.ModelAdmin):
    list_display = ["code", "name", "system", "library_code", "resource_sharing_library", "active", "schedule_label",
                    "history_link"]
    list_filter = ["system", "active", "schedule"]
    search_fields = ["code", "name", "library_code"]
    inlines = [LibraryCodeMappingInline]
    formfield_overrides = {models.URLField: {"assume_scheme": "https"}}
    fieldsets = [
        (_("External system"), {"fields": ["code", "name", "integration_type", "description"]}),
        (_("Libris"), {"fields": ["system", "base_url", "library_code", "resource_sharing_library", "api_key",
                                  "require_authentication", "active", "harvest_start_date", "timeout_seconds"]}),
        (_("Schedule"), {"fields": ["schedule", "schedule_time", "schedule_weekday"],
                         "description": _("The job “Import resource sharing requests using profile …” runs on this "
                                          "schedule (times are local).")}),
    ]

    @admin.display(description=_("schedule"))
    def schedule_label(self, obj: IntegrationProfile) -> str:
        return obj.schedule_label

    @admin.display(description=_("job history"))
    def history_link(self, obj: IntegrationProfile) -> str:
        return format_html('<a href="{}?profile={}">{}</a>', reverse("integrations:jobs"), obj.pk, _("Job history"))

    def save_related(self, request, form, formsets, change) -> None:
        super().save_related(request, form, formsets, change)
        sync_profile_schedule(form.instance)

    def delete_model(self, request, obj: IntegrationProfile) -> None:
        delete_profile_schedule(obj)
        super().delete_model(request, obj)

    def delete_queryset(self, request, queryset) -> None:
        for profile in queryset:
            delete_profile_schedule(profile)
        super().delete_queryset(request, queryset)


@admin.register(LibraryCodeMapping)
class LibraryCodeMappingAdmin(admin.ModelAdmin):
    list_display = ["external_code", "profile", "library", "partner"]
    list_filter = ["profile"]
    search_fields = ["external_code", "partner__code", "partner__name", "library__code"]
    autocomplete_fields = ["partner"]


class JobRunLineInline(admin.TabularInline):
    model = JobRunLine
    extra = 0
    fields = ["key", "outcome", "message"]
    readonly_fields = fields
    can_delete = False
    max_num = 0
    show_change_link = False


@admin.register(JobRun)
class JobRunAdmin(admin.ModelAdmin):
    list_display = ["name", "started_at", "finished_at", "state", "created", "updated", "skipped", "failed",
                    "trigger"]
    list_filter = ["job", "state", "trigger"]
    date_hierarchy = "started_at"
    readonly_fields = [f.name for f in JobRun._meta.fields]
    inlines = [JobRunLineInline]

    def has_add_permission(self, request) -> bool:
        return False

    def has_change_permission(self, request, obj=None) -> bool:
        return False


@admin.register(ImportedRecord)
class ImportedRecordAdmin(admin.ModelAdmin):
    list_display = ["external_key", "profile", "external_request_id", "borrowing_request", "last_modified",
                    "first_imported_at", "last_seen_at"]
    list_filter = ["profile"]
    search_fields = ["external_key", "external_request_id"]
    readonly_fields = [f.name for f in ImportedRecord._meta.fields]

    def has_add_permission(self, request) -> bool:
        return False


@admin.register(OverdueNotice)
class OverdueNoticeAdmin(admin.ModelAdmin):
    list_display = ["lending_request", "due_date", "sent_at", "notices_sent"]
    readonly_fields = ["lending_request", "due_date", "sent_at", "notices_sent"]

    def has_add_permission(self, request) -> bool:
        return False


@admin.register(ApiToken)
class ApiTokenAdmin(admin.ModelAdmin):
    list_display = ["partner", "name", "prefix", "active", "created_at", "created_by", "last_used_at"]
    list_filter = ["active"]
    search_fields = ["partner__code", "partner__name", "name", "prefix"]
    autocomplete_fields = ["partner"]
    fields = ["partner", "name", "library", "active", "prefix", "created_at", "created_by", "last_used_at"]
    readonly_fields = ["prefix", "created_at", "created_by", "last_used_at"]

    def save_model(self, request, obj: ApiToken, form, change) -> None:
        if not change:
            request._illdesk_raw_token = issue_token(obj)
            obj.created_by = request.user
        super().save_model(request, obj, form, change)

    def response_add(self, request, obj: ApiToken, post_url_continue=None):
        raw = getattr(request, "_illdesk_raw_token", None)
        if raw is None:
            return super().response_add(request, obj, post_url_continue)
        return TemplateResponse(request, "integrations/admin/token_created.html", {
            **self.admin_site.each_context(request), "token": obj, "raw_token": raw, "title": _("API token created"),
        })
