from django.contrib.auth.decorators import login_required
from django.urls import path

from illdesk.requestviews import urls_for

from . import views
from .views import SIDE

app_name = "borrowing"
urlpatterns = [
    *urls_for(SIDE),
    path("<int:pk>/communications/<int:comm_pk>/<slug:op>/", login_required(views.communication_action),
         name="communication"),
]
