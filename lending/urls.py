from django.urls import path

from illdesk.requestviews import urls_for

from . import views
from .views import SIDE

app_name = "lending"
# The lending views come first: they serve the row actions that are pages of their own, the edit lock
# and the lending bulk actions under the same URL names as the shared machinery (urls_for).
urlpatterns = [
    path("bulk/", views.bulk, name="bulk"),
    path("ship/", views.ship, name="ship"),
    path("report/", views.report, name="report"),
    path("<int:pk>/do/<slug:action>/", views.perform, name="perform"),
    path("<int:pk>/dialog/<slug:name>/", views.dialog, name="dialog"),
    *urls_for(SIDE),
]
