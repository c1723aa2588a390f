"""CSRF: a POST without the token, to every URL that takes POSTs, as a role that may use it, is refused
(403) and changes nothing; every POST form on every page carries the token, and pages that POST by
htmx send it in their X-CSRFToken header. Exempt by design: /iso18626 (partners' servers post XML,
authenticated by agency id and shared secret) and the lending API (token header, no cookies)."""

from __future__ import annotations

import hashlib
import logging

import pytest
from django.apps import apps
from django.contrib import admin
from django.test import Client

from . import html, matrix
from .matrix import admin_object_ids, admin_urls
from .test_access_matrix import POST

pytestmark = pytest.mark.django_db

EXEMPT = {"/iso18626", "/iso18626/", "/api/lending-requests", "/api/lending-requests/{lending}"}
REFUSED = {"login", "alogin", "401", "403", "404", "405"}
USERS = ("anonymous", "patron", "operator", "manager", "admin")


@pytest.fixture(autouse=True)
def _quiet_refusals():
    logger = logging.getLogger("django.security.csrf")
    level = logger.level
    logger.setLevel(logging.ERROR)
    yield
    logger.setLevel(level)


def users_of(cast) -> dict:
    return {"anonymous": None, "patron": cast.patron.user, "operator": cast.operator, "manager": cast.manager,
            "admin": cast.admin_user}


def fingerprint(models=None) -> dict[str, str]:
    """A digest of every row of every table (or of `models`)."""
    out = {}
    for model in models or apps.get_models():
        rows = repr(list(model._default_manager.order_by("pk").values_list()))
        out[model._meta.label] = hashlib.sha256(rows.encode()).hexdigest()
    return out


def csrf_client(user) -> Client:
    client = Client(enforce_csrf_checks=True)
    if user is not None:
        client.force_login(user)
    return client


def post_without_token(client: Client, url: str):
    return client.post(url, {"note": "x", "op": "remove", "ids": ["1"], "code": "x"})


def test_every_post_url_refuses_a_post_without_the_token(world, cast):
    users = users_of(cast)
    checked, wrong = [], []
    for url, outcomes in POST.items():
        if url in EXEMPT:
            continue
        role = next((r for r in USERS if outcomes[r] not in REFUSED), None)
        if role is None:
            continue  # nobody may post here at all: the matrix already proves everyone is refused
        client = csrf_client(users[role])
        before = fingerprint()
        response = post_without_token(client, matrix.fill(url, world.ids))
        checked.append(url)
        if response.status_code != 403 or b"CSRF" not in response.content:
            wrong.append(f"{url} as {role}: {response.status_code}")
        elif fingerprint() != before:
            changed = [k for k, v in fingerprint().items() if before[k] != v]
            wrong.append(f"{url} as {role}: changed {changed}")
    assert len(checked) > 60
    assert not wrong, "\n".join(wrong)


def test_the_admin_refuses_a_post_without_the_token(world, cast):
    from django.contrib.admin.models import LogEntry

    ids = admin_object_ids()
    client = csrf_client(cast.admin_user)
    wrong = []
    models = {m._meta.label_lower: m for m in admin.site._registry}
    for label, kind, url in admin_urls():
        if kind not in ("changelist", "add", "change", "delete"):
            continue
        before = fingerprint([models[label], LogEntry])
        response = post_without_token(client, matrix.fill(url, ids))
        if response.status_code != 403 or fingerprint([models[label], LogEntry]) != before:
            wrong.append(f"{url}: {response.status_code}")
    assert not wrong, "\n".join(wrong)


def test_the_exempt_urls_are_exactly_the_documented_ones(world, cast):
    """Anything else that answered a token-less POST would show up here (and above)."""
    answered = set()
    clients = {role: csrf_client(user) for role, user in users_of(cast).items()}
    for url, outcomes in POST.items():
        role = next((r for r in USERS if outcomes[r] not in REFUSED), "anonymous")
        response = post_without_token(clients[role], matrix.fill(url, world.ids))
        if response.status_code != 403:
            answered.add(url)
    assert answered == EXEMPT


def test_every_dialog_form_carries_the_token(world, cast):
    """The request pages' row actions open dialogs (a page without JavaScript, a fragment with htmx): every
    dialog offered on the world's requests, in every status they are in, as operator and manager."""
    from borrowing.views import SIDE as BORROWING
    from lending.views import SIDE as LENDING

    requests = [(BORROWING, world[name]) for name in ("borrowing", "opac_own", "opac_loan", "unlinked", "received")]
    requests += [(LENDING, world[name]) for name in ("lending", "lending_copy")]
    missing, forms = [], 0
    for user in (cast.operator, cast.manager):
        client = Client()
        client.force_login(user)
        for side, req in requests:
            for action in side.actions_for(req, user):
                url = f"/{side.name}/{req.pk}/dialog/{action.name}/"
                for headers in ({}, {"HTTP_HX_REQUEST": "true"}):
                    response = client.get(url, **headers)
                    if response.status_code != 200 or "text/html" not in response.get("Content-Type", ""):
                        continue
                    page = html.parse(response.content.decode())
                    forms += len(page.post_forms)
                    missing += [f"{url} {headers}: {p}" for p in html.csrf_problems(response.content.decode())]
    assert forms > 40, forms
    assert not missing, "\n".join(missing)


def test_the_token_check_is_real(world, cast):
    """The same form with its token goes through: the refusals above are about the token, nothing else."""
    client = Client(enforce_csrf_checks=True)
    client.force_login(cast.operator)
    url = f"/borrowing/{world.ids['borrowing']}/do/approve/"
    page = client.get(f"/borrowing/{world.ids['borrowing']}/")
    token = page.context["csrf_token"]
    assert client.post(url, {"note": "x"}).status_code == 403
    response = client.post(url, {"note": "x", "csrfmiddlewaretoken": str(token)})
    assert response.status_code == 302
    world["borrowing"].refresh_from_db()
    assert world["borrowing"].status != "pending_approval"
