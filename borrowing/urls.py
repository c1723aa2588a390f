from django.contrib.auth.decorators import login_required
from django.shortcuts import redirect
from django.urls import path

from illdesk.requestviews import urls_for

from . import locate_views, views
from .views import SIDE

app_name = "borrowing"
urlpatterns = [
    # Row actions link to dialog/<name>/: the resources page answers there (htmx → a panel in #dialog).
    path("<int:pk>/dialog/view_resources/", locate_views.resources_view, name="resources-dialog"),
    path("<int:pk>/resources/", locate_views.resources_view, name="resources"),
    # Linking an unauthenticated request needs a patron search: the OPAC app's staff page serves it.
    path("<int:pk>/dialog/link_patron/", lambda request, pk: redirect("opac:link", pk=pk), name="link-patron"),
    *urls_for(SIDE),
    path("<int:pk>/communications/<int:comm_pk>/<slug:op>/", login_required(views.communication_action),
         name="communication"),
]
