"""The borrowing task list and request pages ask the same number of queries for a few rows as for 60:
nothing is looked up per row (row actions, patron query templates, links) or per facet value."""

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.urls import reverse

from borrowing.models import PatronQueryTemplate, RotaEntry
from illdesk.models import GeneralMessage, HistoryEvent, Tag
from illdesk.notes import add_note
from illdesk.workflow import record
from tests.factories import make_borrowing

URL = reverse("borrowing:list")
# every kind of row the list shows: statuses with different row actions, with and without a partner, a
# requester (with an email: "Send query to patron"), an unauthenticated requester ("Link to patron")
STATUSES = ["created", "ready_to_send", "sent", "will_supply", "conditional", "received_physically",
            "loaned_to_patron", "overdue", "renew_requested", "received_digitally", "pending_approval", "locate_failed"]


def _add_rows(n, start, library, partners, patron, operator, tags):
    for i in range(start, start + n):
        kind = i % 3
        req = make_borrowing(
            library, STATUSES[i % len(STATUSES)], partner=partners[i % len(partners)], title=f"Request {i}",
            requester=patron if kind == 0 else None, unauthenticated_email="anon@example.org" if kind == 1 else "",
            unauthenticated_name="Anne Anon" if kind == 1 else "", assignee=operator if i % 2 else None,
            has_active_message=i % 4 == 0, supplied_format="digital" if i % 5 == 0 else "")
        req.tags.add(tags[i % len(tags)])
        if req.partner_id is None:
            RotaEntry.objects.create(request=req, partner=partners[0], position=1)


def _count(client, url, params=None) -> tuple[int, object]:
    client.get(url, params or {})  # warm: session, content types, aliases
    with CaptureQueriesContext(connection) as ctx:
        response = client.get(url, params or {})
    assert response.status_code == 200
    return len(ctx.captured_queries), response


@pytest.fixture
def cast(library, iso_partner, email_partner, patron, operator):
    PatronQueryTemplate.objects.create(code="EDITION", name="Which edition?", subject="{title}", body="Which one?")
    tags = [Tag.objects.create(name=name) for name in ("urgent", "rare", "slow")]
    return library, [iso_partner, email_partner, None], patron, operator, tags


@pytest.mark.parametrize("params", [{}, {"status": ["sent", "overdue", "created"], "format": "physical"},
                                    {"q": "Request", "activity": "all"}, {"preset": "messages"}])
def test_the_list_asks_as_many_queries_for_60_rows_as_for_a_few(client, cast, params,
                                                                django_assert_max_num_queries):
    """A few rows, one of each kind (so what is looked up once per page is looked up from the start),
    then 60: the same queries."""
    few_rows = len(STATUSES)
    _add_rows(few_rows, 0, *cast)
    client.force_login(cast[3])
    few, response = _count(client, URL, params)
    assert 0 < len(response.context["rows"]) <= few_rows
    _add_rows(60 - few_rows, few_rows, *cast)
    many, response = _count(client, URL, params)
    assert len(response.context["rows"]) > few_rows
    assert many == few
    # PostgreSQL: one GROUPING SETS statement (in a savepoint, with SET LOCAL work_mem: 3 queries);
    # SQLite: one grouped query per facet (19 facets)
    with django_assert_max_num_queries(22 if connection.vendor == "postgresql" else 36):
        client.get(URL, params)


def test_rows_offer_the_patron_query_without_asking_per_row(client, cast):
    """"Send query to patron" needs an active template: looked up once for the page, still offered
    exactly where the row has an address, and gone from every row once no template is active."""
    _add_rows(12, 0, *cast)
    client.force_login(cast[3])
    response = client.get(URL)
    offered = {obj.pk: {a.name for a in actions} for obj, actions in response.context["rows"]}
    with_address = {obj.pk for obj, _a in response.context["rows"] if obj.requester_id or obj.unauthenticated_email}
    assert with_address and {pk for pk, names in offered.items() if "send_query_to_patron" in names} == with_address
    PatronQueryTemplate.objects.update(active=False)
    response = client.get(URL)
    assert not any("send_query_to_patron" in {a.name for a in actions} for _o, actions in response.context["rows"])


def test_the_request_page_and_its_tabs_ask_as_many_queries_for_60_entries_as_for_5(client, cast, operator):
    library, partners, patron, _operator, _tags = cast
    req = make_borrowing(library, "sent", partner=partners[0], requester=patron)
    client.force_login(operator)

    def add(n):
        for i in range(n):
            add_note(req, "internal", f"note {i}", by=operator)
            record(req, by=operator, kind=HistoryEvent.Kind.FIELD, field="Title", old=f"t{i}", new=f"t{i + 1}")
            GeneralMessage.objects.create(request=req, direction="sent", text=f"message {i}", author=operator)
            RotaEntry.objects.create(request=req, partner=partners[i % 2], position=req.rota_entries.count() + 1)

    add(5)
    pages = [reverse("borrowing:detail", args=[req.pk])] + [
        reverse("borrowing:tab", args=[req.pk, tab]) for tab in ("history", "notes", "messages", "rota")]
    few = [_count(client, page)[0] for page in pages]
    add(55)
    assert [_count(client, page)[0] for page in pages] == few
