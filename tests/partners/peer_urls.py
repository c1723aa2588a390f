"""The normal URLs plus the test driver (only for the two-instance test's servers)."""

from django.urls import path

from illdesk.urls import urlpatterns as site

from .peer_driver import drive

urlpatterns = [*site, path("_peer/drive", drive)]
