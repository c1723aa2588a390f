from django.urls import path

from . import views

app_name = "borrowing"
urlpatterns = [
    path("", views.task_list, name="list"),
]
