"""Dataclasses -> ISO 18626 v1.2 XML. Private to the package: callers use ``codec.serialize``.

Elements are written in the exact order of the v1.2 XSD sequences (the schema is strict about
order), every element and the version/scheme attributes are qualified with the ``ill`` prefix
(the XSD has attributeFormDefault="qualified"), and empty optional values are left out.
"""

from __future__ import annotations

import re
from datetime import UTC, datetime
from decimal import Decimal

from lxml import etree

from .messages import (
    NAMESPACE,
    VERSION,
    Address,
    AgencyId,
    BibliographicInfo,
    BibliographicRecordId,
    ConfirmationHeader,
    Costs,
    ElectronicAddress,
    ErrorData,
    Header,
    Message,
    PhysicalAddress,
    Request,
    RequestConfirmation,
    RequestingAgencyMessage,
    RequestingAgencyMessageConfirmation,
    SchemeValue,
    SupplyingAgencyMessage,
    SupplyingAgencyMessageConfirmation,
)

Element = etree._Element
ILL = f"{{{NAMESPACE}}}"
XSI = "http://www.w3.org/2001/XMLSchema-instance"
SCHEMA_LOCATION = f"{NAMESPACE} http://illtransactions.org/schemas/ISO-18626-v1_2.xsd"

# Characters XML 1.0 cannot carry at all. Staff can paste anything into a note; dropping these
# beats failing to send the message (lxml would raise ValueError on them).
_NOT_XML = re.compile("[^\t\n\r\x20-\ud7ff\ue000-\ufffd\U00010000-\U0010ffff]")


def format_datetime(value: datetime) -> str:
    """xs:dateTime in UTC with a 'Z' (naive values are taken to be UTC already)."""
    if value.tzinfo is None or value.utcoffset() is None:
        value = value.replace(tzinfo=UTC)
    try:
        value = value.astimezone(UTC)
    except OverflowError:  # year 1 or 9999 at the edge of the range: keep the offset
        return value.isoformat()
    return value.replace(tzinfo=None).isoformat() + "Z"


def format_decimal(value: Decimal) -> str:
    # 'f' avoids exponent notation ("1E+2"), which xs:decimal does not allow.
    return format(value, "f")


def _clean(text: str) -> str:
    return _NOT_XML.sub("", text)


def _add(parent: Element, name: str, text: str | None = None) -> Element:
    el = etree.SubElement(parent, ILL + name)
    if text is not None:
        el.text = _clean(text)
    return el


def _opt(parent: Element, name: str, text: str | None) -> None:
    if text:
        _add(parent, name, text)


def _opt_dt(parent: Element, name: str, value: datetime | None) -> None:
    if value is not None:
        _add(parent, name, format_datetime(value))


def _yes_no(value: bool) -> str:
    return "Y" if value else "N"


def _scheme(parent: Element, name: str, value: SchemeValue | None) -> None:
    if value is None:
        return
    el = _add(parent, name, value.value)
    if value.scheme:
        el.set(ILL + "scheme", _clean(value.scheme))


def _agency(parent: Element, name: str, agency: AgencyId | None) -> None:
    if agency is None:
        return
    el = _add(parent, name)
    _scheme(el, "agencyIdType", SchemeValue(agency.type, agency.type_scheme))
    _add(el, "agencyIdValue", agency.value)


def _costs(parent: Element, name: str, costs: Costs | None) -> None:
    if costs is None:
        return
    el = _add(parent, name)
    _scheme(el, "currencyCode", costs.currency_code)
    _add(el, "monetaryValue", format_decimal(costs.monetary_value))


def _physical(parent: Element, address: PhysicalAddress | None) -> None:
    if address is None:
        return
    el = _add(parent, "physicalAddress")
    _opt(el, "line1", address.line1)
    _opt(el, "line2", address.line2)
    _opt(el, "locality", address.locality)
    _opt(el, "postalCode", address.postal_code)
    _scheme(el, "region", address.region)
    _scheme(el, "country", address.country)


def _address(parent: Element, address: Address | None) -> None:
    if address is None:
        return
    el = _add(parent, "address")
    if isinstance(address, ElectronicAddress):
        electronic = _add(el, "electronicAddress")
        _scheme(electronic, "electronicAddressType", address.type)
        _add(electronic, "electronicAddressData", address.data)
    else:
        _physical(el, address)


def _record_id(parent: Element, record: BibliographicRecordId | None) -> None:
    if record is None:
        return
    el = _add(parent, "bibliographicRecordId")
    _scheme(el, "bibliographicRecordIdentifierCode", SchemeValue(record.code, record.code_scheme))
    _add(el, "bibliographicRecordIdentifier", record.value)


def _header(parent: Element, header: Header) -> None:
    el = _add(parent, "header")
    _agency(el, "supplyingAgencyId", header.supplying_agency_id)
    _agency(el, "requestingAgencyId", header.requesting_agency_id)
    # Mandatory in v1.2 even though nearly everyone leaves it empty.
    _add(el, "multipleItemRequestId", header.multiple_item_request_id or "")
    _add(el, "timestamp", format_datetime(header.timestamp))
    _add(el, "requestingAgencyRequestId", header.requesting_agency_request_id)
    _opt(el, "supplyingAgencyRequestId", header.supplying_agency_request_id)
    auth = header.requesting_agency_authentication
    if auth is not None:
        auth_el = _add(el, "requestingAgencyAuthentication")
        _opt(auth_el, "accountId", auth.account_id)
        _opt(auth_el, "securityCode", auth.security_code)


def _bibliographic_info(parent: Element, info: BibliographicInfo) -> None:
    el = _add(parent, "bibliographicInfo")
    for name, value in (
        ("supplierUniqueRecordId", info.supplier_unique_record_id),
        ("title", info.title),
        ("author", info.author),
        ("subtitle", info.subtitle),
        ("seriesTitle", info.series_title),
        ("edition", info.edition),
        ("titleOfComponent", info.title_of_component),
        ("authorOfComponent", info.author_of_component),
        ("volume", info.volume),
        ("issue", info.issue),
        ("pagesRequested", info.pages_requested),
        ("estimatedNoPages", info.estimated_no_pages),
    ):
        _opt(el, name, value)
    for item in info.bibliographic_item_ids:
        item_el = _add(el, "bibliographicItemId")
        _add(item_el, "bibliographicItemIdentifier", item.value)  # v1.2 order: value, then code
        _scheme(item_el, "bibliographicItemIdentifierCode", SchemeValue(item.code, item.code_scheme))
    _opt(el, "sponsor", info.sponsor)
    _opt(el, "informationSource", info.information_source)
    for record in info.bibliographic_record_ids:
        _record_id(el, record)


def _request(parent: Element, msg: Request) -> None:
    el = _add(parent, "request")
    _header(el, msg.header)
    _bibliographic_info(el, msg.bibliographic_info)
    if (pub := msg.publication_info) is not None:
        pub_el = _add(el, "publicationInfo")
        _opt(pub_el, "publisher", pub.publisher)
        _scheme(pub_el, "publicationType", pub.publication_type)
        _opt(pub_el, "publicationDate", pub.publication_date)
        _opt(pub_el, "placeOfPublication", pub.place_of_publication)
    if (svc := msg.service_info) is not None:
        if len(svc.request_sub_types) > 3:
            raise ValueError("serviceInfo allows at most 3 requestSubType values")
        svc_el = _add(el, "serviceInfo")
        if svc.request_type is not None:
            _add(svc_el, "requestType", svc.request_type.value)
        for sub_type in svc.request_sub_types:
            _add(svc_el, "requestSubType", sub_type.value)
        _opt(svc_el, "requestingAgencyPreviousRequestId", svc.requesting_agency_previous_request_id)
        _add(svc_el, "serviceType", svc.service_type.value)
        _scheme(svc_el, "serviceLevel", svc.service_level)
        _scheme(svc_el, "preferredFormat", svc.preferred_format)
        _opt_dt(svc_el, "needBeforeDate", svc.need_before_date)
        _scheme(svc_el, "copyrightCompliance", svc.copyright_compliance)
        if svc.any_edition is not None:
            _add(svc_el, "anyEdition", _yes_no(svc.any_edition))
        _opt_dt(svc_el, "startDate", svc.start_date)
        _opt_dt(svc_el, "endDate", svc.end_date)
        _opt(svc_el, "note", svc.note)
    for supplier in msg.supplier_infos:
        sup_el = _add(el, "supplierInfo")
        if supplier.sort_order is not None:
            _add(sup_el, "sortOrder", str(supplier.sort_order))
        _agency(sup_el, "supplierCode", supplier.supplier_code)
        _opt(sup_el, "supplierDescription", supplier.supplier_description)
        _record_id(sup_el, supplier.bibliographic_record_id)
        _opt(sup_el, "callNumber", supplier.call_number)
        _opt(sup_el, "summaryHoldings", supplier.summary_holdings)
        _opt(sup_el, "availabilityNote", supplier.availability_note)
    for delivery in msg.requested_delivery_infos:
        del_el = _add(el, "requestedDeliveryInfo")
        if delivery.sort_order is not None:
            _add(del_el, "sortOrder", str(delivery.sort_order))
        _address(del_el, delivery.address)
    if (agency := msg.requesting_agency_info) is not None:
        agency_el = _add(el, "requestingAgencyInfo")
        _opt(agency_el, "name", agency.name)
        _opt(agency_el, "contactName", agency.contact_name)
        for address in agency.addresses:
            _address(agency_el, address)
    if (patron := msg.patron_info) is not None:
        patron_el = _add(el, "patronInfo")
        _opt(patron_el, "patronId", patron.patron_id)
        _opt(patron_el, "surname", patron.surname)
        _opt(patron_el, "givenName", patron.given_name)
        _scheme(patron_el, "patronType", patron.patron_type)
        if patron.send_to_patron is not None:
            _add(patron_el, "sendToPatron", _yes_no(patron.send_to_patron))
        for address in patron.addresses:
            _address(patron_el, address)
    if (billing := msg.billing_info) is not None:
        bill_el = _add(el, "billingInfo")
        _scheme(bill_el, "paymentMethod", billing.payment_method)
        _costs(bill_el, "maximumCosts", billing.maximum_costs)
        _scheme(bill_el, "billingMethod", billing.billing_method)
        _opt(bill_el, "billingName", billing.billing_name)
        _address(bill_el, billing.address)


def _supplying_agency_message(parent: Element, msg: SupplyingAgencyMessage) -> None:
    el = _add(parent, "supplyingAgencyMessage")
    _header(el, msg.header)
    info = msg.message_info
    info_el = _add(el, "messageInfo")
    _add(info_el, "reasonForMessage", info.reason_for_message.value)
    if info.answer_yes_no is not None:
        _add(info_el, "answerYesNo", _yes_no(info.answer_yes_no))
    _opt(info_el, "note", info.note)
    _scheme(info_el, "reasonUnfilled", info.reason_unfilled)
    _scheme(info_el, "reasonRetry", info.reason_retry)
    _costs(info_el, "offeredCosts", info.offered_costs)
    _opt_dt(info_el, "retryAfter", info.retry_after)
    _opt_dt(info_el, "retryBefore", info.retry_before)
    status = msg.status_info
    if status.status is None:
        raise ValueError("statusInfo.status is required when sending a supplyingAgencyMessage")
    status_el = _add(el, "statusInfo")
    _add(status_el, "status", status.status.value)
    _opt_dt(status_el, "expectedDeliveryDate", status.expected_delivery_date)
    _opt_dt(status_el, "dueDate", status.due_date)
    # Mandatory in v1.2; when unknown, "as of this message" is the honest approximation.
    _opt_dt(status_el, "lastChange", status.last_change or msg.header.timestamp)
    if (delivery := msg.delivery_info) is not None:
        del_el = _add(el, "deliveryInfo")
        _opt_dt(del_el, "dateSent", delivery.date_sent or msg.header.timestamp)
        _opt(del_el, "itemId", delivery.item_id)
        _scheme(del_el, "sentVia", delivery.sent_via)
        if delivery.sent_to_patron is not None:
            _add(del_el, "sentToPatron", "true" if delivery.sent_to_patron else "false")
        _scheme(del_el, "loanCondition", delivery.loan_condition)
        _scheme(del_el, "deliveredFormat", delivery.delivered_format)
        _costs(del_el, "deliveryCosts", delivery.delivery_costs)
    if (ret := msg.return_info) is not None:
        ret_el = _add(el, "returnInfo")
        _agency(ret_el, "returnAgencyId", ret.return_agency_id)
        _opt(ret_el, "name", ret.name)
        _physical(ret_el, ret.physical_address)


def _requesting_agency_message(parent: Element, msg: RequestingAgencyMessage) -> None:
    el = _add(parent, "requestingAgencyMessage")
    _header(el, msg.header)
    _add(el, "action", msg.active_section.action.value)
    _opt(el, "note", msg.active_section.note)


def _confirmation_header(parent: Element, header: ConfirmationHeader) -> None:
    el = _add(parent, "confirmationHeader")
    _agency(el, "supplyingAgencyId", header.supplying_agency_id)
    _agency(el, "requestingAgencyId", header.requesting_agency_id)
    _add(el, "timestamp", format_datetime(header.timestamp))
    _opt(el, "requestingAgencyRequestId", header.requesting_agency_request_id)
    _opt(el, "multipleItemRequestId", header.multiple_item_request_id)
    _add(el, "timestampReceived", format_datetime(header.timestamp_received))
    _add(el, "messageStatus", header.message_status.value)


def _error_data(parent: Element, error: ErrorData | None) -> None:
    if error is not None:
        el = _add(parent, "errorData")
        _add(el, "errorType", error.error_type.value)
        _opt(el, "errorValue", error.error_value)


def build_tree(msg: Message, *, schema_location: bool = False) -> Element:
    nsmap = {"ill": NAMESPACE, **({"xsi": XSI} if schema_location else {})}
    root = etree.Element(ILL + "ISO18626Message", nsmap=nsmap)
    root.set(ILL + "version", VERSION)
    if schema_location:
        root.set(f"{{{XSI}}}schemaLocation", SCHEMA_LOCATION)
    if isinstance(msg, Request):
        _request(root, msg)
    elif isinstance(msg, SupplyingAgencyMessage):
        _supplying_agency_message(root, msg)
    elif isinstance(msg, RequestingAgencyMessage):
        _requesting_agency_message(root, msg)
    elif isinstance(
        msg, RequestConfirmation | SupplyingAgencyMessageConfirmation | RequestingAgencyMessageConfirmation
    ):
        el = _add(root, msg.kind.value)
        _confirmation_header(el, msg.confirmation_header)
        if isinstance(msg, SupplyingAgencyMessageConfirmation) and msg.reason_for_message is not None:
            _add(el, "reasonForMessage", msg.reason_for_message.value)
        if isinstance(msg, RequestingAgencyMessageConfirmation) and msg.action is not None:
            _add(el, "action", msg.action.value)
        _error_data(el, msg.error_data)
    else:
        raise TypeError(f"not an ISO 18626 message: {type(msg).__name__}")
    return root
