"""One open lending request per borrower's request (issue 17, item 3).

A peer whose confirmation timed out sends its Request again, with a new timestamp (so the inbound
idempotency key does not catch it); a partner's web form may be posted twice at once. Whatever arrives
together, the database keeps one open lending request per (partner, borrower_request_id) — constraint
`lending_request_once_per_borrower_request` — and every copy that loses is answered with the winner: over
ISO 18626 the same OK confirmation the first got, over the API 200 with the first one's JSON.

The live-server tests post over real HTTP from many threads released together. On PostgreSQL each request
has its own connection and the copies really race. The default SQLite test database lives in memory, and
the live server hands its one connection to every request thread (pytest-django), which is only safe one
request at a time; SQLite serialises writers anyway, so there the server takes the requests one after the
other (`live`). Where SQLite cannot wait for another writer it says "database is locked": the copy is then
answered "send it again" (an ERROR confirmation, HTTP 503) and writes nothing — `test_*_busy_database_*`.
"""

from __future__ import annotations

import json
import threading
import urllib.error
import urllib.request
from dataclasses import dataclass

import pytest
from django.db import IntegrityError, OperationalError, connection, transaction

from illdesk.workflow import ActionRefused
from integrations import api
from integrations.models import ApiToken
from lending import actions
from lending.models import LendingRequest
from partners.iso18626 import parse
from partners.iso18626.messages import AgencyId
from partners.models import InboundMessage, Partner
from tests.factories import make_lending
from tests.partners.iso_helpers import request

BORROWER = AgencyId("ISIL", "ZZ-BORROWER")
SECRET = "once-per-request-secret"
THREADS = 8
API_THREADS = 20
WAIT = 60
BOOK = {"borrower_request_id": "FORM-2026-0017", "title": "Seitsemän veljestä", "author": "Kivi, Aleksis"}


@pytest.fixture(autouse=True)
def _our_symbol(settings):
    settings.ILLDESK_ISO_SYMBOL = "ISIL:ZZ-ILLDESK"
    settings.ILLDESK_ISO_TIMEOUT_SECONDS = 2


@pytest.fixture
def borrower(full_profile, library) -> Partner:
    """An ISO 18626 borrower that authenticates by its shared secret (`Authorization: Bearer`)."""
    return Partner.objects.create(
        code="BORROWER", name="Borrowing University", profile_type=Partner.ProfileType.ISO18626,
        agency_id_type=BORROWER.type, agency_id_value=BORROWER.value, iso_endpoint="http://127.0.0.1:9/iso18626",
        workflow_profile=full_profile, shared_secret=SECRET,
    )


@pytest.fixture
def token(borrower) -> str:
    token = ApiToken(partner=borrower, name="Lending form")
    raw = api.issue_token(token)
    token.save()
    return raw


def _serial_on_shared_sqlite(server) -> bool:
    return connection.vendor == "sqlite" and connection.is_in_memory_db() and bool(server.thread.connections_override)


@pytest.fixture
def live(live_server):
    """The live server; with the in-memory SQLite test database one request at a time (see the docstring)."""
    httpd = live_server.thread.httpd
    if _serial_on_shared_sqlite(live_server):
        httpd.process_request = httpd.process_request_thread  # in the server's thread, not a new one
    yield live_server
    httpd.__dict__.pop("process_request", None)


@dataclass
class Answer:
    status: int
    headers: dict
    body: bytes


def _post(url: str, body: bytes, headers: dict) -> Answer:
    req = urllib.request.Request(url, data=body, method="POST", headers=headers)
    try:
        with urllib.request.urlopen(req, timeout=WAIT) as response:  # noqa: S310 - the live server
            return Answer(response.status, dict(response.headers), response.read())
    except urllib.error.HTTPError as exc:
        with exc:
            return Answer(exc.code, dict(exc.headers), exc.read())


def all_at_once(url: str, bodies: list[bytes], headers: dict) -> list[Answer]:
    """POST every body from a thread of its own, released together by a barrier."""
    barrier = threading.Barrier(len(bodies))
    answers: list[Answer | None] = [None] * len(bodies)
    errors: list[BaseException] = []

    def send(i: int) -> None:
        try:
            barrier.wait(timeout=WAIT)
            answers[i] = _post(url, bodies[i], headers)
        except BaseException as exc:  # re-raised in the test's thread below
            errors.append(exc)

    threads = [threading.Thread(target=send, args=(i,), daemon=True) for i in range(len(bodies))]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(timeout=WAIT * 2)
    assert not any(thread.is_alive() for thread in threads), "a POST is still waiting"
    if errors:
        raise errors[0]
    return answers


def iso_headers() -> dict:
    return {"Content-Type": "application/xml", "Authorization": f"Bearer {SECRET}"}


def retryable_iso(confirmation) -> bool:
    """SQLite only: the copy was not taken, and the peer is told to send it again."""
    error = confirmation.error_data
    return (connection.vendor == "sqlite" and error is not None
            and "send it again later" in (error.error_value or ""))


def taken_requests(partner, borrower_id: str):
    return LendingRequest.objects.filter(partner=partner, borrower_request_id=borrower_id)


# --- the constraint ---------------------------------------------------------------------------------------


@pytest.mark.django_db
class TestTheConstraint:
    def test_a_second_open_request_for_one_borrowers_request_is_refused(self, library, borrower):
        make_lending(library, "created", borrower, borrower_request_id="BRW-1")
        with pytest.raises(IntegrityError), transaction.atomic():
            make_lending(library, "will_supply", borrower, borrower_request_id="BRW-1")
        assert taken_requests(borrower, "BRW-1").count() == 1

    @pytest.mark.parametrize("closed", ["rejected", "cancelled", "expired", "completed", "shipped_digitally"])
    def test_a_closed_request_does_not_block_a_new_one(self, library, borrower, closed):
        make_lending(library, closed, borrower, borrower_request_id="BRW-1")
        make_lending(library, "created", borrower, borrower_request_id="BRW-1")  # the borrower asks again
        make_lending(library, closed, borrower, borrower_request_id="BRW-1")
        assert taken_requests(borrower, "BRW-1").count() == 3

    def test_other_partners_and_requests_without_the_borrowers_id_are_not_bound(self, library, borrower,
                                                                                iso_partner):
        make_lending(library, "created", borrower, borrower_request_id="BRW-1")
        make_lending(library, "created", iso_partner, borrower_request_id="BRW-1")
        make_lending(library, "created", borrower, borrower_request_id="")  # entered by hand
        make_lending(library, "created", borrower, borrower_request_id="")
        make_lending(library, "created", None, borrower_request_id="BRW-1")
        make_lending(library, "created", None, borrower_request_id="BRW-1")
        assert LendingRequest.objects.count() == 6

    def test_reactivating_one_while_another_is_open_is_refused_saying_why(self, library, borrower, manager):
        old = make_lending(library, "completed", borrower, borrower_request_id="BRW-1")
        make_lending(library, "created", borrower, borrower_request_id="BRW-1")
        with pytest.raises(ActionRefused) as refused:
            actions.reactivate(old, by=manager)
        assert "already has an open lending request with this borrower's request id" in refused.value.message
        assert LendingRequest.objects.get(pk=old.pk).status == "completed"

    def test_the_admin_form_says_why(self, library, borrower):
        make_lending(library, "created", borrower, borrower_request_id="BRW-1")
        second = LendingRequest(owner=library, partner=borrower, borrower_request_id="BRW-1", title="x")
        from django.core.exceptions import ValidationError

        with pytest.raises(ValidationError) as invalid:
            second.validate_constraints()
        assert "already has an open lending request" in str(invalid.value)


# --- the copy that loses: answered with the winner, deterministically ---------------------------------------


@pytest.mark.django_db
def test_an_iso_request_that_loses_the_insert_is_confirmed_ok_for_the_winner(client, borrower, monkeypatch):
    """The second copy looked before the first committed (the look is stubbed to see nothing) and loses the
    insert: it gets the OK confirmation the first got, its message row points at the first request."""
    first = client.post("/iso18626", data=request("BRW-9", sender=BORROWER), content_type="application/xml",
                        HTTP_AUTHORIZATION=f"Bearer {SECRET}")
    assert parse(first.content).confirmation_header.message_status.value == "OK"
    winner = taken_requests(borrower, "BRW-9").get()
    import lending.iso

    monkeypatch.setattr(lending.iso, "open_request", lambda partner, borrower_id: None)
    second = client.post("/iso18626", data=request("BRW-9", sender=BORROWER), content_type="application/xml",
                         HTTP_AUTHORIZATION=f"Bearer {SECRET}")
    confirmation = parse(second.content)
    assert second.status_code == 200 and confirmation.confirmation_header.message_status.value == "OK"
    assert confirmation.confirmation_header.requesting_agency_request_id == "BRW-9"
    assert taken_requests(borrower, "BRW-9").get() == winner
    entry = InboundMessage.objects.order_by("-pk").first()
    assert entry.acted and entry.object_id == winner.pk and "already have this request" in entry.outcome


@pytest.mark.django_db
def test_an_api_post_that_loses_the_insert_gets_200_and_the_winner(client, borrower, token, monkeypatch):
    headers = {"HTTP_AUTHORIZATION": f"Token {token}"}
    first = client.post("/api/lending-requests", data=json.dumps(BOOK), content_type="application/json", **headers)
    assert first.status_code == 201, first.content
    monkeypatch.setattr(api, "open_request", lambda partner, borrower_id: None)
    second = client.post("/api/lending-requests", data=json.dumps(BOOK), content_type="application/json", **headers)
    assert second.status_code == 200, second.content
    assert second.json() == {**first.json(), "created": False}
    assert taken_requests(borrower, BOOK["borrower_request_id"]).count() == 1


@pytest.mark.django_db
def test_a_new_form_after_a_closed_request_makes_a_new_request(client, library, borrower, token):
    old = make_lending(library, "rejected", borrower, borrower_request_id=BOOK["borrower_request_id"])
    response = client.post("/api/lending-requests", data=json.dumps(BOOK), content_type="application/json",
                           HTTP_AUTHORIZATION=f"Token {token}")
    assert response.status_code == 201 and response.json()["id"] != old.pk


def _database_is_locked(*args, **kwargs):
    raise OperationalError("database is locked")


@pytest.mark.django_db
def test_an_iso_request_on_a_busy_database_is_answered_send_again_and_writes_nothing(client, borrower,
                                                                                     monkeypatch):
    import lending.actions.incoming

    monkeypatch.setattr(lending.actions.incoming, "_insert", _database_is_locked)
    response = client.post("/iso18626", data=request("BRW-8", sender=BORROWER), content_type="application/xml",
                           HTTP_AUTHORIZATION=f"Bearer {SECRET}")
    confirmation = parse(response.content)
    assert response.status_code == 200 and confirmation.confirmation_header.message_status.value == "ERROR"
    assert "send it again later" in confirmation.error_data.error_value
    assert not LendingRequest.objects.exists()
    entry = InboundMessage.objects.get()
    assert not entry.acted and entry.object_id is None  # so the copy sent again is not taken for a repeat


@pytest.mark.django_db(transaction=True)  # as in production: the view's own transaction, not the test's
def test_an_api_post_on_a_busy_database_gets_503_retry_after_and_writes_nothing(client, borrower, token,
                                                                                monkeypatch):
    import lending.actions.incoming

    monkeypatch.setattr(lending.actions.incoming, "_insert", _database_is_locked)
    response = client.post("/api/lending-requests", data=json.dumps(BOOK), content_type="application/json",
                           HTTP_AUTHORIZATION=f"Token {token}")
    assert response.status_code == 503 and int(response["Retry-After"]) > 0
    assert response.json()["errors"]["__all__"]
    assert not LendingRequest.objects.exists()


# --- real HTTP, all at once ----------------------------------------------------------------------------------


@pytest.mark.django_db(transaction=True)
def test_one_iso_request_sent_again_in_parallel_makes_one_lending_request(live, borrower):
    bodies = [request("BRW-PAR-1", sender=BORROWER) for _ in range(THREADS)]  # each its own timestamp
    assert len(set(bodies)) == THREADS
    answers = all_at_once(live.url + "/iso18626", bodies, iso_headers())
    confirmations = []
    for answer in answers:
        assert answer.status == 200, answer.body[:300]
        confirmations.append(parse(answer.body))
    [req] = taken_requests(borrower, "BRW-PAR-1")
    ok = [c for c in confirmations if c.confirmation_header.message_status.value == "OK"]
    assert all(c in ok or retryable_iso(c) for c in confirmations), [c.error_data for c in confirmations]
    assert ok, "no copy was taken"
    assert {c.confirmation_header.requesting_agency_request_id for c in ok} == {"BRW-PAR-1"}
    # the confirmation carries no id of ours (ISO 18626 confirmationHeader has none): every OK one is for
    # the one request, as its message row says
    acted = InboundMessage.objects.filter(kind="request", acted=True)
    assert acted.count() == len(ok)
    assert set(acted.values_list("object_id", flat=True)) == {req.pk}
    outcomes = list(acted.values_list("outcome", flat=True))
    assert sum(o.startswith(f"lending request {req.pk} created") for o in outcomes) == 1, outcomes
    assert all(o.startswith((f"lending request {req.pk} created", "already have this request")) for o in outcomes)
    refused = InboundMessage.objects.filter(kind="request", acted=False)
    assert refused.count() == len(answers) - len(ok)
    assert all("send it again later" in e.error_value for e in refused)


@pytest.mark.django_db(transaction=True)
def test_one_form_posted_twenty_times_at_once_makes_one_lending_request(live, borrower, token):
    body = json.dumps(BOOK).encode()
    headers = {"Content-Type": "application/json", "Authorization": f"Token {token}"}
    answers = all_at_once(live.url + "/api/lending-requests", [body] * API_THREADS, headers)
    [req] = taken_requests(borrower, BOOK["borrower_request_id"])
    statuses = sorted(a.status for a in answers)
    assert statuses.count(201) == 1, statuses
    allowed = {200, 201} | ({503} if connection.vendor == "sqlite" else set())
    assert set(statuses) <= allowed, [(a.status, a.body[:200]) for a in answers]
    for answer in answers:
        if answer.status == 503:
            assert int(answer.headers["Retry-After"]) > 0
            continue
        data = json.loads(answer.body)
        assert data["id"] == req.pk and data["created"] is (answer.status == 201)
        assert data["borrower_request_id"] == BOOK["borrower_request_id"]
