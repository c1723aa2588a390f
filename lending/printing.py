"""Slips and the print slip report of lending requests (seed 002).

Print slip: the incoming slip before shipping, the shipping slip after (PDF from letters.api); the
request is marked printed.

Print slip report: the selected requests as one Excel (.xlsx, openpyxl) or XML file (or the Lending
Requests Report Slip letter as PDF), downloaded or
emailed — to a user (staff with an email address) or to a "printer", i.e. a print queue's email address.
Printers come from the setting ILLDESK_REPORT_PRINTERS (a list of (label, address) pairs), else from the
environment variable of the same name: comma-separated ``Label=address`` entries, e.g.
``ILLDESK_REPORT_PRINTERS="ILL desk=ill-printer@example.org,Stacks=stacks-printer@example.org"``.
The requests are marked reported.
"""

from __future__ import annotations

import io
import os
import re
from collections.abc import Iterable
from dataclasses import dataclass
from datetime import date, datetime
from typing import Any

from django.conf import settings
from django.core.exceptions import ImproperlyConfigured
from django.core.mail import EmailMessage
from django.core.validators import validate_email
from django.utils import timezone
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy

from illdesk.workflow import ActionRefused

from . import actions, slips
from .actions.common import person
from .models import LendingRequest

# --- one request's slip -----------------------------------------------------------------------------


def _letters():
    try:
        from letters import api
    except ImportError:
        return None
    return api


def slip_code(req: LendingRequest) -> str | None:
    """"incoming_slip" before shipping, "shipping_slip" once shipped, None when there is nothing to print."""
    return slips.slip_for(req)


def print_slip(req: LendingRequest, *, by, language: str | None = None) -> tuple[str, bytes]:
    """The slip of `req` as PDF bytes; marks the request printed."""
    api = _letters()
    if api is None:
        raise ActionRefused(_("PDF slips are unavailable: the letters module is not installed."), status=503)
    code = slip_code(req)
    if code is None:
        raise ActionRefused(_("There is no slip to print for this request: %(why)s") % {"why": api.skip_reason(req)})
    data = api.render_pdf(code, [req], language=language)
    actions.mark([req.pk], flag="printed", by=by, message=code)
    return code, data


# --- the report ------------------------------------------------------------------------------------------

COLUMNS: list[tuple[str, Any]] = [
    ("id", gettext_lazy("Request id")),
    ("externalId", gettext_lazy("External identifier")),
    ("borrowerRequestId", gettext_lazy("Borrower's request id")),
    ("partner", gettext_lazy("Partner")),
    ("title", gettext_lazy("Title")),
    ("author", gettext_lazy("Author")),
    ("identifier", gettext_lazy("ISBN / ISSN")),
    ("location", gettext_lazy("Location")),
    ("callNumber", gettext_lazy("Call number")),
    ("barcode", gettext_lazy("Barcode")),
    ("status", gettext_lazy("Status")),
    ("requestedFormat", gettext_lazy("Requested format")),
    ("levelOfService", gettext_lazy("Level of service")),
    ("requester", gettext_lazy("Borrower's patron")),
    ("created", gettext_lazy("Request date")),
    ("neededBy", gettext_lazy("Needed by")),
    ("dueDate", gettext_lazy("Due date")),
    ("note", gettext_lazy("Request note")),
]
FORMATS = {"xlsx": ("application/vnd.openxmlformats-officedocument.spreadsheetml.sheet", "xlsx"),
           "xml": ("application/xml", "xml"),
           "pdf": ("application/pdf", "pdf")}  # the Lending Requests Report Slip letter (letters app)
REPORT_SLIP = "lending_report_slip"
MAX_REPORT = 2000


def report_requests(ids: Iterable[int]) -> list[LendingRequest]:
    ids = sorted({int(i) for i in ids})[:MAX_REPORT]
    return list(LendingRequest.objects.filter(pk__in=ids)
                .select_related("partner", "item", "record", "level_of_service")
                .prefetch_related("record__items").order_by("pk"))


def _holdings(req: LendingRequest) -> tuple[str, str, str]:
    items = [req.item] if req.item_id else (list(req.record.items.all()) if req.record_id else [])
    return ("; ".join(i.location for i in items if i.location), "; ".join(i.call_number for i in items
                                                                            if i.call_number),
            "; ".join(i.barcode for i in items))


def row(req: LendingRequest) -> dict[str, Any]:
    location, call_number, barcode = _holdings(req)
    return {
        "id": req.pk, "externalId": req.external_id, "borrowerRequestId": req.borrower_request_id,
        "partner": req.partner.name if req.partner_id else "", "title": req.citation_line, "author": req.author,
        "identifier": req.isbn or req.issn, "location": location, "callNumber": call_number, "barcode": barcode,
        "status": req.get_status_display(), "requestedFormat": req.get_requested_format_display(),
        "levelOfService": req.level_of_service.name if req.level_of_service_id else "",
        "requester": req.requester_name, "created": timezone.localtime(req.created_at).replace(tzinfo=None),
        "neededBy": req.needed_by, "dueDate": req.due_date, "note": req.request_note,
    }


_XML_ILLEGAL = re.compile("[\x00-\x08\x0b\x0c\x0e-\x1f\ufffe\uffff]")


def _text(value: Any) -> str:
    if value is None:
        return ""
    if isinstance(value, datetime):
        return value.isoformat(timespec="minutes")
    if isinstance(value, date):
        return value.isoformat()
    return _XML_ILLEGAL.sub("", str(value))


def to_xlsx(requests: list[LendingRequest]) -> bytes:
    from openpyxl import Workbook
    from openpyxl.styles import Font

    book = Workbook()
    sheet = book.active
    sheet.title = str(_("Lending requests"))[:31]
    sheet.append([str(label) for _key, label in COLUMNS])
    for cell in sheet[1]:
        cell.font = Font(bold=True)
    for req in requests:
        values = row(req)
        sheet.append([values[key] if isinstance(values[key], (int, date)) else _text(values[key])
                      for key, _label in COLUMNS])
        for cell in sheet[sheet.max_row]:
            if isinstance(cell.value, str):
                cell.data_type = "s"  # a title starting with "=" stays text, never a formula
            elif isinstance(cell.value, datetime):
                cell.number_format = "yyyy-mm-dd hh:mm"
            elif isinstance(cell.value, date):
                cell.number_format = "yyyy-mm-dd"
    sheet.freeze_panes = "A2"
    widths = {"title": 60, "author": 30, "partner": 28, "status": 24, "note": 40}
    for index, (key, _label) in enumerate(COLUMNS, start=1):
        sheet.column_dimensions[sheet.cell(row=1, column=index).column_letter].width = widths.get(key, 16)
    out = io.BytesIO()
    book.save(out)
    return out.getvalue()


def to_xml(requests: list[LendingRequest]) -> bytes:
    from lxml import etree

    root = etree.Element("lendingRequestsReport", generated=timezone.now().isoformat(timespec="seconds"),
                         count=str(len(requests)))
    for req in requests:
        values = row(req)
        element = etree.SubElement(root, "request", id=str(req.pk))
        for key, _label in COLUMNS[1:]:
            etree.SubElement(element, key).text = _text(values[key])
    return etree.tostring(root, xml_declaration=True, encoding="UTF-8", pretty_print=True)


def render(requests: list[LendingRequest], fmt: str) -> tuple[bytes, str, str]:
    """(data, content type, file name)."""
    if fmt not in FORMATS:
        raise ActionRefused(_("Choose Excel or XML."), status=400)
    content_type, extension = FORMATS[fmt]
    if fmt == "pdf":
        api = _letters()
        if api is None:
            raise ActionRefused(_("PDF reports are unavailable: the letters module is not installed."), status=503)
        data = api.render_pdf(REPORT_SLIP, requests)
    else:
        data = to_xlsx(requests) if fmt == "xlsx" else to_xml(requests)
    return data, content_type, f"lending-requests-report-{timezone.localdate():%Y%m%d}.{extension}"


@dataclass(frozen=True)
class Printer:
    label: str
    email: str

    @property
    def key(self) -> str:
        return self.email


def printers() -> list[Printer]:
    configured = getattr(settings, "ILLDESK_REPORT_PRINTERS", None)
    if configured is None:
        raw = os.environ.get("ILLDESK_REPORT_PRINTERS", "")
        configured = [part.split("=", 1) if "=" in part else (part, part)
                      for part in (p.strip() for p in raw.split(",")) if part]
    found = []
    for entry in configured:
        label, email = (entry, entry) if isinstance(entry, str) else entry
        try:
            validate_email(email.strip())
        except Exception as exc:
            raise ImproperlyConfigured(f"ILLDESK_REPORT_PRINTERS: {email!r} is not an email address") from exc
        found.append(Printer(label.strip(), email.strip()))
    return found


def send_report(requests: list[LendingRequest], fmt: str, *, to: str, by) -> None:
    """Email the report as an attachment (to a user, or to a printer's queue address)."""
    data, content_type, filename = render(requests, fmt)
    subject = _("Lending requests report (%(n)d requests)") % {"n": len(requests)}
    body = _("The lending requests report of %(date)s, made by %(by)s, is attached.") % {
        "date": timezone.localdate().isoformat(), "by": person(by)}
    message = EmailMessage(subject, body, settings.DEFAULT_FROM_EMAIL, [to])
    message.attach(filename, data, content_type)
    message.send(fail_silently=False)
