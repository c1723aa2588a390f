"""OpenURL → form values: both dialects, identifiers, genre mapping, and garbage that must not break
the page. Then the same through the real page, for a patron and for a visitor who must log in first."""

import re
from urllib.parse import urlencode

import pytest
from django.http import QueryDict
from django.urls import reverse

from opac.openurl import parse

URL = reverse("opac:request")


def q(query: str) -> dict:
    return parse(QueryDict(query))


def test_it_reads_a_z3988_book():
    values = q("url_ver=Z39.88-2004&rft_val_fmt=info:ofi/fmt:kev:mtx:book&rft.genre=book"
               "&rft.btitle=The+structure+of+scientific+revolutions&rft.aulast=Kuhn&rft.aufirst=Thomas+S."
               "&rft.isbn=978-0-226-45808-3&rft.pub=University+of+Chicago+Press&rft.place=Chicago"
               "&rft.date=1962&rft.edition=2nd+ed.&rfr_id=info:sid/primo.exlibrisgroup.com")
    assert values == {
        "request_type": "book", "title": "The structure of scientific revolutions", "author": "Kuhn, Thomas S.",
        "isbn": "9780226458083", "publisher": "University of Chicago Press", "place_of_publication": "Chicago",
        "year": "1962", "edition": "2nd ed.",
    }


def test_it_reads_a_z3988_article_with_doi_and_pmid():
    values = q("url_ver=Z39.88-2004&rft_val_fmt=info:ofi/fmt:kev:mtx:journal&rft.genre=article"
               "&rft.atitle=Nanometre-scale+thermometry+in+a+living+cell&rft.jtitle=Nature"
               "&rft.au=Kucsko,+G.&rft.au=Maurer,+P.+C.&rft.issn=0028-0836&rft.eissn=1476-4687"
               "&rft.date=2013-08-01&rft.volume=500&rft.issue=7460&rft.spage=54&rft.epage=58"
               "&rft_id=info:doi/10.1038/nature12373&rft_id=info:pmid/23903748")
    assert values == {
        "request_type": "article", "title": "Nature", "chapter_title": "Nanometre-scale thermometry in a living cell",
        "chapter_author": "Kucsko, G.; Maurer, P. C.", "issn": "0028-0836", "year": "2013", "volume": "500",
        "issue": "7460", "pages": "54-58", "doi": "10.1038/nature12373", "pmid": "23903748",
    }


def test_it_reads_openurl_0_1():
    values = q("sid=EBSCO:aph&genre=article&title=Journal+of+Documentation&atitle=Relevance&aulast=Saracevic"
               "&aufirst=Tefko&issn=00220418&date=1975&volume=31&issue=4&pages=321-343&id=doi:10.1108/eb026556")
    assert values["request_type"] == "article"
    assert values["title"] == "Journal of Documentation"
    assert values["chapter_title"] == "Relevance"
    assert values["chapter_author"] == "Saracevic, Tefko"
    assert values["issn"] == "0022-0418"
    assert values["pages"] == "321-343"
    assert values["doi"] == "10.1108/eb026556"


@pytest.mark.parametrize(("query", "expected"), [
    ("rft.genre=bookitem&rft.btitle=B&rft.atitle=C", "chapter"),
    ("rft.genre=proceeding&rft.btitle=P&rft.atitle=Paper", "conference"),
    ("rft_val_fmt=info:ofi/fmt:kev:mtx:dissertation&rft.title=T&rft.au=A", "thesis"),
    ("rft.genre=journal&rft.jtitle=J", "journal"),
    ("rft.genre=issue&rft.jtitle=J&rft.volume=3", "journal"),
    ("rft.genre=report&rft.title=R", "other"),
    ("genre=book&title=T", "book"),
    ("rft.jtitle=J&rft.atitle=A", "article"),  # no genre: guessed from the fields
    ("rft.btitle=B&rft.atitle=A", "chapter"),
    ("rft.isbn=9780226458083&rft.title=T", "book"),
    ("type=thesis&title=T", "thesis"),  # our own parameter
])
def test_it_maps_genres_and_guesses_without_one(query, expected):
    assert q(query)["request_type"] == expected


@pytest.mark.parametrize(("query", "field", "expected"), [
    ("doi=10.1000/xyz123", "doi", "10.1000/xyz123"),
    ("doi=https://doi.org/10.1000/xyz123", "doi", "10.1000/xyz123"),
    ("rft_id=https%3A%2F%2Fdx.doi.org%2F10.1000%2Fabc", "doi", "10.1000/abc"),
    ("pmid=23903748", "pmid", "23903748"),
    ("id=pmid:23903748", "pmid", "23903748"),
    ("rft_id=info:oclcnum/12345", "oclc_number", "12345"),
])
def test_it_reads_plain_identifier_parameters(query, field, expected):
    assert q(query)[field] == expected


def test_an_identifier_only_link_leaves_the_type_to_the_lookup():
    assert q("doi=10.1000/xyz123") == {"doi": "10.1000/xyz123"}


def test_garbage_is_dropped_or_bounded_never_raised():
    values = q("rft.isbn=notanisbn&rft.issn=1234-5678&rft.date=yesterday&rft_id=info:doi/garbage"
               "&rft_id=info:pmid/abc&rft.genre=nonsense&rft.btitle=%3Cscript%3Ealert(1)%3C/script%3E"
               "&rft.volume=" + "9" * 500 + "&rft.au=%00%01Evil%0AName")
    assert values["request_type"] == "book"  # unknown genre: guessed
    assert values["title"] == "<script>alert(1)</script>"  # kept as text; the template escapes it
    assert values["author"] == "Evil Name"
    assert len(values["volume"]) == 50
    for dropped in ("isbn", "issn", "year", "doi", "pmid"):
        assert dropped not in values


def test_a_query_without_a_citation_gives_nothing():
    assert q("") == {}
    assert q("foo=bar&utm_source=x") == {}


def test_the_page_is_prefilled_for_a_patron(patron_client):
    query = ("url_ver=Z39.88-2004&rft_val_fmt=info:ofi/fmt:kev:mtx:journal&rft.genre=article"
             "&rft.atitle=Relevance&rft.jtitle=Journal+of+Documentation&rft.issn=0022-0418&rft.date=1975"
             "&rft.volume=31&rft_id=info:doi/10.1108/eb026556")
    response = patron_client.get(f"{URL}?{query}")
    assert response.status_code == 200
    form = response.context["form"]
    assert form.kind == "article"
    assert form["chapter_title"].value() == "Relevance"
    assert form["title"].value() == "Journal of Documentation"
    assert form["doi"].value() == "10.1108/eb026556"
    assert form["requested_format"].value() == "digital"
    content = response.content.decode()
    assert 'value="Relevance"' in content
    assert re.search(r'name="request_type" value="article"[^>]*checked', content)


def test_a_garbage_openurl_still_gives_a_usable_page(patron_client):
    response = patron_client.get(URL + "?rft.btitle=%3Cscript%3Ealert(1)%3C/script%3E&rft.isbn=zzz&rft.genre=%00")
    assert response.status_code == 200
    assert b"<script>alert(1)</script>" not in response.content
    assert b"&lt;script&gt;alert(1)&lt;/script&gt;" in response.content


def test_a_visitor_logs_in_and_comes_back_with_the_citation(client, patron, pickup, opac):
    query = urlencode({"url_ver": "Z39.88-2004", "rft.genre": "book", "rft.btitle": "Kalevala",
                       "rft.au": "Lönnrot, Elias", "rft.isbn": "9789511234567"})
    response = client.get(f"{URL}?{query}")
    assert response.status_code == 302
    login_url = response["Location"]
    assert login_url.startswith(reverse("login"))
    next_url = QueryDict(login_url.split("?", 1)[1])["next"]
    assert next_url == f"{URL}?{query}"

    login_page = client.get(login_url)
    assert login_page.context["next"] == next_url
    response = client.post(login_url, {"username": "patron", "password": "patron", "next": next_url})
    assert response.status_code == 302
    assert response["Location"] == next_url
    form = client.get(next_url).context["form"]
    assert form["title"].value() == "Kalevala"
    assert form["author"].value() == "Lönnrot, Elias"
