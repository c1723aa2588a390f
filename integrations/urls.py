from django.urls import path

from . import api, views

app_name = "integrations"
urlpatterns = [
    path("jobs/", views.jobs_page, name="jobs"),
    path("jobs/<int:pk>/", views.run_report, name="run"),
    path("jobs/run/<slug:code>/", views.run_job_now, name="run_job"),
    path("jobs/import/<int:pk>/run/", views.run_import_now, name="run_import"),
    path("imports/partners/", views.import_partners_page, name="import_partners"),
    path("api/lending-requests", api.lending_requests, name="api_lending_requests"),
    path("api/lending-requests/<int:pk>", api.lending_request, name="api_lending_request"),
]
