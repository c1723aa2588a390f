"""Refusals a newcomer meets (a page for another role, a mistyped address) come in the site's frame: the
navigation, the reason in a sentence, a way back; the log gets one line, not a traceback."""

import logging

import pytest
from django.test import override_settings
from django.urls import reverse


def _main(response) -> str:
    return response.content.decode()


def test_a_page_for_managers_tells_an_operator_why_in_the_site_frame(client, operator):
    client.force_login(operator)
    response = client.get(reverse("reports:statistics"), HTTP_REFERER="http://testserver/borrowing/")
    assert response.status_code == 403
    html = _main(response)
    assert "Statistics and fees are for resource-sharing managers." in html
    assert 'class="topbar"' in html and reverse("borrowing:list") in html  # the navigation
    assert f'href="{reverse("home")}"' in html and 'href="http://testserver/borrowing/"' in html
    assert "Forbidden</h1>" not in html


def test_a_foreign_referer_is_not_offered_as_the_way_back(client, operator):
    client.force_login(operator)
    response = client.get(reverse("reports:statistics"), HTTP_REFERER="https://evil.example/x")
    assert "evil.example" not in _main(response)


@override_settings(DEBUG=False)
def test_an_unknown_address_is_a_styled_404(client, operator):
    client.force_login(operator)
    response = client.get("/borrowing/no-such-page/")
    assert response.status_code == 404
    html = _main(response)
    assert "There is nothing here" in html and "/borrowing/no-such-page/" in html
    assert 'class="topbar"' in html and f'href="{reverse("home")}"' in html


@override_settings(DEBUG=False)
def test_a_visitor_who_is_not_logged_in_is_offered_the_login(client, db):
    response = client.get("/no-such-page/")
    assert response.status_code == 404
    assert f'href="{reverse("login")}?next=/no-such-page/"' in _main(response)


def test_the_500_page_renders_without_a_request_context():
    from django.template.loader import render_to_string

    html = render_to_string("500.html")
    assert "Something went wrong on our side" in html and "favicon.svg" in html


def test_the_favicon_is_served(client, db):
    response = client.get("/favicon.ico")
    assert response.status_code == 301 and response["Location"].endswith("favicon.svg")
    page = client.get(reverse("login"))
    assert "favicon.svg" in page.content.decode()


@pytest.mark.parametrize("status", [403, 404])
def test_a_refused_request_is_logged_as_one_line(client, operator, status, caplog):
    client.force_login(operator)
    url = reverse("reports:statistics") if status == 403 else "/borrowing/999999999/"
    with caplog.at_level(logging.WARNING, logger="django.request"):
        assert client.get(url).status_code == status
    records = [r for r in caplog.records if r.name == "django.request"]
    assert records and all(r.exc_info is None and r.exc_text is None for r in records)
    if status == 403:
        assert "Statistics and fees are for resource-sharing managers." in records[0].getMessage()


def test_a_server_error_keeps_its_traceback():
    from illdesk.logfilters import OneLineClientErrors

    try:
        raise RuntimeError("boom")
    except RuntimeError:
        import sys

        record = logging.LogRecord("django.request", logging.ERROR, __file__, 1, "Internal Server Error: %s",
                                   ("/x",), sys.exc_info())
    record.status_code = 500
    assert OneLineClientErrors().filter(record) and record.exc_info is not None
