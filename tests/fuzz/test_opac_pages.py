"""Every OPAC form — the request form (a patron's and a visitor's, with its type switch and DOI/PMID
lookup), change, cancel and renew of one's own request, the staff page that links a visitor's request to
a patron — and the OpenURL query strings the request form reads, under hostile input: never a 500."""

from __future__ import annotations

import pytest
from django.test import Client

from opac.models import OpacSettings
from tests.factories import make_borrowing

from .webforms import Form, Fuzzer

pytestmark = pytest.mark.django_db

OPENURL = ("url_ver", "rft_val_fmt", "rft.genre", "genre", "rft.atitle", "rft.jtitle", "rft.btitle", "rft.title",
           "title", "atitle", "rft.au", "rft.aulast", "rft.date", "date", "rft.volume", "rft.issue", "rft.spage",
           "rft.epage", "rft.pages", "rft.isbn", "rft.issn", "rft_id", "id", "doi", "pmid", "type", "rft.pub",
           "rft.place", "rft.edition", "sid")


@pytest.fixture(autouse=True)
def _no_real_resolvers(settings):
    """DOI and PubMed lookups go nowhere but a closed local port: they fail fast, as when Crossref is down."""
    settings.ILLDESK_DOI_RESOLVER_URL = "http://127.0.0.1:9/works/"
    settings.ILLDESK_PUBMED_RESOLVER_URL = "http://127.0.0.1:9/esummary?id="
    settings.ILLDESK_RESOLVER_TIMEOUT = 0.5


@pytest.fixture
def own(patron, library, pickup, email_partner):
    """The patron's requests: one still cancellable, one on loan (renewable), one finished."""
    return {status: make_borrowing(library, status, partner=email_partner, requester=patron, pickup_location=pickup)
            for status in ("created", "loaned_to_patron", "completed")}


def test_the_patron_pages_survive_hostile_input(own, patron_user, client, django_capture_on_commit_callbacks):
    client.force_login(patron_user)
    fuzzer = Fuzzer(client, django_capture_on_commit_callbacks, examples=6)
    for path in ["/opac/request/", "/opac/request/?rft.genre=article&rft.atitle=x", "/opac/requests/",
                 *[f"/opac/requests/{req.pk}/" for req in own.values()],
                 f"/opac/requests/{own['created'].pk}/cancel/", f"/opac/requests/{own['loaned_to_patron'].pk}/renew/",
                 f"/opac/request/{own['created'].pk}/sent/"]:
        for htmx in (False, True):
            fuzzer.fuzz_forms(fuzzer.page(path, htmx=htmx))
    fuzzer.examples = 30
    fuzzer.fuzz(Form(action="/opac/request/", method="get", fields=OPENURL))
    fuzzer.examples = 6
    fuzzer.fuzz(Form(action="/opac/requests/", method="get", fields=("page",)))
    fuzzer.assert_clean()


def test_the_visitor_request_form_survives_hostile_input(pickup, django_capture_on_commit_callbacks):
    OpacSettings.objects.update_or_create(pk=OpacSettings.load().pk, defaults={"allow_unauthenticated": True})
    fuzzer = Fuzzer(Client(), django_capture_on_commit_callbacks, examples=8)
    for htmx in (False, True):
        fuzzer.fuzz_forms(fuzzer.page("/opac/request/", htmx=htmx))
    fuzzer.assert_clean()


def test_the_staff_link_page_survives_hostile_input(library, pickup, patron, operator, client,
                                                   django_capture_on_commit_callbacks):
    visitor = make_borrowing(library, "created", unauthenticated_name="Pia Patron", unauthenticated_email="x@y.org")
    client.force_login(operator)
    fuzzer = Fuzzer(client, django_capture_on_commit_callbacks, examples=6)
    fuzzer.fuzz_forms(fuzzer.page(f"/opac/link/{visitor.pk}/?q=Patron"))
    fuzzer.fuzz(Form(action=f"/opac/link/{visitor.pk}/", method="get", fields=("q",)))
    fuzzer.assert_clean()
