"""The machinery of the access matrix: walking every URL pattern, reading the expected-outcome tables,
and probing one URL as one role without changing anything (each probe runs in a rolled-back savepoint).

Outcomes, as written in the tables:
    ok       200
    login    302 to the login page (/login/?next=…)
    alogin   302 to the admin's login page (/admin/login/?next=…)
    →/path/  302 to exactly that path ({placeholders} filled from the world)
    400 401 403 404 405 409   that status
"""

from __future__ import annotations

import copy
import re
from collections.abc import Callable
from dataclasses import dataclass, field
from urllib.parse import urlsplit

from django.contrib import admin
from django.db import transaction
from django.test import Client
from django.urls import URLPattern, URLResolver, get_resolver, resolve

ROLES = ("anonymous", "patron", "operator", "manager", "admin")


@dataclass(frozen=True)
class Pattern:
    route: str  # the whole route, e.g. "borrowing/<int:pk>/tab/<slug:tab>/"
    callback: Callable  # the view itself: two patterns may share a route (the first one wins)
    view: str = field(default="", compare=False)  # its dotted path, for messages

    def __str__(self) -> str:
        return f"/{self.route}  ({self.view})"


def all_patterns() -> list[Pattern]:
    """Every URL pattern of the project, in resolution order (nested includes walked)."""
    found: list[Pattern] = []

    def walk(resolver: URLResolver, prefix: str) -> None:
        for entry in resolver.url_patterns:
            route = prefix + str(entry.pattern).removeprefix("^")  # joined as ResolverMatch.route joins them
            if isinstance(entry, URLResolver):
                walk(entry, route)
            elif isinstance(entry, URLPattern):
                found.append(Pattern(route, entry.callback, entry.lookup_str))

    walk(get_resolver(), "")
    return found


def pattern_of(path: str) -> Pattern:
    match = resolve(urlsplit(path).path)
    return Pattern(match.route, match.func, match._func_path)


def parse(table: str) -> dict[str, dict[str, str]]:
    """A whitespace table (header row: url and the five roles) → {url: {role: outcome}}."""
    rows: dict[str, dict[str, str]] = {}
    lines = [line for line in table.strip().splitlines() if line.strip() and not line.lstrip().startswith("#")]
    header = lines[0].split()
    assert header == ["url", *ROLES], header
    for line in lines[1:]:
        url, *cells = line.split()
        assert len(cells) == len(ROLES), f"{url}: {len(cells)} outcomes for {len(ROLES)} roles"
        assert url not in rows, f"{url} twice"
        rows[url] = dict(zip(ROLES, cells, strict=True))
    return rows


def outcome(response) -> str:
    code = response.status_code
    if code in (301, 302):
        path = urlsplit(response["Location"]).path
        if path == "/login/":
            return "login"
        if path == "/admin/login/":
            return "alogin"
        return "→" + path
    return "ok" if code == 200 else str(code)


def fill(url: str, ids: dict) -> str:
    return re.sub(r"\{([\w.]+)\}", lambda m: str(ids[m.group(1)]), url)


class Prober:
    """One logged-in session per role; every probe starts from it and is rolled back afterwards."""

    def __init__(self, users: dict[str, object]) -> None:
        self.sessions: dict[str, Client] = {}
        for role in ROLES:
            client = Client()
            if users.get(role) is not None:
                client.force_login(users[role])
            self.sessions[role] = client

    def probe(self, role: str, method: str, url: str, **extra):
        client = Client()
        client.cookies = copy.deepcopy(self.sessions[role].cookies)  # a logout must not end the shared session
        with transaction.atomic():
            response = client.get(url, **extra) if method == "GET" else client.post(url, **extra)
            transaction.set_rollback(True)
        return response


def admin_urls() -> list[tuple[str, str, str]]:
    """(model label, kind, url template) for every admin model page; the object is the model's first row."""
    urls = []
    for model in admin.site._registry:
        label, base = model._meta.label_lower, f"/admin/{model._meta.app_label}/{model._meta.model_name}/"
        urls += [(label, "changelist", base), (label, "add", base + "add/")]
        urls += [(label, kind, f"{base}{{{label}}}/{kind}/") for kind in ("change", "delete", "history")]
        urls.append((label, "object", f"{base}{{{label}}}/"))
    return urls


def admin_object_ids() -> dict[str, int]:
    ids = {}
    for model in admin.site._registry:
        obj = model._default_manager.order_by("pk").first()
        assert obj is not None, f"the world has no {model._meta.label}: add one to tests/security/world.py"
        ids[model._meta.label_lower] = obj.pk
    return ids
