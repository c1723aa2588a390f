from django.urls import path

from illdesk.requestviews import urls_for

from . import views
from .views import SIDE

app_name = "lending"
# The lending bulk view comes first: it adds lending's own bulk actions (remove alerts) under the shared
# URL name; row actions that are pages of their own are served by the shared dialog view (SIDE.pages).
urlpatterns = [
    path("bulk/", views.bulk, name="bulk"),
    path("ship/", views.ship, name="ship"),
    path("report/", views.report, name="report"),
    *urls_for(SIDE),
]
