from django.contrib import admin
from django.contrib.auth import views as auth_views
from django.templatetags.static import static
from django.urls import include, path
from django.views.generic import RedirectView

from . import views
from .ratelimit import ThrottledAdminAuthenticationForm, ThrottledLoginView

# The admin's own login form counts failures and refuses while locked, like the staff and OPAC login.
admin.site.login_form = ThrottledAdminAuthenticationForm

handler400 = "illdesk.views.bad_request"
handler403 = "illdesk.views.permission_denied"
handler404 = "illdesk.views.page_not_found"

urlpatterns = [
    path("", views.home, name="home"),
    # Browsers ask for /favicon.ico whatever the page links to.
    path("favicon.ico", RedirectView.as_view(url=static("favicon.svg"), permanent=True)),
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
