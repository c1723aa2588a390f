"""Fees and invoices: what we charge partners for the lending requests we supplied to them.

A request is billable when it was supplied (a supplied format is recorded) and shipped in the
period, and is on no invoice yet. Its charge, under the partner's fee rule (or the default rule):

    loan (physical, returnable)        fee per loan
    copy (digital or non-returnable)   fee per copied page × pages (at least the rule's minimum)
    every supplied request             + flat fee per request
    a cost recorded on the request     replaces the fees above (a charge agreed for this request)
    shipping cost on the request       + when the rule bills shipping

Creating an invoice writes one line per request; the database refuses a second line for the same
request (`request_invoiced_once`), so nothing is billed twice even when two managers invoice the same
partner at once: the second run finds nothing left, or fails and changes nothing.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from datetime import date, datetime, timedelta
from decimal import Decimal

from django.contrib.contenttypes.models import ContentType
from django.db import IntegrityError, transaction
from django.db.models import Exists, OuterRef, Q, QuerySet
from django.utils import timezone
from django.utils.translation import gettext as _

from illdesk.models import Format, HistoryEvent
from illdesk.workflow import ActionRefused, record

from .models import FeeRule, Invoice, InvoiceLine

CENT = Decimal("0.01")
_RANGE = re.compile(r"(\d+)\s*[-–—]\s*(\d+)")
_NUMBER = re.compile(r"\d+")


def page_count(pages: str) -> int:
    """Pages of a citation's page field: "12-25" → 14, "3-5, 9" → 4, "e123" → 1, "" → 0."""
    text = (pages or "").strip()
    if not text:
        return 0
    total = 0
    for part in re.split(r"[,;]", text):
        found = _RANGE.search(part)
        if found:
            first, last = int(found.group(1)), int(found.group(2))
            if last < first and len(found.group(2)) < len(found.group(1)):  # "123-9" means 123-129
                last = int(found.group(1)[: -len(found.group(2))] + found.group(2))
            total += max(last - first + 1, 1)
        elif _NUMBER.search(part) or part.strip():
            total += 1
    return total


def rule_for(partner) -> FeeRule | None:
    """The partner's active rule, else the active default rule."""
    rules = {r.partner_id: r for r in FeeRule.objects.filter(Q(partner=partner) | Q(partner__isnull=True),
                                                             active=True)}
    return rules.get(partner.pk) or rules.get(None)


@dataclass
class Charge:
    request: object
    kind: str  # loan / copy
    description: str
    pages: int
    fee: Decimal
    shipping: Decimal
    amount: Decimal
    problem: str = ""  # why it cannot be billed (then it is listed, not billed)


def _lending_ct() -> ContentType:
    from lending.models import LendingRequest

    return ContentType.objects.get_for_model(LendingRequest)


def _day_bounds(start: date, end: date) -> tuple[datetime, datetime]:
    tz = timezone.get_current_timezone()
    return (datetime.combine(start, datetime.min.time(), tzinfo=tz),
            datetime.combine(end + timedelta(days=1), datetime.min.time(), tzinfo=tz))


def supplied(partner, start: date, end: date, library_id: int | None = None) -> QuerySet:
    """Lending requests supplied to `partner` and shipped in the period, with `invoiced` annotated."""
    from lending.models import LendingRequest

    lo, hi = _day_bounds(start, end)
    qs = LendingRequest.objects.filter(partner=partner, shipped_at__gte=lo, shipped_at__lt=hi).exclude(
        supplied_format="")
    if library_id:
        qs = qs.filter(owner_id=library_id)
    lines = InvoiceLine.objects.filter(content_type=_lending_ct(), object_id=OuterRef("pk"))
    return qs.annotate(invoiced=Exists(lines)).order_by("shipped_at", "pk")


def charge(req, rule: FeeRule | None) -> Charge:
    copy = req.supplied_format in (Format.DIGITAL, Format.PHYSICAL_NON_RETURNABLE)
    kind = "copy" if copy else "loan"
    pages = page_count(req.pages) if copy else 0
    title = req.chapter_title or req.title
    ref = req.borrower_request_id or req.external_id or str(req.pk)
    description = f"{req.pk} ({ref}): {title}"[:300]
    if rule is None:
        return Charge(req, kind, description, pages, Decimal("0"), Decimal("0"), Decimal("0"),
                      problem=_("No fee rule for this partner and no default rule."))
    if (req.cost is not None or req.shipping_cost is not None) and req.currency != rule.currency:
        return Charge(req, kind, description, pages, Decimal("0"), Decimal("0"), Decimal("0"),
                      problem=_("Costs are recorded in %(cur)s, the fee rule bills in %(rule)s.")
                      % {"cur": req.currency, "rule": rule.currency})
    if req.cost is not None:
        fee = req.cost
    elif copy:
        pages = max(pages, rule.minimum_pages)
        fee = rule.per_copy_page * pages + rule.per_request
    else:
        fee = rule.per_loan + rule.per_request
    shipping = (req.shipping_cost or Decimal("0")) if rule.bill_shipping else Decimal("0")
    fee, shipping = fee.quantize(CENT), shipping.quantize(CENT)
    return Charge(req, kind, description, pages, fee, shipping, fee + shipping)


@dataclass
class InvoicePreview:
    partner: object
    start: date
    end: date
    library_id: int | None
    rule: FeeRule | None
    charges: list[Charge]  # billable now
    problems: list[Charge]  # supplied but cannot be billed as things stand
    already: list[object]  # supplied in the period and already on an invoice

    @property
    def currency(self) -> str:
        return self.rule.currency if self.rule else ""

    @property
    def total(self) -> Decimal:
        return sum((c.amount for c in self.charges), Decimal("0"))


def preview(partner, start: date, end: date, library_id: int | None = None) -> InvoicePreview:
    rule = rule_for(partner)
    charges, problems, already = [], [], []
    for req in supplied(partner, start, end, library_id):
        if req.invoiced:
            already.append(req)
            continue
        c = charge(req, rule)
        (problems if c.problem else charges).append(c)
    return InvoicePreview(partner, start, end, library_id, rule, charges, problems, already)


def create_invoice(partner, start: date, end: date, *, by, library_id: int | None = None,
                   note: str = "") -> Invoice | None:
    """Bill everything billable now. None when there is nothing to bill. Each billed request gets a
    history row; the unique constraint turns a concurrent double run into a clean refusal."""
    from illdesk.models import ResourceSharingLibrary

    ct = _lending_ct()
    try:
        with transaction.atomic():
            found = preview(partner, start, end, library_id)
            if not found.charges:
                return None
            invoice = Invoice.objects.create(
                partner=partner, period_start=start, period_end=end, currency=found.currency, note=note,
                library=ResourceSharingLibrary.objects.filter(pk=library_id).first() if library_id else None,
                created_by=by if getattr(by, "is_authenticated", False) else None, total=found.total,
            )
            InvoiceLine.objects.bulk_create([
                InvoiceLine(invoice=invoice, content_type=ct, object_id=c.request.pk, kind=c.kind,
                            description=c.description, pages=c.pages, fee=c.fee, shipping=c.shipping,
                            amount=c.amount)
                for c in found.charges
            ])
            for c in found.charges:
                record(c.request, by=by, kind=HistoryEvent.Kind.FIELD, field=_("Invoiced"),
                       new=_("Invoice %(number)s: %(amount)s %(currency)s")
                       % {"number": invoice.number, "amount": c.amount, "currency": invoice.currency})
    except IntegrityError as exc:
        raise ActionRefused(_("Some of these requests were invoiced a moment ago by someone else. "
                              "Nothing was billed; open the report again.")) from exc
    return invoice


def invoice_charges(invoice: Invoice) -> list[tuple[InvoiceLine, object]]:
    """Lines with their requests, in one query for the requests."""
    from lending.models import LendingRequest

    lines = list(invoice.lines.all())
    requests = LendingRequest.objects.in_bulk([line.object_id for line in lines])
    return [(line, requests.get(line.object_id)) for line in lines]
