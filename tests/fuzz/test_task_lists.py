"""Both task lists and the request pages under hostile query strings
(`?status=<garbage>&page=-1&sort=xx&q=…`, repeated keys, NUL, non-UTF-8 bytes), and every form the
task list shows (search, bulk actions, add to batch) under hostile input: never a 500."""

from __future__ import annotations

import pytest

from borrowing.views import SIDE as BORROWING
from lending.views import SIDE as LENDING

from .webforms import Form, Fuzzer
from .world import build

pytestmark = pytest.mark.django_db

SIDES = {"borrowing": BORROWING, "lending": LENDING}


@pytest.fixture
def world(library, pickup, level, patron, iso_partner, email_partner, operator):
    return build(library=library, pickup=pickup, level=level, patron=patron, iso_partner=iso_partner,
                 email_partner=email_partner, operator=operator)


def list_parameters(side) -> Form:
    """Every parameter the list reads, with the values it knows (the fuzzer mixes in garbage)."""
    config = side.config
    choices = {f.key: [str(v) for v, _label in (f.choices or [])] + ["none", "yes", "no", "today", "older", "1"]
               for f in config.facets}
    choices.update(activity=["active", "completed", "all"], preset=[p.key for p in config.presets],
                   qf=[f.key for f in config.search_fields], tab=["mine", "unassigned", "others"],
                   sort=[*config.sorts, *(f"-{k}" for k in config.sorts)], page=["1", "2", "-1", "last", "0"])
    return Form(action=f"/{side.name}/", method="get", fields=tuple(choices) + ("q",),
                choices=tuple((k, tuple(v)) for k, v in choices.items()))


@pytest.mark.parametrize("name", ["borrowing", "lending"])
def test_the_task_list_and_request_pages_survive_hostile_queries(name, world, manager, client,
                                                                 django_capture_on_commit_callbacks):
    side = SIDES[name]
    client.force_login(manager)
    fuzzer = Fuzzer(client, django_capture_on_commit_callbacks, examples=30)
    fuzzer.fuzz(list_parameters(side))
    fuzzer.examples = 6
    for htmx in (False, True):
        # rows to select: their checkboxes are the bulk forms' "ids" (lending lists only the chosen tab)
        fuzzer.fuzz_forms(fuzzer.page(f"/{name}/?activity=all&q=e&tab=unassigned", htmx=htmx))
    req = (world.borrowing if name == "borrowing" else world.lending)[0]
    # Of the request page's tabs only History reads the query string (?mode=full|brief).
    fuzzer.fuzz(Form(action=f"/{name}/{req.pk}/tab/history/", method="get", fields=("mode", "page"),
                     choices=(("mode", ("full", "brief")),)))
    fuzzer.fuzz(Form(action=f"/{name}/{req.pk}/", method="get", fields=("tab", "mode", "page")))
    fuzzer.assert_clean()
