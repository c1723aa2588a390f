from django.contrib import admin
from django.contrib.auth import views as auth_views
from django.urls import include, path

from . import views
from .ratelimit import ThrottledAdminAuthenticationForm, ThrottledLoginView

# The admin's own login form counts failures and refuses while locked, like the staff and OPAC login.
admin.site.login_form = ThrottledAdminAuthenticationForm

urlpatterns = [
    path("", views.home, name="home"),
    path("login/", ThrottledLoginView.as_view(), name="login"),
    path("logout/", auth_views.LogoutView.as_view(), name="logout"),
    path("borrowing/", include("borrowing.urls")),
    path("lending/", include("lending.urls")),
    path("", include("partners.urls")),
    path("letters/", include("letters.urls")),
    path("opac/", include("opac.urls")),
    path("reports/", include("reports.urls")),
    path("tools/", include("tools.urls")),
    path("", include("integrations.urls")),
    path("admin/", admin.site.urls),
    path("i18n/", include("django.conf.urls.i18n")),
]
