from django.contrib.auth.decorators import login_required
from django.shortcuts import redirect

from .roles import is_staff_worker


@login_required
def home(request):
    if is_staff_worker(request.user):
        return redirect("borrowing:list")
    if request.user.is_staff:
        return redirect("admin:index")
    # Patrons (and anyone else logged in) land on their own requests, never back on the login page.
    return redirect("opac:my_requests")
