"""Admin for the shared core: configuration (libraries, patrons, levels, tags, status settings) and
what hangs off every request (history, notes, messages, alerts, attachments).

Status never changes here: request admins show it read-only (the FSM field is protected) and every
status change goes through the transitions in the apps' actions.
"""

from django import forms
from django.contrib import admin
from django.contrib.contenttypes.models import ContentType
from django.core.files.uploadedfile import UploadedFile
from django.db.models import QuerySet
from django.urls import NoReverseMatch, reverse
from django.utils import timezone
from django.utils.html import format_html
from django.utils.translation import gettext_lazy as _

from . import sides, workflow
from .aliases import builtin_label
from .models import (
    Alert,
    Attachment,
    GeneralMessage,
    HistoryEvent,
    LevelOfService,
    Note,
    Patron,
    PatronCategory,
    PickupLocation,
    ResourceSharingLibrary,
    StatusAlias,
    StatusSetting,
    Tag,
    side_choices,
)
from .uploads import check_upload

admin.site.site_header = "illdesk administration"
admin.site.site_title = "illdesk admin"
admin.site.index_title = _("Configuration and records")

def request_model(side: str):
    return sides.get(side).model


def _status_choices(side: str):
    return sides.get(side).statuses.choices


# --- configuration ---------------------------------------------------------------------------------


class PickupLocationInline(admin.TabularInline):
    model = PickupLocation
    extra = 0
    fields = ["code", "name", "kind"]


@admin.register(ResourceSharingLibrary)
class ResourceSharingLibraryAdmin(admin.ModelAdmin):
    list_display = ["code", "name", "email", "language", "auto_locate", "generate_temp_barcode",
                    "keep_rejected_active"]
    list_filter = ["language", "auto_locate", "generate_temp_barcode", "keep_rejected_active"]
    search_fields = ["code", "name", "email"]
    ordering = ["name"]
    inlines = [PickupLocationInline]
    fieldsets = [
        (None, {"fields": ["code", "name", "email", "address", "language"]}),
        (_("Processing"), {"fields": ["auto_locate", "generate_temp_barcode", "keep_rejected_active"]}),
    ]


@admin.register(PickupLocation)
class PickupLocationAdmin(admin.ModelAdmin):
    list_display = ["code", "name", "kind", "library"]
    list_filter = ["kind", "library"]
    search_fields = ["code", "name", "library__name"]
    ordering = ["library__name", "name"]
    list_select_related = ["library"]


@admin.register(LevelOfService)
class LevelOfServiceAdmin(admin.ModelAdmin):
    list_display = ["code", "name", "ordering_position"]
    list_editable = ["ordering_position"]
    search_fields = ["code", "name"]
    ordering = ["ordering_position", "name"]


@admin.register(PatronCategory)
class PatronCategoryAdmin(admin.ModelAdmin):
    list_display = ["code", "name", "may_request", "request_limit"]
    list_filter = ["may_request"]
    search_fields = ["code", "name"]
    ordering = ["name"]


@admin.register(Patron)
class PatronAdmin(admin.ModelAdmin):
    list_display = ["card_number", "last_name", "first_name", "email", "category", "language", "home_library",
                    "user"]
    list_filter = ["category", "language", "home_library"]
    search_fields = ["card_number", "last_name", "first_name", "email", "user__username"]
    ordering = ["last_name", "first_name"]
    autocomplete_fields = ["user"]
    list_select_related = ["category", "home_library", "user"]


@admin.register(Tag)
class TagAdmin(admin.ModelAdmin):
    list_display = ["name"]
    search_fields = ["name"]
    ordering = ["name"]


class SideStatusField(forms.ChoiceField):
    """A select over both state machines. Option values carry the side (``borrowing:sent``) because
    both machines share codes such as ``created``; a bare code is accepted as well (the form then
    checks it against the chosen side)."""

    def __init__(self, **kwargs):
        super().__init__(**kwargs)
        # A callable: the admin module is imported before the sides have registered (apps' ready order).
        self.choices = self._grouped

    @staticmethod
    def _grouped():
        groups = []
        for side, side_label in side_choices():
            options = [(f"{side}:{code}", f"{side_label}: {label}") for code, label in _status_choices(side)]
            groups.append((side_label, options))
        return [("", "---------"), *groups]

    def valid_value(self, value) -> bool:
        bare = {code for side in sides.names() for code, _label in _status_choices(side)}
        return super().valid_value(value) or value in bare


class StatusSettingForm(forms.ModelForm):
    status = SideStatusField(label=_("status"))

    class Meta:
        model = StatusSetting
        fields = ["side", "status", "inactive"]

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        if self.instance.pk and self.instance.status:
            self.initial["status"] = f"{self.instance.side}:{self.instance.status}"

    def clean(self):
        cleaned = super().clean()
        side = cleaned.get("side")
        value = cleaned.get("status") or ""
        status_side, code = value.split(":", 1) if ":" in value else (side, value)
        if side and code:
            if status_side != side or code not in dict(_status_choices(side)):
                self.add_error("status", _("This status does not belong to the chosen side."))
            else:
                cleaned["status"] = code
        return cleaned


@admin.register(StatusSetting)
class StatusSettingAdmin(admin.ModelAdmin):
    form = StatusSettingForm
    list_display = ["side", "status", "status_label", "inactive"]
    list_filter = ["side", "inactive"]
    search_fields = ["status"]
    ordering = ["side", "status"]

    @admin.display(description=_("status label"))
    def status_label(self, obj: StatusSetting) -> str:
        return workflow.status_label(request_model(obj.side), obj.status)

    def _refresh(self, request, sides) -> None:
        changed = sum(workflow.refresh_is_active(request_model(side)) for side in sorted(set(sides)))
        if changed:
            self.message_user(request, _("%(n)d requests changed their activity status.") % {"n": changed})

    def save_model(self, request, obj, form, change):
        super().save_model(request, obj, form, change)
        sides = [obj.side]
        if change and "side" in form.changed_data and form.initial.get("side"):
            sides.append(form.initial["side"])
        self._refresh(request, sides)

    def delete_model(self, request, obj):
        side = obj.side
        super().delete_model(request, obj)
        self._refresh(request, [side])

    def delete_queryset(self, request, queryset: QuerySet):
        sides = list(queryset.values_list("side", flat=True).distinct())
        super().delete_queryset(request, queryset)
        self._refresh(request, sides)


class StatusAliasForm(forms.ModelForm):
    """The status is picked from every side's statuses; the model's `clean` checks it belongs to the side."""

    status = forms.ChoiceField(label=_("status"))

    class Meta:
        model = StatusAlias
        fields = ["side", "status", "library", "label"]

    def __init__(self, *args, **kwargs) -> None:
        super().__init__(*args, **kwargs)
        self.fields["status"].choices = [(str(info.label()), _status_choices(info.name)) for info in sides.all()]


@admin.register(StatusAlias)
class StatusAliasAdmin(admin.ModelAdmin):
    form = StatusAliasForm
    list_display = ["side", "status", "builtin", "label", "library"]
    list_filter = ["side", "library"]
    search_fields = ["status", "label"]

    @admin.display(description=_("built-in label"))
    def builtin(self, obj: StatusAlias) -> str:
        return builtin_label(obj.side, obj.status)


# --- what hangs off every request ------------------------------------------------------------------


class RequestLinkedAdmin(admin.ModelAdmin):
    """Shared bits: a link to the request, and request flags kept in step with the rows edited here."""

    list_select_related = ["content_type"]
    list_filter = ["content_type"]

    @admin.display(description=_("request"))
    def request_link(self, obj) -> str:
        ct = obj.content_type
        try:
            url = reverse(f"admin:{ct.app_label}_{ct.model}_change", args=[obj.object_id])
        except NoReverseMatch:
            return f"{ct.model} #{obj.object_id}"
        return format_html('<a href="{}">{} #{}</a>', url, ct.name, obj.object_id)

    def _refresh_flags(self, obj) -> None:
        model = obj.content_type.model_class()
        if model is None or not any(f.name == "has_active_note" for f in model._meta.fields):
            return
        ct, oid = obj.content_type, obj.object_id
        notes = Note.objects.filter(content_type=ct, object_id=oid, active=True)
        messages = GeneralMessage.objects.filter(content_type=ct, object_id=oid, active=True)
        flags = {
            "has_active_note": notes.exists(),
            "has_partner_note": notes.filter(kind=Note.Kind.FROM_PARTNER).exists(),
            "has_active_message": messages.exists(),
        }
        if any(f.name == "has_alerts" for f in model._meta.fields):
            flags["has_alerts"] = Alert.objects.filter(content_type=ct, object_id=oid, active=True).exists()
        model.objects.filter(pk=oid).update(**flags)

    def save_model(self, request, obj, form, change):
        super().save_model(request, obj, form, change)
        self._refresh_flags(obj)

    def delete_model(self, request, obj):
        super().delete_model(request, obj)
        self._refresh_flags(obj)

    def delete_queryset(self, request, queryset):
        objs = list(queryset.select_related("content_type"))
        super().delete_queryset(request, queryset)
        for obj in objs:
            self._refresh_flags(obj)

    def formfield_for_foreignkey(self, db_field, request, **kwargs):
        if db_field.name == "content_type":
            kwargs["queryset"] = ContentType.objects.filter(
                app_label__in=sides.names(), model__endswith="request"
            ).exclude(model="purchaserequest")
        return super().formfield_for_foreignkey(db_field, request, **kwargs)


@admin.register(HistoryEvent)
class HistoryEventAdmin(RequestLinkedAdmin):
    """The audit trail: visible, never editable."""

    list_display = ["at", "request_link", "kind", "field", "old_value", "new_value", "actor", "message"]
    list_filter = ["kind", "content_type", "at"]
    search_fields = ["field", "old_value", "new_value", "message", "actor__username"]
    ordering = ["-at", "-id"]
    date_hierarchy = "at"
    list_select_related = ["content_type", "actor"]
    show_full_result_count = False

    def has_add_permission(self, request) -> bool:
        return False

    def has_change_permission(self, request, obj=None) -> bool:
        return False

    def has_delete_permission(self, request, obj=None) -> bool:
        return False


@admin.register(Note)
class NoteAdmin(RequestLinkedAdmin):
    list_display = ["created_at", "request_link", "kind", "short_text", "author", "active"]
    list_filter = ["kind", "active", "content_type"]
    search_fields = ["text", "author__username"]
    ordering = ["-created_at", "-id"]
    raw_id_fields = ["author"]
    list_select_related = ["content_type", "author"]

    @admin.display(description=_("text"))
    def short_text(self, obj: Note) -> str:
        return obj.text[:80]


@admin.register(GeneralMessage)
class GeneralMessageAdmin(RequestLinkedAdmin):
    list_display = ["created_at", "request_link", "direction", "short_text", "author", "active"]
    list_filter = ["direction", "active", "content_type"]
    search_fields = ["text", "author__username"]
    ordering = ["-created_at", "-id"]
    raw_id_fields = ["author"]
    list_select_related = ["content_type", "author"]

    @admin.display(description=_("message"))
    def short_text(self, obj: GeneralMessage) -> str:
        return obj.text[:80]


@admin.register(Alert)
class AlertAdmin(RequestLinkedAdmin):
    list_display = ["created_at", "request_link", "text", "active"]
    list_filter = ["active", "content_type"]
    search_fields = ["text"]
    ordering = ["-created_at", "-id"]


class AttachmentForm(forms.ModelForm):
    """The same size and type checks as the files shipped from the request page."""

    class Meta:
        model = Attachment
        fields = ["content_type", "object_id", "file", "name", "size", "content_type_label", "uploaded_by",
                  "created_at"]

    def clean_file(self):
        upload = self.cleaned_data["file"]
        return check_upload(upload) if isinstance(upload, UploadedFile) else upload


@admin.register(Attachment)
class AttachmentAdmin(RequestLinkedAdmin):
    form = AttachmentForm
    list_display = ["created_at", "request_link", "name", "size", "content_type_label", "uploaded_by"]
    list_filter = ["content_type"]
    search_fields = ["name", "uploaded_by__username"]
    ordering = ["-created_at", "-id"]
    raw_id_fields = ["uploaded_by"]
    list_select_related = ["content_type", "uploaded_by"]


# --- request admins (used by borrowing/admin.py and lending/admin.py) ------------------------------


class RequestAdminBase(admin.ModelAdmin):
    """Common admin for both request models: status is read-only, plain field edits are audited."""

    readonly_fields = ["status", "is_active", "updated_at"]
    search_fields = ["external_id", "title", "author", "isbn", "issn", "doi", "chapter_title",
                     "partner__name", "partner__code"]
    autocomplete_fields = ["partner", "assignee"]
    filter_horizontal = ["tags"]
    ordering = ["-created_at", "-id"]
    date_hierarchy = "created_at"
    list_per_page = 50
    show_full_result_count = False
    citation_fieldset = (_("Citation"), {"fields": [
        "request_type", "title", "author", "chapter_title", "chapter_author", "isbn", "issn", "doi", "pmid",
        "oclc_number", "bib_id", "publisher", "place_of_publication", "year", "edition", "volume", "issue",
        "pages"]})
    dates_fieldset = (_("Dates"), {"fields": [
        "created_at", "updated_at", "due_date", "last_interest_date", "needed_by", "reply_by", "removed_at"]})
    money_fieldset = (_("Cost"), {"fields": ["cost", "shipping_cost", "currency"], "classes": ["collapse"]})

    @admin.display(description=_("title"), ordering="title")
    def short_title(self, obj) -> str:
        return obj.title[:60]

    def get_exclude(self, request, obj=None):
        # Belt and braces: whatever fieldsets say, the protected status never becomes a form field.
        return [*(super().get_exclude(request, obj) or []), "status"]

    def save_model(self, request, obj, form, change):
        changed = [name for name in form.changed_data if name != "tags"] if change else []
        if changed:
            obj.updated_at = timezone.now()
        super().save_model(request, obj, form, change)
        model = type(obj)
        for name in changed:
            field = model._meta.get_field(name)
            old, new = form.initial.get(name), getattr(obj, field.attname)
            if field.flatchoices:
                labels = dict(field.flatchoices)
                old, new = labels.get(old, old), labels.get(new, new)
            elif field.is_relation:
                old = field.related_model._default_manager.filter(pk=old).first() if old else None
                new = getattr(obj, name)
            workflow.record(obj, by=request.user, kind=HistoryEvent.Kind.FIELD,
                            field=str(field.verbose_name).capitalize(), old=old, new=new,
                            message=str(_("Changed in the admin")))
