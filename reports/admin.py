"""Admin for fee rules, copyright limits and (read-only) invoices."""

from django.contrib import admin
from django.utils.translation import gettext_lazy as _

from .models import CopyrightRule, FeeRule, Invoice, InvoiceLine


@admin.register(FeeRule)
class FeeRuleAdmin(admin.ModelAdmin):
    list_display = ["__str__", "partner", "per_loan", "per_copy_page", "minimum_pages", "per_request",
                    "bill_shipping", "currency", "active"]
    list_filter = ["active", "currency", "bill_shipping"]
    search_fields = ["partner__name", "partner__code", "note"]
    autocomplete_fields = ["partner"]


@admin.register(CopyrightRule)
class CopyrightRuleAdmin(admin.ModelAdmin):
    list_display = ["__str__", "library", "limit", "recent_years"]


class InvoiceLineInline(admin.TabularInline):
    model = InvoiceLine
    extra = 0
    can_delete = False
    fields = ["object_id", "kind", "description", "pages", "fee", "shipping", "amount"]
    readonly_fields = fields

    def has_add_permission(self, request, obj=None) -> bool:
        return False


@admin.register(Invoice)
class InvoiceAdmin(admin.ModelAdmin):
    """Invoices are made from the invoicing page; here they can only be looked at — or deleted, which
    voids the invoice and makes its requests billable again."""

    list_display = ["number_display", "partner", "period_start", "period_end", "total", "currency", "created_at",
                    "created_by", "sent_at"]
    list_filter = ["currency", "partner"]
    search_fields = ["partner__name", "partner__code"]
    readonly_fields = ["partner", "library", "period_start", "period_end", "currency", "total", "created_by",
                       "created_at", "sent_at"]
    inlines = [InvoiceLineInline]

    @admin.display(description=_("number"))
    def number_display(self, obj: Invoice) -> str:
        return obj.number

    def has_add_permission(self, request) -> bool:
        return False
