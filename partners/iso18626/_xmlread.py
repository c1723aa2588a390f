"""Tolerant reading of ISO 18626 XML: tree navigation, leaf values and shared parts.

Private to the package: callers use ``codec.parse``; ``_reader`` builds the messages on this.
The rules, all learned from the real messages in shared/iso18626/samples:

* Elements are matched by local name, so any prefix, a default namespace or no namespace at
  all work. Elements in a *foreign* namespace are ignored like any unknown element.
* Order is not checked and unknown elements are skipped; for a repeated single element the
  first one wins.
* Text is whitespace-trimmed. An empty optional element reads as absent (ReShare sends
  ``<loanCondition></loanCondition>``).
* Enumerated values match case-insensitively and come back as the canonical enum member.
* An element mandatory in *both* v1.2 and the 2021 schema is required; one mandatory only in
  v1.2 (multipleItemRequestId) or that real peers omit (statusInfo/lastChange,
  deliveryInfo/dateSent) is optional here.
* Sub-structures that lack their own mandatory leaf (a cost without an amount, an address
  without data) are dropped rather than failing the whole message: they are informational.
* A few 2021 renamings are read as their v1.2 field (deliveryMethod -> sentVia, itemFormat ->
  deliveredFormat/preferredFormat, retryInfo/* -> messageInfo/*).
"""

from __future__ import annotations

import re
from collections.abc import Iterator
from datetime import UTC, datetime, timedelta, timezone
from decimal import Decimal, InvalidOperation
from enum import StrEnum
from typing import NoReturn, TypeVar

from lxml import etree

from .messages import (
    NAMESPACE,
    Action,
    Address,
    AgencyId,
    Costs,
    ElectronicAddress,
    ErrorType,
    Header,
    Iso18626Error,
    MessageKind,
    PhysicalAddress,
    ReasonForMessage,
    RequestingAgencyAuthentication,
    SchemeValue,
)

E = TypeVar("E", bound=StrEnum)
Element = etree._Element

_DATETIME_RE = re.compile(
    r"(?P<year>\d{4})-(?P<month>\d{2})-(?P<day>\d{2})"
    r"(?:[Tt ](?P<hour>\d{2}):(?P<minute>\d{2})(?::(?P<second>\d{2})(?:[.,](?P<fraction>\d+))?)?)?"
    r"\s*(?P<tz>[Zz]|[+-]\d{2}(?::?\d{2})?)?"
)
_YES = {"y", "yes", "true", "1"}
_NO = {"n", "no", "false", "0"}
_SHOW_MAX = 80


def local_name(tag: object) -> str:
    """'{ns}name' -> 'name'; comments/PIs/entities (whose tag is not a str) -> ''."""
    return tag.rpartition("}")[2] if isinstance(tag, str) else ""


def namespace_of(tag: str) -> str:
    return tag[1:].partition("}")[0] if tag.startswith("{") else ""


def show(value: str) -> str:
    """Quote a peer-supplied value for an errorValue: bounded, printable."""
    cleaned = "".join(ch if ch.isprintable() else "?" for ch in value[:_SHOW_MAX])
    return f"'{cleaned}…'" if len(value) > _SHOW_MAX else f"'{cleaned}'"


def parse_datetime(text: str) -> datetime:
    """Any xs:dateTime (also date-only, a space for 'T', nanoseconds, '+0100') -> aware datetime.

    Naive values are taken as UTC; an explicit offset is kept. Raises ValueError."""
    m = _DATETIME_RE.fullmatch(text.strip())
    if not m:
        raise ValueError("not an xs:dateTime")
    hour = int(m["hour"] or 0)
    minute = int(m["minute"] or 0)
    second = int(m["second"] or 0)
    micro = int((m["fraction"] or "0")[:6].ljust(6, "0"))
    tz: timezone = UTC
    if m["tz"] and m["tz"] not in "Zz":
        sign = -1 if m["tz"][0] == "-" else 1
        digits = m["tz"][1:].replace(":", "")
        offset = timedelta(hours=int(digits[:2]), minutes=int(digits[2:4] or 0))
        if offset >= timedelta(hours=24) or int(digits[2:4] or 0) >= 60:
            raise ValueError("bad timezone offset")
        tz = timezone(sign * offset) if offset else UTC
    # xs:dateTime allows 24:00:00 as the end of a day = midnight of the next one.
    end_of_day = hour == 24 and minute == 0 and second == 0 and micro == 0
    value = datetime(
        int(m["year"]),
        int(m["month"]),
        int(m["day"]),
        0 if end_of_day else hour,
        minute,
        second,
        micro,
        tzinfo=tz,
    )
    return value + timedelta(days=1) if end_of_day else value


class BaseReader:
    """Navigation, leaf values and shared structures; remembers what it has read so far so
    errors can carry it. ``Reader`` in ``_reader`` adds the message structures."""

    def __init__(self, root: Element) -> None:
        self.namespaces = {"", NAMESPACE, namespace_of(root.tag)}
        self.kind: MessageKind | None = None
        self.header: Header | None = None
        self.reason: ReasonForMessage | None = None
        self.action: Action | None = None
        # name -> children, built once per element: looking fields up by scanning would be
        # quadratic, and a 1 MiB message padded with junk elements would cost seconds of CPU.
        self._indexes: dict[Element, dict[str, list[Element]]] = {}

    def fail(self, error_type: ErrorType, error_value: str) -> NoReturn:
        raise Iso18626Error(
            error_type,
            error_value,
            self.kind,
            self.header,
            reason_for_message=self.reason,
            action=self.action,
        )

    def missing(self, path: str) -> NoReturn:
        self.fail(ErrorType.UNRECOGNISED_DATA_ELEMENT, f"{path}: required element is missing")

    def bad_value(
        self, path: str, value: str, what: str, error_type: ErrorType = ErrorType.UNRECOGNISED_DATA_VALUE
    ) -> NoReturn:
        shown = show(value) if value else "empty value"
        self.fail(error_type, f"{path}: {shown} is not a valid {what}")

    # -- tree navigation -------------------------------------------------------------------

    def kids(self, el: Element) -> Iterator[tuple[str, Element]]:
        for child in el:
            name = local_name(child.tag)
            if name and namespace_of(child.tag) in self.namespaces:
                yield name, child

    def index(self, el: Element) -> dict[str, list[Element]]:
        found = self._indexes.get(el)
        if found is None:
            found = {}
            for name, child in self.kids(el):
                found.setdefault(name, []).append(child)
            self._indexes[el] = found
        return found

    def child(self, el: Element | None, *names: str) -> Element | None:
        """First child called names[0]; failing that names[1] (2021 aliases), and so on."""
        if el is None:
            return None
        index = self.index(el)
        for wanted in names:
            if wanted in index:
                return index[wanted][0]
        return None

    def children(self, el: Element | None, name: str) -> list[Element]:
        return [] if el is None else self.index(el).get(name, [])

    def require(self, el: Element, name: str, path: str) -> Element:
        found = self.child(el, name)
        if found is None:
            self.missing(f"{path}/{name}")
        return found

    # -- leaves ----------------------------------------------------------------------------

    @staticmethod
    def text(el: Element) -> str:
        return "".join(el.itertext()).strip()

    def opt_str(self, el: Element | None, *names: str) -> str | None:
        found = self.child(el, *names)
        return (self.text(found) or None) if found is not None else None

    def req_str(self, el: Element, name: str, path: str) -> str:
        return self.text(self.require(el, name, path))

    def scheme_value(self, el: Element | None) -> SchemeValue | None:
        if el is None or not (value := self.text(el)):
            return None
        scheme = next((v for k, v in el.attrib.items() if local_name(k) == "scheme"), None)
        return SchemeValue(value, (scheme.strip() or None) if scheme else None)

    def opt_scheme(self, el: Element | None, *names: str) -> SchemeValue | None:
        return self.scheme_value(self.child(el, *names))

    def datetime_of(self, el: Element, path: str) -> datetime:
        value = self.text(el)
        try:
            return parse_datetime(value)
        except (ValueError, OverflowError):
            self.bad_value(path, value, "date-time")

    def opt_datetime(self, el: Element | None, name: str, path: str, *aliases: str) -> datetime | None:
        found = self.child(el, name, *aliases)
        if found is None or not self.text(found):
            return None
        return self.datetime_of(found, f"{path}/{local_name(found.tag)}")

    def req_datetime(self, el: Element, name: str, path: str) -> datetime:
        return self.datetime_of(self.require(el, name, path), f"{path}/{name}")

    def opt_bool(self, el: Element | None, name: str, path: str) -> bool | None:
        value = self.opt_str(el, name)
        if value is None:
            return None
        if value.lower() in _YES:
            return True
        if value.lower() in _NO:
            return False
        self.bad_value(f"{path}/{name}", value, "yes/no value")

    def opt_int(self, el: Element | None, name: str, path: str) -> int | None:
        value = self.opt_str(el, name)
        if value is None:
            return None
        if not re.fullmatch(r"[+-]?\d{1,18}", value):
            self.bad_value(f"{path}/{name}", value, "integer")
        return int(value)

    def enum(self, cls: type[E], value: str, path: str, what: str, error_type: ErrorType) -> E:
        for member in cls:
            if member.value.lower() == value.lower():
                return member
        self.bad_value(path, value, what, error_type)

    def opt_enum(self, cls: type[E], el: Element | None, name: str, path: str, what: str) -> E | None:
        value = self.opt_str(el, name)
        if value is None:
            return None
        return self.enum(cls, value, f"{path}/{name}", what, ErrorType.UNRECOGNISED_DATA_VALUE)

    # -- shared structures -----------------------------------------------------------------

    def agency_id(self, el: Element | None) -> AgencyId | None:
        """A complete agency id, or None when the element or one of its parts is missing."""
        if el is None:
            return None
        id_type = self.scheme_value(self.child(el, "agencyIdType"))
        value_el = self.child(el, "agencyIdValue")
        if id_type is None or value_el is None:
            return None
        return AgencyId(id_type.value, self.text(value_el), id_type.scheme)

    def req_agency_id(self, el: Element, name: str, path: str) -> AgencyId:
        found = self.require(el, name, path)
        for part in ("agencyIdType", "agencyIdValue"):
            if self.child(found, part) is None:
                self.missing(f"{path}/{name}/{part}")
        agency = self.agency_id(found)
        if agency is None:  # agencyIdType present but empty
            self.bad_value(f"{path}/{name}/agencyIdType", "", "agency id type")
        return agency

    def costs(self, el: Element | None, path: str) -> Costs | None:
        currency = self.opt_scheme(el, "currencyCode")
        amount = self.opt_str(el, "monetaryValue")
        if currency is None or amount is None:
            return None
        try:
            value = Decimal(amount)
        except InvalidOperation:
            value = Decimal("NaN")
        if not value.is_finite() or not re.fullmatch(r"[+-]?(\d+\.?\d*|\.\d+)", amount):
            self.bad_value(f"{path}/{local_name(el.tag)}/monetaryValue", amount, "decimal amount")
        return Costs(currency, value)

    def physical_address(self, el: Element | None) -> PhysicalAddress | None:
        if el is None:
            return None
        return PhysicalAddress(
            line1=self.opt_str(el, "line1"),
            line2=self.opt_str(el, "line2"),
            locality=self.opt_str(el, "locality"),
            postal_code=self.opt_str(el, "postalCode"),
            region=self.opt_scheme(el, "region"),
            country=self.opt_scheme(el, "country"),
        )

    def address(self, el: Element | None) -> Address | None:
        for name, part in self.kids(el) if el is not None else ():
            if name == "electronicAddress":
                kind = self.opt_scheme(part, "electronicAddressType")
                data = self.opt_str(part, "electronicAddressData")
                if data is not None:
                    return ElectronicAddress(kind or SchemeValue(""), data)
            elif name == "physicalAddress":
                return self.physical_address(part)
        return None

    def addresses(self, el: Element) -> list[Address]:
        found = (self.address(a) for a in self.children(el, "address"))
        return [a for a in found if a is not None]

    def read_header(self, msg: Element, path: str) -> Header:
        el = self.require(msg, "header", path)
        path = f"{path}/header"
        auth_el = self.child(el, "requestingAgencyAuthentication")
        return Header(
            supplying_agency_id=self.req_agency_id(el, "supplyingAgencyId", path),
            requesting_agency_id=self.req_agency_id(el, "requestingAgencyId", path),
            timestamp=self.req_datetime(el, "timestamp", path),
            requesting_agency_request_id=self.req_str(el, "requestingAgencyRequestId", path),
            multiple_item_request_id=self.opt_str(el, "multipleItemRequestId"),
            supplying_agency_request_id=self.opt_str(el, "supplyingAgencyRequestId"),
            requesting_agency_authentication=None
            if auth_el is None
            else RequestingAgencyAuthentication(
                self.opt_str(auth_el, "accountId"), self.opt_str(auth_el, "securityCode")
            ),
        )
