"""An SRU 1.1/1.2 searchRetrieve client: stdlib urllib for HTTP, lxml (hardened) for the response,
pymarc for the MARCXML records. No Django in here, so it can be tried from a shell against any server.

    response = search_retrieve("http://catalog.example.org:210/Default", 'bath.isbn="9780226458083"',
                               maximum_records=10, timeout=10)
    response.number_of_records, [r.title for r in response.records]

Errors are raised as SRUError subclasses, each with a message fit for a history row: SRUTimeout,
SRUHTTPError (non-2xx answer without SRU diagnostics), SRUResponseError (not XML / not SRU), and
SRUDiagnosticError (the server answered with fatal SRU diagnostics). Non-fatal diagnostics (e.g. 59
"partial results") and per-record surrogate diagnostics are kept on the response instead.

Queries for a citation (`citation_queries`): an identifier first (`bath.isbn` / `bath.issn`, the Bath
profile indexes most SRU servers map), then the title words (`dc.title all "…"`) with the author's
surname (`dc.creator all "…"`). Each query carries a plain server-choice form of the same terms, used when
the server says it does not support the index or relation (diagnostics 15–24).
"""

from __future__ import annotations

import http.client
import re
import time
import urllib.error
import urllib.request
from collections.abc import Iterable, Sequence
from dataclasses import dataclass, field
from urllib.parse import parse_qsl, quote, urlencode, urlsplit, urlunsplit

import pymarc
from lxml import etree

MARC_NS = "http://www.loc.gov/MARC21/slim"
MAX_RESPONSE_BYTES = 5 * 1024 * 1024  # 10 MARC records are a few dozen KB; more is a misbehaving server
USER_AGENT = "illdesk-locate/1.0 (SRU searchRetrieve)"
# Diagnostics that mean "I don't know this index / relation / context set": retry as a plain term query.
UNSUPPORTED_QUERY_CODES = frozenset({"15", "16", "17", "18", "19", "20", "21", "22", "23", "24"})
_WORD = re.compile(r"\w+")
_SUBTITLE = re.compile(r"\s[:/=;]\s?|\s?[:/=;]\s")
_TRAILING = re.compile(r"[\s/:;,.=]+$")
_INITIAL = re.compile(r"\b\w\.$")
MAX_TITLE_WORDS = 8


# --- errors ---------------------------------------------------------------------------------------


class SRUError(Exception):
    """Anything that kept a search from giving an answer; `message` is shown to staff."""

    def __init__(self, message: str) -> None:
        super().__init__(message)
        self.message = message


class SRUTimeout(SRUError):
    pass


class SRUHTTPError(SRUError):
    def __init__(self, message: str, status: int) -> None:
        super().__init__(message)
        self.status = status


class SRUResponseError(SRUError):
    """The answer is not well-formed XML or not an SRU searchRetrieveResponse."""


@dataclass(frozen=True)
class Diagnostic:
    uri: str
    message: str = ""
    details: str = ""

    @property
    def code(self) -> str:
        """"info:srw/diagnostic/1/16" → "16" (the SRU diagnostics list number)."""
        return self.uri.rsplit("/", 1)[-1] if self.uri.startswith("info:srw/diagnostic/") else self.uri

    def __str__(self) -> str:
        text = self.message or self.uri
        if self.details:
            text += f" ({self.details})"
        return f"{text} [diagnostic {self.code}]" if self.code else text


class SRUDiagnosticError(SRUError):
    def __init__(self, diagnostics: Sequence[Diagnostic]) -> None:
        super().__init__("; ".join(str(d) for d in diagnostics) or "SRU diagnostic")
        self.diagnostics = list(diagnostics)

    @property
    def unsupported_query(self) -> bool:
        return any(d.code in UNSUPPORTED_QUERY_CODES for d in self.diagnostics)


# --- results ------------------------------------------------------------------------------------


@dataclass
class SRURecord:
    """One MARC record of a response, with the fields locate shows and compares."""

    position: int | None
    record_id: str = ""
    title: str = ""
    author: str = ""
    isbns: list[str] = field(default_factory=list)
    issns: list[str] = field(default_factory=list)
    oclc_numbers: list[str] = field(default_factory=list)
    publisher: str = ""
    year: str = ""
    holdings: list[str] = field(default_factory=list)
    marc: pymarc.Record | None = None


@dataclass
class SearchResponse:
    number_of_records: int
    records: list[SRURecord] = field(default_factory=list)
    diagnostics: list[Diagnostic] = field(default_factory=list)  # non-fatal and surrogate diagnostics
    query: str = ""


# --- queries --------------------------------------------------------------------------------------


def quote_term(term: str) -> str:
    """A CQL quoted string; masking characters are escaped so they match literally."""
    escaped = re.sub(r'([\\"*?^])', r"\\\1", term)
    return f'"{escaped}"'


def title_words(title: str) -> list[str]:
    """The main title's words (before a subtitle or statement of responsibility), punctuation dropped."""
    main = _SUBTITLE.split(title or "", maxsplit=1)[0]
    words = _WORD.findall(main)
    return words[:MAX_TITLE_WORDS]


def surname(author: str) -> str:
    """"Kuhn, Thomas S." → "Kuhn"; "Thomas Kuhn" → "Kuhn"; a name without spaces (CJK) stays whole."""
    author = (author or "").strip()
    if not author:
        return ""
    head = author.split(",")[0] if "," in author else author.split()[-1]
    words = _WORD.findall(head)
    return " ".join(words)


@dataclass(frozen=True)
class CQLQuery:
    by: str  # what it searches by: "ISBN", "ISSN", "title"
    cql: str
    plain: str  # the same terms as a server-choice query, for servers without the index


def citation_queries(*, title: str = "", author: str = "", isbns: Iterable[str] = (),
                     issn: str = "") -> list[CQLQuery]:
    """The queries to try for a citation, most precise first."""
    queries = []
    isbns = [i for i in dict.fromkeys(isbns) if i]
    if isbns:
        queries.append(CQLQuery("ISBN", " or ".join(f"bath.isbn={quote_term(i)}" for i in isbns),
                                " or ".join(quote_term(i) for i in isbns)))
    if issn:
        queries.append(CQLQuery("ISSN", f"bath.issn={quote_term(issn)}", quote_term(issn)))
    words = title_words(title)
    if words:
        name = surname(author)
        cql = f"dc.title all {quote_term(' '.join(words))}"
        plain_terms = list(words)
        if name:
            cql += f" and dc.creator all {quote_term(name)}"
            plain_terms += name.split()
        queries.append(CQLQuery("title", cql, " and ".join(quote_term(t) for t in plain_terms)))
    return queries


# --- HTTP -----------------------------------------------------------------------------------------


def request_url(base_url: str, query: str, *, maximum_records: int, version: str = "1.1",
                record_schema: str = "marcxml", start_record: int = 1) -> str:
    parts = urlsplit(base_url.strip())
    if parts.scheme not in ("http", "https") or not parts.netloc:
        raise SRUError(f"not an http(s) SRU base URL: {base_url!r}")
    params = [(k, v) for k, v in parse_qsl(parts.query, keep_blank_values=True)
              if k not in {"operation", "version", "query", "maximumRecords", "recordSchema", "startRecord"}]
    params += [("operation", "searchRetrieve"), ("version", version), ("query", query),
               ("startRecord", str(start_record)), ("maximumRecords", str(maximum_records)),
               ("recordSchema", record_schema)]
    return urlunsplit((parts.scheme, parts.netloc, parts.path or "/", urlencode(params, quote_via=quote), ""))


def _read(response, deadline: float, max_bytes: int) -> bytes:
    chunks, size = [], 0
    while True:
        chunk = response.read(64 * 1024)
        if not chunk:
            return b"".join(chunks)
        size += len(chunk)
        if size > max_bytes:
            raise SRUResponseError(f"response larger than {max_bytes // 1024} KB")
        if time.monotonic() > deadline:
            raise SRUTimeout("no complete answer within the timeout")
        chunks.append(chunk)


def fetch(url: str, *, timeout: float, max_bytes: int = MAX_RESPONSE_BYTES) -> bytes:
    """GET `url`; the body of a 2xx answer, else SRUError. `timeout` bounds each wait and the whole read."""
    deadline = time.monotonic() + timeout
    request = urllib.request.Request(url, headers={"Accept": "text/xml, application/xml;q=0.9, */*;q=0.1",
                                                   "User-Agent": USER_AGENT})
    try:
        with urllib.request.urlopen(request, timeout=timeout) as response:  # noqa: S310 (scheme checked)
            return _read(response, deadline, max_bytes)
    except urllib.error.HTTPError as exc:
        # Some servers send their diagnostics with a 4xx/5xx status: prefer those to the bare status.
        try:
            body = _read(exc, deadline, max_bytes)
        except (SRUError, OSError, http.client.HTTPException):
            body = b""
        diagnostics = _diagnostics_in(body)
        if diagnostics:
            raise SRUDiagnosticError(diagnostics) from None
        raise SRUHTTPError(f"HTTP {exc.code} {exc.reason}", exc.code) from None
    except TimeoutError:
        raise SRUTimeout(f"no answer within {timeout:g} s") from None
    except urllib.error.URLError as exc:
        if isinstance(exc.reason, TimeoutError):
            raise SRUTimeout(f"no answer within {timeout:g} s") from None
        raise SRUError(f"cannot connect: {exc.reason}") from None
    except (http.client.HTTPException, OSError) as exc:
        raise SRUError(f"connection failed: {type(exc).__name__}: {exc}") from None


def search_retrieve(base_url: str, query: str, *, maximum_records: int = 10, timeout: float = 10,
                    version: str = "1.1", record_schema: str = "marcxml", start_record: int = 1,
                    max_bytes: int = MAX_RESPONSE_BYTES) -> SearchResponse:
    url = request_url(base_url, query, maximum_records=maximum_records, version=version,
                      record_schema=record_schema, start_record=start_record)
    response = parse_response(fetch(url, timeout=timeout, max_bytes=max_bytes))
    response.query = query
    return response


def search_citation(base_url: str, queries: Sequence[CQLQuery], **kwargs) -> SearchResponse:
    """Try `queries` in order (each falling back to its plain form on an unsupported-index diagnostic)
    until one finds something; the last response otherwise. Errors other than that fallback propagate."""
    if not queries:
        raise SRUError("nothing to search with: the citation has no title and no identifier")
    response = None
    for q in queries:
        try:
            response = search_retrieve(base_url, q.cql, **kwargs)
        except SRUDiagnosticError as exc:
            if not exc.unsupported_query:
                raise
            response = search_retrieve(base_url, q.plain, **kwargs)
        if response.number_of_records > 0:
            break
    return response


# --- parsing --------------------------------------------------------------------------------------


def _parser() -> etree.XMLParser:
    # A fresh parser per call (lxml parsers are not thread-safe); no entities, no DTD, no network.
    return etree.XMLParser(resolve_entities=False, no_network=True, load_dtd=False, huge_tree=False,
                           remove_comments=True, remove_pis=True)


def _load(data: bytes) -> etree._Element:
    raw = data.lstrip()
    if not raw:
        raise SRUResponseError("empty response")
    if b"<!DOCTYPE" in raw[:4096] or b"<!ENTITY" in raw:
        raise SRUResponseError("DOCTYPE declarations are not accepted")
    try:
        root = etree.fromstring(raw, parser=_parser())
    except (etree.LxmlError, ValueError) as exc:
        raise SRUResponseError(f"not well-formed XML: {str(exc)[:200]}") from None
    if root is None:
        raise SRUResponseError("not well-formed XML: no root element")
    info = root.getroottree().docinfo
    if info.doctype or info.internalDTD is not None:
        raise SRUResponseError("DOCTYPE declarations are not accepted")
    return root


def _local(el) -> str:
    return etree.QName(el).localname if isinstance(el.tag, str) else ""


def _child(el, name: str):
    return next((c for c in el if _local(c) == name), None)


def _children(el, name: str) -> list:
    return [c for c in el if _local(c) == name]


def _text(el, name: str) -> str:
    c = _child(el, name) if el is not None else None
    return (c.text or "").strip() if c is not None else ""


def _diagnostic(el) -> Diagnostic:
    return Diagnostic(uri=_text(el, "uri"), message=_text(el, "message"), details=_text(el, "details"))


def _diagnostics_in(body: bytes) -> list[Diagnostic]:
    """Diagnostics of an error page, if it is SRU XML at all."""
    try:
        root = _load(body)
    except SRUError:
        return []
    holder = _child(root, "diagnostics")
    return [_diagnostic(d) for d in holder if _local(d) == "diagnostic"] if holder is not None else []


def parse_response(body: bytes) -> SearchResponse:
    """A searchRetrieveResponse (SRU 1.1/1.2, or 2.0's namespace) → SearchResponse, or SRUError."""
    root = _load(body)
    if _local(root) != "searchRetrieveResponse":
        raise SRUResponseError(f"not an SRU searchRetrieveResponse (root element {_local(root)!r})")
    holder = _child(root, "diagnostics")
    diagnostics = [_diagnostic(d) for d in holder if _local(d) == "diagnostic"] if holder is not None else []
    count_text = _text(root, "numberOfRecords")
    records_el = _child(root, "records")
    record_els = _children(records_el, "record") if records_el is not None else []
    if diagnostics and not record_els and count_text in ("", "0"):
        raise SRUDiagnosticError(diagnostics)
    if not count_text:
        raise SRUResponseError("numberOfRecords missing from the response")
    try:
        count = int(count_text)
    except ValueError:
        raise SRUResponseError(f"numberOfRecords is not a number: {count_text[:40]!r}") from None
    response = SearchResponse(number_of_records=max(count, 0), diagnostics=diagnostics)
    for el in record_els:
        record = _record(el, response.diagnostics)
        if record is not None:
            response.records.append(record)
    return response


def _record(el, diagnostics: list[Diagnostic]) -> SRURecord | None:
    position_text = _text(el, "recordPosition")
    position = int(position_text) if position_text.isdigit() else None
    data = _child(el, "recordData")
    if data is None:
        return None
    content = next((c for c in data if isinstance(c.tag, str)), None)
    if content is None and (data.text or "").strip().startswith("<"):
        try:  # recordPacking=string: the record is escaped XML text
            content = _load((data.text or "").strip().encode())
        except SRUError as exc:
            diagnostics.append(Diagnostic(uri="", message=f"record {position_text or '?'} unreadable: {exc.message}"))
            return None
    if content is None:
        return None
    if _local(content) == "diagnostic":  # a surrogate diagnostic stands in for this record
        diagnostics.append(_diagnostic(content))
        return None
    marc_el = content if _is_marc(content) else next((e for e in content.iter() if _is_marc(e)), None)
    if marc_el is None:
        return SRURecord(position=position)
    marc = to_pymarc(marc_el)
    holdings = _opac_holdings(content) + marc_holdings(marc)
    return SRURecord(position=position, record_id=_control(marc, "001"), title=_clean(marc.title or ""),
                     author=_clean(marc.author or ""), isbns=_values(marc, "020", "a", _isbn),
                     issns=_values(marc, "022", "a", _issn), oclc_numbers=_oclc(marc),
                     publisher=_clean(marc.publisher or ""), year=_clean(marc.pubyear or ""),
                     holdings=holdings, marc=marc)


def _is_marc(el) -> bool:
    ns = etree.QName(el).namespace if isinstance(el.tag, str) else None
    return _local(el) == "record" and ns in (MARC_NS, None) and _child(el, "leader") is not None


def to_pymarc(el) -> pymarc.Record:
    """A MARCXML <record> element (any prefix, or none) as a pymarc Record."""
    record = pymarc.Record()
    for child in el:
        name = _local(child)
        if name == "leader" and child.text:
            record.leader = pymarc.Leader(child.text.ljust(24)[:24])
        elif name == "controlfield":
            record.add_field(pymarc.Field(tag=child.get("tag", "").strip(), data=child.text or ""))
        elif name == "datafield":
            subfields = [pymarc.Subfield(code=s.get("code", " "), value=s.text or "")
                         for s in child if _local(s) == "subfield"]
            indicators = pymarc.Indicators(child.get("ind1", " ") or " ", child.get("ind2", " ") or " ")
            record.add_field(pymarc.Field(tag=child.get("tag", "").strip(), indicators=indicators,
                                          subfields=subfields))
    return record


def _clean(value: str) -> str:
    """ISBD punctuation off the end ("Chicago :" → "Chicago"), but not an initial's dot ("Kuhn, Thomas S.")."""
    value = value.strip()
    return value.rstrip(" /:;,=") if _INITIAL.search(value) else _TRAILING.sub("", value)


def _control(marc: pymarc.Record, tag: str) -> str:
    fields = marc.get_fields(tag)
    return (fields[0].data or "").strip() if fields and fields[0].is_control_field() else ""


def _isbn(value: str) -> str:
    return re.sub(r"[^0-9Xx]", "", value.split(" ")[0]).upper()


def _issn(value: str) -> str:
    return value.strip().split(" ")[0]


def _values(marc: pymarc.Record, tag: str, code: str, clean) -> list[str]:
    found = [clean(v) for f in marc.get_fields(tag) for v in f.get_subfields(code)]
    return list(dict.fromkeys(v for v in found if v))


def _oclc(marc: pymarc.Record) -> list[str]:
    found = [re.sub(r"\D", "", v).lstrip("0") for f in marc.get_fields("035") for v in f.get_subfields("a")
             if v.startswith("(OCoLC)")]
    return list(dict.fromkeys(v for v in found if v))


def _join(*parts: str) -> str:
    return " — ".join(p.strip() for p in parts if p and p.strip())


def marc_holdings(marc: pymarc.Record) -> list[str]:
    """Holdings text from the usual places: 852 (MARC holdings), 952 (Koha items), 850 (holding
    institutions)."""
    lines = []
    for f in marc.get_fields("852"):
        call = " ".join(f.get_subfields("h", "i"))
        lines.append(_join(*f.get_subfields("a", "b", "c"), call, *f.get_subfields("z")))
    for f in marc.get_fields("952"):
        lines.append(_join(*(f.get_subfields("b") or f.get_subfields("a")), *f.get_subfields("c", "o")))
    for f in marc.get_fields("850"):
        lines.append("Held by: " + " ".join(f.get_subfields("a")))
    return [line for line in lines if line]


def _opac_holdings(content) -> list[str]:
    """Holdings of an OPAC record (<opacRecord><holdings><holding>…), e.g. recordSchema=opac."""
    if _local(content) != "opacRecord":
        return []
    holdings = _child(content, "holdings")
    lines = []
    for h in _children(holdings, "holding") if holdings is not None else []:
        available = [c.get("value") for c in h.iter() if _local(c) == "availableNow"]
        state = ("available" if "1" in available else "not available") if available else ""
        lines.append(_join(_text(h, "localLocation"), _text(h, "shelvingLocation") or _text(h, "shelvingData"),
                           _text(h, "callNumber"), _text(h, "copyNumber"), state))
    return [line for line in lines if line]
