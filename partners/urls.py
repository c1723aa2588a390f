from django.urls import path

from . import views

app_name = "partners"
urlpatterns = [
    path("iso18626", views.iso18626_endpoint, name="iso18626"),
    path("iso18626/", views.iso18626_endpoint),
    path("iso18626/problems/", views.delivery_problems, name="delivery_problems"),
    path("iso18626/problems/<int:pk>/retry/", views.retry_message, name="retry_message"),
    path("iso18626/messages/<slug:side>/<int:pk>/", views.request_messages, name="request_messages"),
]
