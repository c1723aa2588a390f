"""Invoicing partners: the per-partner, per-period report, creating the invoice, and its files."""

from __future__ import annotations

from urllib.parse import urlencode

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.http import Http404, HttpRequest, HttpResponse, HttpResponseNotAllowed
from django.shortcuts import get_object_or_404, redirect, render
from django.urls import reverse
from django.utils.translation import gettext as _

from illdesk.workflow import ActionRefused

from . import fees, invoice_letter
from .forms import InvoiceReportForm
from .models import Invoice
from .tables import Table, csv_response, xlsx_response
from .views import require_manager


def preview_table(found: fees.InvoicePreview) -> Table:
    rows = [[c.request.pk, c.request.borrower_request_id or c.request.external_id, c.description,
             c.request.shipped_at.date() if c.request.shipped_at else "", c.kind, c.pages, c.fee, c.shipping,
             c.amount] for c in found.charges]
    return Table(f"invoice-{found.partner.code}", _("To invoice: %(p)s") % {"p": found.partner.name},
                 [_("Request"), _("Their request"), _("Description"), _("Shipped"), _("Kind"), _("Pages"), _("Fee"),
                  _("Shipping"), _("Amount")], rows,
                 totals=[_("Total"), "", found.currency, "", "", "", "", "", found.total] if rows else None)


def invoice_table(invoice: Invoice) -> Table:
    rows = [[line.object_id, (req.borrower_request_id or req.external_id) if req else "", line.description,
             req.shipped_at.date() if req and req.shipped_at else "", line.kind, line.pages, line.fee, line.shipping,
             line.amount] for line, req in fees.invoice_charges(invoice)]
    return Table(f"invoice-{invoice.number}", _("Invoice %(n)s") % {"n": invoice.number},
                 [_("Request"), _("Their request"), _("Description"), _("Shipped"), _("Kind"), _("Pages"), _("Fee"),
                  _("Shipping"), _("Amount")], rows,
                 totals=[_("Total"), "", invoice.currency, "", "", "", "", "", invoice.total])


@login_required
def invoices(request: HttpRequest) -> HttpResponse:
    """Choose partner and period → what would be billed (and what cannot be, and what already was)."""
    require_manager(request)
    form = InvoiceReportForm(request.GET or None)
    found = None
    if form.is_bound and form.is_valid():
        data = form.cleaned_data
        library = data.get("library")
        found = fees.preview(data["partner"], data["start"], data["end"], library.pk if library else None)
        fmt = request.GET.get("format")
        if fmt in ("csv", "xlsx"):
            name = f"illdesk-to-invoice-{data['partner'].code}-{data['start']:%Y%m%d}-{data['end']:%Y%m%d}"
            table = preview_table(found)
            return csv_response(table, name) if fmt == "csv" else xlsx_response([table], name)
    query = urlencode([(k, v) for k, v in request.GET.items() if k != "format"])
    recent = Invoice.objects.select_related("partner", "created_by")[:50]
    return render(request, "reports/invoices.html", {"form": form, "found": found, "recent": recent,
                                                     "query": query})


@login_required
def invoice_create(request: HttpRequest) -> HttpResponse:
    if request.method != "POST":
        return HttpResponseNotAllowed(["POST"])
    require_manager(request)
    form = InvoiceReportForm(request.POST)
    if not form.is_valid():
        messages.error(request, _("Choose a partner and a period first."))
        return redirect("reports:invoices")
    data = form.cleaned_data
    library = data.get("library")
    try:
        invoice = fees.create_invoice(data["partner"], data["start"], data["end"], by=request.user,
                                      library_id=library.pk if library else None,
                                      note=request.POST.get("note", "").strip()[:2000])
    except ActionRefused as exc:
        messages.error(request, exc.message)
        return redirect("reports:invoices")
    if invoice is None:
        messages.warning(request, _("Nothing to invoice: every supplied request of the period is already billed "
                                    "or cannot be billed."))
        back = {k: request.POST.get(k, "") for k in ("partner", "start", "end", "library")}
        return redirect(f"{reverse('reports:invoices')}?{urlencode(back)}")
    messages.success(request, _("Invoice %(n)s created: %(count)d request(s), %(total)s %(cur)s.")
                     % {"n": invoice.number, "count": invoice.lines.count(), "total": invoice.total,
                        "cur": invoice.currency})
    return redirect("reports:invoice", pk=invoice.pk)


def _invoice(request: HttpRequest, pk: int) -> Invoice:
    require_manager(request)
    return get_object_or_404(Invoice.objects.select_related("partner", "library", "created_by"), pk=pk)


@login_required
def invoice_detail(request: HttpRequest, pk: int) -> HttpResponse:
    invoice = _invoice(request, pk)
    return render(request, "reports/invoice.html", {"invoice": invoice, "rows": fees.invoice_charges(invoice)})


@login_required
def invoice_file(request: HttpRequest, pk: int, fmt: str) -> HttpResponse:
    invoice = _invoice(request, pk)
    name = f"invoice-{invoice.number}"
    if fmt == "pdf":
        response = HttpResponse(invoice_letter.render_pdf(invoice), content_type="application/pdf")
        response["Content-Disposition"] = f'inline; filename="{invoice_letter.pdf_filename(invoice)}"'
        return response
    if fmt == "csv":
        return csv_response(invoice_table(invoice), name)
    if fmt == "xlsx":
        return xlsx_response([invoice_table(invoice)], name)
    raise Http404(_("No such format."))


@login_required
def invoice_send(request: HttpRequest, pk: int) -> HttpResponse:
    if request.method != "POST":
        return HttpResponseNotAllowed(["POST"])
    invoice = _invoice(request, pk)
    try:
        invoice_letter.send(invoice, by=request.user)
    except ActionRefused as exc:
        messages.error(request, exc.message)
    else:
        messages.success(request, _("The invoice is on its way to %(email)s.") % {"email": invoice.partner.email})
    return redirect("reports:invoice", pk=invoice.pk)
