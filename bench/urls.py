"""The app's URLs plus the bench-only admin site (the baseline) at /bench-admin/."""

from django.urls import path

from illdesk.urls import urlpatterns as app_urlpatterns

from .admin import site

urlpatterns = [path("bench-admin/", site.urls), *app_urlpatterns]
