from django.urls import path

from . import batch_views, views

app_name = "tools"
urlpatterns = [
    path("scan/", views.station, name="scan"),
    path("scan/clear/", views.clear, name="scan_clear"),
    path("batches/", batch_views.batch_list, name="batches"),
    path("batches/add-selected/", batch_views.add_selected, name="batch_add_selected"),
    path("batches/<int:pk>/", batch_views.batch_detail, name="batch"),
    path("batches/<int:pk>/add/", batch_views.batch_add, name="batch_add"),
    path("batches/<int:pk>/act/", batch_views.batch_act, name="batch_act"),
]
