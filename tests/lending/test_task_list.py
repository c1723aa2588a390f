"""The lending task list with the lending row actions: bounded queries, and the facets the lending
actions feed (printed, reported, alerts)."""

import pytest
from django.urls import reverse

from illdesk.models import Tag
from lending import actions
from lending.models import Item
from tests.factories import make_lending

URL = reverse("lending:list")
STATUSES = ["created", "being_processed", "locate_failed", "conditional", "shipped_physically",
            "received_by_partner", "renew_requested", "cancel_reply", "completed"]


@pytest.mark.parametrize("rows", [3, 40])
def test_query_count_does_not_grow_with_rows(client, operator, library, iso_partner, email_partner, rows,
                                             django_assert_max_num_queries):
    tag = Tag.objects.create(name="t")
    for i in range(rows):
        req = make_lending(library, STATUSES[i % len(STATUSES)], iso_partner if i % 2 else email_partner,
                           title=f"r{i}", assignee=operator, locate_status="located" if i % 3 else "not_run",
                           has_alerts=bool(i % 4))
        req.tags.add(tag)
    client.force_login(operator)
    client.get(URL)  # warm caches (content types, session)
    with django_assert_max_num_queries(32):
        response = client.get(URL, {"tab": "mine", "activity": "active"})
    assert response.status_code == 200
    assert len(response.context["rows"]) == min(rows, 25)
    offered = {a.name for _obj, acts in response.context["rows"] for a in acts}
    assert {"edit", "more_details"} <= offered


def test_printed_reported_and_alert_facets(client, operator, library, iso_partner):
    printed = make_lending(library, "created", iso_partner, title="printed one")
    actions.mark([printed.pk], flag="printed", by=operator)
    reported = make_lending(library, "created", iso_partner, title="reported one")
    actions.mark([reported.pk], flag="reported", by=operator)
    alerted = make_lending(library, "created", iso_partner, title="alerted one")
    actions.common.add_alert(alerted, "Citation Move Request Canceled")
    client.force_login(operator)
    for facet, title in (("printed", "printed one"), ("reported", "reported one"), ("alerts", "alerted one")):
        response = client.get(URL, {"tab": "unassigned", facet: "yes"})
        assert [obj.title for obj, _acts in response.context["rows"]] == [title], facet


def test_the_row_actions_follow_the_lock(client, operator, operator2, library, iso_partner):
    req = make_lending(library, "created", iso_partner)
    actions.acquire_edit_lock(req, operator2)
    client.force_login(operator)
    response = client.get(URL, {"tab": "unassigned"})
    [(obj, acts)] = response.context["rows"]
    assert obj.pk == req.pk and acts == []


@pytest.mark.parametrize("status", ["created", "being_processed", "will_supply", "locate_failed", "conditional",
                                    "shipped_physically", "received_by_partner", "renew_requested", "cancel_reply",
                                    "returned_by_partner", "shipped_digitally", "completed", "rejected"])
def test_every_offered_action_opens(client, manager, library, email_partner, kuhn, status):
    """Each row action the page offers opens (its dialog, page, or PDF), for the statuses of a loan."""
    from lending.statuses import FINAL

    req = make_lending(library, status, email_partner, record=kuhn, locate_status="located",
                       item=kuhn.items.first(), is_active=status not in FINAL, supplied_format="")
    client.force_login(manager)
    page = client.get(reverse("lending:detail", args=[req.pk]))
    assert page.status_code == 200
    side = page.context["side"]
    for action in page.context["actions"]:
        if action.name in side.simple_actions:
            continue
        url = reverse("lending:dialog", args=[req.pk, action.name])
        response = client.get(url)
        assert response.status_code in (200, 302), (action.name, response.status_code)
        fragment = client.get(url, HTTP_HX_REQUEST="true")
        assert fragment.status_code in (200, 204), (action.name, fragment.status_code)
        if action.name == "edit":
            actions.release_edit_lock(req, manager)


def _copy(record, library, i):
    """A copy of its own for row i: an item serves one active request at a time."""
    return Item.objects.create(record=record, barcode=f"39009{i:06d}", library=library)


def _lending_rows(n, start, library, partners, operator, operator2, kuhn):
    for i in range(start, start + n):
        req = make_lending(library, STATUSES[i % len(STATUSES)], partners[i % 2], title=f"Request {i}",
                           assignee=operator if i % 3 else None, locate_status="located" if i % 2 else "not_run",
                           record=kuhn if i % 2 else None, item=_copy(kuhn, library, i) if i % 4 == 3 else None,
                           has_alerts=i % 5 == 0, borrower_request_id=f"B{i}")
        if i % 4 == 1:  # another operator is editing it: its row offers nothing, and says so without a query
            actions.acquire_edit_lock(req, operator2)


@pytest.mark.parametrize("params", [{"tab": "mine"}, {"tab": "unassigned"}, {"tab": "mine", "activity": "all",
                                                                             "q": "Request"}])
def test_the_list_asks_as_many_queries_for_60_rows_as_for_a_few(client, operator, operator2, library, iso_partner,
                                                                email_partner, kuhn, params):
    """A few rows, one of each kind (so what is looked up once per page is looked up from the start),
    then 60: the same queries."""
    from django.db import connection
    from django.test.utils import CaptureQueriesContext

    def count() -> tuple[int, int]:
        client.get(URL, params)
        with CaptureQueriesContext(connection) as ctx:
            response = client.get(URL, params)
        return len(ctx.captured_queries), len(response.context["rows"])

    few_rows = len(STATUSES)
    _lending_rows(few_rows, 0, library, [iso_partner, email_partner], operator, operator2, kuhn)
    client.force_login(operator)
    few, shown = count()
    assert 0 < shown <= few_rows
    _lending_rows(60 - few_rows, few_rows, library, [iso_partner, email_partner], operator, operator2, kuhn)
    many, shown = count()
    assert shown > few_rows and many == few


def test_row_links_go_where_the_actions_are(client, manager, library, email_partner, kuhn):
    """The links computed once per page are the URLs of each row's request page and dialogs."""
    req = make_lending(library, "created", email_partner, record=kuhn, locate_status="located")
    client.force_login(manager)
    response = client.get(URL, {"tab": "unassigned"})
    [(obj, acts)] = response.context["rows"]
    body = response.content.decode()
    assert f'href="{reverse("lending:detail", args=[req.pk])}"' in body
    side = response.context["side"]
    for action in acts:
        if action.name in side.simple_actions:
            assert action.url == reverse("lending:detail", args=[req.pk]) + f"#action-{action.name}"
        else:
            assert action.url == reverse("lending:dialog", args=[req.pk, action.name])
        assert f'href="{action.url}"' in body


def test_the_request_page_and_its_tabs_ask_as_many_queries_for_60_entries_as_for_5(client, operator, library,
                                                                                    iso_partner):
    from django.db import connection
    from django.test.utils import CaptureQueriesContext

    from illdesk.models import GeneralMessage, HistoryEvent
    from illdesk.notes import add_note
    from illdesk.workflow import record

    req = make_lending(library, "created", iso_partner, assignee=operator)
    client.force_login(operator)

    def add(n):
        for i in range(n):
            add_note(req, "internal", f"note {i}", by=operator)
            record(req, by=operator, kind=HistoryEvent.Kind.FIELD, field="Title", old=f"t{i}", new=f"t{i + 1}")
            GeneralMessage.objects.create(request=req, direction="received", text=f"message {i}")
            actions.common.add_alert(req, f"alert {i}")

    def count(url) -> int:
        client.get(url)
        with CaptureQueriesContext(connection) as ctx:
            assert client.get(url).status_code == 200
        return len(ctx.captured_queries)

    pages = [reverse("lending:detail", args=[req.pk])] + [
        reverse("lending:tab", args=[req.pk, tab]) for tab in ("history", "notes", "messages", "alerts")]
    add(5)
    few = [count(page) for page in pages]
    add(55)
    assert [count(page) for page in pages] == few
