from urllib.parse import urlsplit

from django.contrib.auth.decorators import login_required
from django.shortcuts import redirect, render
from django.utils.http import url_has_allowed_host_and_scheme

from . import sides
from .roles import is_admin, is_operator


@login_required
def home(request):
    if is_operator(request.user):
        return redirect(f"{next(sides.all()).name}:list")  # the first side registered: borrowing
    # Administrators who do not work requests would only meet a "staff only" page on the task list.
    if is_admin(request.user) or request.user.is_staff:
        return redirect("admin:index")
    # Patrons (and anyone else logged in) land on their own requests, never back on the login page.
    return redirect("opac:my_requests")


def _back_url(request) -> str:
    """The page the visitor came from, when it is one of ours and not this very page."""
    referer = request.META.get("HTTP_REFERER", "")
    if referer and url_has_allowed_host_and_scheme(referer, allowed_hosts={request.get_host()},
                                                   require_https=request.is_secure()):
        if urlsplit(referer).path != request.path:
            return referer
    return ""


def permission_denied(request, exception=None):
    """403 in the site's frame: the reason the view gave, and a way back (Django's own page is bare)."""
    reason = str(exception.args[0]) if exception is not None and exception.args else ""
    return render(request, "403.html", {"exception": reason, "back_url": _back_url(request)}, status=403)


def page_not_found(request, exception=None):
    return render(request, "404.html", {"request_path": request.path, "back_url": _back_url(request)},
                  status=404)


def bad_request(request, exception=None):
    return render(request, "400.html", {"back_url": _back_url(request)}, status=400)
