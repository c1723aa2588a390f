"""The borrowing task list through the real page: facets with hand-counted numbers, search, presets,
activity status, sorting, paging, bounded queries."""

from datetime import timedelta

import pytest
import time_machine
from django.urls import reverse
from django.utils import timezone

from borrowing.models import BorrowingRequest
from illdesk.models import Tag
from tests.factories import make_borrowing

URL = reverse("borrowing:list")


def _make(owner, status="created", **fields):
    fields.setdefault("title", "A title")
    fields.setdefault("author", "")
    return make_borrowing(owner, status, **fields)


def facet_counts(response, key):
    for facet, values in response.context["result"].facets:
        if facet.key == key:
            return {v.value: v.count for v in values}
    raise AssertionError(f"no facet {key}")


def row_ids(response):
    return [obj.pk for obj, _actions in response.context["rows"]]


@pytest.fixture
def world(library, iso_partner, email_partner, operator):
    """Six active requests and two completed ones, counted by hand in the tests below."""
    urgent = Tag.objects.create(name="urgent")
    reqs = [
        _make(library, "sent", partner=iso_partner, requested_format="physical", title="Alpha"),
        _make(library, "sent", partner=email_partner, requested_format="digital", title="Beta"),
        _make(library, "created", requested_format="digital", title="Gamma", author="Virtanen"),
        _make(library, "will_supply", partner=iso_partner, requested_format="physical", title="Delta",
              assignee=operator),
        _make(library, "overdue", partner=iso_partner, requested_format="physical_non_returnable", title="Epsilon",
              has_active_message=True),
        _make(library, "received_physically", partner=email_partner, title="Zeta", patron_info_required=True),
        _make(library, "completed", partner=iso_partner, title="Eta completed"),
        _make(library, "cancelled", partner=email_partner, title="Theta cancelled"),
    ]
    reqs[0].tags.add(urgent)
    reqs[2].tags.add(urgent)
    return reqs


def test_it_counts_every_facet_value_of_the_active_list(client, operator, world, iso_partner, email_partner):
    client.force_login(operator)
    response = client.get(URL)
    assert response.status_code == 200
    assert sorted(row_ids(response)) == sorted(r.pk for r in world[:6])
    assert facet_counts(response, "status") == {
        "sent": 2, "created": 1, "will_supply": 1, "overdue": 1, "received_physically": 1}
    assert facet_counts(response, "partner") == {str(iso_partner.pk): 3, str(email_partner.pk): 2, "none": 1}
    assert facet_counts(response, "format") == {"physical": 3, "digital": 2, "physical_non_returnable": 1}
    assert facet_counts(response, "supplied") == {"undefined": 6}
    assert facet_counts(response, "message") == {"yes": 1, "no": 5}
    assert facet_counts(response, "patron_info") == {"yes": 1, "no": 5}
    tag = Tag.objects.get(name="urgent")
    assert facet_counts(response, "tag") == {str(tag.pk): 2}
    assert facet_counts(response, "assignee") == {"none": 5, str(operator.pk): 1}
    assert facet_counts(response, "created") == {"today": 6}


def test_it_combines_facets_and_keeps_sibling_counts(client, operator, world, iso_partner):
    client.force_login(operator)
    response = client.get(URL, {"partner": iso_partner.pk, "format": "physical"})
    assert sorted(row_ids(response)) == sorted([world[0].pk, world[3].pk])
    # each facet counts over the list filtered by the *other* facets
    assert facet_counts(response, "format") == {"physical": 2, "physical_non_returnable": 1}
    assert facet_counts(response, "partner")[str(iso_partner.pk)] == 2
    assert facet_counts(response, "status") == {"sent": 1, "will_supply": 1}
    # two values of one facet are OR-ed
    response = client.get(URL, {"status": ["sent", "overdue"]})
    assert sorted(row_ids(response)) == sorted([world[0].pk, world[1].pk, world[4].pk])


def test_it_buckets_request_dates(client, operator, library):
    now = timezone.now()
    with time_machine.travel(now, tick=False):
        for days in (0, 1, 2, 5, 10, 40, 40):
            req = _make(library, title=f"{days} days")
            BorrowingRequest.objects.filter(pk=req.pk).update(created_at=now - timedelta(days=days))
        client.force_login(operator)
        response = client.get(URL)
        assert facet_counts(response, "created") == {
            "today": 1, "yesterday": 1, "2_3_days": 1, "4_7_days": 1, "8_30_days": 1, "older": 2}
        response = client.get(URL, {"created": "older"})
        assert len(row_ids(response)) == 2


def test_it_narrows_with_the_secondary_search_and_keeps_facets(client, operator, world, iso_partner):
    client.force_login(operator)
    response = client.get(URL, {"qf": "title", "q": "elt", "partner": iso_partner.pk})
    assert row_ids(response) == [world[3].pk]
    response = client.get(URL, {"qf": "author", "q": "virtanen"})
    assert row_ids(response) == [world[2].pk]
    response = client.get(URL, {"qf": "id", "q": str(world[1].pk)})
    assert row_ids(response) == [world[1].pk]
    # the clear link drops q and qf but keeps the facet
    response = client.get(URL, {"qf": "title", "q": "elt", "partner": iso_partner.pk})
    assert f'partner={iso_partner.pk}' in response.content.decode()
    assert "Clear search" in response.content.decode()


def test_completed_and_all_stay_empty_until_a_search_term(client, operator, world):
    client.force_login(operator)
    response = client.get(URL, {"activity": "completed"})
    assert row_ids(response) == []
    assert "Enter a search term" in response.content.decode()
    response = client.get(URL, {"activity": "completed", "q": "cancelled"})
    assert row_ids(response) == [world[7].pk]
    response = client.get(URL, {"activity": "all", "q": "eta"})
    assert sorted(row_ids(response)) == sorted([world[1].pk, world[5].pk, world[6].pk, world[7].pk])
    assert response.context["result"].activity_counts == {"active": 2, "completed": 2, "all": 4}


def test_predefined_filters_have_counts_and_filter(client, operator, world, library):
    _make(library, "cancelled_by_partner", title="Gone")
    client.force_login(operator)
    response = client.get(URL)
    counts = {p.key: n for p, n in response.context["result"].presets}
    assert counts["new_without_partner"] == 1
    assert counts["overdue"] == 1
    assert counts["cancelled_by_partner"] == 1
    assert counts["messages"] == 1
    response = client.get(URL, {"preset": "cancelled_by_partner"})
    assert [o.title for o, _a in response.context["rows"]] == ["Gone"]


def test_it_sorts_and_pages(client, operator, library, settings):
    settings.ILLDESK_PAGE_SIZE = 2
    for title in ("b", "c", "a"):
        _make(library, title=title)
    client.force_login(operator)
    response = client.get(URL, {"sort": "title"})
    assert [o.title for o, _a in response.context["rows"]] == ["a", "b"]
    response = client.get(URL, {"sort": "title", "page": 2})
    assert [o.title for o, _a in response.context["rows"]] == ["c"]
    response = client.get(URL, {"sort": "-title"})
    assert [o.title for o, _a in response.context["rows"]] == ["c", "b"]
    response = client.get(URL, {"sort": "; drop table"})  # unknown sort falls back, no error
    assert response.status_code == 200


def test_htmx_requests_get_only_the_list_fragment(client, operator, world):
    client.force_login(operator)
    response = client.get(URL, {"status": "sent"}, headers={"HX-Request": "true"})
    body = response.content.decode()
    assert body.lstrip().startswith('<div id="tasklist"')
    assert "<html" not in body


@pytest.mark.parametrize("rows", [3, 40])
def test_query_count_does_not_grow_with_rows(client, operator, library, iso_partner, rows,
                                             django_assert_max_num_queries):
    tag = Tag.objects.create(name="t")
    for i in range(rows):
        req = _make(library, "sent" if i % 2 else "created", partner=iso_partner if i % 2 else None,
                    title=f"r{i}", assignee=operator)
        req.tags.add(tag)
    client.force_login(operator)
    client.get(URL)  # warm caches (content types, session)
    with django_assert_max_num_queries(32):
        response = client.get(URL, {"status": ["sent", "created"], "format": "physical"})
    assert response.status_code == 200
