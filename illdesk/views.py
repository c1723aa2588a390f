from django.contrib.auth.decorators import login_required
from django.shortcuts import redirect

from .roles import is_admin, is_operator


@login_required
def home(request):
    if is_operator(request.user):
        return redirect("borrowing:list")
    # Administrators who do not work requests would only meet a "staff only" page on the task list.
    if is_admin(request.user) or request.user.is_staff:
        return redirect("admin:index")
    # Patrons (and anyone else logged in) land on their own requests, never back on the login page.
    return redirect("opac:my_requests")
