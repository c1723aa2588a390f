"""The lending task list with the lending row actions: bounded queries, and the facets the lending
actions feed (printed, reported, alerts)."""

import pytest
from django.urls import reverse

from illdesk.models import Tag
from lending import actions
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
