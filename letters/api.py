"""Public API of the letters app (the contract other apps code against).

    send_letter(code, *, request=None, to, language=None, context=None, by=None, attachments=(),
                partner=None) -> SentLetter
        Render `code` in `language` (else the reader's preference: patron / partner / library; English
        when the letter has no template in that language), write a SentLetter outbox row and a history
        row on the request, and deliver after commit (Celery task letters.tasks.deliver_letter). Call it
        inside your action's transaction. `partner` addresses a partner other than the active one.
    render_letter(code, *, language, context) -> Rendered(subject, text, html)
    letter_context(code, request, *, language, extra=None, by=None) -> dict   (the full context)
    render_pdf(code, requests, *, language=None, page_size="A4") -> bytes
    bulk_print(code_for, requests, *, language=None, page_size="A4")
        -> (pdf_bytes | None, printed, skipped[(req, reason)])
        One PDF, a slip per printed request in the given order. From letters.pdf.PARALLEL_FROM slips on,
        half of it is rendered in a second process (letters.pdfworkers); inside a daemonic process (a
        Celery prefork worker) everything is rendered in the calling process.
    slip_for(req) -> slip code or None; skip_reason(req) -> why not   (the request's side's rule, via
        illdesk.sides; a side's own rule, e.g. borrowing.slips.slip_for, is a code_for for bulk_print)
    default_recipients(code, request) / staff_recipients(request) / staff_email(library) -> addresses
"""

from __future__ import annotations

from .catalog import LETTERS, SLIPS, LetterSpec
from .outbox import resend, send_letter
from .pdf import bulk_print, render_pdf, skip_reason, slip_for
from .recipients import default_recipients, staff_email, staff_recipients
from .rendering import Rendered, letter_context, render_letter

__all__ = [
    "LETTERS",
    "SLIPS",
    "LetterSpec",
    "Rendered",
    "bulk_print",
    "default_recipients",
    "letter_context",
    "render_letter",
    "render_pdf",
    "resend",
    "send_letter",
    "skip_reason",
    "slip_for",
    "staff_email",
    "staff_recipients",
]
