"""Values people and peers type that views read straight from the request (not through a form).

`str.isdigit()` is true for "²" and "٣", which `int()` refuses or reads as another number, and a
run of digits can be past what a 64-bit primary key holds (or than `int()` converts at all): only
ASCII digits in range are ids. Text with NUL cannot reach PostgreSQL at all, not even in a query.
A "next" address is followed only when it is a path on this site: `redirect()` takes anything else
for a view name to reverse (a 500) or another host.
"""

from __future__ import annotations

from collections.abc import Iterable

from django.utils.http import url_has_allowed_host_and_scheme

MAX_PK = 2**63 - 1
# PostgreSQL refuses NUL even in a query. No stored text holds one, nor this stand-in, so a term with NUL
# still finds nothing, as it would if the database could compare it.
NO_NUL = "\ufffd"


def parse_pk(value: object) -> int | None:
    """The primary key `value` spells, or None."""
    text = "" if value is None else str(value)
    # Length first: int() refuses strings of more than 4300 digits outright.
    if not (text.isascii() and text.isdigit()) or len(text.lstrip("0")) > len(str(MAX_PK)):
        return None
    number = int(text)
    return number if number <= MAX_PK else None


def parse_pks(values: Iterable[object]) -> list[int]:
    """The primary keys among `values`, in order, skipping anything that is not one."""
    return [pk for pk in map(parse_pk, values) if pk is not None]


def no_nul(text: str) -> str:
    """`text` fit for a query (NUL replaced by a character no stored text holds)."""
    return text.replace("\x00", NO_NUL)


def safe_next(request, value: str | None, default: str) -> str:
    """`value` when it is a path on this site, else `default`."""
    if value and value.startswith("/") and "\x00" not in value and url_has_allowed_host_and_scheme(
            value, allowed_hosts={request.get_host()}, require_https=request.is_secure()):
        return value
    return default
