"""Fees and invoices: the charge of each request under the partner's rule, the per-partner report, and
never billing a request twice (a database constraint, and a second run that finds nothing)."""

from __future__ import annotations

import csv
import io
from datetime import date, datetime
from decimal import Decimal

import pytest
from django.contrib.contenttypes.models import ContentType
from django.db import IntegrityError, transaction
from django.urls import reverse
from openpyxl import load_workbook

from illdesk.models import HistoryEvent
from illdesk.workflow import ActionRefused
from lending.models import LendingRequest
from reports import fees
from reports.models import FeeRule, Invoice, InvoiceLine
from tests.factories import make_lending
from tests.reports.conftest import HELSINKI

JAN = (date(2025, 1, 1), date(2025, 1, 31))


def shipped(day: int, month: int = 1) -> datetime:
    return datetime(2025, month, day, 10, tzinfo=HELSINKI)


@pytest.fixture
def rules(iso_partner):
    default = FeeRule.objects.create(per_loan=Decimal("10"), per_copy_page=Decimal("0.50"), minimum_pages=4,
                                     per_request=Decimal("2"), currency="EUR")
    own = FeeRule.objects.create(partner=iso_partner, per_loan=Decimal("8"), per_copy_page=Decimal("0.25"),
                                 per_request=Decimal("1"), currency="EUR", bill_shipping=True)
    return default, own


@pytest.fixture
def supplied(library, iso_partner, email_partner):
    """What we supplied in January (and a few that must not be billed)."""
    return {
        "loan": make_lending(library, "shipped_physically", iso_partner, supplied_format="physical",
                             shipped_at=shipped(3), shipping_cost=Decimal("3.50")),
        "copy": make_lending(library, "completed", iso_partner, supplied_format="digital", shipped_at=shipped(10),
                             request_type="article", pages="101-120"),
        "short_copy": make_lending(library, "completed", iso_partner, supplied_format="digital",
                                   shipped_at=shipped(11), pages="7"),
        "agreed": make_lending(library, "completed", iso_partner, supplied_format="physical", shipped_at=shipped(12),
                               cost=Decimal("25.00")),
        "february": make_lending(library, "completed", iso_partner, supplied_format="physical",
                                 shipped_at=shipped(2, 2)),
        "rejected": make_lending(library, "rejected", iso_partner, reject_reason="NotOwned"),
        "other_partner": make_lending(library, "completed", email_partner, supplied_format="physical",
                                      shipped_at=shipped(5)),
    }


def test_page_counts():
    assert fees.page_count("101-120") == 20
    assert fees.page_count("3-5, 9") == 4
    assert fees.page_count("123-9") == 7
    assert fees.page_count("e1234") == 1
    assert fees.page_count("") == 0


def test_each_request_is_charged_by_the_partner_rule(rules, supplied, iso_partner):
    found = fees.preview(iso_partner, *JAN)
    amounts = {c.request.pk: (c.kind, c.pages, c.fee, c.shipping, c.amount) for c in found.charges}
    assert amounts == {
        supplied["loan"].pk: ("loan", 0, Decimal("9.00"), Decimal("3.50"), Decimal("12.50")),  # 8 + 1, shipping
        supplied["copy"].pk: ("copy", 20, Decimal("6.00"), Decimal("0.00"), Decimal("6.00")),  # 20 × .25 + 1
        supplied["short_copy"].pk: ("copy", 1, Decimal("1.25"), Decimal("0.00"), Decimal("1.25")),
        supplied["agreed"].pk: ("loan", 0, Decimal("25.00"), Decimal("0.00"), Decimal("25.00")),  # agreed cost
    }
    assert found.total == Decimal("44.75")
    assert found.currency == "EUR"


def test_the_default_rule_applies_to_partners_without_their_own(rules, supplied, email_partner):
    found = fees.preview(email_partner, *JAN)
    assert [(c.request.pk, c.amount) for c in found.charges] == [(supplied["other_partner"].pk, Decimal("12.00"))]


def test_an_invoice_bills_each_request_once(rules, supplied, iso_partner, manager):
    invoice = fees.create_invoice(iso_partner, *JAN, by=manager)
    assert invoice.total == Decimal("44.75")
    assert invoice.lines.count() == 4
    assert invoice.number.endswith(f"-{invoice.pk:05d}")
    loan = supplied["loan"]
    event = HistoryEvent.objects.get(object_id=loan.pk, field="Invoiced")
    assert event.new_value == f"Invoice {invoice.number}: 12.50 EUR"
    assert event.actor == manager
    # a second run for the same period (or a wider one) bills nothing
    assert fees.create_invoice(iso_partner, *JAN, by=manager) is None
    again = fees.preview(iso_partner, date(2025, 1, 1), date(2025, 2, 28))
    assert [c.request.pk for c in again.charges] == [supplied["february"].pk]
    assert {r.pk for r in again.already} == {supplied[k].pk for k in ("loan", "copy", "short_copy", "agreed")}


def test_the_database_refuses_a_second_line_for_the_same_request(rules, supplied, iso_partner, manager):
    invoice = fees.create_invoice(iso_partner, *JAN, by=manager)
    ct = ContentType.objects.get_for_model(LendingRequest)
    with pytest.raises(IntegrityError), transaction.atomic():
        InvoiceLine.objects.create(invoice=invoice, content_type=ct, object_id=supplied["loan"].pk, kind="loan",
                                   description="again", amount=Decimal("1"))


def test_a_concurrent_run_that_lost_the_race_changes_nothing(rules, supplied, iso_partner, manager, monkeypatch):
    """Two managers invoice at once: the second one's lines clash with the first one's and roll back whole."""
    stale = fees.preview(iso_partner, *JAN)  # what the second manager's run saw before the first committed
    fees.create_invoice(iso_partner, *JAN, by=manager)
    monkeypatch.setattr(fees, "preview", lambda *args, **kwargs: stale)
    with pytest.raises(ActionRefused):
        fees.create_invoice(iso_partner, *JAN, by=manager)
    assert Invoice.objects.count() == 1
    assert InvoiceLine.objects.count() == 4


def test_requests_in_another_currency_are_listed_not_billed(rules, library, iso_partner):
    make_lending(library, "completed", iso_partner, supplied_format="physical", shipped_at=shipped(4),
                 shipping_cost=Decimal("40"), currency="SEK")
    found = fees.preview(iso_partner, *JAN)
    assert not found.charges
    assert "SEK" in found.problems[0].problem


def test_only_one_active_rule_per_partner(rules, iso_partner):
    with pytest.raises(IntegrityError), transaction.atomic():
        FeeRule.objects.create(partner=iso_partner, currency="EUR")
    with pytest.raises(IntegrityError), transaction.atomic():
        FeeRule.objects.create(currency="SEK")  # a second default
    FeeRule.objects.create(partner=iso_partner, currency="SEK", active=False)  # inactive ones may pile up


# --- the pages -----------------------------------------------------------------------------------------------


def params(partner) -> dict:
    return {"partner": partner.pk, "start": "2025-01-01", "end": "2025-01-31"}


def test_the_invoice_report_and_its_exports(client, manager, rules, supplied, iso_partner):
    client.force_login(manager)
    url = reverse("reports:invoices")
    response = client.get(url, params(iso_partner))
    assert response.status_code == 200
    body = response.content.decode()
    assert "44.75" in body and "Create the invoice (4 requests)" in body
    rows = list(csv.reader(io.StringIO(client.get(url, {**params(iso_partner), "format": "csv"})
                                       .content.decode("utf-8-sig"))))
    assert rows[0][0] == "Request" and rows[-1][-1] == "44.75"
    sheet = load_workbook(io.BytesIO(client.get(url, {**params(iso_partner), "format": "xlsx"}).content)).active
    assert sheet.max_row == 6  # header, 4 requests, total


def test_creating_the_invoice_and_its_pdf_letter(client, manager, rules, supplied, iso_partner):
    client.force_login(manager)
    response = client.post(reverse("reports:invoice_create"), {**params(iso_partner), "note": "Due in 30 days"})
    invoice = Invoice.objects.get()
    assert response.url == reverse("reports:invoice", args=[invoice.pk])
    assert invoice.note == "Due in 30 days" and invoice.created_by == manager
    pdf = client.get(reverse("reports:invoice_file", args=[invoice.pk, "pdf"]))
    assert pdf["Content-Type"] == "application/pdf"
    assert pdf.content.startswith(b"%PDF")
    rows = list(csv.reader(io.StringIO(client.get(reverse("reports:invoice_file", args=[invoice.pk, "csv"]))
                                       .content.decode("utf-8-sig"))))
    assert len(rows) == 6
    # the button again: nothing left to bill
    response = client.post(reverse("reports:invoice_create"), params(iso_partner), follow=True)
    assert "Nothing to invoice" in response.content.decode()
    assert Invoice.objects.count() == 1


def test_the_pdf_letter_text(rules, supplied, iso_partner, manager):
    import shutil
    import subprocess

    from reports import invoice_letter

    if not shutil.which("pdftotext"):
        pytest.skip("poppler-utils is not installed")
    invoice = fees.create_invoice(iso_partner, *JAN, by=manager)
    text = subprocess.run(["pdftotext", "-layout", "-", "-"], input=invoice_letter.render_pdf(invoice),
                          capture_output=True, check=True).stdout.decode()
    assert f"Invoice {invoice.number}" in text
    assert "44.75" in text and "2 loans, 2 copies" in text
    fi = subprocess.run(["pdftotext", "-layout", "-", "-"], input=invoice_letter.render_pdf(invoice, language="fi"),
                        capture_output=True, check=True).stdout.decode()
    assert f"Lasku {invoice.number}" in fi


def test_the_letter_goes_to_the_partner_through_the_outbox(client, manager, rules, supplied, iso_partner,
                                                           django_capture_on_commit_callbacks):
    from letters.models import SentLetter

    client.force_login(manager)
    iso_partner.email = "billing@peer.example.org"
    iso_partner.save()
    invoice = fees.create_invoice(iso_partner, *JAN, by=manager)
    with django_capture_on_commit_callbacks(execute=True):
        response = client.post(reverse("reports:invoice_send", args=[invoice.pk]), follow=True)
    assert "on its way to billing@peer.example.org" in response.content.decode()
    letter = SentLetter.objects.get()
    assert letter.to == ["billing@peer.example.org"]
    assert invoice.number in letter.subject
    assert letter.attachments.get().filename == f"invoice-{invoice.number}.pdf"
    invoice.refresh_from_db()
    assert invoice.sent_at is not None


def test_no_email_no_letter(client, manager, rules, supplied, iso_partner):
    client.force_login(manager)
    invoice = fees.create_invoice(iso_partner, *JAN, by=manager)
    response = client.post(reverse("reports:invoice_send", args=[invoice.pk]), follow=True)
    assert "has no email address" in response.content.decode()


def test_operators_cannot_invoice(client, operator, iso_partner):
    client.force_login(operator)
    assert client.get(reverse("reports:invoices")).status_code == 403
    assert client.post(reverse("reports:invoice_create"), params(iso_partner)).status_code == 403
