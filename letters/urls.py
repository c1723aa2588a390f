from django.urls import path

from . import views

app_name = "letters"
urlpatterns = [
    path("request/<slug:side>/<int:pk>/", views.for_request, name="for_request"),
    path("request/<slug:side>/<int:pk>/compose/", views.compose, name="compose"),
    path("request/<slug:side>/<int:pk>/slip/<slug:code>/", views.slip, name="slip"),
    path("request/borrowing/<int:pk>/partners/", views.partner_request, name="partner_request"),
    path("letter/<int:letter_id>/", views.letter_detail, name="letter"),
    path("letter/<int:letter_id>/resend/", views.resend, name="resend"),
    path("letter/<int:letter_id>/retry/", views.retry, name="retry"),
    path("print/<slug:side>/", views.print_slips, name="print_slips"),
]
