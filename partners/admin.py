"""Admin for partners, workflow profiles, rota templates and rota-assignment rules (SPEC §3)."""

from django.contrib import admin
from django.db import models
from django.db.models import Count
from django.utils.translation import gettext_lazy as _

from .models import (
    InboundMessage,
    OutboundMessage,
    Partner,
    RotaAssignmentRule,
    RotaTemplate,
    RotaTemplateMember,
    WorkflowProfile,
)


def _set_active(queryset, active: bool) -> int:
    return queryset.update(active=active)  # /iso18626 reads partners uncached: counts for the next message


@admin.register(WorkflowProfile)
class WorkflowProfileAdmin(admin.ModelAdmin):
    list_display = ["code", "name", "conditional", "will_supply", "reject", "staff_renewal", "recall",
                    "supports_cancel", "waiting_for_digital_receipt", "partner_count"]
    list_filter = ["conditional", "will_supply", "reject", "damaged_communicated", "lost_communicated",
                   "staff_renewal", "renew_response", "recall", "cancel_recall", "supports_cancel",
                   "waiting_for_digital_receipt", "reactivate"]
    search_fields = ["code", "name"]
    ordering = ["name"]
    fieldsets = [
        (None, {"fields": ["code", "name"]}),
        (_("Partner answers"), {"fields": ["conditional", "will_supply", "reject"]}),
        (_("Damage and loss"), {"fields": ["damaged_communicated", "lost_communicated"]}),
        (_("Renewals and recalls"), {"fields": ["staff_renewal", "renew_response", "recall",
                                                 "cancel_recall"]}),
        (_("Cancel, check-in and closing"), {"fields": ["supports_cancel", "checked_in_message",
                                                         "lender_check_in", "waiting_for_digital_receipt",
                                                         "reactivate"]}),
    ]

    def get_queryset(self, request):
        return super().get_queryset(request).annotate(_partner_count=Count("partners"))

    @admin.display(description=_("partners"), ordering="_partner_count")
    def partner_count(self, obj) -> int:
        return obj._partner_count


class HasValueFilter(admin.SimpleListFilter):
    """Yes/no filter on whether a text field is filled in."""

    field_name = ""

    def lookups(self, request, model_admin):
        return [("yes", _("Yes")), ("no", _("No"))]

    def queryset(self, request, queryset):
        if self.value() == "yes":
            return queryset.exclude(**{self.field_name: ""})
        if self.value() == "no":
            return queryset.filter(**{self.field_name: ""})
        return queryset


class HasEndpointFilter(HasValueFilter):
    title = _("ISO 18626 endpoint set")
    parameter_name = "has_endpoint"
    field_name = "iso_endpoint"


class HasAgencyIdFilter(HasValueFilter):
    title = _("agency id set")
    parameter_name = "has_agency_id"
    field_name = "agency_id_value"


@admin.register(Partner)
class PartnerAdmin(admin.ModelAdmin):
    list_display = ["code", "name", "profile_type", "agency_symbol", "iso_endpoint", "authenticates", "email",
                    "language", "workflow_profile", "active"]
    list_filter = ["profile_type", "active", "agency_id_type", HasAgencyIdFilter, HasEndpointFilter,
                   "workflow_profile", "language"]
    search_fields = ["code", "name", "agency_id_value", "email"]
    ordering = ["name"]
    list_select_related = ["workflow_profile"]
    actions = ["activate", "deactivate"]
    # An endpoint typed without a scheme is https (Django 6's default, chosen now).
    formfield_overrides = {models.URLField: {"assume_scheme": "https"}}
    fieldsets = [
        (None, {"fields": ["code", "name", "profile_type", "workflow_profile", "active"]}),
        (_("ISO 18626"), {"fields": ["agency_id_type", "agency_id_value", "iso_endpoint", "shared_secret",
                                     "allowed_networks"],
                          "description": _("An ISO 18626 partner's messages are accepted only when they prove "
                                           "they are its own: set a shared secret, the addresses its messages "
                                           "come from, or both.")}),
        (_("Contact"), {"fields": ["email", "address", "language"]}),
    ]

    @admin.display(description=_("can authenticate"), boolean=True)
    def authenticates(self, obj: Partner) -> bool | None:
        """ISO partners only: whether /iso18626 can tell its messages from a stranger's."""
        return obj.can_authenticate if obj.is_iso else None

    @admin.display(description=_("agency id"), ordering="agency_id_value")
    def agency_symbol(self, obj: Partner) -> str:
        return obj.agency_symbol

    @admin.action(description=_("Mark selected partners active"))
    def activate(self, request, queryset):
        self.message_user(request, _("%(n)d partners activated.") % {"n": _set_active(queryset, True)})

    @admin.action(description=_("Mark selected partners inactive"))
    def deactivate(self, request, queryset):
        self.message_user(request, _("%(n)d partners deactivated.") % {"n": _set_active(queryset, False)})


class RotaTemplateMemberInline(admin.TabularInline):
    model = RotaTemplateMember
    extra = 0
    fields = ["position", "partner"]
    ordering = ["position"]
    autocomplete_fields = ["partner"]


@admin.register(RotaTemplate)
class RotaTemplateAdmin(admin.ModelAdmin):
    list_display = ["code", "name", "member_count"]
    search_fields = ["code", "name"]
    ordering = ["name"]
    inlines = [RotaTemplateMemberInline]

    def get_queryset(self, request):
        return super().get_queryset(request).annotate(_member_count=Count("members"))

    @admin.display(description=_("partners"), ordering="_member_count")
    def member_count(self, obj) -> int:
        return obj._member_count


@admin.register(RotaTemplateMember)
class RotaTemplateMemberAdmin(admin.ModelAdmin):
    list_display = ["template", "position", "partner"]
    list_filter = ["template"]
    search_fields = ["template__name", "partner__name", "partner__code"]
    ordering = ["template__name", "position"]
    autocomplete_fields = ["template", "partner"]
    list_select_related = ["template", "partner"]


@admin.register(RotaAssignmentRule)
class RotaAssignmentRuleAdmin(admin.ModelAdmin):
    list_display = ["name", "priority", "template", "active", "requested_format", "request_type",
                    "level_of_service", "owner", "patron_category", "send_automatically"]
    list_editable = ["priority", "active"]
    list_filter = ["active", "send_automatically", "template", "requested_format", "request_type", "owner",
                   "level_of_service", "patron_category"]
    search_fields = ["name", "template__name"]
    ordering = ["priority", "name"]
    autocomplete_fields = ["template"]
    list_select_related = ["template", "level_of_service", "owner", "patron_category"]
    fieldsets = [
        (None, {"fields": ["name", "priority", "template", "active", "send_automatically"]}),
        (_("Conditions (empty means any)"), {"fields": ["requested_format", "request_type",
                                                         "level_of_service", "owner", "patron_category"]}),
    ]


@admin.register(OutboundMessage)
class OutboundMessageAdmin(admin.ModelAdmin):
    """The outbox, read-only: a message is retried from Delivery problems, never edited."""

    list_display = ("id", "created_at", "partner", "kind", "event", "state", "attempts", "sent_at", "http_status")
    list_filter = ("state", "kind", "event", "partner")
    search_fields = ("summary", "last_error", "partner__name", "object_id")
    date_hierarchy = "created_at"
    readonly_fields = [f.name for f in OutboundMessage._meta.fields]

    def has_add_permission(self, request):
        return False

    def has_change_permission(self, request, obj=None):
        return False


@admin.register(InboundMessage)
class InboundMessageAdmin(admin.ModelAdmin):
    """Every message received, kept as it came, with what we answered and did."""

    list_display = ("id", "received_at", "partner", "kind", "message_status", "error_type", "acted", "remote_addr")
    list_filter = ("message_status", "kind", "error_type", "acted", "partner")
    search_fields = ("summary", "error_value", "requesting_request_id", "supplying_request_id", "remote_addr")
    date_hierarchy = "received_at"
    readonly_fields = [f.name for f in InboundMessage._meta.fields]

    def has_add_permission(self, request):
        return False

    def has_change_permission(self, request, obj=None):
        return False
