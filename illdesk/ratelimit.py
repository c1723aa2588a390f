"""Login throttling for every password form (staff and OPAC login, the admin login).

After `ILLDESK_LOGIN_MAX_FAILURES` failed logins for one username, or `ILLDESK_LOGIN_MAX_FAILURES_PER_IP`
from one address, within `ILLDESK_LOGIN_WINDOW_SECONDS`, further attempts for that username (or from that
address) are refused for `ILLDESK_LOGIN_LOCKOUT_SECONDS`, even with the right password. A successful
login clears the username's count. The address count only expires: a guesser who also holds one real
account must not be able to wipe it by logging in between guesses.

Counts live in the default cache: per process with locmem (one server process), shared with Redis.
"""

from __future__ import annotations

import hashlib
import math
import time

from django.conf import settings
from django.contrib.admin.forms import AdminAuthenticationForm
from django.contrib.auth.forms import AuthenticationForm
from django.contrib.auth.views import LoginView
from django.core.cache import cache
from django.core.exceptions import ValidationError
from django.utils.translation import ngettext

PREFIX = "illdesk:login"
TOO_MANY = "too_many_attempts"


def _limits() -> tuple[int, int, int, int]:
    return (settings.ILLDESK_LOGIN_MAX_FAILURES, settings.ILLDESK_LOGIN_MAX_FAILURES_PER_IP,
            settings.ILLDESK_LOGIN_WINDOW_SECONDS, settings.ILLDESK_LOGIN_LOCKOUT_SECONDS)


def client_ip(request) -> str:
    """The address of the browser. Behind our own TLS proxy it is the last X-Forwarded-For entry: the
    one that proxy appended (the ones before it are whatever the client claimed)."""
    if request is None:
        return ""
    if settings.ILLDESK_BEHIND_PROXY:
        forwarded = [part.strip() for part in request.META.get("HTTP_X_FORWARDED_FOR", "").split(",")]
        if forwarded[-1]:
            return forwarded[-1][:64]
    return request.META.get("REMOTE_ADDR", "")[:64]


def _subjects(username: str, ip: str) -> list[tuple[str, int]]:
    """(cache key part, limit) for the username and the address; usernames hashed (any length, any
    characters, case folded so that "Admin" and "admin" share one count)."""
    per_user, per_ip, _window, _lockout = _limits()
    subjects = []
    if username:
        subjects.append(("user:" + hashlib.sha256(username.casefold().encode()).hexdigest()[:40], per_user))
    if ip:
        subjects.append(("ip:" + ip, per_ip))
    return subjects


def locked_until(username: str, ip: str) -> float | None:
    """When the refusal for this username or address ends (epoch seconds), or None."""
    ends = [cache.get(f"{PREFIX}:lock:{subject}") for subject, _limit in _subjects(username, ip)]
    ends = [end for end in ends if end is not None and end > time.time()]
    return max(ends) if ends else None


def _bump(key: str, window: int) -> int:
    cache.add(key, 0, window)
    try:
        return cache.incr(key)
    except ValueError:  # expired between add and incr
        cache.set(key, 1, window)
        return 1


def register_failure(username: str, ip: str) -> None:
    _per_user, _per_ip, window, lockout = _limits()
    for subject, limit in _subjects(username, ip):
        if _bump(f"{PREFIX}:fail:{subject}", window) >= limit:
            cache.set(f"{PREFIX}:lock:{subject}", time.time() + lockout, lockout)
            cache.delete(f"{PREFIX}:fail:{subject}")


def register_success(username: str) -> None:
    for subject, _limit in _subjects(username, ""):
        cache.delete(f"{PREFIX}:fail:{subject}")


def refusal(until: float) -> ValidationError:
    minutes = max(1, math.ceil((until - time.time()) / 60))
    return ValidationError(
        ngettext("Too many failed login attempts. Please wait %(minutes)d minute and try again.",
                 "Too many failed login attempts. Please wait %(minutes)d minutes and try again.", minutes)
        % {"minutes": minutes}, code=TOO_MANY)


class ThrottledLoginMixin:
    """For AuthenticationForm and its subclasses: refuse while locked, count failures, clear on success."""

    def clean(self):
        username = self.cleaned_data.get("username") or ""
        ip = client_ip(self.request)
        until = locked_until(username, ip)
        if until is not None:
            raise refusal(until)
        try:
            cleaned = super().clean()
        except ValidationError:
            if self.user_cache is None and username and self.cleaned_data.get("password"):
                register_failure(username, ip)
            raise
        if self.user_cache is not None:
            register_success(username)
        return cleaned


class ThrottledAuthenticationForm(ThrottledLoginMixin, AuthenticationForm):
    pass


class ThrottledAdminAuthenticationForm(ThrottledLoginMixin, AdminAuthenticationForm):
    pass


class ThrottledLoginView(LoginView):
    """The login page: 429 while refused, so scripts see it too (the page says why)."""

    authentication_form = ThrottledAuthenticationForm

    def form_invalid(self, form):
        response = super().form_invalid(form)
        if any(error.code == TOO_MANY for error in form.non_field_errors().as_data()):
            response.status_code = 429
        return response
