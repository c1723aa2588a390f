"""Deployment: `manage.py check --deploy --fail-level WARNING` is clean with the production settings the
README lists (and not clean without them, so the check really looks); production refuses to start in
debug mode or without a secret key; every response carries the security headers, and with the
production settings HTTPS, HSTS and secure cookies are in force."""

from __future__ import annotations

import os
import secrets
import subprocess
import sys
from pathlib import Path

import pytest
from django.test import Client

BASE_DIR = Path(__file__).resolve().parents[2]


def production_env(tmp_path, **overrides) -> dict[str, str]:
    env = {k: v for k, v in os.environ.items()
           if not k.startswith(("DJANGO_", "ILLDESK_", "DATABASE_", "REDIS_", "EMAIL_"))}
    env.update({
        "ILLDESK_PRODUCTION": "1", "DJANGO_DEBUG": "0", "DJANGO_SECRET_KEY": secrets.token_urlsafe(50),
        "DJANGO_ALLOWED_HOSTS": "ill.example.org", "DJANGO_CSRF_TRUSTED_ORIGINS": "https://ill.example.org",
        "ILLDESK_SECURE_COOKIES": "1", "ILLDESK_SSL_REDIRECT": "1", "ILLDESK_HSTS_SECONDS": "31536000",
        "ILLDESK_BEHIND_PROXY": "1", "DATABASE_URL": f"sqlite:///{tmp_path / 'deploy.sqlite3'}",
    })
    env.update(overrides)
    return {k: v for k, v in env.items() if v is not None}


def check_deploy(env: dict[str, str]) -> subprocess.CompletedProcess:
    return subprocess.run([sys.executable, "manage.py", "check", "--deploy", "--fail-level", "WARNING"],
                          cwd=BASE_DIR, env=env, capture_output=True, text=True, timeout=120, check=False)


def test_check_deploy_is_clean_with_the_production_settings(tmp_path):
    result = check_deploy(production_env(tmp_path))
    assert result.returncode == 0, result.stdout + result.stderr
    assert "System check identified no issues" in result.stdout


@pytest.mark.parametrize(("overrides", "issues"), [
    ({"ILLDESK_SECURE_COOKIES": "0"}, ["security.W012", "security.W016"]),
    ({"ILLDESK_SSL_REDIRECT": "0"}, ["security.W008"]),
    ({"ILLDESK_HSTS_SECONDS": "0"}, ["security.W004"]),
    ({"DJANGO_SECRET_KEY": "too-short-and-too-simple"}, ["security.W009"]),
])
def test_check_deploy_notices_each_missing_setting(tmp_path, overrides, issues):
    result = check_deploy(production_env(tmp_path, **overrides))
    assert result.returncode != 0
    for issue in issues:
        assert issue in result.stderr + result.stdout


@pytest.mark.parametrize(("overrides", "message"), [
    ({"DJANGO_DEBUG": "1"}, "DJANGO_DEBUG must be off in production"),
    ({"DJANGO_SECRET_KEY": None}, "DJANGO_SECRET_KEY must be set in production"),
    ({"DJANGO_SECRET_KEY": ""}, "DJANGO_SECRET_KEY must be set in production"),
])
def test_production_refuses_to_start_unsafely(tmp_path, overrides, message):
    result = check_deploy(production_env(tmp_path, **overrides))
    assert result.returncode != 0
    assert message in result.stderr


# --- headers ------------------------------------------------------------------------------------------

HEADERS = {"X-Content-Type-Options": "nosniff", "X-Frame-Options": "DENY", "Referrer-Policy": "same-origin",
           "Cross-Origin-Opener-Policy": "same-origin"}


@pytest.mark.django_db
def test_every_kind_of_response_carries_the_security_headers(operator, manager, world):
    staff, boss = Client(), Client()
    staff.force_login(operator)
    boss.force_login(manager)
    responses = {
        "login page": Client().get("/login/"),
        "staff page": staff.get(f"/borrowing/{world.ids['borrowing']}/"),
        "htmx fragment": staff.get("/borrowing/", HTTP_HX_REQUEST="true"),
        "redirect": Client().get("/borrowing/"),
        "not found": staff.get("/borrowing/999999/"),
        "forbidden": staff.get("/imports/partners/"),
        "ISO 18626 answer": Client().post("/iso18626", b"<x/>", content_type="application/xml"),
        "API answer": Client().get("/api/lending-requests/1", HTTP_AUTHORIZATION=f"Token {world.api_token}"),
        "PDF": staff.get(f"/letters/request/lending/{world.ids['lending']}/slip/incoming_slip/"),
        "spreadsheet": boss.get("/reports/statistics/all.xlsx"),
        "CSV": boss.get(f"/reports/invoices/{world.ids['invoice']}/invoice.csv"),
    }
    for what, response in responses.items():
        for header, value in HEADERS.items():
            assert response.get(header) == value, f"{what} ({response.status_code}): {header}={response.get(header)}"


@pytest.mark.django_db
def test_with_the_production_settings_https_hsts_and_cookies_are_enforced(settings, operator):
    settings.SECURE_SSL_REDIRECT = True
    settings.SECURE_HSTS_SECONDS = 31536000
    settings.SECURE_HSTS_INCLUDE_SUBDOMAINS = settings.SECURE_HSTS_PRELOAD = True
    settings.SESSION_COOKIE_SECURE = settings.CSRF_COOKIE_SECURE = True
    settings.SECURE_PROXY_SSL_HEADER = ("HTTP_X_FORWARDED_PROTO", "https")
    client = Client()
    plain = client.get("/login/")
    assert plain.status_code == 301 and plain["Location"] == "https://testserver/login/"
    page = client.get("/login/", secure=True)
    assert page["Strict-Transport-Security"] == "max-age=31536000; includeSubDomains; preload"
    csrf = page.cookies["csrftoken"]
    assert csrf["secure"] and csrf["samesite"] == "Lax"
    behind_proxy = client.get("/login/", HTTP_X_FORWARDED_PROTO="https")
    assert behind_proxy.status_code == 200  # the proxy said HTTPS: no redirect loop
    token = behind_proxy.cookies["csrftoken"].value
    logged_in = client.post("/login/", {"username": "operator", "password": "operator",
                                        "csrfmiddlewaretoken": token}, secure=True)
    assert logged_in.status_code == 302
    session = logged_in.cookies["sessionid"]
    assert session["secure"] and session["httponly"] and session["samesite"] == "Lax"
