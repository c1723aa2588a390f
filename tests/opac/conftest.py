"""Fixtures of the OPAC tests: OPAC settings, a logged-in patron, in-process letter delivery, and a
local HTTP server shaped like Crossref's /works/{doi} and NCBI's esummary answers."""

from __future__ import annotations

import json
import threading
import time
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from urllib.parse import parse_qs, unquote, urlparse

import pytest

from opac.models import OpacSettings
from tests.browser import pytest_runtest_makereport  # noqa: F401 - screenshots of failed browser tests
from tests.celery_eager import tasks_in_process

CROSSREF_ARTICLE = {
    "status": "ok", "message-type": "work", "message-version": "1.0.0",
    "message": {
        "DOI": "10.1038/nature12373", "type": "journal-article", "publisher": "Springer Science and Business Media LLC",
        "title": ["Nanometre-scale thermometry in a <i>living</i> cell"], "container-title": ["Nature"],
        "author": [{"given": "G.", "family": "Kucsko", "sequence": "first"},
                   {"given": "P. C.", "family": "Maurer", "sequence": "additional"}],
        "volume": "500", "issue": "7460", "page": "54-58", "ISSN": ["0028-0836", "1476-4687"],
        "published-print": {"date-parts": [[2013, 8]]}, "issued": {"date-parts": [[2013, 7, 31]]},
    },
}
CROSSREF_CHAPTER = {
    "status": "ok", "message-type": "work",
    "message": {
        "DOI": "10.1007/978-3-319-24277-4_9", "type": "book-chapter", "publisher": "Springer International Publishing",
        "publisher-location": "Cham", "title": ["Ontology Matching"], "container-title": ["Semantic Web Primer"],
        "author": [{"given": "Jérôme", "family": "Euzenat"}], "editor": [{"given": "Pavel", "family": "Shvaiko"}],
        "ISBN": ["9783319242767", "9783319242774"], "page": "123-140", "issued": {"date-parts": [[2015]]},
    },
}
PUBMED_ARTICLE = {
    "header": {"type": "esummary", "version": "0.3"},
    "result": {
        "uids": ["23903748"],
        "23903748": {
            "uid": "23903748", "pubdate": "2013 Aug 1", "source": "Nature",
            "authors": [{"name": "Kucsko G", "authtype": "Author"}, {"name": "Maurer PC", "authtype": "Author"}],
            "title": "Nanometre-scale thermometry in a living cell.", "volume": "500", "issue": "7460",
            "pages": "54-8", "issn": "0028-0836", "essn": "1476-4687", "fulljournalname": "Nature",
            "articleids": [{"idtype": "pubmed", "value": "23903748"},
                           {"idtype": "doi", "value": "10.1038/nature12373"}],
        },
    },
}
PUBMED_MISSING = {"header": {"type": "esummary"}, "result": {"uids": ["99999999"],
                                                             "99999999": {"uid": "99999999",
                                                                          "error": "cannot get document summary"}}}


class Handler(BaseHTTPRequestHandler):
    """/works/<doi> like Crossref; /esummary?...&id=<pmid> like NCBI. Special DOIs misbehave."""

    slow_seconds = 2.0

    def log_message(self, *args) -> None:  # keep the test output clean
        pass

    def _send(self, status: int, body: bytes, content_type: str = "application/json") -> None:
        self.send_response(status)
        self.send_header("Content-Type", content_type)
        self.send_header("Content-Length", str(len(body)))
        self.end_headers()
        self.wfile.write(body)

    def do_GET(self) -> None:  # noqa: N802 - http.server's name
        url = urlparse(self.path)
        self.server.seen.append(self.path)
        if url.path.startswith("/works/"):
            doi = unquote(url.path[len("/works/"):])
            if doi.startswith("10.9999/slow"):
                time.sleep(self.slow_seconds)
                return self._send(200, json.dumps(CROSSREF_ARTICLE).encode())
            if doi.startswith("10.9999/error"):
                return self._send(500, b"Internal Server Error", "text/plain")
            if doi.startswith("10.9999/garbage"):
                return self._send(200, b"<html>this is not json</html>", "text/html")
            if doi.startswith("10.9999/shape"):
                return self._send(200, json.dumps({"status": "ok", "message": ["unexpected"]}).encode())
            answer = {"10.1038/nature12373": CROSSREF_ARTICLE, "10.1007/978-3-319-24277-4_9": CROSSREF_CHAPTER}
            if doi in answer:
                return self._send(200, json.dumps(answer[doi]).encode())
            return self._send(404, b"Resource not found.", "text/plain")
        if url.path == "/esummary":
            pmid = parse_qs(url.query).get("id", [""])[0]
            if pmid == "23903748":
                return self._send(200, json.dumps(PUBMED_ARTICLE).encode())
            if pmid == "55555555":
                return self._send(200, b"{not json")
            return self._send(200, json.dumps(PUBMED_MISSING).encode())
        return self._send(404, b"", "text/plain")


@pytest.fixture
def resolver(settings):
    """Point both resolvers at a local server; yields the server (its `.seen` lists the paths asked)."""
    server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
    server.daemon_threads = True
    server.seen = []
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    port = server.server_address[1]
    settings.ILLDESK_DOI_RESOLVER_URL = f"http://127.0.0.1:{port}/works/"
    settings.ILLDESK_PUBMED_RESOLVER_URL = f"http://127.0.0.1:{port}/esummary?db=pubmed&retmode=json&id="
    settings.ILLDESK_RESOLVER_TIMEOUT = 0.5
    yield server
    server.shutdown()
    server.server_close()


@pytest.fixture(autouse=True)
def _no_real_resolvers(settings):
    """No test ever reaches Crossref or NCBI: unless a test asks for `resolver`, lookups fail fast."""
    settings.ILLDESK_DOI_RESOLVER_URL = "http://127.0.0.1:9/works/"
    settings.ILLDESK_PUBMED_RESOLVER_URL = "http://127.0.0.1:9/esummary?id="
    settings.ILLDESK_RESOLVER_TIMEOUT = 0.5


@pytest.fixture(autouse=True)
def _fresh_cache():
    """Resolver answers are cached; every test starts without them."""
    from django.core.cache import cache

    cache.clear()
    yield
    cache.clear()


@pytest.fixture(autouse=True)
def eager_celery():
    with tasks_in_process(propagate=True):
        yield


@pytest.fixture
def opac(db):
    return OpacSettings.load()


@pytest.fixture
def anonymous_allowed(opac):
    opac.allow_unauthenticated = True
    opac.min_fill_seconds = 3
    opac.save()
    return opac


@pytest.fixture
def patron_client(client, patron, pickup):
    client.force_login(patron.user)
    return client


@pytest.fixture
def other_patron(category, library):
    from django.contrib.auth.models import User

    from illdesk.models import Patron

    user = User.objects.create_user("other", "other@example.org", "other")
    return Patron.objects.create(user=user, card_number="P0002", first_name="Olavi", last_name="Other",
                                 email="olavi@example.org", category=category, home_library=library)


def book_data(pickup, **extra) -> dict:
    data = {"request_type": "book", "title": "Seitsemän veljestä", "author": "Kivi, Aleksis", "year": "1870",
            "requested_format": "physical", "pickup_location": pickup.pk}
    data.update(extra)
    return {k: v for k, v in data.items() if v is not None}


def article_data(pickup, **extra) -> dict:
    data = {"request_type": "article", "title": "Nature", "chapter_title": "Nanometre-scale thermometry",
            "chapter_author": "Kucsko, G.", "volume": "500", "issue": "7460", "pages": "54-58", "year": "2013",
            "issn": "0028-0836", "requested_format": "digital", "pickup_location": pickup.pk}
    data.update(extra)
    return {k: v for k, v in data.items() if v is not None}
