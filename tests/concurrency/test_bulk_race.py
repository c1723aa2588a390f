"""A bulk action on the task list races a single action on one of its rows, over HTTP on the live server:
every row gets exactly the history rows of what was applied to it, the bulk report names each row done
or skipped (with the reason), and the single action is done or refused with a clear message.

On PostgreSQL both submits are released together, ROUNDS times; the deterministic orders (every actor
has the page open, then they submit one after the other) run on SQLite as well.
"""

from __future__ import annotations

import re

import pytest

from tests.factories import make_borrowing

from .acts import Act, acting, is_done, told_why_not
from .race import assert_one_story, in_order, is_postgresql, race
from .web import Operator, Page

ROUNDS = 10
SEND = Act("send", "sent", {"note": ""})
REACTIVATE = Act("reactivate", "reactivated", {"note": ""}, dialog=False)
# completed requests are listed only for a search; every test request has this title
LIST = "/borrowing/?activity=all&q=structure"
_DONE = re.compile(r"^Done for \d+ request\(s\): ([\d, ]+)\.$")
_SKIPPED = re.compile(r"^Request (\d+) not changed: (.+)$")

postgresql_only = pytest.mark.skipif(not is_postgresql(), reason="SQLite serialises writers, so two requests "
                                                                  "never overlap; run with DATABASE_URL=postgres://…")


def bulk(who: Operator, rows, **form):
    """The task list's bulk bar: the rows ticked on the list page, then one button."""
    def actor(go):
        listed = who.get(LIST)
        assert listed.status == 200 and all(f'id="sel-{r.pk}"' in listed.text for r in rows)
        go()
        return who.post("/borrowing/bulk/", [*(("ids", r.pk) for r in rows), *form.items()])
    return actor


def report(page: Page) -> tuple[set[int], dict[int, str]]:
    """(ids done, {id: reason skipped}) from the messages the bulk action leaves on the task list."""
    assert page.status == 200 and page.url.rstrip("/").endswith("/borrowing"), (page.status, page.url)
    done: set[int] = set()
    skipped: dict[int, str] = {}
    for level, text in page.messages:
        if level == "success" and (m := _DONE.match(text)):
            done |= {int(pk) for pk in m.group(1).split(", ")}
        elif level == "warning" and (m := _SKIPPED.match(text)):
            skipped[int(m.group(1))] = m.group(2)
    return done, skipped


def _change_status_versus_send(olli, otto, library, partner, run) -> bool:
    """Returns whether the single action came first."""
    rows = [make_borrowing(library, "created", partner) for _ in range(3)]
    row = rows[1]
    bulk_page, single = run(bulk(olli, rows, op="change_status", status="cancelled"),
                            acting(otto, "borrowing", row, SEND))
    done, skipped = report(bulk_page)
    # "change status" is the staff override: it applies from any status, so every row is done
    assert done == {r.pk for r in rows} and not skipped, (done, skipped)
    sent = is_done(single, "borrowing", row.pk)
    assert sent or told_why_not(single, type(row), "cancelled"), (single.status, single.refusal)
    for r in rows:
        current = assert_one_story(r, start="created", applied=1 + (sent and r == row))
        assert current.status == "cancelled"
    return sent


def _remove_versus_reactivate(olli, maija, library, partner, run) -> bool:
    """Returns whether the single action came first."""
    rows = [make_borrowing(library, "completed", partner) for _ in range(3)]
    row = rows[1]
    bulk_page, single = run(bulk(olli, rows, op="remove"), acting(maija, "borrowing", row, REACTIVATE))
    done, skipped = report(bulk_page)
    reactivated = is_done(single, "borrowing", row.pk)
    assert reactivated or told_why_not(single, type(row), "completed"), (single.status, single.refusal)
    assert done | set(skipped) == {r.pk for r in rows}
    assert done >= {rows[0].pk, rows[2].pk}
    if row.pk in skipped:  # reactivated first: no longer a completed request
        assert reactivated and "only completed requests can be removed" in skipped[row.pk]
    current = assert_one_story(row, start="completed", applied=int(reactivated))
    removal = list(current.history.filter(field="Removed from task list").order_by("at", "id")
                   .values_list("new_value", flat=True))
    if not reactivated:
        assert current.removed_at is not None and removal == ["Removed"]
    elif row.pk in done:
        # removed, then reactivated: a request being worked on again is back on the task list
        assert current.removed_at is None and removal == ["Removed", "Back on the task list"]
    else:
        assert current.removed_at is None and removal == []
    assert (f'id="sel-{row.pk}"' in olli.get(LIST).text) == reactivated
    return row.pk in skipped


def test_bulk_and_single_action_one_after_the_other(olli, otto, maija, library, iso_partner):
    # one test for both scenarios: each live-server test pays for emptying the database afterwards
    for scenario, other in ((_change_status_versus_send, otto), (_remove_versus_reactivate, maija)):
        for order in ((0, 1), (1, 0)):
            single_first = scenario(olli, other, library, iso_partner,
                                    lambda *actors, order=order: in_order(*actors, order=order))
            assert single_first == (order == (1, 0)), (scenario.__name__, order)


@postgresql_only
@pytest.mark.parametrize("scenario", [_change_status_versus_send, _remove_versus_reactivate],
                         ids=["change_status-vs-send", "remove-vs-reactivate"])
def test_bulk_and_single_action_at_the_same_moment(scenario, olli, otto, maija, library, iso_partner):
    other = maija if scenario is _remove_versus_reactivate else otto
    for _round in range(ROUNDS):
        scenario(olli, other, library, iso_partner, race)
