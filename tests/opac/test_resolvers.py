"""DOI and PubMed lookups against a local server shaped like Crossref and NCBI esummary, and every way
the lookup can fail — the form stays usable with what the patron typed and a clear message."""

import time

import pytest
from django.urls import reverse

from borrowing.models import BorrowingRequest
from opac import resolvers
from tests.opac.conftest import book_data

URL = reverse("opac:request")


def lookup_post(client, pickup, **fields):
    data = {"request_type": "article", "requested_format": "digital", "pickup_location": pickup.pk,
            "request_note": "Tarvitsen tämän gradua varten", "lookup": "1", **fields}
    return client.post(URL, data)


def test_crossref_fills_an_article(resolver):
    citation = resolvers.lookup_doi("https://doi.org/10.1038/nature12373")
    assert citation.as_form_values() == {
        "request_type": "article", "title": "Nature", "chapter_title": "Nanometre-scale thermometry in a living cell",
        "chapter_author": "Kucsko, G.; Maurer, P. C.", "issn": "0028-0836", "volume": "500", "issue": "7460",
        "pages": "54-58", "publisher": "Springer Science and Business Media LLC", "year": "2013",
        "doi": "10.1038/nature12373",
    }
    assert resolver.seen == ["/works/10.1038/nature12373"]


def test_crossref_fills_a_book_chapter(resolver):
    values = resolvers.lookup_doi("10.1007/978-3-319-24277-4_9").as_form_values()
    assert values["request_type"] == "chapter"
    assert (values["title"], values["chapter_title"]) == ("Semantic Web Primer", "Ontology Matching")
    assert (values["chapter_author"], values["author"]) == ("Euzenat, Jérôme", "Shvaiko, Pavel")
    assert (values["isbn"], values["year"], values["place_of_publication"]) == ("9783319242767", "2015", "Cham")


def test_pubmed_esummary_fills_an_article(resolver):
    values = resolvers.lookup_pmid("23903748").as_form_values()
    assert values == {
        "request_type": "article", "title": "Nature", "chapter_title": "Nanometre-scale thermometry in a living cell",
        "chapter_author": "Kucsko G; Maurer PC", "volume": "500", "issue": "7460", "pages": "54-8", "year": "2013",
        "issn": "0028-0836", "doi": "10.1038/nature12373", "pmid": "23903748",
    }


@pytest.mark.parametrize(("doi", "pmid", "message"), [
    ("10.9999/slow", "", "not available right now"),
    ("10.9999/error", "", "not available right now"),
    ("10.9999/garbage", "", "not available right now"),
    ("10.9999/shape", "", "no usable citation"),
    ("10.9999/unknown", "", "No DOI record was found"),
    ("", "55555555", "not available right now"),
    ("", "99999999", "No PubMed record was found"),
    ("nonsense", "", "does not look like a DOI"),
    ("", "", "Give a DOI or a PubMed id"),
])
def test_every_failure_is_a_lookup_failed_with_a_message(resolver, doi, pmid, message):
    started = time.monotonic()
    with pytest.raises(resolvers.LookupFailed) as failed:
        resolvers.lookup(doi=doi, pmid=pmid)
    assert message in failed.value.message
    assert time.monotonic() - started < 1.5  # the 0.5 s timeout holds even when the server hangs


def test_a_resolver_nobody_listens_on_fails_cleanly():
    with pytest.raises(resolvers.LookupFailed, match="not available right now"):
        resolvers.lookup(doi="10.1038/nature12373")


def test_the_lookup_button_fills_the_form_and_keeps_the_delivery_choices(patron_client, pickup, resolver):
    response = lookup_post(patron_client, pickup, doi="10.1038/nature12373", title="typed journal")
    assert response.status_code == 200
    form = response.context["form"]
    assert form.kind == "article"
    assert form["title"].value() == "Nature"
    assert form["chapter_title"].value() == "Nanometre-scale thermometry in a living cell"
    assert form["request_note"].value() == "Tarvitsen tämän gradua varten"
    assert "The citation was filled in" in response.content.decode()
    assert BorrowingRequest.objects.count() == 0  # looked up, not sent


def test_a_doi_of_a_chapter_switches_the_form_to_chapter(patron_client, pickup, resolver):
    response = lookup_post(patron_client, pickup, doi="10.1007/978-3-319-24277-4_9")
    form = response.context["form"]
    assert form.kind == "chapter"
    assert form["title"].value() == "Semantic Web Primer"
    assert form["requested_format"].value() == "digital"


@pytest.mark.parametrize("doi", ["10.9999/slow", "10.9999/error", "10.9999/garbage", "10.9999/shape"])
def test_a_failing_lookup_leaves_the_form_usable(patron_client, pickup, resolver, doi):
    typed = {"title": "Journal of Things", "chapter_title": "My article", "year": "2020"}
    response = lookup_post(patron_client, pickup, doi=doi, **typed)
    assert response.status_code == 200
    form = response.context["form"]
    for name, value in typed.items():
        assert form[name].value() == value
    content = response.content.decode()
    assert 'role="alert">The DOI lookup' in content or "Please type the details yourself" in content
    data = {name: form[name].value() for name in form.fields if form[name].value() not in (None, "")}
    data.pop("doi")
    assert patron_client.post(URL, data).status_code == 302  # and the patron sends it as typed
    assert BorrowingRequest.objects.get().chapter_title == "My article"


def test_a_pubmed_link_is_looked_up_on_arrival(patron_client, resolver):
    response = patron_client.get(URL, {"rft_id": "info:pmid/23903748"})
    form = response.context["form"]
    assert form.kind == "article"
    assert form["chapter_title"].value() == "Nanometre-scale thermometry in a living cell"
    assert form["pmid"].value() == "23903748"


def test_a_doi_link_with_the_resolver_down_shows_the_form_with_the_doi(patron_client):
    response = patron_client.get(URL, {"doi": "10.1038/nature12373"})
    assert response.status_code == 200
    form = response.context["form"]
    assert form["doi"].value() == "10.1038/nature12373"
    assert "not available right now" in response.content.decode()


def test_a_link_with_a_title_is_not_looked_up(patron_client, resolver, pickup):
    patron_client.get(URL, {"rft.atitle": "A", "rft.jtitle": "J", "rft_id": "info:doi/10.1038/nature12373"})
    assert resolver.seen == []
    assert patron_client.post(URL, book_data(pickup)).status_code == 302


def test_answers_are_cached_failures_are_not(resolver):
    resolvers.lookup(doi="10.1038/nature12373")
    resolvers.lookup(doi="https://doi.org/10.1038/nature12373")
    assert resolver.seen == ["/works/10.1038/nature12373"]
    for _ in range(2):
        with pytest.raises(resolvers.LookupFailed):
            resolvers.lookup(doi="10.9999/error")
    assert resolver.seen.count("/works/10.9999/error") == 2
