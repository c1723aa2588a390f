"""Login throttling: after N failed logins for a username (or M from one address) within the window,
further attempts are refused with a clear message until the window ends — staff login, OPAC login and the
admin login alike; a success clears the username's count. Run on locmem and on the real Redis cache.
(Simultaneous guesses: test_login_throttle_parallel.py.)"""

from __future__ import annotations

import math
import re

import pytest
import time_machine
from django.test import Client, RequestFactory
from django_ratelimit.core import get_usage

from illdesk.ratelimit import Count

pytestmark = pytest.mark.django_db

REFUSED = "Too many failed login attempts"
WRONG = "Please enter a correct username and password"


@pytest.fixture(autouse=True)
def _limits(settings, cache_backend):
    settings.ILLDESK_LOGIN_MAX_FAILURES = 3
    settings.ILLDESK_LOGIN_MAX_FAILURES_PER_IP = 6
    settings.ILLDESK_LOGIN_WINDOW_SECONDS = 600
    settings.ILLDESK_BEHIND_PROXY = False


def login(username: str, password: str, *, url: str = "/login/", ip: str = "10.0.0.1", **headers):
    client = Client(REMOTE_ADDR=ip, **headers)
    response = client.post(url, {"username": username, "password": password})
    return response, client


def logged_in(client: Client) -> bool:
    return "_auth_user_id" in client.session


def seconds_left(username: str) -> int:
    """Until the window of this username's count ends (django-ratelimit's fixed windows), read without counting."""
    count = Count.username(username)
    usage = get_usage(RequestFactory().post("/login/"), group=count.group, key=lambda _g, _r: count.value,
                      rate=count.rate)
    return usage["time_left"]


def fail(username: str, times: int, **kwargs) -> None:
    for _ in range(times):
        response, _client = login(username, "not-the-password", **kwargs)
        assert response.status_code == 200 and WRONG in response.content.decode()


def test_it_refuses_a_username_after_n_failures_even_with_the_right_password(operator, manager):
    fail("operator", 3)
    response, client = login("operator", "operator")
    assert response.status_code == 429
    page = response.content.decode()
    minutes = int(re.search(r"Please wait (\d+) minutes? and try again\.", page).group(1))
    assert REFUSED in page and minutes == max(1, math.ceil(seconds_left("operator") / 60)) and 1 <= minutes <= 10
    assert not logged_in(client)
    # another user at the same desk is not affected
    response, client = login("manager", "manager")
    assert response.status_code == 302 and logged_in(client)


def test_case_and_unknown_usernames_count_too(operator):
    fail("Operator", 2)
    fail("OPERATOR", 1)
    response, _client = login("operator", "operator")
    assert response.status_code == 429
    fail("nobody-by-this-name", 3)  # no way to tell existing usernames from others
    response, _client = login("nobody-by-this-name", "x")
    assert response.status_code == 429 and REFUSED in response.content.decode()


def test_a_success_clears_the_count(operator):
    fail("operator", 2)
    response, client = login("operator", "operator")
    assert response.status_code == 302 and logged_in(client)
    fail("operator", 2)
    response, client = login("operator", "operator")
    assert response.status_code == 302 and logged_in(client)


def test_the_refusal_ends_with_the_window(operator):
    # django-ratelimit's window numbers come from this process's clock (Redis only expires old counts), so
    # the clock can be moved on both backends
    with time_machine.travel(1_900_000_000, tick=False) as clock:
        fail("operator", 3)
        assert login("operator", "operator")[0].status_code == 429
        left = seconds_left("operator")
        assert 0 < left <= 600
        clock.shift(left - 1)
        assert login("operator", "operator")[0].status_code == 429
        clock.shift(2)
        response, client = login("operator", "operator")
        assert response.status_code == 302 and logged_in(client)


def test_failures_outside_the_window_do_not_add_up(operator):
    with time_machine.travel(1_900_000_000, tick=False) as clock:
        fail("operator", 2)
        clock.shift(601)
        fail("operator", 2)
        response, client = login("operator", "operator")
        assert response.status_code == 302 and logged_in(client)


def test_refused_attempts_do_not_use_up_the_address_count(operator, manager):
    """A refusal checks no password: a locked-out colleague retrying must not lock the whole desk out."""
    fail("operator", 3, ip="10.0.0.9")
    for _ in range(10):
        assert login("operator", "operator", ip="10.0.0.9")[0].status_code == 429
    fail("a1", 2, ip="10.0.0.9")  # 5 failures from the address so far, under its 6
    response, client = login("manager", "manager", ip="10.0.0.9")
    assert response.status_code == 302 and logged_in(client)


def test_every_attempt_is_counted_before_its_password_is_checked(operator, monkeypatch):
    """What makes simultaneous guesses count: when the password is checked, this attempt is in the count."""
    from django.contrib.auth.backends import ModelBackend

    seen = []
    original = ModelBackend.authenticate

    def checking(self, request, username=None, password=None, **kwargs):
        seen.append(get_usage(request, group=Count.username(username).group,
                              key=lambda _g, _r: Count.username(username).value,
                              rate=Count.username(username).rate)["count"])
        return original(self, request, username=username, password=password, **kwargs)

    monkeypatch.setattr(ModelBackend, "authenticate", checking)
    fail("operator", 3)
    assert seen == [1, 2, 3]


def test_one_address_trying_many_usernames_is_refused(operator, manager):
    for name in ("a1", "a2", "a3", "a4", "a5", "a6"):
        fail(name, 1, ip="10.0.0.9")
    response, client = login("operator", "operator", ip="10.0.0.9")
    assert response.status_code == 429 and REFUSED in response.content.decode() and not logged_in(client)
    response, client = login("manager", "manager", ip="10.0.0.10")
    assert response.status_code == 302 and logged_in(client)


def test_a_success_does_not_clear_the_address_count(operator):
    """Else a guesser with one real account could log in between guesses and never be stopped."""
    for name in ("a1", "a2", "a3"):
        fail(name, 1, ip="10.0.0.9")
    assert login("operator", "operator", ip="10.0.0.9")[0].status_code == 302
    for name in ("a4", "a5", "a6"):
        fail(name, 1, ip="10.0.0.9")
    assert login("operator", "operator", ip="10.0.0.9")[0].status_code == 429


def test_behind_the_proxy_the_address_is_the_one_the_proxy_appended(settings, operator):
    settings.ILLDESK_BEHIND_PROXY = True
    for n, name in enumerate(("a1", "a2", "a3", "a4", "a5", "a6")):
        # whatever the client puts first in X-Forwarded-For, the proxy's own entry (last) counts
        fail(name, 1, ip="192.168.1.1", HTTP_X_FORWARDED_FOR=f"203.0.113.{n}, 198.51.100.7")
    response, _client = login("operator", "operator", ip="192.168.1.1", HTTP_X_FORWARDED_FOR="198.51.100.7")
    assert response.status_code == 429
    # another browser behind the same proxy still gets in
    response, client = login("operator", "operator", ip="192.168.1.1", HTTP_X_FORWARDED_FOR="198.51.100.8")
    assert response.status_code == 302 and logged_in(client)


def test_the_opac_login_is_throttled_alike(patron):
    next_url = "/opac/requests/"
    fail("patron", 3, url=f"/login/?next={next_url}")
    response, client = login("patron", "patron", url=f"/login/?next={next_url}")
    assert response.status_code == 429 and REFUSED in response.content.decode() and not logged_in(client)


def test_the_opac_login_lands_on_my_requests(patron):
    response, client = login("patron", "patron", url="/login/?next=/opac/requests/")
    assert response.status_code == 302 and response["Location"] == "/opac/requests/"
    assert client.get("/opac/requests/").status_code == 200


def test_the_admin_login_is_throttled_alike(admin_user):
    fail_admin = [login("admin", "wrong", url="/admin/login/")[0] for _ in range(3)]
    assert all(r.status_code == 200 and "Please enter the correct username and password" in r.content.decode()
               for r in fail_admin)
    response, client = login("admin", "admin", url="/admin/login/")
    assert REFUSED in response.content.decode() and not logged_in(client)


def test_the_admin_login_and_the_staff_login_share_the_count(admin_user):
    login("admin", "wrong", url="/admin/login/")
    fail("admin", 2)
    response, client = login("admin", "admin")
    assert response.status_code == 429 and not logged_in(client)


def test_a_right_password_for_a_non_staff_account_at_the_admin_is_not_a_failure(operator):
    """The admin says "staff account" for a real user who is not staff: that is no guess to count."""
    for _ in range(4):
        response, _client = login("operator", "operator", url="/admin/login/")
        assert "for a staff account" in response.content.decode()
    response, client = login("operator", "operator")
    assert response.status_code == 302 and logged_in(client)

