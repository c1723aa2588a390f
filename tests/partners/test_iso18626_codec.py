"""ISO 18626 codec: real peers' samples, round trips, schema validity, hostile input.

Plain functions, no database: the codec is pure Python.
"""

from __future__ import annotations

import dataclasses
import pickle
from collections.abc import Callable
from datetime import UTC, datetime, timedelta, timezone
from decimal import Decimal
from operator import attrgetter
from pathlib import Path

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from lxml import etree

from partners.iso18626 import codec
from partners.iso18626.codec import (
    INTERNAL_ERROR_PREFIX,
    MAX_MESSAGE_BYTES,
    build_confirmation,
    parse,
    serialize,
    validate,
)
from partners.iso18626.messages import (
    Action,
    ActiveSection,
    AgencyId,
    BibliographicInfo,
    BibliographicItemId,
    BibliographicRecordId,
    BillingInfo,
    ConfirmationHeader,
    Costs,
    DeliveryInfo,
    ElectronicAddress,
    ErrorData,
    ErrorType,
    Header,
    Iso18626Error,
    MessageInfo,
    MessageKind,
    MessageStatus,
    PatronInfo,
    PhysicalAddress,
    PublicationInfo,
    ReasonForMessage,
    Request,
    RequestConfirmation,
    RequestedDeliveryInfo,
    RequestingAgencyAuthentication,
    RequestingAgencyInfo,
    RequestingAgencyMessage,
    RequestingAgencyMessageConfirmation,
    RequestSubType,
    RequestType,
    ReturnInfo,
    SchemeValue,
    ServiceInfo,
    ServiceType,
    Status,
    StatusInfo,
    SupplierInfo,
    SupplyingAgencyMessage,
    SupplyingAgencyMessageConfirmation,
)

SAMPLES = Path(__file__).resolve().parent / "samples"  # provenance: samples/README.md
SAMPLE_NAMES = sorted(p.name for p in SAMPLES.glob("*.xml"))
NS = "http://illtransactions.org/2013/iso18626"
T0 = datetime(2024, 5, 6, 7, 8, 9, tzinfo=UTC)


def sample(name: str) -> bytes:
    return (SAMPLES / name).read_bytes()


def parse_error(data: bytes | str) -> Iso18626Error:
    with pytest.raises(Iso18626Error) as info:
        parse(data)
    return info.value


def dt(text: str) -> datetime:
    return datetime.fromisoformat(text.replace("Z", "+00:00"))


# --- the real samples ---------------------------------------------------------------------


def check_01(m: Request) -> None:
    assert m.header.supplying_agency_id == AgencyId(
        "ISIL", "OCLC-ABCDE", "http://illtransactions.org/ISO18626/OpenCodeList/AgencyIdTypeList-V1.0"
    )
    assert m.header.requesting_agency_request_id == "my123"
    assert m.header.multiple_item_request_id == "What is this?"
    assert m.header.timestamp == dt("2018-02-08T08:34:54Z")
    assert m.bibliographic_info.title == "Something about elephants"
    assert m.bibliographic_info.author == "Warner, Mark PhD"
    assert m.publication_info.publication_type.value == "Book"
    assert m.publication_info.publication_date == "2010-03-02"
    svc = m.service_info
    assert svc.request_type is RequestType.NEW
    assert svc.request_sub_types == [RequestSubType.TRANSFER_REQUEST]
    assert svc.service_type is ServiceType.COPY_OR_LOAN
    assert svc.any_edition is True
    assert svc.need_before_date == dt("2018-01-16T14:00:00Z")
    assert svc.note == "Note"
    assert m.supplier_infos[0].sort_order == 2
    assert m.supplier_infos[0].bibliographic_record_id.value == "992790866"
    assert m.requested_delivery_infos[0].address.country.value == "US"
    assert m.requesting_agency_info.addresses == [
        ElectronicAddress(
            SchemeValue(
                "Email", "http://illtransactions.org/ISO18626/OpenCodeList/ElectronicAddressType-V1.0"
            ),
            "librarian@address.net",
        )
    ]
    assert m.patron_info.patron_id == "Patron-1234"
    assert m.patron_info.send_to_patron is False
    assert m.billing_info.maximum_costs.monetary_value == Decimal("99.99")
    assert m.billing_info.maximum_costs.currency_code.value == "USD"


def check_confirmation(status: MessageStatus, error: ErrorType | None) -> Callable:
    def check(m: RequestConfirmation) -> None:
        h = m.confirmation_header
        assert h.message_status is status
        assert h.requesting_agency_id.value == "US-ocolcm"
        assert h.timestamp_received == dt("2018-02-08T08:44:54Z")
        assert h.requesting_agency_request_id is None  # empty element in the sample
        assert (m.error_data.error_type if m.error_data else None) == error

    return check


def check_sam(reason: ReasonForMessage, status: Status, request_id: str, **extra: object) -> Callable:
    def check(m: SupplyingAgencyMessage) -> None:
        assert m.message_info.reason_for_message is reason
        assert m.status_info.status is status
        assert m.header.requesting_agency_request_id == request_id
        for attribute, expected in extra.items():
            assert attrgetter(attribute)(m) == expected, attribute

    return check


def check_ram(action: Action, request_id: str) -> Callable:
    def check(m: RequestingAgencyMessage) -> None:
        assert m.action is action
        assert m.active_section.action is action
        assert m.header.requesting_agency_request_id == request_id

    return check


def check_16(m: Request) -> None:
    assert m.header.requesting_agency_id == AgencyId("ISIL", "REQ")
    assert m.header.requesting_agency_request_id == "js-test-1017"
    assert m.header.multiple_item_request_id is None
    assert m.header.timestamp == datetime(2024, 11, 28, 10, 25, 11, 136000, tzinfo=UTC)
    assert m.bibliographic_info.supplier_unique_record_id == "LOANED"
    assert m.bibliographic_info.bibliographic_item_ids == [BibliographicItemId("ISBN", "1983")]
    assert m.service_info.request_sub_types == [RequestSubType.PATRON_REQUEST]
    assert m.service_info.service_type is ServiceType.LOAN


def check_17(m: Request) -> None:
    assert m.header.requesting_agency_request_id == ""  # a form template: present but empty
    assert m.header.timestamp == datetime(1, 1, 1, tzinfo=UTC)
    assert m.bibliographic_info.title == "Lord of the Rings"
    assert m.service_info.note is None  # only inside a comment
    assert [d.sort_order for d in m.requested_delivery_infos] == [1, 2]
    assert m.requested_delivery_infos[0].address == ElectronicAddress(
        SchemeValue("Email"), "library.ill@xyz.edu"
    )
    physical = m.requested_delivery_infos[1].address
    assert physical.locality == "Chicago"
    assert physical.region == SchemeValue("IL")  # empty ill:scheme="" reads as no scheme
    assert m.supplier_infos == [] and m.requesting_agency_info is None  # commented out


def check_21(m: Request) -> None:
    assert m.header.supplying_agency_id == AgencyId("RESHARE", "KNOWINT01")
    assert m.header.multiple_item_request_id is None  # absent in v1.0
    assert m.header.timestamp == dt("2014-03-17T09:30:47Z")
    assert m.bibliographic_info.supplier_unique_record_id == "27345786"
    assert m.service_info.service_level == SchemeValue("Normal")
    assert m.service_info.any_edition is True


def check_12(m: SupplyingAgencyMessageConfirmation) -> None:
    assert m.confirmation_header.message_status is MessageStatus.OK
    assert m.reason_for_message is ReasonForMessage.NOTIFICATION
    assert m.error_data == ErrorData(ErrorType.BADLY_FORMED_MESSAGE, "ErrorValue")


def check_15(m: RequestingAgencyMessageConfirmation) -> None:
    assert m.confirmation_header.requesting_agency_request_id == "request-id-001"
    assert m.action is Action.NOTIFICATION


EXPECTED: dict[str, tuple[type, Callable] | tuple[ErrorType, str]] = {
    "01-oclc-request-full-transfer.xml": (Request, check_01),
    "02-oclc-requestConfirmation-ok.xml": (RequestConfirmation, check_confirmation(MessageStatus.OK, None)),
    "03-oclc-requestConfirmation-error-badlyformed.xml": (
        RequestConfirmation,
        check_confirmation(MessageStatus.ERROR, ErrorType.BADLY_FORMED_MESSAGE),
    ),
    "04-oclc-sam-requestresponse-unfilled-notheld.xml": (
        SupplyingAgencyMessage,
        check_sam(
            ReasonForMessage.REQUEST_RESPONSE,
            Status.UNFILLED,
            "Requesting-ID-3",
            **{
                "message_info.reason_unfilled.value": "NotHeld",
                "header.supplying_agency_request_id": "168134645",
            },
        ),
    ),
    "05-oclc-sam-loaned-returninfo.xml": (
        SupplyingAgencyMessage,
        check_sam(
            ReasonForMessage.REQUEST_RESPONSE,
            Status.LOANED,
            "Requesting-ID-2",
            **{
                "status_info.due_date": dt("2021-03-11T05:00:00Z"),
                "delivery_info.sent_to_patron": False,
                "return_info.physical_address.locality": "Montréal",
                "return_info.name": "ILL Dept",
            },
        ),
    ),
    "06-oclc-sam-statuschange-overdue.xml": (
        SupplyingAgencyMessage,
        check_sam(
            ReasonForMessage.STATUS_CHANGE,
            Status.OVERDUE,
            "Requesting-ID-6",
            **{"message_info.note": "test request\n                Loan condition: OTHER (none)"},
        ),
    ),
    "07-oclc-sam-statuschange-recalled.xml": (
        SupplyingAgencyMessage,
        check_sam(
            ReasonForMessage.STATUS_CHANGE,
            Status.RECALLED,
            "Requesting-ID-2",
            **{"status_info.due_date": dt("2021-02-24T05:00:00Z")},
        ),
    ),
    "08-oclc-sam-renewresponse-no.xml": (
        SupplyingAgencyMessage,
        check_sam(
            ReasonForMessage.RENEW_RESPONSE,
            Status.LOANED,
            "Requesting-ID-5",
            **{"message_info.answer_yes_no": False},
        ),
    ),
    "09-oclc-sam-cancelresponse-yes.xml": (
        SupplyingAgencyMessage,
        check_sam(
            ReasonForMessage.CANCEL_RESPONSE,
            Status.CANCELLED,
            "Requesting-ID-4",
            **{"message_info.answer_yes_no": True},
        ),
    ),
    "10-oclc-sam-requestresponse-loancompleted.xml": (
        SupplyingAgencyMessage,
        check_sam(
            ReasonForMessage.REQUEST_RESPONSE,
            Status.LOAN_COMPLETED,
            "Requesting-ID-2",
        ),
    ),
    "11-oclc-sam-allfields-renewresponse.xml": (
        SupplyingAgencyMessage,
        check_sam(
            ReasonForMessage.RENEW_RESPONSE,
            Status.LOAN_COMPLETED,
            "Requesting-ID-1234",
            **{
                "header.requesting_agency_authentication": RequestingAgencyAuthentication(
                    "Account-1234", "SecurityCode-5678"
                ),
                "message_info.reason_retry.value": "AtBindery",
                "message_info.offered_costs.monetary_value": Decimal("99.99"),
                "message_info.retry_before": dt("2018-03-10T12:00:00Z"),
                "status_info.expected_delivery_date": dt("2018-03-12T12:00:00Z"),
                "delivery_info.item_id": "Item-0001",
                "delivery_info.sent_via.value": "Mail",
                "delivery_info.sent_to_patron": True,
                "delivery_info.loan_condition.value": "NoReproduction",
                "delivery_info.delivered_format.value": "LargePrint",
                "return_info.return_agency_id.value": "US-ocolcm",
            },
        ),
    ),
    "12-oclc-samConfirmation-ok-with-errordata.xml": (SupplyingAgencyMessageConfirmation, check_12),
    "13-oclc-ram-renew.xml": (RequestingAgencyMessage, check_ram(Action.RENEW, "168134581")),
    "14-oclc-ram-shippedreturn.xml": (RequestingAgencyMessage, check_ram(Action.SHIPPED_RETURN, "168134581")),
    "15-oclc-ramConfirmation.xml": (RequestingAgencyMessageConfirmation, check_15),
    "16-crosslink-request-patronrequest-tag0-prefix.xml": (Request, check_16),
    "17-crosslink-request-delivery-addresses-defaultns.xml": (Request, check_17),
    "18-crosslink-sam-statuschange-loaned-defaultns.xml": (
        SupplyingAgencyMessage,
        check_sam(
            ReasonForMessage.STATUS_CHANGE,
            Status.LOANED,
            "6ad1ff2e-bab2-4978-b064-656c0e67ebd6",
            **{
                "header.timestamp": datetime(2024, 12, 12, 20, 12, 0, 629597, tzinfo=UTC),
                "delivery_info.item_id": "12345",
            },
        ),
    ),
    "19-crosslink-ram-cancel.xml": (RequestingAgencyMessage, check_ram(Action.CANCEL, "reqid")),
    "20-crosslink-INVALID-sam-unknown-status.xml": (ErrorType.UNRECOGNISED_DATA_VALUE, "WeCouldLoan"),
    "21-modrs-request-v1_0-reshare.xml": (Request, check_21),
    # A test template: its placeholder timestamp is not a date (see also the test below).
    "22-modrs-sam-notification-unfilled-template.xml": (
        ErrorType.UNRECOGNISED_DATA_VALUE,
        "timestamp_holder",
    ),
}


def test_it_has_an_expectation_for_every_sample() -> None:
    assert sorted(EXPECTED) == SAMPLE_NAMES


@pytest.mark.parametrize("name", SAMPLE_NAMES)
def test_it_reads_each_real_sample(name: str) -> None:
    expected, check = EXPECTED[name]
    if isinstance(expected, ErrorType):
        error = parse_error(sample(name))
        assert error.error_type is expected
        assert check in error.error_value
        assert error.message_kind is MessageKind.SUPPLYING_AGENCY_MESSAGE
    else:
        message = parse(sample(name))
        assert type(message) is expected
        check(message)


def test_it_attaches_header_and_reason_to_the_invalid_status_error() -> None:
    error = parse_error(sample("20-crosslink-INVALID-sam-unknown-status.xml"))
    assert (
        error.error_value == "supplyingAgencyMessage/statusInfo/status: 'WeCouldLoan' is not a valid status"
    )
    assert error.header.requesting_agency_request_id == "reqid"
    assert error.header.supplying_agency_id == AgencyId("ISIL", "SUP")
    assert error.reason_for_message is ReasonForMessage.STATUS_CHANGE
    confirmation = build_confirmation(error, ok=False, now=T0)
    assert isinstance(confirmation, SupplyingAgencyMessageConfirmation)
    assert confirmation.reason_for_message is ReasonForMessage.STATUS_CHANGE
    assert confirmation.confirmation_header.requesting_agency_request_id == "reqid"
    assert confirmation.error_data.error_type is ErrorType.UNRECOGNISED_DATA_VALUE
    assert validate(serialize(confirmation)) == []


def test_it_reads_the_reshare_template_once_filled_in() -> None:
    data = sample("22-modrs-sam-notification-unfilled-template.xml").replace(
        b"timestamp_holder", b"2025-09-16T10:00:00.123+02:00"
    )
    m = parse(data)
    assert isinstance(m, SupplyingAgencyMessage)
    assert m.header.timestamp == datetime(2025, 9, 16, 8, 0, 0, 123000, tzinfo=UTC)
    assert m.header.multiple_item_request_id is None
    assert m.message_info.reason_for_message is ReasonForMessage.NOTIFICATION
    assert m.message_info.note == "can't find it after all"
    assert m.status_info == StatusInfo(Status.UNFILLED)  # no lastChange
    assert m.delivery_info == DeliveryInfo()  # no dateSent, empty loanCondition
    out = serialize(m)
    assert validate(out) == []  # lastChange and dateSent filled from the header timestamp
    assert parse(out).status_info.last_change == m.header.timestamp


@pytest.mark.parametrize("name", [n for n in SAMPLE_NAMES if not isinstance(EXPECTED[n][0], ErrorType)])
def test_it_reserializes_each_sample_to_valid_equal_xml(name: str) -> None:
    message = parse(sample(name))
    out = serialize(message)
    assert validate(out) == []
    assert parse(out) == message


@pytest.mark.parametrize("name", SAMPLE_NAMES)
def test_it_validates_samples_like_the_sources_table_says(name: str) -> None:
    problems = validate(sample(name))
    assert (problems == []) is (name[:2] < "20"), problems


# --- building every message type, full and minimal ----------------------------------------

SUP = AgencyId("ISIL", "DE-1", "http://illtransactions.org/ISO18626/OpenCodeList/AgencyIdTypeList-V1.0")
REQ = AgencyId("ISIL", "DE-2")
USD = SchemeValue("USD", "https://www.iso.org/iso-4217-currency-codes.html")
ADDR = PhysicalAddress(
    "1 Main St", "Floor 2", "Town", "12345", SchemeValue("US-OH", "urn:x"), SchemeValue("US")
)
EMAIL = ElectronicAddress(SchemeValue("Email"), "ill@example.org")


def header(**changes: object) -> Header:
    return dataclasses.replace(Header(SUP, REQ, T0, "req-1"), **changes)


def full_header() -> Header:
    return header(
        multiple_item_request_id="multi-1",
        supplying_agency_request_id="sup-9",
        requesting_agency_authentication=RequestingAgencyAuthentication("acct", "s3cret"),
        timestamp=datetime(2024, 5, 6, 9, 8, 9, 123456, tzinfo=timezone(timedelta(hours=2))),
    )


def full_request() -> Request:
    return Request(
        header=full_header(),
        bibliographic_info=BibliographicInfo(
            supplier_unique_record_id="rec-1",
            title="Title",
            author="Author",
            subtitle="Sub",
            series_title="Series",
            edition="2nd",
            title_of_component="Chapter",
            author_of_component="A. C.",
            volume="3",
            issue="4",
            pages_requested="10-20",
            estimated_no_pages="11",
            bibliographic_item_ids=[
                BibliographicItemId("ISBN", "9780261102385"),
                BibliographicItemId("DOI", "10.1000/x", "urn:scheme"),
                BibliographicItemId("ISSN", "1234-5678"),
                BibliographicItemId("PMID", "1"),
            ],
            sponsor="Sponsor",
            information_source="Source",
            bibliographic_record_ids=[BibliographicRecordId("OCLC", "992790866", "urn:oclc")],
        ),
        publication_info=PublicationInfo("Pub", SchemeValue("Book"), "2010", "Berlin"),
        service_info=ServiceInfo(
            service_type=ServiceType.COPY_OR_LOAN,
            request_type=RequestType.RETRY,
            request_sub_types=[RequestSubType.PATRON_REQUEST, RequestSubType.BOOKING_REQUEST],
            requesting_agency_previous_request_id="req-0",
            service_level=SchemeValue("Express"),
            preferred_format=SchemeValue("PDF"),
            need_before_date=T0,
            copyright_compliance=SchemeValue("US-CCG"),
            any_edition=False,
            start_date=T0,
            end_date=T0 + timedelta(days=3),
            note="Please <hurry> & thanks",
        ),
        supplier_infos=[
            SupplierInfo(
                1, SUP, "Main library", BibliographicRecordId("LOCAL", "b1"), "QA 76", "v.1-10", "On shelf"
            )
        ],
        requested_delivery_infos=[RequestedDeliveryInfo(1, EMAIL), RequestedDeliveryInfo(2, ADDR)],
        requesting_agency_info=RequestingAgencyInfo("Library", "Jo", [EMAIL, ADDR]),
        patron_info=PatronInfo("p-1", "Müller", "Zoë", SchemeValue("Staff"), True, [ADDR]),
        billing_info=BillingInfo(
            SchemeValue("Invoice"), Costs(USD, Decimal("12.50")), SchemeValue("Account"), "Billing dept", ADDR
        ),
    )


def full_sam() -> SupplyingAgencyMessage:
    return SupplyingAgencyMessage(
        header=full_header(),
        message_info=MessageInfo(
            ReasonForMessage.RENEW_RESPONSE,
            True,
            "note",
            SchemeValue("NotOnShelf"),
            SchemeValue("AtBindery"),
            Costs(USD, Decimal("1E+2")),
            T0,
            T0 + timedelta(days=1),
        ),
        status_info=StatusInfo(Status.LOANED, T0, T0 + timedelta(days=28), T0),
        delivery_info=DeliveryInfo(
            T0,
            "item-1",
            SchemeValue("Mail"),
            False,
            SchemeValue("LibraryUseOnly"),
            SchemeValue("Printed"),
            Costs(USD, Decimal("0.00")),
        ),
        return_info=ReturnInfo(SUP, "ILL office", ADDR),
    )


def full_ram() -> RequestingAgencyMessage:
    return RequestingAgencyMessage(full_header(), ActiveSection(Action.SHIPPED_RETURN, "sent back"))


def confirmation_header(status: MessageStatus = MessageStatus.ERROR) -> ConfirmationHeader:
    return ConfirmationHeader(T0, T0 - timedelta(seconds=5), status, SUP, REQ, "req-1", "multi-1")


ERROR = ErrorData(ErrorType.UNRECOGNISED_DATA_VALUE, "bad")
FULL = {
    "request": full_request(),
    "sam": full_sam(),
    "ram": full_ram(),
    "request-confirmation": RequestConfirmation(confirmation_header(), ERROR),
    "sam-confirmation": SupplyingAgencyMessageConfirmation(
        confirmation_header(), ReasonForMessage.STATUS_CHANGE, ERROR
    ),
    "ram-confirmation": RequestingAgencyMessageConfirmation(confirmation_header(), Action.RENEW, ERROR),
}
MINIMAL_CONFIRMATION_HEADER = ConfirmationHeader(T0, T0, MessageStatus.OK)
MINIMAL = {
    "request": Request(header(), BibliographicInfo()),
    "sam": SupplyingAgencyMessage(
        header(), MessageInfo(ReasonForMessage.STATUS_CHANGE), StatusInfo(Status.WILL_SUPPLY)
    ),
    "ram": RequestingAgencyMessage(header(), ActiveSection(Action.RECEIVED)),
    "request-confirmation": RequestConfirmation(MINIMAL_CONFIRMATION_HEADER),
    "sam-confirmation": SupplyingAgencyMessageConfirmation(MINIMAL_CONFIRMATION_HEADER),
    "ram-confirmation": RequestingAgencyMessageConfirmation(MINIMAL_CONFIRMATION_HEADER),
}


@pytest.mark.parametrize("which", [*(f"full-{k}" for k in FULL), *(f"minimal-{k}" for k in MINIMAL)])
def test_it_round_trips_and_validates_every_message_type(which: str) -> None:
    size, _, key = which.partition("-")
    message = (FULL if size == "full" else MINIMAL)[key]
    out = serialize(message)
    assert out.startswith(b"<?xml version='1.0' encoding='UTF-8'?>")
    assert validate(out) == []
    back = parse(out)
    if isinstance(message, SupplyingAgencyMessage) and message.status_info.last_change is None:
        # lastChange is mandatory on the wire; serialize used the header timestamp.
        message = dataclasses.replace(
            message,
            status_info=dataclasses.replace(message.status_info, last_change=message.header.timestamp),
        )
    assert back == message


def test_it_writes_the_ill_prefix_version_and_qualified_scheme() -> None:
    root = etree.fromstring(serialize(full_request()))
    assert root.tag == f"{{{NS}}}ISO18626Message"
    assert root.prefix == "ill"
    assert root.get(f"{{{NS}}}version") == "1.2"
    assert root.find(f".//{{{NS}}}agencyIdType").get(f"{{{NS}}}scheme").startswith("http://")
    assert b"2024-05-06T07:08:09.123456Z" in serialize(full_request())  # +02:00 written as UTC


def test_it_can_add_a_schema_location() -> None:
    out = serialize(MINIMAL["ram"], schema_location=True)
    assert b"xsi:schemaLocation" in out
    assert validate(out) == []


def test_it_writes_amounts_without_exponents_and_drops_unencodable_characters() -> None:
    sam = full_sam()
    sam.message_info.note = "bell\x07 and nul\x00 removed"
    out = serialize(sam)
    assert b"<ill:monetaryValue>100</ill:monetaryValue>" in out
    assert parse(out).message_info.note == "bell and nul removed"
    assert validate(out) == []


def test_it_refuses_to_serialize_what_cannot_be_valid() -> None:
    with pytest.raises(ValueError):
        serialize(
            SupplyingAgencyMessage(header(), MessageInfo(ReasonForMessage.STATUS_CHANGE), StatusInfo(None))
        )
    too_many = ServiceInfo(ServiceType.LOAN, request_sub_types=[RequestSubType.PATRON_REQUEST] * 4)
    with pytest.raises(ValueError):
        serialize(Request(header(), BibliographicInfo(), service_info=too_many))
    with pytest.raises(TypeError):
        serialize("not a message")  # type: ignore[arg-type]


# --- tolerance ----------------------------------------------------------------------------


def ram_xml(
    root_open: str,
    prefix: str = "",
    action: str = "Received",
    extra: str = "",
    timestamp: str = "2021-02-09T11:08:39Z",
    root_close: str | None = None,
) -> bytes:
    p = prefix
    body = f"""
  <{p}requestingAgencyMessage>
    <{p}header>
      <{p}supplyingAgencyId><{p}agencyIdType>ISIL</{p}agencyIdType><{p}agencyIdValue> SUP </{p}agencyIdValue></{p}supplyingAgencyId>
      <{p}requestingAgencyId><{p}agencyIdType>ISIL</{p}agencyIdType><{p}agencyIdValue>REQ</{p}agencyIdValue></{p}requestingAgencyId>
      <{p}timestamp>{timestamp}</{p}timestamp>
      <{p}requestingAgencyRequestId>
          r-1
      </{p}requestingAgencyRequestId>
    </{p}header>
    {extra}
    <{p}action>{action}</{p}action>
  </{p}requestingAgencyMessage>"""  # noqa: E501
    close = root_close or f"</{p}ISO18626Message>"
    return f"{root_open}{body}\n{close}".encode()


@pytest.mark.parametrize(
    ("root_open", "prefix"),
    [
        ("<ISO18626Message>", ""),  # no namespace, no version
        (f'<ISO18626Message xmlns="{NS}" version="1.0">', ""),
        (f'<x:ISO18626Message xmlns:x="{NS}" x:version="2021">', "x:"),
        (f'<ill:ISO18626Message xmlns:ill="{NS}" ill:version="v1_2_2017">', "ill:"),
    ],
)
def test_it_accepts_any_namespace_form_and_version(root_open: str, prefix: str) -> None:
    m = parse(ram_xml(root_open, prefix))
    assert isinstance(m, RequestingAgencyMessage)
    assert m.action is Action.RECEIVED
    assert m.header.supplying_agency_id == AgencyId("ISIL", "SUP")  # whitespace trimmed
    assert m.header.requesting_agency_request_id == "r-1"


def test_it_ignores_unknown_and_foreign_elements_and_matches_enums_case_insensitively() -> None:
    extra = '<unknownThing>x</unknownThing><f:action xmlns:f="urn:foreign">Cancel</f:action>'
    m = parse(ram_xml(f'<ISO18626Message xmlns="{NS}">', extra=extra, action=" renew "))
    assert m.action is Action.RENEW


def test_it_accepts_an_active_section_wrapper() -> None:
    wrapped = (
        ram_xml("<ISO18626Message>")
        .replace(b"<action>Received</action>", b"")
        .replace(
            b"</header>", b"</header><activeSection><action>Cancel</action><note>n</note></activeSection>"
        )
    )
    assert parse(wrapped).active_section == ActiveSection(Action.CANCEL, "n")


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("2024-12-12T20:12:00.629710681Z", datetime(2024, 12, 12, 20, 12, 0, 629710, tzinfo=UTC)),
        ("2024-12-12T20:12:00", datetime(2024, 12, 12, 20, 12, tzinfo=UTC)),  # naive -> UTC
        ("2024-12-12T20:12:00+01:00", datetime(2024, 12, 12, 19, 12, tzinfo=UTC)),
        ("2024-12-12T20:12:00-0530", datetime(2024, 12, 13, 1, 42, tzinfo=UTC)),
        ("2024-12-12 20:12", datetime(2024, 12, 12, 20, 12, tzinfo=UTC)),
        ("2024-12-12", datetime(2024, 12, 12, tzinfo=UTC)),
        ("2024-12-12T24:00:00Z", datetime(2024, 12, 13, tzinfo=UTC)),
        ("0001-01-01T00:00:00.000Z", datetime(1, 1, 1, tzinfo=UTC)),
    ],
)
def test_it_reads_any_xs_datetime_form_as_aware(text: str, expected: datetime) -> None:
    m = parse(ram_xml("<ISO18626Message>", timestamp=text))
    assert m.header.timestamp == expected
    assert m.header.timestamp.tzinfo is not None


@pytest.mark.parametrize(
    "text",
    [
        "yesterday",
        "2024-13-01T00:00:00Z",
        "2024-02-30",
        "2024-01-01T25:00:00Z",
        "2024-01-01T00:00:00+24:00",
        "99999-01-01",
        "9999-12-31T24:00:00Z",
    ],
)
def test_it_rejects_bad_dates_as_unrecognised_values(text: str) -> None:
    error = parse_error(ram_xml("<ISO18626Message>", timestamp=text))
    assert error.error_type is ErrorType.UNRECOGNISED_DATA_VALUE
    assert error.error_value.startswith("requestingAgencyMessage/header/timestamp: ")


def sam_xml(reason: str = "StatusChange", status: str = "<status>Loaned</status>", extra: str = "") -> bytes:
    return f"""<ISO18626Message xmlns="{NS}"><supplyingAgencyMessage>
      <header>
        <supplyingAgencyId><agencyIdType>ISIL</agencyIdType><agencyIdValue>SUP</agencyIdValue></supplyingAgencyId>
        <requestingAgencyId><agencyIdType>ISIL</agencyIdType><agencyIdValue>REQ</agencyIdValue></requestingAgencyId>
        <timestamp>2024-01-01T00:00:00Z</timestamp><requestingAgencyRequestId>r-1</requestingAgencyRequestId>
      </header>
      <messageInfo><reasonForMessage>{reason}</reasonForMessage></messageInfo>
      <statusInfo>{status}<lastChange>2024-01-01T00:00:00Z</lastChange></statusInfo>{extra}
    </supplyingAgencyMessage></ISO18626Message>""".encode()


def test_it_reads_an_empty_status_as_no_status_change() -> None:
    # Alma/Rapido send <status/> to mean "nothing changed" (noted in Index Data crosslink).
    assert parse(sam_xml(status="<status/>")).status_info.status is None


def test_it_reads_2021_renamed_delivery_elements() -> None:
    extra = (
        "<retryInfo><retryAfter>2024-02-01T00:00:00Z</retryAfter></retryInfo>"
        "<deliveryInfo><dateSent>2024-01-01T00:00:00Z</dateSent><deliveryMethod>Courier</deliveryMethod>"
        "<itemFormat>PDF</itemFormat></deliveryInfo>"
    )
    m = parse(sam_xml(extra=extra))
    assert m.delivery_info.sent_via == SchemeValue("Courier")
    assert m.delivery_info.delivered_format == SchemeValue("PDF")
    assert m.message_info.retry_after == datetime(2024, 2, 1, tzinfo=UTC)


# --- errors and their types ---------------------------------------------------------------


@pytest.mark.parametrize(
    ("data", "error_type", "value_part"),
    [
        (
            sam_xml(reason="Gossip"),
            ErrorType.UNSUPPORTED_REASON_FOR_MESSAGE_TYPE,
            "supplyingAgencyMessage/messageInfo/reasonForMessage: 'Gossip' is not a valid reason for message",
        ),
        (sam_xml(reason=""), ErrorType.UNSUPPORTED_REASON_FOR_MESSAGE_TYPE, "empty value"),
        (sam_xml(status="<status>HoldReturn</status>"), ErrorType.UNRECOGNISED_DATA_VALUE, "'HoldReturn'"),
        (
            sam_xml(status=""),
            ErrorType.UNRECOGNISED_DATA_ELEMENT,
            "supplyingAgencyMessage/statusInfo/status: required element is missing",
        ),
        (
            sam_xml().replace(
                b"<messageInfo><reasonForMessage>StatusChange</reasonForMessage></messageInfo>", b""
            ),
            ErrorType.UNRECOGNISED_DATA_ELEMENT,
            "supplyingAgencyMessage/messageInfo: required element is missing",
        ),
        (
            sam_xml(extra="<deliveryInfo><sentToPatron>maybe</sentToPatron></deliveryInfo>"),
            ErrorType.UNRECOGNISED_DATA_VALUE,
            "supplyingAgencyMessage/deliveryInfo/sentToPatron",
        ),
        (
            sam_xml(
                extra="<deliveryInfo><deliveryCosts><currencyCode>EUR</currencyCode>"
                "<monetaryValue>lots</monetaryValue></deliveryCosts></deliveryInfo>"
            ),
            ErrorType.UNRECOGNISED_DATA_VALUE,
            "deliveryInfo/deliveryCosts/monetaryValue: 'lots' is not a valid decimal amount",
        ),
        (
            ram_xml("<ISO18626Message>", action="Dance"),
            ErrorType.UNSUPPORTED_ACTION_TYPE,
            "requestingAgencyMessage/action: 'Dance' is not a valid action",
        ),
        (
            ram_xml("<ISO18626Message>", action="HoldReturn"),
            ErrorType.UNSUPPORTED_ACTION_TYPE,
            "'HoldReturn'",
        ),
        (
            ram_xml("<ISO18626Message>").replace(b"<action>Received</action>", b""),
            ErrorType.UNRECOGNISED_DATA_ELEMENT,
            "requestingAgencyMessage/action: required element is missing",
        ),
    ],
)
def test_it_maps_bad_content_to_the_right_error_type(
    data: bytes, error_type: ErrorType, value_part: str
) -> None:
    error = parse_error(data)
    assert error.error_type is error_type
    assert value_part in error.error_value
    assert error.header is not None and error.header.requesting_agency_request_id == "r-1"


@pytest.mark.parametrize(
    ("remove", "path"),
    [
        (b"<requestingAgencyRequestId>r-1</requestingAgencyRequestId>", "header/requestingAgencyRequestId"),
        (b"<agencyIdValue>SUP</agencyIdValue>", "header/supplyingAgencyId/agencyIdValue"),
        (b"<timestamp>2024-01-01T00:00:00Z</timestamp>", "header/timestamp"),
    ],
)
def test_it_names_missing_header_elements(remove: bytes, path: str) -> None:
    error = parse_error(sam_xml().replace(remove, b""))
    assert error.error_type is ErrorType.UNRECOGNISED_DATA_ELEMENT
    assert error.error_value == f"supplyingAgencyMessage/{path}: required element is missing"
    assert error.message_kind is MessageKind.SUPPLYING_AGENCY_MESSAGE
    assert error.header is None


def test_it_requires_the_header_and_bibliographic_info_of_a_request() -> None:
    error = parse_error(f'<ISO18626Message xmlns="{NS}"><request/></ISO18626Message>')
    assert (error.error_type, error.error_value) == (
        ErrorType.UNRECOGNISED_DATA_ELEMENT,
        "request/header: required element is missing",
    )
    assert error.message_kind is MessageKind.REQUEST
    no_bib = serialize(MINIMAL["request"]).replace(b"<ill:bibliographicInfo/>", b"")
    error = parse_error(no_bib)
    assert error.error_value == "request/bibliographicInfo: required element is missing"
    assert error.header == MINIMAL["request"].header


HOSTILE = {
    "billion laughs": b"""<?xml version="1.0"?>
<!DOCTYPE lolz [
 <!ENTITY lol "lol">
 <!ENTITY lol2 "&lol;&lol;&lol;&lol;&lol;&lol;&lol;&lol;&lol;&lol;">
 <!ENTITY lol3 "&lol2;&lol2;&lol2;&lol2;&lol2;&lol2;&lol2;&lol2;&lol2;&lol2;">
 <!ENTITY lol4 "&lol3;&lol3;&lol3;&lol3;&lol3;&lol3;&lol3;&lol3;&lol3;&lol3;">
 <!ENTITY lol9 "&lol4;&lol4;&lol4;&lol4;&lol4;&lol4;&lol4;&lol4;&lol4;&lol4;">
]>
<ISO18626Message><request><header>&lol9;</header></request></ISO18626Message>""",
    "xxe": b"""<?xml version="1.0"?>
<!DOCTYPE r [<!ENTITY xxe SYSTEM "file:///etc/passwd">]>
<ISO18626Message><request><bibliographicInfo><title>&xxe;</title></bibliographicInfo></request></ISO18626Message>""",
    "oversize": b"<ISO18626Message><request><note>"
    + b"x" * MAX_MESSAGE_BYTES
    + b"</note></request></ISO18626Message>",
    "empty": b"",
    "whitespace": b" \r\n\t ",
    "not xml": b"hello, I would like to borrow a book",
    "html": b"<!doctype html><html><body><p>Bad Gateway</p></body></html>",
    "xhtml": b'<html xmlns="http://www.w3.org/1999/xhtml"><body/></html>',
    "json": b'{"request": {"header": {}}}',
    "truncated": serialize(full_request())[:700],
    "binary": bytes(range(256)),
}


@pytest.mark.parametrize("name", HOSTILE)
def test_it_rejects_hostile_or_junk_input_as_badly_formed(name: str) -> None:
    error = parse_error(HOSTILE[name])
    assert error.error_type is ErrorType.BADLY_FORMED_MESSAGE
    assert error.message_kind is None and error.header is None
    assert "root:" not in error.error_value  # nothing from /etc/passwd leaks
    assert validate(HOSTILE[name]) != []


@pytest.mark.parametrize("name", ["billion laughs", "xxe"])
def test_it_rejects_doctype_even_when_the_encoding_hides_it(name: str) -> None:
    utf16 = HOSTILE[name].replace(b'<?xml version="1.0"?>', b'<?xml version="1.0" encoding="UTF-16"?>')
    error = parse_error(utf16.decode().encode("utf-16"))
    assert error.error_type is ErrorType.BADLY_FORMED_MESSAGE
    assert "DOCTYPE" in error.error_value


def test_the_hardened_parser_never_expands_entities() -> None:
    root = etree.fromstring(HOSTILE["xxe"], parser=codec._hardened_parser())
    assert "root:" not in "".join(root.itertext())


@pytest.mark.parametrize(
    ("data", "error_type", "value"),
    [
        (
            b"<request/>",
            ErrorType.BADLY_FORMED_MESSAGE,
            "root element is 'request', expected 'ISO18626Message'",
        ),
        (b"<ISO18626Message/>", ErrorType.UNRECOGNISED_DATA_ELEMENT, "ISO18626Message: no message element"),
        (
            b"<ISO18626Message><lendingOffer/></ISO18626Message>",
            ErrorType.UNRECOGNISED_DATA_ELEMENT,
            "ISO18626Message: unknown element 'lendingOffer'",
        ),
    ],
)
def test_it_separates_wrong_root_from_unknown_message(data: bytes, error_type: ErrorType, value: str) -> None:
    error = parse_error(data)
    assert (error.error_type, error.error_value) == (error_type, value)


def test_it_accepts_exactly_the_size_limit() -> None:
    message = serialize(MINIMAL["ram"])
    padded = message + b" " * (MAX_MESSAGE_BYTES - len(message))
    assert isinstance(parse(padded), RequestingAgencyMessage)
    assert parse_error(padded + b" ").error_type is ErrorType.BADLY_FORMED_MESSAGE


# --- confirmations ------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("key", "cls", "echo"),
    [
        ("request", RequestConfirmation, None),
        ("sam", SupplyingAgencyMessageConfirmation, ("reason_for_message", ReasonForMessage.RENEW_RESPONSE)),
        ("ram", RequestingAgencyMessageConfirmation, ("action", Action.SHIPPED_RETURN)),
    ],
)
def test_it_builds_ok_and_error_confirmations_for_each_incoming_kind(
    key: str, cls: type, echo: tuple | None
) -> None:
    message = FULL[key]
    ok = build_confirmation(message, ok=True, now=T0)
    error = build_confirmation(
        message,
        ok=False,
        error_type=ErrorType.UNRECOGNISED_DATA_VALUE,
        error_value="requestingAgencyRequestId: not found",
        now=T0,
    )
    for confirmation, status in ((ok, MessageStatus.OK), (error, MessageStatus.ERROR)):
        assert type(confirmation) is cls
        h = confirmation.confirmation_header
        assert h.message_status is status
        assert (h.supplying_agency_id, h.requesting_agency_id) == (SUP, REQ)
        assert (h.requesting_agency_request_id, h.multiple_item_request_id) == ("req-1", "multi-1")
        assert h.timestamp == T0
        assert h.timestamp_received == message.header.timestamp
        if echo:
            assert getattr(confirmation, echo[0]) is echo[1]
        out = serialize(confirmation)
        assert validate(out) == []
        assert parse(out) == confirmation
    assert ok.error_data is None
    assert error.error_data == ErrorData(
        ErrorType.UNRECOGNISED_DATA_VALUE, "requestingAgencyRequestId: not found"
    )


@pytest.mark.parametrize("name", ["json", "oversize", "binary"])
def test_it_answers_an_unreadable_message_with_an_id_less_request_confirmation(name: str) -> None:
    error = parse_error(HOSTILE[name])
    confirmation = build_confirmation(error, ok=False, now=T0)
    assert type(confirmation) is RequestConfirmation
    assert confirmation.confirmation_header == ConfirmationHeader(T0, T0, MessageStatus.ERROR)
    assert confirmation.error_data.error_type is ErrorType.BADLY_FORMED_MESSAGE
    assert validate(serialize(confirmation)) == []


def test_it_answers_a_broken_ram_with_a_ram_confirmation_echoing_the_header() -> None:
    error = parse_error(ram_xml("<ISO18626Message>", action="Dance"))
    confirmation = build_confirmation(error, ok=False, now=T0)
    assert type(confirmation) is RequestingAgencyMessageConfirmation
    assert confirmation.action is None  # 'Dance' cannot be echoed as a type_action
    assert confirmation.confirmation_header.requesting_agency_request_id == "r-1"
    assert confirmation.error_data.error_type is ErrorType.UNSUPPORTED_ACTION_TYPE
    assert validate(serialize(confirmation)) == []


def test_it_guards_against_meaningless_confirmations() -> None:
    with pytest.raises(ValueError):
        build_confirmation(parse_error(b""), ok=True)
    with pytest.raises(ValueError):
        build_confirmation(FULL["request"], ok=False)  # no error type
    with pytest.raises(ValueError):
        build_confirmation(FULL["request"], ok=True, error_type=ErrorType.BADLY_FORMED_MESSAGE)
    with pytest.raises(ValueError):
        build_confirmation(FULL["request-confirmation"], ok=True)
    answer = build_confirmation(
        FULL["request-confirmation"], ok=False, error_type=ErrorType.UNSUPPORTED_ACTION_TYPE
    )
    assert type(answer) is RequestConfirmation and answer.confirmation_header.timestamp.tzinfo is not None


# --- fuzzing ------------------------------------------------------------------------------

SEEDS = [sample(n) for n in SAMPLE_NAMES] or [serialize(m) for m in (*FULL.values(), *MINIMAL.values())]


def assert_only_iso_errors(data: bytes) -> None:
    try:
        parse(data)
    except Iso18626Error as exc:
        assert not exc.error_value.startswith(INTERNAL_ERROR_PREFIX), exc.__cause__


@settings(max_examples=300, deadline=None)
@given(st.binary(max_size=2048))
def test_fuzz_arbitrary_bytes_only_raise_iso18626_error(data: bytes) -> None:
    assert_only_iso_errors(data)
    assert_only_iso_errors(b"<ISO18626Message>" + data)


@st.composite
def mutated_samples(draw: st.DrawFn) -> bytes:
    data = bytearray(draw(st.sampled_from(SEEDS)))
    for _ in range(draw(st.integers(1, 4))):
        start = draw(st.integers(0, len(data)))
        end = draw(st.integers(start, min(len(data), start + 40)))
        choice = draw(st.sampled_from(["delete", "insert", "replace", "swap-text"]))
        if choice == "delete":
            del data[start:end]
        elif choice == "insert":
            data[start:start] = draw(
                st.binary(max_size=12)
                | st.sampled_from(
                    [
                        b"<",
                        b">",
                        b"&",
                        b"&amp;",
                        b"<x>",
                        b"</x>",
                        b"<!--",
                        b"]]>",
                        b"\x00",
                        b"\xff",
                        b"Z",
                        b"24:00",
                    ]
                )
            )
        elif choice == "replace":
            data[start:end] = draw(st.binary(max_size=end - start + 2))
        else:  # replace some element text with arbitrary (valid) text
            text = draw(st.text(max_size=20)).encode("utf-8", "surrogatepass")
            gt = data.find(b">", start)
            lt = data.find(b"<", gt + 1) if gt != -1 else -1
            if gt != -1 and lt != -1:
                data[gt + 1 : lt] = text
    return bytes(data)


@settings(max_examples=400, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(mutated_samples())
def test_fuzz_mutated_samples_only_raise_iso18626_error(data: bytes) -> None:
    assert_only_iso_errors(data)


@settings(max_examples=100, deadline=None)
@given(st.text(max_size=60))
def test_fuzz_text_values_survive_serialize_and_parse(text: str) -> None:
    message = RequestingAgencyMessage(
        header(requesting_agency_request_id=text), ActiveSection(Action.RENEW, text)
    )
    out = serialize(message)
    assert validate(out) == []
    back = parse(out)
    cleaned = codec._writer._clean(text).strip()  # what survives: XML-legal, trimmed
    assert back.header.requesting_agency_request_id == cleaned
    assert back.note == (cleaned or None)


def test_the_error_survives_pickling() -> None:
    error = parse_error(sample("20-crosslink-INVALID-sam-unknown-status.xml"))
    copy = pickle.loads(pickle.dumps(error))
    assert (copy.error_type, copy.error_value, copy.message_kind) == (
        error.error_type,
        error.error_value,
        error.message_kind,
    )
    assert (copy.header, copy.reason_for_message, str(copy)) == (
        error.header,
        error.reason_for_message,
        str(error),
    )
