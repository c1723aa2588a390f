"""Login throttling for every password form (staff and OPAC login, the admin login), on django-ratelimit.

At most `ILLDESK_LOGIN_MAX_FAILURES` failed logins for one username (any case), and at most
`ILLDESK_LOGIN_MAX_FAILURES_PER_IP` from one address, within a window of `ILLDESK_LOGIN_WINDOW_SECONDS`;
past that, logins for that username (or from that address) are refused until the window ends, even with
the right password. A success clears the username's count; the address count only expires (a guesser who
also holds one real account must not be able to wipe it by logging in between guesses).

Count first, check the password after: every login takes one from both counts with django-ratelimit's
atomic cache increment *before* the password is checked, so simultaneous guesses cannot all pass a check
that none of them has counted in yet (issue 17 item 6). An attempt that turns out not to be a failed guess
(refused, the right password, a real account the admin turns away) gives back what it took.

The counts live in the default cache: per process with locmem (one server process), shared with Redis.
With Redis down the counts are not kept and logins work (RATELIMIT_FAIL_OPEN in settings.py).
"""

from __future__ import annotations

import hashlib
import math

from django.conf import settings
from django.contrib.admin.forms import AdminAuthenticationForm
from django.contrib.auth.forms import AuthenticationForm
from django.contrib.auth.views import LoginView
from django.core.cache import caches
from django.core.exceptions import ValidationError
from django.utils.translation import ngettext
from django_ratelimit import ALL
from django_ratelimit.core import _get_window, _make_cache_key, _split_rate, get_usage

TOO_MANY = "too_many_attempts"


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


class Count:
    """One django-ratelimit counter: failed logins of one subject (a username or an address) in the window."""

    def __init__(self, group: str, value: str, limit: int) -> None:
        self.group, self.value, self.limit = group, value, limit
        self.rate = f"{limit}/{settings.ILLDESK_LOGIN_WINDOW_SECONDS}s"
        self.taken: str | None = None  # the cache key of the count this attempt added one to

    @classmethod
    def username(cls, username: str) -> Count:
        """Hashed (any length, any characters), case folded so that "Admin" and "admin" share one count."""
        return cls("illdesk.login.username", hashlib.sha256(username.casefold().encode()).hexdigest()[:40],
                   settings.ILLDESK_LOGIN_MAX_FAILURES)

    @classmethod
    def address(cls, ip: str) -> Count:
        return cls("illdesk.login.address", ip, settings.ILLDESK_LOGIN_MAX_FAILURES_PER_IP)

    def _key(self) -> str:
        # django-ratelimit has no "reset" (jsocol/django-ratelimit#36, #316): its own key function names
        # the counter it just incremented, so that it can be given back or cleared.
        _limit, period = _split_rate(self.rate)
        return _make_cache_key(self.group, _get_window(self.value, period), self.rate, self.value, ALL)

    def take(self, request) -> dict | None:
        """Add this attempt to the count (atomically); django-ratelimit's usage, None while the cache is down."""
        before = self._key()
        usage = get_usage(request, group=self.group, key=lambda _group, _request: self.value, rate=self.rate,
                          increment=True)
        # the window may have turned in between (then the key is unknown, and the one count stays)
        self.taken = before if usage is not None and self._key() == before else None
        return usage

    def give_back(self) -> None:
        if self.taken is not None:
            try:
                caches[getattr(settings, "RATELIMIT_USE_CACHE", "default")].decr(self.taken)
            except ValueError:  # expired meanwhile, or the cache is down
                pass
            self.taken = None

    def clear(self) -> None:
        caches[getattr(settings, "RATELIMIT_USE_CACHE", "default")].delete(self._key())
        self.taken = None


def refusal(seconds_left: int) -> ValidationError:
    minutes = max(1, math.ceil(seconds_left / 60))
    return ValidationError(
        ngettext("Too many failed login attempts. Please wait %(minutes)d minute and try again.",
                 "Too many failed login attempts. Please wait %(minutes)d minutes and try again.", minutes)
        % {"minutes": minutes}, code=TOO_MANY)


class ThrottledLoginMixin:
    """For AuthenticationForm and its subclasses: count the attempt, refuse past a limit, else check it."""

    def clean(self):
        username = self.cleaned_data.get("username") or ""
        if not (username and self.cleaned_data.get("password")):
            return super().clean()  # no password to check, nothing to count
        ip = client_ip(self.request)
        user_count = Count.username(username)
        counts = [user_count] + ([Count.address(ip)] if ip else [])
        usages = [count.take(self.request) for count in counts]
        over = [usage["time_left"] for usage in usages if usage is not None and usage["should_limit"]]
        if over:
            for count in counts:  # a refusal is no guess
                count.give_back()
            raise refusal(max(over))
        try:
            cleaned = super().clean()
        except ValidationError:
            if self.user_cache is not None:  # the right password, but not allowed here (e.g. not staff)
                for count in counts:
                    count.give_back()
            raise  # else a wrong password: it stays counted
        user_count.clear()
        for count in counts[1:]:
            count.give_back()
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
