"""Two operators act on one request through the real dialog URLs of the live server: the same action,
or two actions that exclude each other. Exactly one wins; the other gets the refusal page saying why
(never a 500, never a silent success), and the history has one status row, chained from where it was.

On PostgreSQL the two submits are released together by a Barrier, ROUNDS times per pair, and once more
in a fixed interleaving: both wait for the request's row, the second submit behind the first. The stale
page half (both opened the dialog, then submit one after the other) is deterministic and runs on
SQLite as well.
"""

from __future__ import annotations

from dataclasses import dataclass
from itertools import count

import pytest

from illdesk.models import HistoryEvent
from tests.factories import make_borrowing, make_lending

from .acts import Act, acting, one_winner
from .race import assert_one_story, in_order, is_postgresql, queued_behind, race

ROUNDS = 10
REJECT = {"reason": "NotOnShelf", "internal_note": "", "partner_note": ""}


@dataclass(frozen=True)
class Pair:
    side: str
    start: str
    first: Act
    second: Act

    def __str__(self) -> str:
        return f"{self.side}-{self.start}-{self.first.name}-{self.second.name}"


PAIRS = [
    # the same action twice
    Pair("borrowing", "created", Act("send", "sent", {"note": ""}), Act("send", "sent", {"note": ""})),
    Pair("lending", "created", Act("reject", "rejected", REJECT), Act("reject", "rejected", REJECT)),
    Pair("lending", "created", Act("will_supply", "will_supply", {"note": ""}, dialog=False),
         Act("will_supply", "will_supply", {"note": ""}, dialog=False)),
    # two actions that exclude each other: after either, the other is no longer possible
    Pair("borrowing", "sent", Act("receive", "received_physically", {"received_format": "physical", "note": ""}),
         Act("request_cancel", "waiting_cancel_response", {"note": "The patron does not need it any more"})),
    Pair("lending", "cancel_reply", Act("answer_cancel", "cancelled", {"answer": "yes", "note": ""}),
         Act("reject", "rejected", REJECT)),
]


_serial = count(1)


def _request(pair: Pair, library, partner):
    if pair.side == "borrowing":
        return make_borrowing(library, pair.start, partner)
    return make_lending(library, pair.start, partner, borrower_request_id=f"BRW-RACE-{next(_serial)}")


def _settle(pair: Pair, req, pages, users) -> int:
    """One winner, a clear refusal for the other, one status row by the winner. Returns the winner."""
    winner = one_winner(pages, pair.side, req)
    current = assert_one_story(req, start=pair.start, applied=1)
    assert current.status == (pair.first, pair.second)[winner].then
    event = current.history.get(kind=HistoryEvent.Kind.STATUS)
    assert event.actor == users[winner]
    return winner


def test_the_operator_with_a_stale_page_is_told_why_not(olli, otto, operator, operator2, library, iso_partner):
    # one test for every pair: each live-server test pays for emptying the database afterwards
    for pair in PAIRS:
        for order in ((0, 1), (1, 0)):
            req = _request(pair, library, iso_partner)
            pages = in_order(acting(olli, pair.side, req, pair.first), acting(otto, pair.side, req, pair.second),
                             order=order)
            assert _settle(pair, req, pages, (operator, operator2)) == order[0], pair


@pytest.mark.skipif(not is_postgresql(), reason="SQLite serialises writers, so two requests never overlap "
                                                 "inside a transaction; run with DATABASE_URL=postgres://…")
@pytest.mark.parametrize("pair", PAIRS, ids=str)
def test_at_the_same_moment_exactly_one_wins(pair, olli, otto, operator, operator2, library, iso_partner):
    for _round in range(ROUNDS):
        req = _request(pair, library, iso_partner)
        pages = race(acting(olli, pair.side, req, pair.first), acting(otto, pair.side, req, pair.second))
        _settle(pair, req, pages, (operator, operator2))


@pytest.mark.skipif(not is_postgresql(), reason="needs row locks from concurrent connections (PostgreSQL)")
def test_the_second_submit_waits_for_the_first_and_is_told_the_new_status(olli, otto, operator, operator2,
                                                                          library, iso_partner):
    """Both submits are past the page's "is it offered?" check and wait for the row; the second must then
    decide on the row as the first left it (the row lock in run_transition), not fail on a stale copy."""
    for pair in PAIRS:
        req = _request(pair, library, iso_partner)
        pages = queued_behind(req, acting(olli, pair.side, req, pair.first), acting(otto, pair.side, req, pair.second))
        assert _settle(pair, req, pages, (operator, operator2)) == 0, pair
        assert pages[1].refusal.endswith("”.") and "is not possible while the request is" in pages[1].refusal, \
            pages[1].refusal
