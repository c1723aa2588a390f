"""Fees, invoices and the copyright limit (SPEC §8 "statistics and fees", seed 004)."""

from __future__ import annotations

from decimal import Decimal

from django.conf import settings
from django.contrib.contenttypes.fields import GenericForeignKey
from django.contrib.contenttypes.models import ContentType
from django.core.exceptions import ValidationError
from django.core.validators import MinValueValidator
from django.db import models
from django.db.models import Value
from django.db.models.functions import Coalesce
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

MONEY = {"max_digits": 10, "decimal_places": 2, "validators": [MinValueValidator(Decimal("0"))]}


class FeeRule(models.Model):
    """What we charge a partner for what we lend or copy for it. A rule without a partner is the
    default for every partner without a rule of its own."""

    partner = models.ForeignKey(
        "partners.Partner", on_delete=models.CASCADE, null=True, blank=True, related_name="fee_rules",
        verbose_name=_("partner"), help_text=_("Empty: the default rule for partners without their own."),
    )
    per_loan = models.DecimalField(_("fee per loan"), default=Decimal("0"), **MONEY)
    per_copy_page = models.DecimalField(_("fee per copied page"), default=Decimal("0"), **MONEY)
    minimum_pages = models.PositiveIntegerField(
        _("minimum pages charged per copy"), default=1,
        help_text=_("Also charged when the citation gives no page range."))
    per_request = models.DecimalField(_("flat fee per supplied request"), default=Decimal("0"), **MONEY)
    bill_shipping = models.BooleanField(_("add the shipping cost recorded on the request"), default=True)
    currency = models.CharField(_("currency"), max_length=3, default="EUR")
    active = models.BooleanField(_("active"), default=True)
    note = models.CharField(_("note"), max_length=300, blank=True)

    class Meta:
        ordering = ["partner__name"]
        verbose_name = _("fee rule")
        constraints = [
            # one active rule per partner, and one active default (COALESCE: NULLs would not clash)
            models.UniqueConstraint(Coalesce("partner", Value(0)), condition=models.Q(active=True),
                                    name="one_active_fee_rule_per_partner"),
        ]

    def __str__(self) -> str:
        who = self.partner.name if self.partner_id else _("Default")
        return f"{who}: {self.currency}"

    def clean(self) -> None:
        self.currency = (self.currency or "").strip().upper()
        if len(self.currency) != 3 or not self.currency.isalpha():
            raise ValidationError({"currency": _("Use a three-letter ISO 4217 code, e.g. EUR.")})


class Invoice(models.Model):
    """One invoice to a partner for the lending requests supplied to it in a period."""

    partner = models.ForeignKey("partners.Partner", on_delete=models.PROTECT, related_name="+",
                                verbose_name=_("partner"))
    library = models.ForeignKey("illdesk.ResourceSharingLibrary", on_delete=models.PROTECT, null=True, blank=True,
                                related_name="+", verbose_name=_("invoicing library"))
    period_start = models.DateField(_("period start"))
    period_end = models.DateField(_("period end"))
    currency = models.CharField(_("currency"), max_length=3)
    total = models.DecimalField(_("total"), max_digits=12, decimal_places=2, default=Decimal("0"))
    note = models.TextField(_("note"), blank=True, max_length=2000)
    created_by = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.SET_NULL, null=True, blank=True,
                                   related_name="+", verbose_name=_("created by"))
    created_at = models.DateTimeField(_("created"), default=timezone.now)
    sent_at = models.DateTimeField(_("letter sent"), null=True, blank=True)

    class Meta:
        ordering = ["-created_at", "-id"]
        verbose_name = _("invoice")

    def __str__(self) -> str:
        return f"{self.number} {self.partner}"

    @property
    def number(self) -> str:
        return f"{timezone.localtime(self.created_at):%Y}-{self.pk:05d}" if self.pk else ""


class InvoiceLine(models.Model):
    """One billed request. The unique constraint on (content type, id) is what makes double billing
    impossible, whatever the application does: a request is on at most one invoice."""

    invoice = models.ForeignKey(Invoice, on_delete=models.CASCADE, related_name="lines")
    content_type = models.ForeignKey(ContentType, on_delete=models.PROTECT)
    object_id = models.PositiveBigIntegerField()
    request = GenericForeignKey("content_type", "object_id")
    kind = models.CharField(_("kind"), max_length=10)  # loan / copy
    description = models.CharField(_("description"), max_length=300)
    pages = models.PositiveIntegerField(_("pages"), default=0)
    fee = models.DecimalField(_("fee"), max_digits=10, decimal_places=2, default=Decimal("0"))
    shipping = models.DecimalField(_("shipping"), max_digits=10, decimal_places=2, default=Decimal("0"))
    amount = models.DecimalField(_("amount"), max_digits=10, decimal_places=2)

    class Meta:
        ordering = ["invoice", "id"]
        verbose_name = _("invoice line")
        constraints = [
            models.UniqueConstraint(fields=["content_type", "object_id"], name="request_invoiced_once"),
        ]

    def __str__(self) -> str:
        return f"{self.description} {self.amount}"


class CopyrightRule(models.Model):
    """The "rule of five" (CONTU): copies of articles from one journal requested in one calendar year.
    A rule without a library is the default; without any rule the limit is 5."""

    library = models.ForeignKey("illdesk.ResourceSharingLibrary", on_delete=models.CASCADE, null=True,
                                blank=True, related_name="+", verbose_name=_("library"))
    limit = models.PositiveIntegerField(_("copies per journal and year"), default=5)
    recent_years = models.PositiveIntegerField(
        _("only articles published in the last N years"), default=5,
        help_text=_("CONTU counts articles published within five years of the request; 0 counts every article."))

    class Meta:
        verbose_name = _("copyright limit")
        constraints = [
            models.UniqueConstraint(Coalesce("library", Value(0)), name="one_copyright_rule_per_library"),
        ]

    def __str__(self) -> str:
        return f"{self.library or _('Default')}: {self.limit}"


class RequestMilestone(models.Model):
    """When a request first reached each turnaround milestone: a read model of the (append-only)
    history, kept up to date incrementally by `reports.milestones.refresh`, so turnaround over years of
    requests reads one narrow row per request instead of every history row."""

    content_type = models.ForeignKey(ContentType, on_delete=models.CASCADE, related_name="+")
    object_id = models.PositiveBigIntegerField()
    shipped_at = models.DateTimeField(null=True, blank=True)
    received_at = models.DateTimeField(null=True, blank=True)
    completed_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        verbose_name = _("request milestone")
        constraints = [models.UniqueConstraint(fields=["content_type", "object_id"], name="milestone_per_request")]

    def __str__(self) -> str:
        return f"{self.content_type_id}:{self.object_id}"


class MilestoneWatermark(models.Model):
    """The last history row `RequestMilestone` has seen (one row)."""

    last_history_id = models.BigIntegerField(default=0)
    refreshed_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        verbose_name = _("milestone watermark")

    def __str__(self) -> str:
        return str(self.last_history_id)
