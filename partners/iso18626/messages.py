"""Typed ISO 18626 (v1.2) messages: plain dataclasses, no XML and no Django.

Attribute names are the ISO element names in snake_case; repeated elements get a plural
name and a list. Fields the schema makes optional are ``None`` by default. A few fields the
v1.2 schema calls mandatory are still Optional here because real peers leave them out and we
must be able to read their messages (see the notes on each); ``codec.serialize`` fills or
rejects them so that what we send always validates.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import datetime
from decimal import Decimal
from enum import StrEnum
from typing import ClassVar

NAMESPACE = "http://illtransactions.org/2013/iso18626"
VERSION = "1.2"


class MessageKind(StrEnum):
    """The element name of each message type, as it appears under ISO18626Message."""

    REQUEST = "request"
    REQUEST_CONFIRMATION = "requestConfirmation"
    SUPPLYING_AGENCY_MESSAGE = "supplyingAgencyMessage"
    SUPPLYING_AGENCY_MESSAGE_CONFIRMATION = "supplyingAgencyMessageConfirmation"
    REQUESTING_AGENCY_MESSAGE = "requestingAgencyMessage"
    REQUESTING_AGENCY_MESSAGE_CONFIRMATION = "requestingAgencyMessageConfirmation"


class Status(StrEnum):
    """statusInfo/status (type_status)."""

    REQUEST_RECEIVED = "RequestReceived"
    EXPECT_TO_SUPPLY = "ExpectToSupply"
    WILL_SUPPLY = "WillSupply"
    LOANED = "Loaned"
    OVERDUE = "Overdue"
    RECALLED = "Recalled"
    RETRY_POSSIBLE = "RetryPossible"
    UNFILLED = "Unfilled"
    COPY_COMPLETED = "CopyCompleted"
    LOAN_COMPLETED = "LoanCompleted"
    COMPLETED_WITHOUT_RETURN = "CompletedWithoutReturn"
    CANCELLED = "Cancelled"


class ReasonForMessage(StrEnum):
    """messageInfo/reasonForMessage (type_reasonForMessage)."""

    REQUEST_RESPONSE = "RequestResponse"
    STATUS_REQUEST_RESPONSE = "StatusRequestResponse"
    RENEW_RESPONSE = "RenewResponse"
    CANCEL_RESPONSE = "CancelResponse"
    STATUS_CHANGE = "StatusChange"
    NOTIFICATION = "Notification"


class Action(StrEnum):
    """requestingAgencyMessage/action (type_action)."""

    STATUS_REQUEST = "StatusRequest"
    RECEIVED = "Received"
    CANCEL = "Cancel"
    RENEW = "Renew"
    SHIPPED_RETURN = "ShippedReturn"
    SHIPPED_FORWARD = "ShippedForward"
    NOTIFICATION = "Notification"


class ErrorType(StrEnum):
    """errorData/errorType (type_errorType)."""

    UNSUPPORTED_ACTION_TYPE = "UnsupportedActionType"
    UNSUPPORTED_REASON_FOR_MESSAGE_TYPE = "UnsupportedReasonForMessageType"
    UNRECOGNISED_DATA_ELEMENT = "UnrecognisedDataElement"
    UNRECOGNISED_DATA_VALUE = "UnrecognisedDataValue"
    BADLY_FORMED_MESSAGE = "BadlyFormedMessage"


class MessageStatus(StrEnum):
    OK = "OK"
    ERROR = "ERROR"


class RequestType(StrEnum):
    NEW = "New"
    RETRY = "Retry"
    REMINDER = "Reminder"


class RequestSubType(StrEnum):
    BOOKING_REQUEST = "BookingRequest"
    MULTIPLE_ITEM_REQUEST = "MultipleItemRequest"
    PATRON_REQUEST = "PatronRequest"
    TRANSFER_REQUEST = "TransferRequest"
    SUPPLYING_LIBRARYS_CHOICE = "SupplyingLibrarysChoice"


class ServiceType(StrEnum):
    COPY = "Copy"
    LOAN = "Loan"
    COPY_OR_LOAN = "CopyOrLoan"


# --- small shared parts -------------------------------------------------------------------


@dataclass(frozen=True)
class SchemeValue:
    """An ISO type_schemeValuePair: a code plus the (optional) URI of its code list."""

    value: str
    scheme: str | None = None

    def __str__(self) -> str:
        return self.value


@dataclass(frozen=True)
class AgencyId:
    """type_agencyId, e.g. AgencyId("ISIL", "DE-12"). ``type_scheme`` is agencyIdType's scheme."""

    type: str
    value: str
    type_scheme: str | None = None

    def __str__(self) -> str:
        return f"{self.type}:{self.value}"


@dataclass
class Costs:
    currency_code: SchemeValue
    monetary_value: Decimal


@dataclass
class ElectronicAddress:
    type: SchemeValue
    data: str


@dataclass
class PhysicalAddress:
    line1: str | None = None
    line2: str | None = None
    locality: str | None = None
    postal_code: str | None = None
    region: SchemeValue | None = None
    country: SchemeValue | None = None


# The schema's <address> is a choice of exactly one of the two.
Address = ElectronicAddress | PhysicalAddress


@dataclass
class RequestingAgencyAuthentication:
    account_id: str | None = None
    security_code: str | None = None


@dataclass
class Header:
    """The header shared by request, supplyingAgencyMessage and requestingAgencyMessage.

    ``multiple_item_request_id`` is mandatory (but usually empty) in v1.2 and absent from
    v1.0/2021 messages, so it is Optional; an empty element reads as None.
    """

    supplying_agency_id: AgencyId
    requesting_agency_id: AgencyId
    timestamp: datetime
    requesting_agency_request_id: str
    multiple_item_request_id: str | None = None
    supplying_agency_request_id: str | None = None
    requesting_agency_authentication: RequestingAgencyAuthentication | None = None


# --- request ------------------------------------------------------------------------------


@dataclass(frozen=True)
class BibliographicItemId:
    """An identifier of the item itself, e.g. BibliographicItemId("ISBN", "9780261102385")."""

    code: str
    value: str
    code_scheme: str | None = None


@dataclass(frozen=True)
class BibliographicRecordId:
    """An identifier of a catalogue record, e.g. BibliographicRecordId("OCLC", "992790866")."""

    code: str
    value: str
    code_scheme: str | None = None


@dataclass
class BibliographicInfo:
    supplier_unique_record_id: str | None = None
    title: str | None = None
    author: str | None = None
    subtitle: str | None = None
    series_title: str | None = None
    edition: str | None = None
    title_of_component: str | None = None
    author_of_component: str | None = None
    volume: str | None = None
    issue: str | None = None
    pages_requested: str | None = None
    estimated_no_pages: str | None = None
    bibliographic_item_ids: list[BibliographicItemId] = field(default_factory=list)
    sponsor: str | None = None
    information_source: str | None = None
    bibliographic_record_ids: list[BibliographicRecordId] = field(default_factory=list)


@dataclass
class PublicationInfo:
    publisher: str | None = None
    publication_type: SchemeValue | None = None
    # Free text in the schema ("2010", "2010-03-02", "Spring 1998"), so kept as a string.
    publication_date: str | None = None
    place_of_publication: str | None = None


@dataclass
class ServiceInfo:
    service_type: ServiceType
    request_type: RequestType | None = None
    request_sub_types: list[RequestSubType] = field(default_factory=list)
    requesting_agency_previous_request_id: str | None = None
    service_level: SchemeValue | None = None
    preferred_format: SchemeValue | None = None
    need_before_date: datetime | None = None
    copyright_compliance: SchemeValue | None = None
    any_edition: bool | None = None
    start_date: datetime | None = None
    end_date: datetime | None = None
    note: str | None = None


@dataclass
class SupplierInfo:
    sort_order: int | None = None
    supplier_code: AgencyId | None = None
    supplier_description: str | None = None
    bibliographic_record_id: BibliographicRecordId | None = None
    call_number: str | None = None
    summary_holdings: str | None = None
    availability_note: str | None = None


@dataclass
class RequestedDeliveryInfo:
    sort_order: int | None = None
    address: Address | None = None


@dataclass
class RequestingAgencyInfo:
    name: str | None = None
    contact_name: str | None = None
    addresses: list[Address] = field(default_factory=list)


@dataclass
class PatronInfo:
    patron_id: str | None = None
    surname: str | None = None
    given_name: str | None = None
    patron_type: SchemeValue | None = None
    send_to_patron: bool | None = None
    addresses: list[Address] = field(default_factory=list)


@dataclass
class BillingInfo:
    payment_method: SchemeValue | None = None
    maximum_costs: Costs | None = None
    billing_method: SchemeValue | None = None
    billing_name: str | None = None
    address: Address | None = None


@dataclass
class Request:
    kind: ClassVar[MessageKind] = MessageKind.REQUEST

    header: Header
    bibliographic_info: BibliographicInfo
    publication_info: PublicationInfo | None = None
    service_info: ServiceInfo | None = None
    supplier_infos: list[SupplierInfo] = field(default_factory=list)
    requested_delivery_infos: list[RequestedDeliveryInfo] = field(default_factory=list)
    requesting_agency_info: RequestingAgencyInfo | None = None
    patron_info: PatronInfo | None = None
    billing_info: BillingInfo | None = None


# --- supplyingAgencyMessage ---------------------------------------------------------------


@dataclass
class MessageInfo:
    reason_for_message: ReasonForMessage
    answer_yes_no: bool | None = None
    note: str | None = None
    reason_unfilled: SchemeValue | None = None
    reason_retry: SchemeValue | None = None
    offered_costs: Costs | None = None
    retry_after: datetime | None = None
    retry_before: datetime | None = None


@dataclass
class StatusInfo:
    """``status`` is None only when a peer sent an *empty* <status/>: Alma/Rapido do that to
    mean "no status change" (noted in Index Data crosslink's handler). A missing element is
    an error. ``last_change`` is mandatory in v1.2 but ReShare omits it; when None,
    serialize writes the header timestamp instead."""

    status: Status | None
    expected_delivery_date: datetime | None = None
    due_date: datetime | None = None
    last_change: datetime | None = None


@dataclass
class DeliveryInfo:
    """``date_sent`` is mandatory in v1.2 but ReShare may omit it; when None, serialize
    writes the header timestamp instead."""

    date_sent: datetime | None = None
    item_id: str | None = None
    sent_via: SchemeValue | None = None
    sent_to_patron: bool | None = None
    loan_condition: SchemeValue | None = None
    delivered_format: SchemeValue | None = None
    delivery_costs: Costs | None = None


@dataclass
class ReturnInfo:
    return_agency_id: AgencyId | None = None
    name: str | None = None
    physical_address: PhysicalAddress | None = None


@dataclass
class SupplyingAgencyMessage:
    kind: ClassVar[MessageKind] = MessageKind.SUPPLYING_AGENCY_MESSAGE

    header: Header
    message_info: MessageInfo
    status_info: StatusInfo
    delivery_info: DeliveryInfo | None = None
    return_info: ReturnInfo | None = None


# --- requestingAgencyMessage --------------------------------------------------------------


@dataclass
class ActiveSection:
    """The standard's "active section" of a requestingAgencyMessage. In the v1.2 XML, action
    and note are direct children of requestingAgencyMessage (no wrapper element)."""

    action: Action
    note: str | None = None


@dataclass
class RequestingAgencyMessage:
    kind: ClassVar[MessageKind] = MessageKind.REQUESTING_AGENCY_MESSAGE

    header: Header
    active_section: ActiveSection

    @property
    def action(self) -> Action:
        return self.active_section.action

    @property
    def note(self) -> str | None:
        return self.active_section.note


# --- confirmations ------------------------------------------------------------------------


@dataclass
class ErrorData:
    error_type: ErrorType
    error_value: str | None = None


@dataclass
class ConfirmationHeader:
    """``timestamp`` is when the confirmation was made; ``timestamp_received`` echoes the
    timestamp of the message being confirmed (Index Data crosslink does the same)."""

    timestamp: datetime
    timestamp_received: datetime
    message_status: MessageStatus
    supplying_agency_id: AgencyId | None = None
    requesting_agency_id: AgencyId | None = None
    requesting_agency_request_id: str | None = None
    multiple_item_request_id: str | None = None


@dataclass
class RequestConfirmation:
    kind: ClassVar[MessageKind] = MessageKind.REQUEST_CONFIRMATION

    confirmation_header: ConfirmationHeader
    error_data: ErrorData | None = None


@dataclass
class SupplyingAgencyMessageConfirmation:
    kind: ClassVar[MessageKind] = MessageKind.SUPPLYING_AGENCY_MESSAGE_CONFIRMATION

    confirmation_header: ConfirmationHeader
    reason_for_message: ReasonForMessage | None = None
    error_data: ErrorData | None = None


@dataclass
class RequestingAgencyMessageConfirmation:
    kind: ClassVar[MessageKind] = MessageKind.REQUESTING_AGENCY_MESSAGE_CONFIRMATION

    confirmation_header: ConfirmationHeader
    action: Action | None = None
    error_data: ErrorData | None = None


IncomingMessage = Request | SupplyingAgencyMessage | RequestingAgencyMessage
Confirmation = RequestConfirmation | SupplyingAgencyMessageConfirmation | RequestingAgencyMessageConfirmation
Message = IncomingMessage | Confirmation


class Iso18626Error(Exception):
    """A message we cannot accept, with the ISO errorType/errorValue to send back.

    ``message_kind`` is the message element we got as far as recognising (None when not even
    that), ``header`` the message header when it could be read in full before the problem, and
    ``reason_for_message`` / ``action`` the SAM reason or RAM action when already read, so that
    ``build_confirmation`` can echo them in the ERROR confirmation.
    """

    def __init__(
        self,
        error_type: ErrorType,
        error_value: str,
        message_kind: MessageKind | None = None,
        header: Header | None = None,
        *,
        reason_for_message: ReasonForMessage | None = None,
        action: Action | None = None,
    ) -> None:
        super().__init__(f"{error_type}: {error_value}")
        self.error_type = ErrorType(error_type)
        self.error_value = error_value
        self.message_kind = message_kind
        self.header = header
        self.reason_for_message = reason_for_message
        self.action = action

    def __reduce__(self) -> tuple:
        # Exceptions pickle as cls(*args) by default, which loses everything but the text;
        # keep the whole error intact should it cross a process boundary (Celery, cache).
        kwargs = {"reason_for_message": self.reason_for_message, "action": self.action}
        args = (self.error_type, self.error_value, self.message_kind, self.header)
        return (_rebuild_error, (args, kwargs))


def _rebuild_error(args: tuple, kwargs: dict) -> Iso18626Error:
    return Iso18626Error(*args, **kwargs)
