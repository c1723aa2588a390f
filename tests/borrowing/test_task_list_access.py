"""Who may open the borrowing task list and request pages."""

import pytest
from django.urls import reverse

from borrowing.models import BorrowingRequest


@pytest.fixture
def req(library):
    return BorrowingRequest.objects.create(owner=library, title="Access test")


@pytest.mark.parametrize("url_name", ["borrowing:list", "lending:list"])
def test_anonymous_users_are_sent_to_login(client, db, url_name):
    response = client.get(reverse(url_name))
    assert response.status_code == 302
    assert response.url.startswith(reverse("login"))


@pytest.mark.parametrize("who", ["outsider", "patron_user", "admin_user"])
def test_non_staff_roles_are_refused(client, request, who, req):
    client.force_login(request.getfixturevalue(who))
    assert client.get(reverse("borrowing:list")).status_code == 403
    assert client.get(reverse("borrowing:detail", args=[req.pk])).status_code == 403


@pytest.mark.parametrize("who", ["operator", "manager"])
def test_operators_and_managers_work_the_lists(client, request, who, req):
    client.force_login(request.getfixturevalue(who))
    assert client.get(reverse("borrowing:list")).status_code == 200
    assert client.get(reverse("lending:list")).status_code == 200
    assert client.get(reverse("borrowing:detail", args=[req.pk])).status_code == 200
