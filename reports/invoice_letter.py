"""The invoice as a PDF letter to the partner (WeasyPrint), and by email through the letters outbox.

Templates (in this app, so the letters app stays untouched): `reports/letters/invoice.<lang>.subject`,
`.txt`, `.html` for the email and `reports/letters/invoice_pdf.<lang>.html` for the PDF; a language
without its own files falls back to English.
"""

from __future__ import annotations

from typing import Any

from django.conf import settings
from django.template import TemplateDoesNotExist
from django.template.loader import render_to_string
from django.utils import timezone, translation
from django.utils.translation import gettext as _

from illdesk.models import ResourceSharingLibrary
from illdesk.workflow import ActionRefused

from .fees import invoice_charges
from .models import Invoice

# The letters outbox needs a catalogue code; the partner correspondence letter is the one whose
# audience (partner) and reply-to rules an invoice shares.
OUTBOX_CODE = "partner_communication"


def language_for(invoice: Invoice) -> str:
    wanted = getattr(invoice.partner, "language", "") or settings.LANGUAGE_CODE
    return wanted if wanted in dict(settings.LANGUAGES) else settings.LANGUAGE_CODE


def context(invoice: Invoice) -> dict[str, Any]:
    library = invoice.library or ResourceSharingLibrary.objects.order_by("pk").first()
    rows = invoice_charges(invoice)
    return {
        "invoice": invoice,
        "number": invoice.number,
        "partner": invoice.partner,
        "library": library,
        "rows": rows,
        "loans": sum(1 for line, _req in rows if line.kind == "loan"),
        "copies": sum(1 for line, _req in rows if line.kind == "copy"),
        "today": timezone.localdate(),
    }


def _render(name: str, language: str, ctx: dict[str, Any]) -> str:
    with translation.override(language):
        try:
            return render_to_string(f"reports/letters/{name.format(lang=language)}", ctx)
        except TemplateDoesNotExist:
            return render_to_string(f"reports/letters/{name.format(lang='en')}", ctx)


def render_pdf(invoice: Invoice, *, language: str | None = None) -> bytes:
    from weasyprint import HTML

    from letters.pdf import FONTS

    language = language or language_for(invoice)
    ctx = {**context(invoice), "fonts": FONTS}
    html = _render("invoice_pdf.{lang}.html", language, ctx)
    return HTML(string=html, base_url=str(settings.BASE_DIR)).write_pdf()


def pdf_filename(invoice: Invoice) -> str:
    return f"invoice-{invoice.number}.pdf"


def send(invoice: Invoice, *, by) -> Any:
    """Queue the invoice email with the PDF attached (delivered after commit, retried by the outbox)."""
    from letters.api import Rendered
    from letters.outbox import queue

    email = getattr(invoice.partner, "email", "")
    if not email:
        raise ActionRefused(_("The partner has no email address; download the PDF and send it by post."),
                            status=400)
    language = language_for(invoice)
    ctx = context(invoice)
    subject = " ".join(_render("invoice.{lang}.subject", language, ctx).split())
    rendered = Rendered(subject, _render("invoice.{lang}.txt", language, ctx),
                        _render("invoice.{lang}.html", language, ctx))
    letter = queue(OUTBOX_CODE, request=None, to=[email], language=language, rendered=rendered, by=by,
                   attachments=[(pdf_filename(invoice), render_pdf(invoice, language=language), "application/pdf")])
    Invoice.objects.filter(pk=invoice.pk).update(sent_at=timezone.now())
    invoice.refresh_from_db(fields=["sent_at"])
    return letter
