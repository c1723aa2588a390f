"""Hypothesis strategies for schema-shaped ISO 18626 messages (v1.2 element names and nesting) with
random values: every leaf may be unicode, very long, a bad date or number, an unknown code; any
element, required or not, may be missing, repeated or out of order.

`message(kind, ids)` draws (xml bytes, MessageKind); `ids` says which request ids and agency ids
exist, so a good share of the messages reach the workflow instead of stopping at the header.
"""

from __future__ import annotations

from dataclasses import dataclass

from hypothesis import strategies as st
from lxml import etree

from partners.iso18626.messages import (
    NAMESPACE,
    Action,
    MessageKind,
    ReasonForMessage,
    RequestSubType,
    RequestType,
    ServiceType,
    Status,
)

from .strategies import XML_TEXT


@dataclass(frozen=True)
class Ids:
    """What the database holds, so that values can point at it."""

    sender: tuple[str, str]  # the known partner's agency id (type, value)
    us: tuple[str, str]
    borrowing_pks: tuple[int, ...]  # SAMs address these
    lending_ids: tuple[str, ...]  # RAMs address these (the borrower's request ids)
    lending_pks: tuple[int, ...]  # … and may name our id as well
    other_agencies: tuple[tuple[str, str], ...] = ()  # inactive, secret-holding, unknown …


LONG = st.builds(lambda c, n: c * n, st.sampled_from(["x", "é", "漢", " ", "9"]),
                 st.sampled_from([201, 1001, 4001, 20_000]))
TEXT = st.one_of(XML_TEXT, LONG, st.sampled_from(["", "  ", "²", "\u202e", "<&>\"'", "#seq:1#", "Condition: x",
                                                 "#ReShareAddLoanCondition#", "Cost: 1 EUR"]))

GOOD_DATES = ["2025-01-01T12:00:00Z", "2025-03-11T05:00:00.123456789Z", "2025-03-11", "2025-03-11 10:00:00+0100",
              "2025-03-11T24:00:00", "2025-03-11T10:00:00-05:00"]
# Valid xs:dateTime values at the ends of what Python's datetime holds (one time-zone shift away
# from year 0 or 10000).
EDGE_DATES = ["0001-01-01T00:00:00+14:00", "0001-01-01T00:30:00Z", "9999-12-31T23:59:59-12:00",
              "9999-12-31T23:59:59Z", "2024-02-29T00:00:00Z", "0001-01-01", "9999-12-31"]
BAD_DATES = ["9999-12-31T24:00:00Z", "0000-01-01T00:00:00Z", "2025-02-30T00:00:00Z", "2025-13-01",
             "2025-01-01T25:61:61Z", "tomorrow", "2025-01-01T00:00:00+25:00", "2025-01-01T00:00:00+01:99",
             "99999-01-01", "20250101", "", "2025-06-01T12:00:00.Z", "²０２５-01-01"]
DATE = st.one_of(st.sampled_from(GOOD_DATES + EDGE_DATES + BAD_DATES),
                 st.datetimes(timezones=st.timezones()).map(lambda d: d.isoformat()), XML_TEXT)

INT = st.one_of(st.sampled_from(["1", "-1", "0", "²", "9" * 19, "9" * 40, "1.5", "", " 7 ", "+3"]), XML_TEXT)
DEC = st.one_of(st.sampled_from(["12.50", "0", "-1", "1e5", "NaN", "Infinity", "9" * 40, ".5", "5.", "abc", "",
                                 "1,5", "0.000000001", "-0"]),
                st.decimals(allow_nan=True, allow_infinity=True).map(str))
BOOL = st.one_of(st.sampled_from(["Y", "N", "y", "yes", "true", "false", "1", "0", "maybe", ""]), XML_TEXT)


def enum(cls, sane: bool = False) -> st.SearchStrategy[str]:
    values = [m.value for m in cls]
    valid = st.one_of(st.sampled_from(values), st.sampled_from(values).map(str.upper),
                      st.sampled_from(values).map(lambda v: f"  {v}\n"))
    return valid if sane else st.one_of(valid, st.sampled_from(["WeCouldLoan", "", "Unknown", "Lоaned"]), XML_TEXT)


# --- the schema, as nested (name, content, required, may_repeat) ------------------------------------
# content: a list of child specs, or a leaf strategy name.

def E(name, content, required=False, many=False):  # noqa: N802 - reads as the schema
    return (name, content, required, many)


SCHEME = "scheme"  # a schemeValuePair leaf: text plus maybe a scheme attribute
AGENCY = [E("agencyIdType", SCHEME, True), E("agencyIdValue", "text", True)]
COSTS = [E("currencyCode", SCHEME, True), E("monetaryValue", "dec", True)]
PHYSICAL = [E("line1", "text"), E("line2", "text"), E("locality", "text"), E("postalCode", "text"),
            E("region", SCHEME), E("country", SCHEME)]
ADDRESS = E("address", [E("electronicAddress", [E("electronicAddressType", SCHEME, True),
                                                E("electronicAddressData", "text", True)]),
                        E("physicalAddress", PHYSICAL)], many=True)
HEADER_TAIL = [E("multipleItemRequestId", "text", True), E("timestamp", "timestamp", True),
               E("requestingAgencyRequestId", "request_id", True), E("supplyingAgencyRequestId", "our_id"),
               E("requestingAgencyAuthentication", [E("accountId", "text"), E("securityCode", "text")])]
BIB_ID = [E("bibliographicItemIdentifier", "text", True), E("bibliographicItemIdentifierCode", "bib_code", True)]
RECORD_ID = [E("bibliographicRecordIdentifierCode", "bib_code", True), E("bibliographicRecordIdentifier", "text",
                                                                          True)]

REQUEST = [
    E("bibliographicInfo", [E(n, "text") for n in (
        "supplierUniqueRecordId", "title", "author", "subtitle", "seriesTitle", "edition", "titleOfComponent",
        "authorOfComponent", "volume", "issue", "pagesRequested", "estimatedNoPages")]
      + [E("bibliographicItemId", BIB_ID, many=True), E("sponsor", "text"), E("informationSource", "text"),
         E("bibliographicRecordId", RECORD_ID, many=True)], True),
    E("publicationInfo", [E("publisher", "text"), E("publicationType", SCHEME), E("publicationDate", "text"),
                          E("placeOfPublication", "text")]),
    E("serviceInfo", [E("requestType", "request_type"), E("requestSubType", "request_sub_type", many=True),
                      E("requestingAgencyPreviousRequestId", "text"), E("serviceType", "service_type", True),
                      E("serviceLevel", SCHEME), E("preferredFormat", SCHEME), E("needBeforeDate", "date"),
                      E("copyrightCompliance", SCHEME), E("anyEdition", "bool"), E("startDate", "date"),
                      E("endDate", "date"), E("note", "text")]),
    E("supplierInfo", [E("sortOrder", "int"), E("supplierCode", AGENCY), E("supplierDescription", "text"),
                       E("bibliographicRecordId", RECORD_ID), E("callNumber", "text"), E("summaryHoldings", "text"),
                       E("availabilityNote", "text")], many=True),
    E("requestedDeliveryInfo", [E("sortOrder", "int"), ADDRESS], many=True),
    E("requestingAgencyInfo", [E("name", "text"), E("contactName", "text"), ADDRESS]),
    E("patronInfo", [E("patronId", "text"), E("surname", "text"), E("givenName", "text"), E("patronType", SCHEME),
                     E("sendToPatron", "bool"), ADDRESS]),
    E("billingInfo", [E("paymentMethod", SCHEME), E("maximumCosts", COSTS), E("billingMethod", SCHEME),
                      E("billingName", "text"), ADDRESS]),
]
SAM = [
    E("messageInfo", [E("reasonForMessage", "reason", True), E("answerYesNo", "bool"), E("note", "text"),
                      E("reasonUnfilled", SCHEME), E("reasonRetry", SCHEME), E("offeredCosts", COSTS),
                      E("retryAfter", "date"), E("retryBefore", "date")], True),
    E("statusInfo", [E("status", "status", True), E("expectedDeliveryDate", "date"), E("dueDate", "date"),
                     E("lastChange", "date", True)], True),
    E("deliveryInfo", [E("dateSent", "date", True), E("itemId", "text"), E("sentVia", SCHEME),
                       E("sentToPatron", "bool"), E("loanCondition", SCHEME), E("deliveredFormat", SCHEME),
                       E("deliveryCosts", COSTS)]),
    E("returnInfo", [E("returnAgencyId", AGENCY), E("name", "text"), E("physicalAddress", PHYSICAL)]),
]
RAM = [E("action", "action", True), E("note", "text")]

BODIES = {MessageKind.REQUEST: REQUEST, MessageKind.SUPPLYING_AGENCY_MESSAGE: SAM,
          MessageKind.REQUESTING_AGENCY_MESSAGE: RAM}


def _leaves(ids: Ids, kind: MessageKind, sane: bool) -> dict[str, st.SearchStrategy]:
    """Leaf values; `sane` keeps the ones that decide whether a message is read at all valid (text
    stays hostile), so a good share of the run gets past the codec into the workflow."""
    if kind is MessageKind.SUPPLYING_AGENCY_MESSAGE:
        known = [str(pk) for pk in ids.borrowing_pks]
    else:
        known = list(ids.lending_ids)
    request_id = st.one_of(st.sampled_from(known), st.sampled_from(known).map(lambda v: f" {v} "))
    our_id = st.one_of(st.sampled_from([str(pk) for pk in ids.lending_pks] or ["1"]), TEXT,
                       st.sampled_from(["²", "٣", "9" * 25, "-1", "0"]))
    if kind is MessageKind.REQUEST:
        request_id = st.one_of(st.integers(1, 10 ** 6).map(lambda n: f"NEW-{n}"), request_id)
    if not sane:
        request_id = st.one_of(request_id, TEXT, st.sampled_from(["999999", "0", "²", "٣", "9" * 25, "9" * 5000, "",
                                                                  "  ", "-1", "BRW-404"]))
    leaves = {
        "text": TEXT, "date": DATE, "timestamp": DATE, "int": INT, "our_id": our_id, "dec": DEC, "bool": BOOL,
        "request_id": request_id,
        "reason": enum(ReasonForMessage, sane), "status": enum(Status, sane), "action": enum(Action, sane),
        "service_type": enum(ServiceType, sane), "request_type": enum(RequestType, sane),
        "request_sub_type": enum(RequestSubType, sane),
        "bib_code": st.one_of(st.sampled_from(["ISBN", "ISSN", "DOI", "PMID", "OCLC", "isbn", ""]), XML_TEXT),
    }
    if sane:
        leaves.update(date=st.sampled_from(GOOD_DATES + EDGE_DATES), timestamp=st.sampled_from(GOOD_DATES),
                      int=st.sampled_from(["1", "-1", "0", "+3"]),
                      dec=st.sampled_from(["12.50", "0", "-1", ".5", "5.", "0.000000001", "99999999999.99"]),
                      bool=st.sampled_from(["Y", "N", "true", "0"]))
    return leaves


@st.composite
def _agency(draw, default: tuple[str, str], others: tuple[tuple[str, str], ...], sane: bool):
    """Mostly the right agency (in any case, padded), sometimes another one or a broken one."""
    choices = ["right", "cased"] if sane else ["right", "cased", "other", "garbage", "missing-part"]
    choice = draw(st.sampled_from(choices))
    id_type, value = default
    if choice == "cased":
        id_type, value = f" {id_type.lower()} ", value.swapcase()
    elif choice == "other" and others:
        id_type, value = draw(st.sampled_from(others))
    elif choice in ("garbage", "other"):
        id_type, value = draw(TEXT), draw(TEXT)
    kids = [("agencyIdType", id_type), ("agencyIdValue", value)]
    if choice == "missing-part":
        kids.pop(draw(st.integers(0, 1)))
    return kids


@dataclass
class Shape:
    """How the drawn tree is written: namespace prefix (None: default namespace, "": no namespace)."""

    prefix: str | None
    namespace: str
    version: str | None
    declaration: bool


SHAPES = st.builds(Shape, st.sampled_from(["ill", "ns1", "tag0", None, ""]),
                   st.sampled_from([NAMESPACE, NAMESPACE, NAMESPACE, "http://illtransactions.org/2013/iso18626/",
                                    "urn:x-other"]),
                   st.sampled_from(["1.2", "v1_2_2017", "1.0", None, "banana"]), st.booleans())


class _Writer:
    def __init__(self, shape: Shape) -> None:
        self.shape = shape
        self.ns = "" if shape.prefix == "" else shape.namespace

    def el(self, parent, name: str, text: str | None = None):
        tag = f"{{{self.ns}}}{name}" if self.ns else name
        node = etree.SubElement(parent, tag) if parent is not None else etree.Element(
            tag, nsmap={self.shape.prefix: self.ns} if self.ns else None)
        if text is not None:
            node.text = text
        return node


@st.composite
def _fill(draw, writer: _Writer, parent, specs, leaves, sane: bool) -> None:
    """Children of `parent` from `specs`: each present or not, maybe twice, maybe shuffled."""
    order = list(specs)
    # Hypothesis leans towards the smallest choices: those give the well-formed message, and the
    # damage (a shuffle, a missing required element, a repeat) takes the larger ones.
    if draw(st.integers(0, 9)) == 9:
        order = draw(st.permutations(order))
    for name, content, required, many in order:
        present = (sane or draw(st.integers(0, 9)) < 9) if required else draw(st.booleans())
        if not present:
            continue
        count = draw(st.integers(1, 3)) if many or (not sane and draw(st.integers(0, 14)) == 14) else 1
        for _ in range(count):
            if isinstance(content, list):
                _fill_into = writer.el(parent, name)
                draw(_fill(writer, _fill_into, content, leaves, sane))
            elif content == SCHEME:
                node = writer.el(parent, name, draw(TEXT))
                if draw(st.booleans()):
                    key = f"{{{writer.ns}}}scheme" if writer.ns and draw(st.booleans()) else "scheme"
                    node.set(key, draw(XML_TEXT))
            else:
                writer.el(parent, name, draw(leaves[content]))


@st.composite
def message(draw, kind: MessageKind, ids: Ids) -> tuple[bytes, MessageKind]:
    shape = draw(SHAPES)
    writer = _Writer(shape)
    root = writer.el(None, "ISO18626Message")
    if shape.version is not None:
        root.set(f"{{{writer.ns}}}version" if writer.ns else "version", shape.version)
    body = writer.el(root, kind.value)
    sane = not draw(st.booleans())
    leaves = _leaves(ids, kind, sane)
    header = writer.el(body, "header")
    sender, recipient = (ids.sender, ids.us)
    supplying, requesting = ((sender, recipient) if kind is MessageKind.SUPPLYING_AGENCY_MESSAGE
                             else (recipient, sender))
    for name, default in (("supplyingAgencyId", supplying), ("requestingAgencyId", requesting)):
        if not sane and draw(st.integers(0, 9)) == 9:
            continue  # a required agency id missing
        agency = writer.el(header, name)
        for part, text in draw(_agency(default, ids.other_agencies, sane)):
            writer.el(agency, part, text)
    draw(_fill(writer, header, HEADER_TAIL, leaves, sane))
    draw(_fill(writer, body, BODIES[kind], leaves, sane))
    xml = etree.tostring(root, xml_declaration=shape.declaration, encoding="UTF-8")
    return xml, kind
