"""OpenURL → request form values (seed 004: "the citation is copied into the request form").

Discovery systems link to `/opac/request/?<OpenURL>` in one of two dialects:

* Z39.88-2004 KEV (`url_ver=Z39.88-2004`, `rft_val_fmt=info:ofi/fmt:kev:mtx:journal`, `rft.atitle`,
  `rft.jtitle`, `rft.btitle`, `rft.au`, `rft_id=info:doi/…` …),
* OpenURL 0.1 (`genre=article&title=…&atitle=…&id=doi:…`),

and some link resolvers simply send `doi=` or `pmid=`. Whatever arrives is untrusted: values are cleaned
and bounded, identifiers that do not check out are dropped, unknown genres fall back to a guess from the
fields present. The result only pre-fills the form; the form validates it like typed input.
"""

from __future__ import annotations

from collections.abc import Mapping

from illdesk.models import RequestType

from .identifiers import clean_text, normalize_doi, normalize_isbn, normalize_issn, normalize_pmid, year_of

T = RequestType

GENRES: dict[str, str] = {
    "book": T.BOOK, "bookitem": T.CHAPTER, "chapter": T.CHAPTER,
    "article": T.ARTICLE, "preprint": T.ARTICLE, "contribution": T.ARTICLE,
    "journal": T.JOURNAL, "issue": T.JOURNAL, "serial": T.JOURNAL,
    "proceeding": T.CONFERENCE, "proceedings": T.CONFERENCE, "conference": T.CONFERENCE,
    "dissertation": T.THESIS, "thesis": T.THESIS,
    "report": T.OTHER, "document": T.OTHER, "unknown": T.OTHER, "patent": T.OTHER,
}
# Our own `type=` parameter uses the RequestType values themselves.
GENRES.update({value: value for value in T.values})

FORMATS = {"book": T.BOOK, "journal": T.JOURNAL, "dissertation": T.THESIS, "patent": T.OTHER}
PART_TYPES = frozenset({T.CHAPTER, T.ARTICLE, T.CONFERENCE})

# form field → max length (the model's)
LIMITS = {"title": 500, "author": 300, "chapter_title": 500, "chapter_author": 300, "publisher": 300,
          "place_of_publication": 200, "edition": 100, "volume": 50, "issue": 50, "pages": 50}


class _Params:
    """Reads both dialects: `rft.x` (1.0) first, then plain `x` (0.1)."""

    def __init__(self, query: Mapping) -> None:
        self.query = query

    def all(self, name: str) -> list[str]:
        getlist = getattr(self.query, "getlist", None)
        values: list[str] = []
        for key in (f"rft.{name}", name):
            if getlist is not None:
                values += getlist(key)
            elif key in self.query:
                value = self.query[key]
                values += list(value) if isinstance(value, list | tuple) else [value]
        return [v for v in (clean_text(v, 1000) for v in values) if v]

    def first(self, *names: str) -> str:
        for name in names:
            values = self.all(name)
            if values:
                return values[0]
        return ""

    def ids(self) -> list[str]:
        getlist = getattr(self.query, "getlist", None)
        found: list[str] = []
        for key in ("rft_id", "id", "rft.id", "pid"):
            raw = getlist(key) if getlist is not None else [self.query.get(key, "")]
            found += [clean_text(v, 300) for v in raw if v]
        return found


def _type(p: _Params, fmt: str, own_type: str) -> str:
    genre = (p.first("genre") or own_type).lower()
    if genre in GENRES:
        return GENRES[genre]
    has_part = bool(p.first("atitle"))
    from_format = FORMATS.get(fmt)
    if from_format is None:
        # No genre, no format: the fields say what it is. A book title beats a (series) ISSN.
        if p.first("btitle"):
            from_format = T.BOOK
        elif p.first("jtitle"):
            from_format = T.JOURNAL
        elif any(map(normalize_isbn, p.all("isbn"))):
            from_format = T.BOOK
        elif any(map(normalize_issn, p.all("issn") + p.all("eissn"))):
            from_format = T.JOURNAL
    if from_format == T.JOURNAL:
        return T.ARTICLE if has_part else T.JOURNAL
    if from_format == T.BOOK:
        return T.CHAPTER if has_part else T.BOOK
    if from_format is not None:
        return from_format
    return T.ARTICLE if has_part else T.BOOK


def _authors(p: _Params) -> str:
    names = p.all("au")
    if not names:
        last, first = p.first("aulast"), p.first("aufirst") or p.first("auinit")
        if last:
            names = [f"{last}, {first}" if first else last]
    names += p.all("aucorp")
    return "; ".join(dict.fromkeys(names))


def _pages(p: _Params) -> str:
    pages = p.first("pages")
    if pages:
        return pages
    start, end = p.first("spage"), p.first("epage")
    if start and end:
        return f"{start}-{end}"
    return start


def parse(query: Mapping) -> dict[str, str]:
    """Form values from an OpenURL query (empty dict when the query carries no citation at all)."""
    p = _Params(query)
    fmt = clean_text(query.get("rft_val_fmt", ""), 100).rsplit(":", 1)[-1].lower()
    request_type = _type(p, fmt, clean_text(query.get("type", ""), 30))
    values: dict[str, str] = {}

    if request_type == T.ARTICLE or request_type == T.JOURNAL:
        container = p.first("jtitle", "title", "stitle")
    elif request_type in (T.BOOK, T.THESIS, T.OTHER):
        container = p.first("btitle", "title", "jtitle")
    else:  # chapter / conference: the book or the proceedings
        container = p.first("btitle", "jtitle", "title")
    part = p.first("atitle")
    if request_type not in PART_TYPES and part and not container:
        container, part = part, ""
    values["title"] = container
    authors = _authors(p)
    if request_type in PART_TYPES:
        values["chapter_title"] = part
        values["chapter_author"] = authors
    else:
        values["author"] = authors
    values["publisher"] = p.first("pub", "publisher", "inst")
    values["place_of_publication"] = p.first("place")
    values["edition"] = p.first("edition")
    values["volume"] = p.first("volume")
    values["issue"] = p.first("issue")
    values["pages"] = _pages(p)
    values["year"] = year_of(p.first("date", "year"))
    values["isbn"] = next((n for n in map(normalize_isbn, p.all("isbn")) if n), "")
    values["issn"] = next((n for n in map(normalize_issn, p.all("issn") + p.all("eissn")) if n), "")
    values["doi"] = normalize_doi(p.first("doi"))
    values["pmid"] = normalize_pmid(p.first("pmid"))
    for identifier in p.ids():
        lowered = identifier.lower()
        if lowered.startswith("info:oclcnum/") and not values.get("oclc_number"):
            number = identifier.split("/", 1)[1]
            values["oclc_number"] = number if number.isdigit() and len(number) <= 30 else ""
        elif "pmid" in lowered or "pubmed" in lowered:
            values["pmid"] = values["pmid"] or normalize_pmid(identifier)
        else:
            values["doi"] = values["doi"] or normalize_doi(identifier)
    values = {k: v[:LIMITS.get(k, 500)] for k, v in values.items() if v}
    if "title" in values or _explicit_type(query):
        # With identifiers only, the DOI/PMID lookup decides the type later.
        values["request_type"] = str(request_type)
    return values


def _explicit_type(query: Mapping) -> bool:
    return bool(query.get("genre") or query.get("rft.genre") or query.get("type") or query.get("rft_val_fmt"))
