"""Role × action × path: one rule decides who may bring a closed request back (SPEC §8: a manager's action),
and every path that could do it asks that rule — the request page's Reactivate, a bulk status change, and
the admin (where status is read-only). The probe reactivated requests as an operator through bulk."""

import pytest
from django.contrib.auth.models import User
from django.urls import reverse

from borrowing.models import BorrowingRequest
from lending.models import LendingRequest
from tests.factories import make_borrowing, make_lending

pytestmark = pytest.mark.django_db

SIDES = {"borrowing": (make_borrowing, BorrowingRequest), "lending": (make_lending, LendingRequest)}


def single(client, side, req):
    return client.post(reverse(f"{side}:perform", args=[req.pk, "reactivate"]))


def bulk(client, side, req):
    return client.post(reverse(f"{side}:bulk"), {"ids": [req.pk], "op": "change_status", "status": "overdue"})


def admin_form(client, side, req):
    url = reverse(f"admin:{side}_{side}request_change", args=[req.pk])
    response = client.get(url)
    if response.status_code != 200:
        return response
    form = response.context["adminform"].form
    data = {k: ("" if v is None else v) for k, v in form.initial.items() if not isinstance(v, list | tuple)}
    data = {k: v for k, v in data.items() if not isinstance(v, bool) or v}
    data["status"] = "overdue"
    return client.post(url, data)


PATHS = {"single": single, "bulk": bulk, "admin": admin_form}
#: (role, path) -> whether the closed request is open again afterwards
MAY = {
    ("operator", "single"): False, ("operator", "bulk"): False, ("operator", "admin"): False,
    ("manager", "single"): True, ("manager", "bulk"): True, ("manager", "admin"): False,  # admin: read-only
}


@pytest.fixture
def people(operator, manager):
    root = User.objects.create_superuser("root", "root@example.org", "root")
    return {"operator": operator, "manager": manager, "root": root}


@pytest.mark.parametrize("side", sorted(SIDES))
@pytest.mark.parametrize(("role", "path"), sorted(MAY))
def test_only_who_may_reactivate_brings_a_closed_request_back(client, people, library, iso_partner, side, role,
                                                              path):
    make, model = SIDES[side]
    req = make(library, "completed", partner=iso_partner)
    if path == "admin" and role == "manager":
        role_user = people["root"]  # the admin is for administrators; even they cannot set a status there
    else:
        role_user = people[role]
    client.force_login(role_user)
    PATHS[path](client, side, req)
    after = model.objects.get(pk=req.pk)
    assert after.is_active is MAY[(role, path)], (side, role, path, after.status)
    if not MAY[(role, path)]:
        assert after.status == "completed"
