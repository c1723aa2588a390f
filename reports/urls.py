from django.urls import path

from . import invoice_views, views

app_name = "reports"
urlpatterns = [
    path("", views.statistics_page, name="statistics"),
    path("statistics/<slug:key>.<str:fmt>", views.statistics_export, name="export"),
    path("invoices/", invoice_views.invoices, name="invoices"),
    path("invoices/create/", invoice_views.invoice_create, name="invoice_create"),
    path("invoices/<int:pk>/", invoice_views.invoice_detail, name="invoice"),
    path("invoices/<int:pk>/send/", invoice_views.invoice_send, name="invoice_send"),
    path("invoices/<int:pk>/invoice.<str:fmt>", invoice_views.invoice_file, name="invoice_file"),
    path("copyright/", views.copyright_report, name="copyright"),
]
