"""Admin: letter template overrides (validated, prefilled from the shipped file, previewed against a
real request in every language) and the outbox of sent letters (read-only, resend / retry)."""

from __future__ import annotations

from django.contrib import admin, messages
from django.core.exceptions import PermissionDenied
from django.db import transaction
from django.template.response import TemplateResponse
from django.urls import path, reverse
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy

from illdesk import sides
from illdesk.inputs import parse_pk
from illdesk.models import ResourceSharingLibrary

from . import catalog, outbox, pdf, rendering
from .models import LetterTemplate, SentLetter

PARTS = (("subject", "subject"), ("text", "txt"), ("html", "html"))


def _find_request(side: str, request_id: str | int | None):
    """The request to preview against: the one asked for, else the newest of that side (or None)."""
    qs = sides.get(side).model.objects.select_related("owner", "partner")
    if (pk := parse_pk(request_id)) is not None:
        return qs.filter(pk=pk).first()
    return qs.order_by("-pk").first()


def preview_letter(code: str, req, *, language: str, template: LetterTemplate | None = None,
                   library_id: int | None = None) -> dict:
    """One language's preview: {"language", "fallback", "rendered", "error"}."""
    spec = catalog.get(code)
    result = {"language": language, "fallback": False, "rendered": None, "error": ""}
    try:
        if template is not None and template.language == language:
            parts = {attr: getattr(template, attr) or rendering.default_file(code, language, ext) or ""
                     for attr, ext in PARTS}
            src = rendering.Sources(language=language, **parts)
        else:
            src = rendering.find_sources(code, language, library_id)
        result["fallback"] = src.language != language
        if spec.kind == catalog.SLIP and req is not None and code != pdf.REPORT:
            ctx = pdf.slip_context(code, req, src.language)
        else:
            ctx = rendering.letter_context(code, req, language=src.language,
                                           extra=spec.sample_context(req) if req is not None else {})
            if code == pdf.REPORT:
                row = {key: ctx[key] for key in ("request", "item", "partner", "library")}
                ctx.update(rows=[row] if req is not None else [], generated_at=ctx["today"])
        result["rendered"] = rendering.render_sources(src, ctx)
    except Exception as exc:  # noqa: BLE001 - the admin sees the template error instead of a 500
        result["error"] = f"{type(exc).__name__}: {exc}"
    return result


@admin.register(LetterTemplate)
class LetterTemplateAdmin(admin.ModelAdmin):
    list_display = ("code", "letter_name", "language", "library", "active", "updated_at")
    list_filter = ("language", "active", "library", "code")
    search_fields = ("code", "subject", "text", "html")
    change_form_template = "letters/admin/change_form.html"
    fields = ("code", "language", "library", "active", "subject", "text", "html")

    @admin.display(description=gettext_lazy("name"))
    def letter_name(self, obj: LetterTemplate) -> str:
        spec = catalog.LETTERS.get(obj.code)
        return str(spec.name) if spec else obj.code

    def get_changeform_initial_data(self, request) -> dict:
        """"Add" with ?code=…&language=… starts from the shipped default, ready to edit."""
        initial = super().get_changeform_initial_data(request)
        code, language = initial.get("code"), initial.get("language")
        if code in catalog.LETTERS and language in rendering.languages():
            for attr, ext in PARTS:
                initial.setdefault(attr, rendering.default_file(code, language, ext) or "")
        return initial

    def changeform_view(self, request, object_id=None, form_url="", extra_context=None):
        obj = self.get_object(request, object_id) if object_id else None
        code = obj.code if obj else request.GET.get("code", "")
        extra_context = {**(extra_context or {}), "letter_spec": catalog.LETTERS.get(code),
                         "common_variables": catalog.COMMON_VARIABLES, "letters": catalog.LETTERS.values()}
        return super().changeform_view(request, object_id, form_url, extra_context)

    def get_urls(self):
        view = self.admin_site.admin_view(self.preview_view)
        return [path("preview/", view, name="letters_lettertemplate_preview"), *super().get_urls()]

    def preview_view(self, request):
        """Subject, text and HTML of a letter in every language, for a real request."""
        if not self.has_view_permission(request):
            raise PermissionDenied
        template = None
        if (template_id := parse_pk(request.GET.get("template"))) is not None:
            template = LetterTemplate.objects.filter(pk=template_id).first()
        code = template.code if template else request.GET.get("code", "")
        if code not in catalog.LETTERS:
            code = next(iter(catalog.LETTERS))
        spec = catalog.get(code)
        side = request.GET.get("side") if request.GET.get("side") in spec.sides else spec.sides[0]
        req = _find_request(side, request.GET.get("request_id"))
        library_id = template.library_id if template else (
            parse_pk(request.GET.get("library")) or (req.owner_id if req is not None else None))
        previews = [preview_letter(code, req, language=lang, template=template, library_id=library_id)
                    for lang in rendering.languages()]
        context = {
            **self.admin_site.each_context(request), "opts": self.model._meta, "title": _("Preview letters"),
            "spec": spec, "code": code, "side": side, "req": req, "template": template, "previews": previews,
            "letters": catalog.LETTERS.values(), "libraries": ResourceSharingLibrary.objects.all(),
            "library_id": library_id, "request_id": request.GET.get("request_id", ""),
            "pdf_url": reverse("letters:slip", args=[side, req.pk, code])
            if req is not None and spec.kind == catalog.SLIP else "",
        }
        return TemplateResponse(request, "letters/admin/preview.html", context)


@admin.register(SentLetter)
class SentLetterAdmin(admin.ModelAdmin):
    list_display = ("pk", "created_at", "code", "recipients", "subject", "language", "state", "attempts", "sent_at")
    list_filter = ("state", "code", "language")
    search_fields = ("subject", "to", "body_text")
    date_hierarchy = "created_at"
    actions = ("resend_letters", "retry_letters")
    readonly_fields = ("content_type", "object_id", "code", "language", "to", "from_email", "reply_to", "subject",
                       "body_text", "body_html", "state", "attempts", "last_error", "created_at", "sent_at",
                       "next_attempt_at", "claimed_until", "sent_by", "resent_from")

    @admin.display(description=gettext_lazy("to"))
    def recipients(self, obj: SentLetter) -> str:
        return ", ".join(obj.to)

    def has_add_permission(self, request) -> bool:
        return False

    @admin.action(description=gettext_lazy("Send the selected letters again"), permissions=["change"])
    def resend_letters(self, request, queryset):
        with transaction.atomic():
            for letter in queryset:
                outbox.resend(letter, by=request.user)
        self.message_user(request, _("%(n)d letter(s) queued again.") % {"n": queryset.count()}, messages.SUCCESS)

    @admin.action(description=gettext_lazy("Retry waiting letters now"), permissions=["change"])
    def retry_letters(self, request, queryset):
        waiting = queryset.filter(state=SentLetter.State.RETRYING)
        with transaction.atomic():
            for letter in waiting:
                outbox.retry_now(letter)
        self.message_user(request, _("%(n)d letter(s) will be tried now.") % {"n": waiting.count()},
                          messages.SUCCESS)
