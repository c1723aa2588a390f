"""Identifier and text clean-up shared by the OpenURL parser, the resolvers, the form and the
duplicate check. Each `normalize_*` returns the canonical form or "" when the value is not one."""

from __future__ import annotations

import re
import unicodedata

_CONTROL = re.compile(r"[\x00-\x08\x0b\x0c\x0e-\x1f\x7f]")
_SPACES = re.compile(r"\s+")
_DOI = re.compile(r"^10\.\d{4,9}/\S+$")
_DOI_PREFIXES = ("info:doi/", "doi:", "https://doi.org/", "http://doi.org/", "https://dx.doi.org/",
                 "http://dx.doi.org/", "doi.org/")
_PMID_PREFIXES = ("info:pmid/", "pmid:", "https://pubmed.ncbi.nlm.nih.gov/")


def clean_text(value: object, max_length: int = 500) -> str:
    """One line of text from an outside source: no control characters, single spaces, bounded."""
    text = _CONTROL.sub("", str(value or ""))
    return _SPACES.sub(" ", text).strip()[:max_length]


def _isbn10_ok(digits: str) -> bool:
    total = sum((10 - i) * (10 if c == "X" else int(c)) for i, c in enumerate(digits))
    return total % 11 == 0


def _isbn13_ok(digits: str) -> bool:
    total = sum(int(c) * (1 if i % 2 == 0 else 3) for i, c in enumerate(digits))
    return total % 10 == 0


def normalize_isbn(value: object) -> str:
    """ISBN-10 or -13 without hyphens or spaces, check digit verified; "" otherwise.

    Catalogues send "978-0-226-45808-3 (pbk.)": the first ISBN-looking run is taken.
    """
    text = str(value or "").upper()
    for candidate in re.findall(r"[0-9][0-9\- ]{8,16}[0-9X]", text):
        digits = re.sub(r"[\- ]", "", candidate)
        if len(digits) == 13 and digits.isdigit() and _isbn13_ok(digits):
            return digits
        if len(digits) == 10 and digits[:9].isdigit() and _isbn10_ok(digits):
            return digits
    return ""


def isbn13(value: object) -> str:
    """The ISBN-13 form of an ISBN (10 → 978 prefix and a new check digit), for comparing."""
    isbn = normalize_isbn(value)
    if len(isbn) != 10:
        return isbn
    body = "978" + isbn[:9]
    check = (10 - sum(int(c) * (1 if i % 2 == 0 else 3) for i, c in enumerate(body)) % 10) % 10
    return body + str(check)


def normalize_issn(value: object) -> str:
    """NNNN-NNNC with a valid check character; "" otherwise."""
    match = re.search(r"(\d{4})-?(\d{3}[\dXx])", str(value or ""))
    if not match:
        return ""
    digits = (match.group(1) + match.group(2)).upper()
    total = sum((8 - i) * int(c) for i, c in enumerate(digits[:7]))
    check = (11 - total % 11) % 11
    expected = "X" if check == 10 else str(check)
    return f"{digits[:4]}-{digits[4:]}" if digits[7] == expected else ""


def normalize_doi(value: object) -> str:
    """A DOI as "10.prefix/suffix" (resolver URLs and doi: prefixes removed); "" otherwise."""
    text = clean_text(value, 300)
    lowered = text.lower()
    for prefix in _DOI_PREFIXES:
        if lowered.startswith(prefix):
            text = text[len(prefix):]
            break
    text = text.strip()
    return text if _DOI.match(text) and len(text) <= 200 else ""


def normalize_pmid(value: object) -> str:
    text = clean_text(value, 100).lower()
    for prefix in _PMID_PREFIXES:
        if text.startswith(prefix):
            text = text[len(prefix):]
            break
    text = text.strip().strip("/")
    # isascii(): "²" and "٣" are digits to str.isdigit() but no PubMed id
    return text if text.isascii() and text.isdigit() and 1 <= len(text) <= 9 and int(text) > 0 else ""


def year_of(value: object) -> str:
    """The year of a date as catalogues write it ("2019-05-01", "May 2019", "2019 Jan 5")."""
    match = re.search(r"(?<!\d)(1[5-9]\d\d|20\d\d)(?!\d)", str(value or ""))
    return match.group(1) if match else ""


def title_key(value: object) -> str:
    """A title for comparison: case, accents, punctuation and spacing do not matter."""
    text = unicodedata.normalize("NFKD", str(value or "")).casefold()
    text = "".join(c for c in text if not unicodedata.combining(c))
    text = re.sub(r"[^\w]+", " ", text)
    return _SPACES.sub(" ", text).strip()
