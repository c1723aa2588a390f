"""The task list's links, computed once per page in the view: facet values (a long facet cut to its top
20 with "show all"), and each row's request page and actions."""

import html
import re
from urllib.parse import urlencode

import pytest
from django.http import QueryDict
from django.urls import reverse

from illdesk.requestviews import FACET_TOP, QueryLinks
from partners.models import Partner
from tests.factories import make_borrowing

URL = reverse("borrowing:list")


def _reference_toggle(query: str, key: str, value: str) -> str:
    """What the `{% toggle %}` tag gave, before the view computed the links."""
    params = QueryDict(query)
    items = [(k, v) for k in params for v in params.getlist(k) if k != "page" and v]
    pair = (key, value)
    items = [i for i in items if i != pair] if pair in items else [*items, pair]
    return "?" + urlencode(items)


@pytest.mark.parametrize("query", ["", "status=sent", "status=sent&status=overdue&page=3", "q=a+b%26c&qf=title",
                                   "partner=none&expand=partner&sort=-title", "tag=1&tag=2&tag=1"])
@pytest.mark.parametrize(("key", "value"), [("status", "sent"), ("partner", "none"), ("tag", "1"), ("q", "ä &=")])
def test_a_toggled_link_is_the_one_the_template_tag_made(query, key, value):
    assert QueryLinks(QueryDict(query)).toggle(key, value) == _reference_toggle(query, key, value)


def _partners(n, profile):
    return [Partner.objects.create(code=f"P{i:02d}", name=f"Partner {i:02d}", profile_type="email",
                                   email=f"p{i}@example.org", workflow_profile=profile) for i in range(n)]


def _facet_links(body: str, key: str) -> list[tuple[str, str]]:
    section = re.search(rf'<section class="facet" data-facet="{key}">(.*?)</section>', body, re.S).group(1)
    found = re.findall(r'<li><a href="([^"]*)".*?<span class="count">(\d+)</span>', section, re.S)
    return [(html.unescape(url), n) for url, n in found]


@pytest.fixture
def many_partners(library, full_profile):
    """25 partners: partner i has i + 1 active requests."""
    partners = _partners(FACET_TOP + 5, full_profile)
    for i, partner in enumerate(partners):
        for _ in range(i + 1):
            make_borrowing(library, "sent", partner=partner, title=f"r{i}")
    return partners


def test_a_long_facet_shows_its_top_values_and_a_link_to_all(client, operator, many_partners):
    client.force_login(operator)
    response = client.get(URL)
    body = response.content.decode()
    links = _facet_links(body, "partner")
    # the 20 largest, largest first; the counts are the real ones
    assert [int(n) for _url, n in links] == list(range(FACET_TOP + 5, 5, -1))
    more = f"?{urlencode({'expand': 'partner'})}"
    assert f'<a class="facet-more" href="{more}" hx-get="{more}">Show all {FACET_TOP + 5} values</a>' in body
    # the list's own counts are not cut
    partner_counts = {v.value: v.count for f, values in response.context["result"].facets if f.key == "partner"
                      for v in values}
    assert len(partner_counts) == FACET_TOP + 5

    expanded = client.get(URL, {"expand": "partner"}).content.decode()
    assert len(_facet_links(expanded, "partner")) == FACET_TOP + 5
    assert 'class="facet-more" href="?">Show fewer</a>' in expanded.replace(' hx-get="?"', "")


def test_a_chosen_value_stays_in_view_and_links_keep_the_query(client, operator, many_partners):
    smallest = many_partners[0]  # 1 request: not among the top 20
    client.force_login(operator)
    response = client.get(URL, {"partner": smallest.pk, "sort": "title"})
    body = response.content.decode()
    links = _facet_links(body, "partner")
    assert len(links) == FACET_TOP + 1
    unchoose = f"?{urlencode({'sort': 'title'})}"
    assert (unchoose, "1") in links
    assert 'aria-pressed="true"' in body
    largest = many_partners[-1]
    assert (f"?{urlencode([('partner', smallest.pk), ('sort', 'title'), ('partner', largest.pk)])}",
            str(FACET_TOP + 5)) in links


def test_statuses_show_their_library_alias(client, operator, library):
    from illdesk.models import StatusAlias

    StatusAlias.objects.create(side="borrowing", status="sent", label="With the lender")
    make_borrowing(library, "sent")
    client.force_login(operator)
    body = client.get(URL).content.decode()
    section = re.search(r'data-facet="status">(.*?)</section>', body, re.S).group(1)
    assert '<span class="label">With the lender</span> <span class="count">1</span>' in section


def test_each_row_links_its_request_page_and_dialogs(client, operator, library, iso_partner):
    req = make_borrowing(library, "sent", partner=iso_partner)
    client.force_login(operator)
    response = client.get(URL)
    [(obj, actions)] = response.context["rows"]
    body = response.content.decode()
    assert body.count(f'href="{reverse("borrowing:detail", args=[req.pk])}"') == 2  # title and Edit
    side = response.context["side"]
    assert actions
    for action in actions:
        expected = (reverse("borrowing:detail", args=[req.pk]) + f"#action-{action.name}"
                    if action.name in side.simple_actions else reverse("borrowing:dialog", args=[req.pk, action.name]))
        assert action.url == expected
        assert f'<a href="{expected}">{action.label}</a>' in body
