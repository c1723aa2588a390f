"""Statements per inbound message, bounded (bench: 300 messages/s on two cores leaves a few ms each).

In a test the outer transaction is a SAVEPOINT … RELEASE pair; in production the same two are BEGIN
and COMMIT. Before the work on issue 9 a Request took 24 statements (the locate inside it), a
supplying- or requesting-agency message 14. Each message also looks its sender up (uncached: who speaks decides
what it may change, and a revoked partner must count for the very next message in every process)."""

import pytest

from lending.models import LendingRequest
from partners.iso18626.messages import Action, ReasonForMessage, Status
from tests.factories import make_borrowing, make_lending

from .iso_helpers import post, ram, request, sam, status_of

pytestmark = pytest.mark.django_db


@pytest.fixture(autouse=True)
def _tasks_in_process(eager_celery):
    """The locate task runs in this process, also when REDIS_URL names a broker (CI's PostgreSQL run)."""


@pytest.fixture
def warm(peer, library, django_capture_on_commit_callbacks):
    """One message of each kind first: the default owner and the status settings are then cached, as
    they are in a server that has been up for more than a moment."""
    make_lending(library, "shipped_physically", partner=peer, borrower_request_id="WARM-L")
    sent = make_borrowing(library, "sent", partner=peer)
    with django_capture_on_commit_callbacks(execute=True):
        for body in (request("WARM-R"), ram("WARM-L", Action.RECEIVED),
                     sam(sent.pk, Status.WILL_SUPPLY, ReasonForMessage.REQUEST_RESPONSE)):
            assert status_of(post(body)[1]) == "OK"


def test_a_request_is_answered_in_eleven_statements_and_located_in_eleven(
        warm, django_assert_max_num_queries, django_capture_on_commit_callbacks):
    # the sender, idempotency look-up, an open request with the same borrower id?, the request, its "Created"
    # history row, the message log row, its history row (+ the transaction, and the savepoint around the
    # insert: a copy of the same Request arriving at the same moment loses there and is answered with the
    # winner — lending_request_once_per_borrower_request)
    with django_capture_on_commit_callbacks() as callbacks, django_assert_max_num_queries(11):
        _, confirmation = post(request("BRW-1"))
    assert status_of(confirmation) == "OK"
    # after commit, the task: the citation, the catalogue search, run_transition (lock, one UPDATE of
    # the changed columns, one INSERT of both history rows), the "No resources located" note and its
    # flag (+ the transaction and run_transition's savepoint)
    with django_assert_max_num_queries(11):
        callbacks[0]()
    assert LendingRequest.objects.get(borrower_request_id="BRW-1").locate_status == "not_located"


def test_a_supplying_agency_message_takes_twelve_statements(warm, peer, library, django_assert_max_num_queries):
    req = make_borrowing(library, "sent", partner=peer)
    # the sender, idempotency look-up, the request found and locked at once, run_transition (lock, UPDATE,
    # history row, savepoint), the message log row and its history row (+ the transaction)
    with django_assert_max_num_queries(12):
        _, confirmation = post(sam(req.pk, Status.WILL_SUPPLY, ReasonForMessage.REQUEST_RESPONSE))
    assert status_of(confirmation) == "OK"
    assert type(req).objects.get(pk=req.pk).status == "will_supply"


def test_a_requesting_agency_message_takes_twelve_statements(warm, peer, library, django_assert_max_num_queries):
    req = make_lending(library, "shipped_physically", partner=peer, borrower_request_id="BRW-7")
    with django_assert_max_num_queries(12):
        _, confirmation = post(ram("BRW-7", Action.RECEIVED))
    assert status_of(confirmation) == "OK"
    assert type(req).objects.get(pk=req.pk).status == "received_by_partner"
