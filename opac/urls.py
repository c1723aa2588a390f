from django.urls import path

from . import views

app_name = "opac"
urlpatterns = [
    path("", views.index, name="index"),
    path("request/", views.request_form, name="request"),
    path("request/<int:pk>/sent/", views.submitted, name="submitted"),
    path("requests/", views.my_requests, name="my_requests"),
    path("requests/<int:pk>/", views.detail, name="detail"),
    path("requests/<int:pk>/change/", views.modify, name="modify"),
    path("requests/<int:pk>/cancel/", views.cancel, name="cancel"),
    path("requests/<int:pk>/renew/", views.renew, name="renew"),
    path("link/<int:pk>/", views.link, name="link"),
]
