"""Every "go back to" parameter (next=…) only ever leads to a page of this site: another host, a
scheme-relative //host, a backslash trick or a javascript: URL falls back to the page's own default."""

from __future__ import annotations

from urllib.parse import urlsplit

import pytest
from django.test import Client

pytestmark = pytest.mark.django_db

HOSTILE = ["https://evil.example/x", "//evil.example/x", "/\\evil.example/x", "\\\\evil.example", "javascript:alert(1)",
           "http:evil.example", " //evil.example", "https:///evil.example"]


def local(location: str) -> bool:
    parts = urlsplit(location)
    return not parts.scheme and not parts.netloc and location.startswith("/") and not location.startswith(("//", "/\\"))


@pytest.fixture
def staff(client, operator):
    client.force_login(operator)
    return client


@pytest.mark.parametrize("target", HOSTILE)
def test_retry_of_a_partner_message_goes_back_home(staff, world, target):
    response = staff.post(f"/iso18626/problems/{world.ids['borrowing_outbound']}/retry/", {"next": target})
    assert response.status_code == 302 and local(response["Location"]), response["Location"]
    assert response["Location"] == "/iso18626/problems/"


def test_retry_of_a_partner_message_still_goes_back_to_the_request(staff, world):
    back = f"/borrowing/{world.ids['borrowing']}/tab/partner_messages/"
    response = staff.post(f"/iso18626/problems/{world.ids['borrowing_outbound']}/retry/", {"next": back})
    assert response["Location"] == back


@pytest.mark.parametrize("target", HOSTILE)
def test_adding_to_a_batch_goes_back_home(staff, world, target):
    response = staff.post("/tools/batches/add-selected/", {"next": target, "ids": [world.ids["borrowing"]],
                                                            "batch": world.ids["batch"]})
    assert response.status_code == 302 and response["Location"] == "/borrowing/", response["Location"]


@pytest.mark.parametrize(("url", "data", "default"), [
    ("/borrowing/bulk/", {"op": "add_tag", "tag": "x"}, "/borrowing/"),
    ("/lending/bulk/", {"op": "remove_alerts"}, "/lending/"),
    ("/lending/bulk/", {"op": "add_tag", "tag": "x"}, "/lending/"),
])
@pytest.mark.parametrize("target", HOSTILE)
def test_bulk_actions_go_back_home(staff, world, url, data, default, target):
    side = url.split("/")[1]
    response = staff.post(url, {**data, "next": target, "ids": [world.ids[side]]})
    assert response.status_code == 302 and response["Location"] == default, response["Location"]


@pytest.mark.parametrize("target", HOSTILE)
def test_the_print_slip_report_links_back_home(staff, world, target):
    page = staff.get("/lending/report/", {"ids": [world.ids["lending"]], "next": target})
    assert page.status_code == 200 and page.context["next"] == "/lending/"


@pytest.mark.parametrize("target", HOSTILE)
def test_login_and_language_go_back_home(operator, target):
    client = Client()
    response = client.post(f"/login/?next={target}", {"username": "operator", "password": "operator"})
    assert response.status_code == 302 and local(response["Location"]), response["Location"]
    response = client.post("/i18n/setlang/", {"language": "fi", "next": target})
    assert response.status_code == 302 and local(response["Location"]), response["Location"]
