from django.contrib.auth.decorators import login_required
from django.shortcuts import redirect

from .roles import is_staff_worker


@login_required
def home(request):
    if is_staff_worker(request.user):
        return redirect("borrowing:list")
    return redirect("admin:index") if request.user.is_staff else redirect("login")
