"""The local inventory as seen by locate and shipping: identifier normalisation, citation search, and
the process status of items (seed 002 "Managing Fulfillment Options", "Shipping Items").

Locate rule: an exact identifier (our record id, ISBN, ISSN, OCLC number — the first one the citation
has that matches anything decides); otherwise title (+ author when given). One record → located; none
or several → not located / several found.
"""

from __future__ import annotations

import re
import unicodedata
from dataclasses import dataclass, field

from django.db.models import Q, QuerySet, prefetch_related_objects

from .models import BibRecord, Item
from .statuses import HOLDS_NO_ITEM

_NON_ALNUM = re.compile(r"[^0-9a-z]+")
_ISBN_CHARS = re.compile(r"[^0-9Xx]")
_LEADING_ARTICLES = ("the ", "a ", "an ")


# --- identifiers ---------------------------------------------------------------------------------


def clean_isbn(value: str) -> str:
    """The digits (and a final X) of the first ISBN in `value`: "978-0-226-45808-3 (pbk.)" → "9780226458083"."""
    first = (value or "").strip().split(" ")[0]
    digits = _ISBN_CHARS.sub("", first).upper()
    return digits if len(digits) in (10, 13) else ""


def isbn_variants(value: str) -> set[str]:
    """An ISBN in both its 10- and 13-digit forms (where a 10-digit form exists)."""
    isbn = clean_isbn(value)
    if not isbn:
        return set()
    found = {isbn}
    if len(isbn) == 10:
        body = "978" + isbn[:9]
        total = sum(int(d) * (1 if i % 2 == 0 else 3) for i, d in enumerate(body))
        found.add(body + str((10 - total % 10) % 10))
    elif isbn.startswith("978"):
        body = isbn[3:12]
        total = sum(int(d) * w for d, w in zip(body, range(10, 1, -1), strict=True))
        check = (11 - total % 11) % 11
        found.add(body + ("X" if check == 10 else str(check)))
    return found


def clean_issn(value: str) -> str:
    """"0264-1615" and "02641615" are the same ISSN: keep NNNN-NNNC."""
    chars = _ISBN_CHARS.sub("", (value or "").strip().split(" ")[0]).upper()
    return f"{chars[:4]}-{chars[4:]}" if len(chars) == 8 else ""


def clean_oclc(value: str) -> str:
    """"(OCoLC)ocm00012345" → "12345"."""
    digits = re.sub(r"\D", "", value or "")
    return digits.lstrip("0") or ""


# --- titles and authors ----------------------------------------------------------------------------


def normalize_text(value: str) -> str:
    """Case, accents and punctuation do not matter for matching."""
    text = unicodedata.normalize("NFKD", value or "").encode("ascii", "ignore").decode("ascii").lower()
    return _NON_ALNUM.sub(" ", text).strip()


def normalize_title(value: str) -> str:
    text = normalize_text(value)
    for article in _LEADING_ARTICLES:
        if text.startswith(article):
            return text[len(article):]
    return text


def titles_match(wanted: str, candidate: str) -> bool:
    """Equal, or one is the other plus a subtitle ("Flora" matches "Flora : a guide")."""
    a, b = normalize_title(wanted), normalize_title(candidate)
    if not a or not b:
        return False
    return a == b or b.startswith(a + " ") or a.startswith(b + " ")


def surname(author: str) -> str:
    """"Kuhn, Thomas S." → "kuhn"; "Thomas Kuhn" → "kuhn"."""
    author = (author or "").strip()
    if not author:
        return ""
    head = author.split(",")[0] if "," in author else author.split()[-1]
    return normalize_text(head)


def authors_match(wanted: str, candidate: str) -> bool:
    name = surname(wanted)
    return not name or name in normalize_text(candidate).split()


# --- search --------------------------------------------------------------------------------------


@dataclass
class Query:
    """What to look for: a request's citation, or what staff typed on the search page."""

    title: str = ""
    author: str = ""
    isbn: str = ""
    issn: str = ""
    oclc_number: str = ""
    record_id: str = ""

    @classmethod
    def for_request(cls, req) -> Query:
        return cls(title=req.title, author=req.author, isbn=req.isbn, issn=req.issn, oclc_number=req.oclc_number,
                   record_id=req.bib_id)

    @property
    def is_empty(self) -> bool:
        return not any((self.title.strip(), self.isbn.strip(), self.issn.strip(), self.oclc_number.strip(),
                        self.record_id.strip()))


@dataclass
class SearchResult:
    records: list[BibRecord] = field(default_factory=list)
    matched_on: str = ""  # "record id", "ISBN", "ISSN", "OCLC number", "title" or "" (nothing matched)

    @property
    def single(self) -> BibRecord | None:
        return self.records[0] if len(self.records) == 1 else None


def _records() -> QuerySet[BibRecord]:
    return BibRecord.objects.order_by("title", "record_id")


MAX_TITLE_CANDIDATES = 200
_PLAIN_WORD = re.compile(r"[0-9a-z]{3,}")


def narrowing_word(title: str) -> str:
    """The word of `title` the SQL narrows on: the longest one of three or more plain ASCII letters
    and digits, written as the catalogue writes it. `title__icontains` on such a word is
    `UPPER(title::text) LIKE UPPER('%word%')`, which the trigram index on UPPER(title) serves
    (lending migration 0004); a word with an accent (normalize_title turns "Älä" into "ala", which
    the stored "Älä" does not contain) or of fewer than three characters (no trigram) is a last resort."""
    words = normalize_title(title).split()
    if not words:
        return ""
    as_written = set(re.split(r"[^\w]+", title.casefold()))
    plain = [w for w in words if w in as_written and _PLAIN_WORD.fullmatch(w)]
    return max(plain or words, key=len)


def search(query: Query, *, limit: int = 50, with_items: bool = True) -> SearchResult:
    """Records matching `query` by the locate rule (identifiers first, then title and author).
    `with_items` fetches each found record's items and their libraries (the search page shows
    them; locate does not need them)."""
    result = _search(query, limit)
    if with_items and result.records:
        prefetch_related_objects(result.records, "items__library")
    return result


def _search(query: Query, limit: int) -> SearchResult:
    identifiers = [
        ("record id", Q(record_id=query.record_id.strip()) if query.record_id.strip() else None),
        ("ISBN", Q(isbn__in=isbn_variants(query.isbn)) if isbn_variants(query.isbn) else None),
        ("ISSN", Q(issn=clean_issn(query.issn)) if clean_issn(query.issn) else None),
        ("OCLC number", Q(oclc_number=clean_oclc(query.oclc_number)) if clean_oclc(query.oclc_number) else None),
    ]
    for label, condition in identifiers:
        if condition is None:
            continue
        found = list(_records().filter(condition)[:limit])
        if found:
            return SearchResult(found, label)
    word = narrowing_word(query.title)
    if not word:
        return SearchResult()
    # Narrow in SQL on one word, compare exactly in Python (accents and punctuation).
    candidates = _records().filter(title__icontains=word)[:MAX_TITLE_CANDIDATES]
    found = [r for r in candidates if titles_match(query.title, r.title) and authors_match(query.author, r.author)]
    exact = [r for r in found if normalize_title(r.title) == normalize_title(query.title)]
    found = exact or found  # "Flora" finds "Flora : a guide" only when there is no plain "Flora"
    return SearchResult(found[:limit], "title" if found else "")


# --- items -------------------------------------------------------------------------------------------

#: Item states from which an item can be put into resource sharing for a request.
AVAILABLE = (Item.State.ON_SHELF, Item.State.IN_RESOURCE_SHARING)


def item_busy_reason(item: Item, req) -> str:
    """Why `item` cannot serve lending request `req` now ("" when it can)."""
    from django.utils.translation import gettext as _

    from .models import LendingRequest

    if item.state == Item.State.ON_LOAN:
        return _("Item %(barcode)s is on loan.") % {"barcode": item.barcode}
    if item.state == Item.State.MISSING:
        return _("Item %(barcode)s is missing.") % {"barcode": item.barcode}
    other = (LendingRequest.objects.filter(item=item).exclude(pk=req.pk).exclude(status__in=HOLDS_NO_ITEM)
             .filter(removed_at__isnull=True).values_list("pk", flat=True).first())
    if other is not None:
        return _("Item %(barcode)s is in process for lending request %(pk)s.") % {"barcode": item.barcode,
                                                                                  "pk": other}
    if item.state == Item.State.SHIPPED and item.pk != req.item_id:
        return _("Item %(barcode)s is shipped to another library.") % {"barcode": item.barcode}
    return ""
