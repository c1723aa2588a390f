"""DOI and PubMed id lookups (seed 004: "patrons can also use a DOI or a PubMed ID").

`lookup(doi=…, pmid=…)` asks Crossref (`/works/{doi}`) or NCBI esummary and returns form values. Every
failure — timeout, refused connection, HTTP error, a body that is not the JSON we expect — raises
`LookupFailed` with a sentence for the patron; the form stays as it was, so the patron types the
citation instead. Nothing here is trusted: values are cleaned and bounded like OpenURL input.

Settings (read with getattr so tests and deployments can point them elsewhere):
    ILLDESK_DOI_RESOLVER_URL     default "https://api.crossref.org/works/"  (the DOI is appended)
    ILLDESK_PUBMED_RESOLVER_URL  default NCBI esummary with db=pubmed&retmode=json&id=  (the id is appended)
    ILLDESK_RESOLVER_TIMEOUT     seconds, default 5
"""

from __future__ import annotations

import hashlib
import http.client
import json
import logging
import urllib.error
import urllib.parse
import urllib.request
from dataclasses import dataclass, field
from html import unescape
from typing import Any

from django.conf import settings
from django.core.cache import cache
from django.utils.html import strip_tags
from django.utils.translation import gettext as _

from illdesk.models import RequestType

from .identifiers import clean_text, normalize_doi, normalize_isbn, normalize_issn, normalize_pmid, year_of
from .openurl import LIMITS

log = logging.getLogger("illdesk.opac")

T = RequestType
DEFAULT_DOI_URL = "https://api.crossref.org/works/"
DEFAULT_PUBMED_URL = "https://eutils.ncbi.nlm.nih.gov/entrez/eutils/esummary.fcgi?db=pubmed&retmode=json&id="
MAX_BYTES = 2 * 1024 * 1024
CACHE_SECONDS = 24 * 3600

CROSSREF_TYPES: dict[str, str] = {
    "journal-article": T.ARTICLE, "article": T.ARTICLE, "posted-content": T.ARTICLE,
    "book-chapter": T.CHAPTER, "book-section": T.CHAPTER, "book-part": T.CHAPTER, "reference-entry": T.CHAPTER,
    "book": T.BOOK, "monograph": T.BOOK, "edited-book": T.BOOK, "reference-book": T.BOOK, "book-set": T.BOOK,
    "book-series": T.BOOK, "book-track": T.BOOK,
    "proceedings-article": T.CONFERENCE, "proceedings": T.CONFERENCE, "proceedings-series": T.CONFERENCE,
    "dissertation": T.THESIS,
    "journal": T.JOURNAL, "journal-issue": T.JOURNAL, "journal-volume": T.JOURNAL,
}
PART_TYPES = frozenset({T.ARTICLE, T.CHAPTER, T.CONFERENCE})


class LookupFailed(Exception):
    """The lookup did not give a citation; `message` is for the patron."""

    def __init__(self, message: str) -> None:
        super().__init__(message)
        self.message = message


@dataclass
class Citation:
    request_type: str
    values: dict[str, str] = field(default_factory=dict)

    def as_form_values(self) -> dict[str, str]:
        bounded = {k: clean_text(v, LIMITS.get(k, 500)) for k, v in self.values.items()}
        return {"request_type": self.request_type, **{k: v for k, v in bounded.items() if v}}


# --- HTTP -----------------------------------------------------------------------------------------


def _timeout() -> float:
    return float(getattr(settings, "ILLDESK_RESOLVER_TIMEOUT", 5))


def _get_json(url: str, *, what: str) -> Any:
    """GET `url` and parse JSON; any failure becomes LookupFailed (logged for staff, short for patrons)."""
    agent = f"illdesk/0.1 (mailto:{getattr(settings, 'DEFAULT_FROM_EMAIL', '')})"
    req = urllib.request.Request(url, headers={"Accept": "application/json", "User-Agent": agent})  # noqa: S310
    unavailable = _("The %(service)s lookup is not available right now. Please type the details yourself.") % {
        "service": what}
    try:
        with urllib.request.urlopen(req, timeout=_timeout()) as response:  # noqa: S310 - URL from settings
            body = response.read(MAX_BYTES + 1)
    except urllib.error.HTTPError as exc:
        if exc.code == 404:
            raise LookupFailed(_("No %(service)s record was found for this identifier. Please check it, or "
                                 "type the details yourself.") % {"service": what}) from exc
        log.warning("%s lookup %s: HTTP %s", what, url, exc.code)
        raise LookupFailed(unavailable) from exc
    except (urllib.error.URLError, http.client.HTTPException, OSError, ValueError) as exc:
        log.warning("%s lookup %s failed: %s", what, url, exc)
        raise LookupFailed(unavailable) from exc
    if len(body) > MAX_BYTES:
        log.warning("%s lookup %s: answer too large", what, url)
        raise LookupFailed(unavailable)
    try:
        return json.loads(body.decode("utf-8"))
    except (UnicodeDecodeError, json.JSONDecodeError) as exc:
        log.warning("%s lookup %s: not JSON", what, url)
        raise LookupFailed(unavailable) from exc


def _text(value: Any) -> str:
    """Crossref titles are lists and may carry JATS/HTML markup (<i>, <sub>, entities)."""
    if isinstance(value, list):
        value = next((v for v in value if isinstance(v, str) and v.strip()), "")
    if not isinstance(value, str | int | float):
        return ""
    return clean_text(unescape(strip_tags(str(value))), 1000)


# --- Crossref -------------------------------------------------------------------------------------


def _names(people: Any) -> str:
    if not isinstance(people, list):
        return ""
    names = []
    for person in people[:30]:
        if not isinstance(person, dict):
            continue
        family, given = _text(person.get("family")), _text(person.get("given"))
        name = f"{family}, {given}" if family and given else family or given or _text(person.get("name"))
        if name:
            names.append(name)
    return "; ".join(names)


def _crossref_year(work: dict) -> str:
    for key in ("published-print", "published-online", "issued", "published", "created"):
        parts = work.get(key)
        if isinstance(parts, dict):
            date_parts = parts.get("date-parts")
            if isinstance(date_parts, list) and date_parts and isinstance(date_parts[0], list) and date_parts[0]:
                year = year_of(date_parts[0][0])
                if year:
                    return year
    return ""


def lookup_doi(doi: str) -> Citation:
    doi = normalize_doi(doi)
    if not doi:
        raise LookupFailed(_("This does not look like a DOI (it starts with 10. and contains a slash)."))
    base = getattr(settings, "ILLDESK_DOI_RESOLVER_URL", DEFAULT_DOI_URL)
    data = _get_json(base + urllib.parse.quote(doi, safe="/:;()"), what="DOI")
    work = data.get("message") if isinstance(data, dict) else None
    if not isinstance(work, dict) or not (work.get("title") or work.get("container-title")):
        log.warning("DOI lookup %s: unexpected answer", doi)
        raise LookupFailed(_("The DOI lookup gave no usable citation. Please type the details yourself."))
    kind = CROSSREF_TYPES.get(_text(work.get("type")), T.OTHER)
    title, container = _text(work.get("title")), _text(work.get("container-title"))
    subtitle = _text(work.get("subtitle"))
    authors, editors = _names(work.get("author")), _names(work.get("editor"))
    values = {
        "issn": next((n for n in map(normalize_issn, _list(work.get("ISSN"))) if n), ""),
        "isbn": next((n for n in map(normalize_isbn, _list(work.get("ISBN"))) if n), ""),
        "volume": _text(work.get("volume")), "issue": _text(work.get("issue")), "pages": _text(work.get("page")),
        "publisher": _text(work.get("publisher")), "place_of_publication": _text(work.get("publisher-location")),
        "year": _crossref_year(work), "doi": normalize_doi(work.get("DOI")) or doi,
    }
    if kind in PART_TYPES:
        values.update(title=container or title, chapter_title=title if container else "", chapter_author=authors,
                      author=editors if kind != T.ARTICLE else "")
    else:
        full = f"{title}: {subtitle}" if title and subtitle else title or container
        values.update(title=full, author=authors or editors)
    if kind == T.THESIS:
        institution = work.get("institution")
        if isinstance(institution, list) and institution and isinstance(institution[0], dict):
            values["publisher"] = values["publisher"] or _text(institution[0].get("name"))
    return Citation(kind, values)


def _list(value: Any) -> list:
    return value if isinstance(value, list) else [value] if value else []


# --- PubMed (NCBI esummary, JSON) ----------------------------------------------------------------------


def lookup_pmid(pmid: str) -> Citation:
    pmid = normalize_pmid(pmid)
    if not pmid:
        raise LookupFailed(_("A PubMed id is a number of up to nine digits."))
    base = getattr(settings, "ILLDESK_PUBMED_RESOLVER_URL", DEFAULT_PUBMED_URL)
    data = _get_json(base + pmid, what="PubMed")
    result = data.get("result") if isinstance(data, dict) else None
    summary = result.get(pmid) if isinstance(result, dict) else None
    if not isinstance(summary, dict) or summary.get("error") or not summary.get("title"):
        if isinstance(summary, dict) and summary.get("error"):
            raise LookupFailed(_("No PubMed record was found for this id. Please check it, or type the details "
                                 "yourself."))
        log.warning("PubMed lookup %s: unexpected answer", pmid)
        raise LookupFailed(_("The PubMed lookup gave no usable citation. Please type the details yourself."))
    authors = "; ".join(
        _text(a.get("name")) for a in _list(summary.get("authors"))[:30] if isinstance(a, dict) and a.get("name"))
    doi = ""
    for article_id in _list(summary.get("articleids")):
        if isinstance(article_id, dict) and article_id.get("idtype") == "doi":
            doi = normalize_doi(article_id.get("value"))
            break
    values = {
        "chapter_title": _text(summary.get("title")).rstrip("."), "chapter_author": authors,
        "volume": _text(summary.get("volume")), "issue": _text(summary.get("issue")),
        "pages": _text(summary.get("pages")), "year": year_of(_text(summary.get("pubdate"))),
        "issn": normalize_issn(summary.get("issn")) or normalize_issn(summary.get("essn")),
        "doi": doi, "pmid": pmid,
    }
    book = _text(summary.get("booktitle"))
    if book:
        values.update(title=book, publisher=_text(summary.get("publishername")),
                      place_of_publication=_text(summary.get("publisherlocation")))
        return Citation(T.CHAPTER, values)
    values["title"] = _text(summary.get("fulljournalname")) or _text(summary.get("source"))
    return Citation(T.ARTICLE, values)


def lookup(*, doi: str = "", pmid: str = "") -> Citation:
    """DOI first (Crossref knows more than articles); PubMed when only a PMID is given.

    Answers are cached for a day (failures are not), so a catalogue link opened again — or many
    times by a crawler — does not ask the resolver again.
    """
    if doi:
        key, run = f"opac:doi:{normalize_doi(doi) or doi}", lambda: lookup_doi(doi)
    elif pmid:
        key, run = f"opac:pmid:{normalize_pmid(pmid) or pmid}", lambda: lookup_pmid(pmid)
    else:
        raise LookupFailed(_("Give a DOI or a PubMed id to look up."))
    key = "opac:lookup:" + hashlib.sha256(key.encode()).hexdigest()
    cached = cache.get(key)
    if isinstance(cached, Citation):
        return cached
    citation = run()
    cache.set(key, citation, CACHE_SECONDS)
    return citation
