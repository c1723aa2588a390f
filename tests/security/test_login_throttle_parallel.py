"""Login throttling under parallel load (issue 17 item 6): an outside probe sent 16 simultaneous wrong-password
guesses for one username and got more password checks than the limit of 5, because the old hand-written
throttle checked first and counted after. The counts are now taken (atomically) before the password is
checked, so simultaneous guesses cannot all slip past.

These tests send real parallel HTTP to the live server (in this process, one thread per request) and count
the password checks the authentication backend performed. The password hasher is the production one, so a
check takes as long as it does in production (that is the window the old code left open)."""

from __future__ import annotations

import http.client
import re
import threading
import urllib.parse
from http.cookies import SimpleCookie

import pytest
from django.contrib.auth.backends import ModelBackend
from django.contrib.auth.hashers import make_password

pytestmark = pytest.mark.django_db(transaction=True)

PROBES = 16
LIMIT = 5
REFUSED = "Too many failed login attempts"
WRONG = "Please enter a correct username and password"
ADMIN_WRONG = "Please enter the correct username and password"


@pytest.fixture(autouse=True)
def _limits(settings, cache_backend):
    settings.ILLDESK_LOGIN_MAX_FAILURES = LIMIT
    settings.ILLDESK_LOGIN_MAX_FAILURES_PER_IP = 100
    settings.ILLDESK_LOGIN_WINDOW_SECONDS = 900
    settings.ILLDESK_BEHIND_PROXY = False


@pytest.fixture
def production_hasher(settings):
    """Django's default hashers (tests elsewhere use MD5 for speed): a check costs what it costs in production."""
    from django.conf import global_settings

    settings.PASSWORD_HASHERS = global_settings.PASSWORD_HASHERS


@pytest.fixture
def password_checks(monkeypatch) -> list[str]:
    """The usernames the authentication backend was asked to check a password for (thread-safe)."""
    checks: list[str] = []
    lock = threading.Lock()
    original = ModelBackend.authenticate

    def counting(self, request, username=None, password=None, **kwargs):
        with lock:
            checks.append(username)
        return original(self, request, username=username, password=password, **kwargs)

    monkeypatch.setattr(ModelBackend, "authenticate", counting)
    return checks


class Browser:
    """One browser: its own connection (kept alive, so the guesses need no new handshake) and cookie jar."""

    def __init__(self, base_url: str) -> None:
        parts = urllib.parse.urlsplit(base_url)
        self.connection = http.client.HTTPConnection(parts.hostname, parts.port, timeout=60)
        self.cookies: SimpleCookie = SimpleCookie()
        self.token = ""

    def _send(self, method: str, path: str, body: str | None = None) -> tuple[int, str]:
        headers = {"Cookie": "; ".join(f"{name}={morsel.value}" for name, morsel in self.cookies.items())}
        if body is not None:
            headers["Content-Type"] = "application/x-www-form-urlencoded"
        self.connection.request(method, path, body=body, headers=headers)
        response = self.connection.getresponse()
        page = response.read().decode()
        for cookie in response.headers.get_all("Set-Cookie") or []:
            self.cookies.load(cookie)
        return response.status, page

    def open(self, path: str) -> None:
        status, page = self._send("GET", path)
        assert status == 200, page[:500]
        self.token = re.search(r'name="csrfmiddlewaretoken" value="([^"]+)"', page).group(1)

    def log_in(self, path: str, username: str, password: str) -> tuple[int, str]:
        body = urllib.parse.urlencode({"csrfmiddlewaretoken": self.token, "username": username,
                                       "password": password})
        return self._send("POST", path, body)

    def close(self) -> None:
        self.connection.close()


def guess_at_once(base_url: str, path: str, usernames: list[str]) -> list[tuple[int, str]]:
    """One browser per username opens the login page, then all post a wrong password at the same moment."""
    browsers = [Browser(base_url) for _ in usernames]
    for browser in browsers:
        browser.open(path)
    start = threading.Barrier(len(usernames))
    answers: list[tuple[int, str] | BaseException | None] = [None] * len(usernames)

    def guess(n: int) -> None:
        try:
            start.wait(timeout=30)
            answers[n] = browsers[n].log_in(path, usernames[n], "not-the-password")
        except BaseException as exc:  # reported below, not lost in the thread
            answers[n] = exc

    threads = [threading.Thread(target=guess, args=(n,)) for n in range(len(usernames))]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(timeout=120)
    for browser in browsers:
        browser.close()
    for answer in answers:
        if not isinstance(answer, tuple):
            raise AssertionError(f"a guess got no answer: {answer!r}")
    return answers  # type: ignore[return-value]


def test_sixteen_simultaneous_guesses_for_one_username_get_at_most_the_limit_of_password_checks(
        live_server, operator, manager, production_hasher, password_checks):
    for user in (operator, manager):  # hashed anew with the production hasher
        user.password = make_password(user.username)
        user.save(update_fields=["password"])
    answers = guess_at_once(live_server.url, "/login/", ["operator"] * PROBES)

    assert len(password_checks) <= LIMIT, f"{len(password_checks)} password checks past a limit of {LIMIT}"
    wrong = [status for status, page in answers if status == 200 and WRONG in page]
    refused = [status for status, page in answers if status == 429 and REFUSED in page]
    assert len(wrong) == len(password_checks) and len(wrong) + len(refused) == PROBES, answers

    # the username stays refused, even with the right password ...
    browser = Browser(live_server.url)
    browser.open("/login/")
    status, page = browser.log_in("/login/", "operator", "operator")
    assert status == 429 and REFUSED in page
    # ... while another user at the same address still gets in
    browser = Browser(live_server.url)
    browser.open("/login/")
    status, _page = browser.log_in("/login/", "manager", "manager")
    assert status == 302
    assert "sessionid" in browser.cookies


def test_simultaneous_guesses_from_one_address_for_many_usernames_are_held_to_the_address_limit(
        live_server, settings, production_hasher, password_checks):
    settings.ILLDESK_LOGIN_MAX_FAILURES = 100
    settings.ILLDESK_LOGIN_MAX_FAILURES_PER_IP = LIMIT
    answers = guess_at_once(live_server.url, "/login/", [f"guess{n}" for n in range(PROBES)])

    assert len(password_checks) <= LIMIT, f"{len(password_checks)} password checks past a limit of {LIMIT}"
    assert sum(status == 429 and REFUSED in page for status, page in answers) >= PROBES - LIMIT


def test_simultaneous_guesses_at_the_admin_login_are_held_to_the_limit(
        live_server, admin_user, production_hasher, password_checks):
    admin_user.password = make_password("admin")
    admin_user.save(update_fields=["password"])
    answers = guess_at_once(live_server.url, "/admin/login/", ["admin"] * PROBES)

    assert len(password_checks) <= LIMIT, f"{len(password_checks)} password checks past a limit of {LIMIT}"
    assert all((ADMIN_WRONG in page) or (REFUSED in page) for _status, page in answers)
    assert sum(REFUSED in page for _status, page in answers) >= PROBES - LIMIT
