"""The lending edit lock (seed 002 "Edit", ILLDESK_LOCK_MINUTES) when operators act at the same moment,
over HTTP on the live server. test_edit_lock.py covers one operator after the other; here: two open
Edit at once (exactly one holds the lock, the other is told who), an action or a bulk change of status
submitted while someone opens Edit, and the race to take over a lock that has just expired. There is no
manager override: a manager is told who holds the lock like anyone else.
"""

from __future__ import annotations

import re
from datetime import timedelta
from itertools import count

import pytest
import time_machine
from django.utils import timezone

from lending.models import LendingRequest
from tests.factories import make_lending

from .acts import Act, acting, is_done
from .race import assert_one_story, in_order, is_postgresql, queued_behind, race
from .web import Operator, Page

ROUNDS = 10
WILL_SUPPLY = Act("will_supply", "will_supply", {"note": ""}, dialog=False)
NAMES = {"operator": "Olli Operator", "operator2": "Otto Other", "manager": "Maija Manager"}

postgresql_only = pytest.mark.skipif(not is_postgresql(), reason="SQLite serialises writers, so two requests "
                                                                  "never overlap; run with DATABASE_URL=postgres://…")


_serial = count(1)


def _request(library, partner) -> LendingRequest:
    return make_lending(library, "created", partner, borrower_request_id=f"BRW-LOCK-{next(_serial)}")


def open_edit(op: Operator, req):
    """Click Edit on the request page (the page was open before)."""
    def actor(go):
        assert "edit" in op.get(f"/lending/{req.pk}/").actions
        go()
        return op.get(f"/lending/{req.pk}/dialog/edit/")
    return actor


def has_edit_form(page: Page) -> bool:
    return page.status == 200 and 'name="title"' in page.text


def told_who_edits(page: Page, holder: str) -> bool:
    """Refused, naming the operator who holds the lock and until when."""
    return page.status == 409 and re.match(rf"{holder} is editing this request until \d\d:\d\d[.;]", page.refusal)


def _one_holder(req, pages: list[Page], ops: list[Operator]) -> int:
    holders = [i for i, page in enumerate(pages) if has_edit_form(page)]
    assert len(holders) == 1, [(p.status, p.refusal) for p in pages]
    winner = holders[0]
    current = LendingRequest.objects.select_related("locked_by").get(pk=req.pk)
    assert current.locked_by.username == ops[winner].username and current.lock_is_held
    for i, page in enumerate(pages):
        if i != winner:
            assert told_who_edits(page, NAMES[ops[winner].username]), (page.status, page.refusal)
            seen = ops[i].get(f"/lending/{req.pk}/")
            assert seen.actions == [] and "you can only view this request now" in seen.text
    return winner


def test_two_operators_open_edit_one_after_the_other(olli, otto, library, iso_partner):
    for order in ((0, 1), (1, 0)):
        req = _request(library, iso_partner)
        pages = in_order(open_edit(olli, req), open_edit(otto, req), order=order)
        assert _one_holder(req, pages, [olli, otto]) == order[0]


@postgresql_only
def test_two_operators_open_edit_at_once_and_one_holds_the_lock(olli, otto, library, iso_partner):
    for _round in range(ROUNDS):
        req = _request(library, iso_partner)
        _one_holder(req, race(open_edit(olli, req), open_edit(otto, req)), [olli, otto])


def _edit_versus_action(olli, req, pages) -> None:
    """Olli opened Edit while the manager confirmed Will supply: either the action came first (and Olli
    then edits the request as it is now) or the manager is told Olli is editing; never both or neither."""
    edit, action = pages
    assert has_edit_form(edit), (edit.status, edit.refusal)
    done = is_done(action, "lending", req.pk)
    assert done or told_who_edits(action, "Olli Operator"), (action.status, action.refusal)
    current = assert_one_story(req, start="created", applied=int(done))
    assert current.status == ("will_supply" if done else "created")
    assert current.locked_by.username == olli.username


def test_an_action_and_opening_edit_one_after_the_other(olli, maija, library, iso_partner):
    for order, manager_first in (((0, 1), False), ((1, 0), True)):
        req = _request(library, iso_partner)
        pages = in_order(open_edit(olli, req), acting(maija, "lending", req, WILL_SUPPLY), order=order)
        _edit_versus_action(olli, req, pages)
        assert is_done(pages[1], "lending", req.pk) == manager_first


@postgresql_only
def test_an_action_while_someone_opens_edit(olli, maija, library, iso_partner):
    for _round in range(ROUNDS):
        req = _request(library, iso_partner)
        pages = race(open_edit(olli, req), acting(maija, "lending", req, WILL_SUPPLY))
        _edit_versus_action(olli, req, pages)


@postgresql_only
def test_an_action_waiting_for_the_row_sees_the_edit_lock_taken_meanwhile(olli, maija, library, iso_partner):
    """Deterministic: Olli's Edit and then the manager's Will supply queue behind the row (held by the
    test); Olli's lock is taken first. The action's transition must read the row under its lock and
    refuse — with an unlocked read it would see no edit lock and change the status under Olli's hands."""
    req = _request(library, iso_partner)
    pages = queued_behind(req, open_edit(olli, req), acting(maija, "lending", req, WILL_SUPPLY))
    _edit_versus_action(olli, req, pages)
    assert not is_done(pages[1], "lending", req.pk)


def _expired_lock(olli, library, partner, settings) -> LendingRequest:
    settings.ILLDESK_LOCK_MINUTES = 1
    req = _request(library, partner)
    assert has_edit_form(olli.get(f"/lending/{req.pk}/dialog/edit/"))
    return req


def test_an_expired_lock_is_taken_over_by_one_operator(olli, otto, library, iso_partner, settings):
    for order in ((0, 1), (1, 0)):
        req = _expired_lock(olli, library, iso_partner, settings)
        with time_machine.travel(timezone.now() + timedelta(minutes=2)):
            pages = in_order(open_edit(olli, req), open_edit(otto, req), order=order)
            assert _one_holder(req, pages, [olli, otto]) == order[0]


@postgresql_only
def test_an_expired_lock_is_taken_over_by_one_operator_at_once(olli, otto, library, iso_partner, settings):
    for _round in range(ROUNDS):
        req = _expired_lock(olli, library, iso_partner, settings)
        with time_machine.travel(timezone.now() + timedelta(minutes=2)):
            _one_holder(req, race(open_edit(olli, req), open_edit(otto, req)), [olli, otto])


def bulk_change_status(op: Operator, req, status: str):
    """The lending task list's bulk bar: tick the row, choose a status, Change status."""
    def actor(go):
        listed = op.get("/lending/?tab=unassigned")
        assert f'id="sel-{req.pk}"' in listed.text
        go()
        return op.post("/lending/bulk/", {"ids": req.pk, "op": "change_status", "status": status})
    return actor


def _edit_versus_bulk(req, pages) -> bool:
    """The bulk bar is a way to act too: while Olli edits, the request is skipped, saying who edits it.
    Returns whether the bulk change was done (it came first)."""
    edit, listed = pages
    assert has_edit_form(edit), (edit.status, edit.refusal)
    assert listed.status == 200
    done = any(level == "success" for level, _text in listed.messages)
    skipped = [text for level, text in listed.messages if level == "warning"]
    if done:  # the bulk change came first
        assert not skipped
    else:
        assert len(skipped) == 1 and re.match(rf"Request {req.pk} not changed: Olli Operator is editing this "
                                              r"request until \d\d:\d\d", skipped[0]), listed.messages
    current = assert_one_story(req, start="created", applied=int(done))
    assert current.status == ("will_supply" if done else "created")
    return done


def test_a_bulk_change_and_opening_edit_one_after_the_other(olli, otto, library, iso_partner):
    for order in ((0, 1), (1, 0)):
        req = _request(library, iso_partner)
        pages = in_order(open_edit(olli, req), bulk_change_status(otto, req, "will_supply"), order=order)
        assert _edit_versus_bulk(req, pages) == (order == (1, 0))


@postgresql_only
def test_a_bulk_change_while_someone_opens_edit(olli, otto, library, iso_partner):
    for _round in range(ROUNDS):
        req = _request(library, iso_partner)
        _edit_versus_bulk(req, race(open_edit(olli, req), bulk_change_status(otto, req, "will_supply")))
