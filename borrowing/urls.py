from django.contrib.auth.decorators import login_required
from django.urls import path

from illdesk.requestviews import urls_for

from . import locate_views, views
from .views import SIDE

app_name = "borrowing"
urlpatterns = [
    # Row actions link to dialog/<name>/: the resources page answers there (htmx → a panel in #dialog).
    path("<int:pk>/dialog/view_resources/", locate_views.resources_view, name="resources-dialog"),
    path("<int:pk>/resources/", locate_views.resources_view, name="resources"),
    *urls_for(SIDE),
    path("<int:pk>/communications/<int:comm_pk>/<slug:op>/", login_required(views.communication_action),
         name="communication"),
]
