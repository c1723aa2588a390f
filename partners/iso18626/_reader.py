"""Reads the six ISO 18626 message structures on top of ``_xmlread.BaseReader``.

Private to the package: callers use ``codec.parse``. The tolerance rules are described in
``_xmlread``.
"""

from __future__ import annotations

from ._xmlread import BaseReader, Element, show
from .messages import (
    Action,
    ActiveSection,
    BibliographicInfo,
    BibliographicItemId,
    BibliographicRecordId,
    BillingInfo,
    ConfirmationHeader,
    DeliveryInfo,
    ErrorData,
    ErrorType,
    Message,
    MessageInfo,
    MessageKind,
    MessageStatus,
    PatronInfo,
    PublicationInfo,
    ReasonForMessage,
    Request,
    RequestConfirmation,
    RequestedDeliveryInfo,
    RequestingAgencyInfo,
    RequestingAgencyMessage,
    RequestingAgencyMessageConfirmation,
    RequestSubType,
    RequestType,
    ReturnInfo,
    ServiceInfo,
    ServiceType,
    Status,
    StatusInfo,
    SupplierInfo,
    SupplyingAgencyMessage,
    SupplyingAgencyMessageConfirmation,
)


class Reader(BaseReader):
    # -- the six messages ------------------------------------------------------------------

    def message(self, root: Element) -> Message:
        found = [(n, c) for n, c in self.kids(root) if n in set(MessageKind)]
        if not found:
            names = [n for n, _ in self.kids(root)]
            what = f"unknown element {show(names[0])}" if names else "no message element"
            self.fail(ErrorType.UNRECOGNISED_DATA_ELEMENT, f"ISO18626Message: {what}")
        name, el = found[0]
        self.kind = MessageKind(name)
        reader = {
            MessageKind.REQUEST: self.request,
            MessageKind.SUPPLYING_AGENCY_MESSAGE: self.supplying_agency_message,
            MessageKind.REQUESTING_AGENCY_MESSAGE: self.requesting_agency_message,
            MessageKind.REQUEST_CONFIRMATION: self.request_confirmation,
            MessageKind.SUPPLYING_AGENCY_MESSAGE_CONFIRMATION: self.sam_confirmation,
            MessageKind.REQUESTING_AGENCY_MESSAGE_CONFIRMATION: self.ram_confirmation,
        }[self.kind]
        return reader(el, name)

    def request(self, el: Element, path: str) -> Request:
        self.header = self.read_header(el, path)
        return Request(
            header=self.header,
            bibliographic_info=self.bibliographic_info(self.require(el, "bibliographicInfo", path)),
            publication_info=self.publication_info(self.child(el, "publicationInfo")),
            service_info=self.service_info(self.child(el, "serviceInfo"), f"{path}/serviceInfo"),
            supplier_infos=[self.supplier_info(s, path) for s in self.children(el, "supplierInfo")],
            requested_delivery_infos=[
                RequestedDeliveryInfo(
                    self.opt_int(d, "sortOrder", f"{path}/requestedDeliveryInfo"),
                    self.address(self.child(d, "address")),
                )
                for d in self.children(el, "requestedDeliveryInfo")
            ],
            requesting_agency_info=self.requesting_agency_info(self.child(el, "requestingAgencyInfo")),
            patron_info=self.patron_info(self.child(el, "patronInfo"), f"{path}/patronInfo"),
            billing_info=self.billing_info(self.child(el, "billingInfo")),
        )

    def bibliographic_info(self, el: Element) -> BibliographicInfo:
        item_ids = []
        for item in self.children(el, "bibliographicItemId"):
            code = self.scheme_value(self.child(item, "bibliographicItemIdentifierCode"))
            value = self.opt_str(item, "bibliographicItemIdentifier")
            if value is not None:
                item_ids.append(
                    BibliographicItemId(code.value if code else "", value, code.scheme if code else None)
                )
        return BibliographicInfo(
            supplier_unique_record_id=self.opt_str(el, "supplierUniqueRecordId"),
            title=self.opt_str(el, "title"),
            author=self.opt_str(el, "author"),
            subtitle=self.opt_str(el, "subtitle"),
            series_title=self.opt_str(el, "seriesTitle"),
            edition=self.opt_str(el, "edition"),
            title_of_component=self.opt_str(el, "titleOfComponent"),
            author_of_component=self.opt_str(el, "authorOfComponent"),
            volume=self.opt_str(el, "volume"),
            issue=self.opt_str(el, "issue"),
            pages_requested=self.opt_str(el, "pagesRequested"),
            estimated_no_pages=self.opt_str(el, "estimatedNoPages"),
            bibliographic_item_ids=item_ids,
            sponsor=self.opt_str(el, "sponsor"),
            information_source=self.opt_str(el, "informationSource"),
            bibliographic_record_ids=[
                r for r in map(self.record_id, self.children(el, "bibliographicRecordId")) if r is not None
            ],
        )

    def record_id(self, el: Element | None) -> BibliographicRecordId | None:
        code = self.opt_scheme(el, "bibliographicRecordIdentifierCode")
        value = self.opt_str(el, "bibliographicRecordIdentifier")
        if value is None:
            return None
        return BibliographicRecordId(code.value if code else "", value, code.scheme if code else None)

    def publication_info(self, el: Element | None) -> PublicationInfo | None:
        if el is None:
            return None
        return PublicationInfo(
            publisher=self.opt_str(el, "publisher"),
            publication_type=self.opt_scheme(el, "publicationType"),
            publication_date=self.opt_str(el, "publicationDate"),
            place_of_publication=self.opt_str(el, "placeOfPublication"),
        )

    def service_info(self, el: Element | None, path: str) -> ServiceInfo | None:
        if el is None:
            return None
        service_type = self.enum(
            ServiceType,
            self.req_str(el, "serviceType", path),
            f"{path}/serviceType",
            "service type",
            ErrorType.UNRECOGNISED_DATA_VALUE,
        )
        sub_types = [
            self.enum(
                RequestSubType,
                v,
                f"{path}/requestSubType",
                "request sub-type",
                ErrorType.UNRECOGNISED_DATA_VALUE,
            )
            for v in (self.text(s) for s in self.children(el, "requestSubType"))
            if v
        ]
        return ServiceInfo(
            service_type=service_type,
            request_type=self.opt_enum(RequestType, el, "requestType", path, "request type"),
            request_sub_types=sub_types,
            requesting_agency_previous_request_id=self.opt_str(el, "requestingAgencyPreviousRequestId"),
            service_level=self.opt_scheme(el, "serviceLevel"),
            preferred_format=self.opt_scheme(el, "preferredFormat", "itemFormat"),
            need_before_date=self.opt_datetime(el, "needBeforeDate", path),
            copyright_compliance=self.opt_scheme(el, "copyrightCompliance"),
            any_edition=self.opt_bool(el, "anyEdition", path),
            start_date=self.opt_datetime(el, "startDate", path),
            end_date=self.opt_datetime(el, "endDate", path),
            note=self.opt_str(el, "note"),
        )

    def supplier_info(self, el: Element, path: str) -> SupplierInfo:
        return SupplierInfo(
            sort_order=self.opt_int(el, "sortOrder", f"{path}/supplierInfo"),
            supplier_code=self.agency_id(self.child(el, "supplierCode")),
            supplier_description=self.opt_str(el, "supplierDescription"),
            bibliographic_record_id=self.record_id(self.child(el, "bibliographicRecordId")),
            call_number=self.opt_str(el, "callNumber"),
            summary_holdings=self.opt_str(el, "summaryHoldings"),
            availability_note=self.opt_str(el, "availabilityNote"),
        )

    def requesting_agency_info(self, el: Element | None) -> RequestingAgencyInfo | None:
        if el is None:
            return None
        return RequestingAgencyInfo(
            self.opt_str(el, "name"), self.opt_str(el, "contactName"), self.addresses(el)
        )

    def patron_info(self, el: Element | None, path: str) -> PatronInfo | None:
        if el is None:
            return None
        return PatronInfo(
            patron_id=self.opt_str(el, "patronId"),
            surname=self.opt_str(el, "surname"),
            given_name=self.opt_str(el, "givenName"),
            patron_type=self.opt_scheme(el, "patronType"),
            send_to_patron=self.opt_bool(el, "sendToPatron", path),
            addresses=self.addresses(el),
        )

    def billing_info(self, el: Element | None) -> BillingInfo | None:
        if el is None:
            return None
        return BillingInfo(
            payment_method=self.opt_scheme(el, "paymentMethod"),
            maximum_costs=self.costs(self.child(el, "maximumCosts"), "request/billingInfo"),
            billing_method=self.opt_scheme(el, "billingMethod"),
            billing_name=self.opt_str(el, "billingName"),
            address=self.address(self.child(el, "address")),
        )

    def supplying_agency_message(self, el: Element, path: str) -> SupplyingAgencyMessage:
        self.header = self.read_header(el, path)
        info = self.require(el, "messageInfo", path)
        # Read the reason first: it decides the errorType, and an ERROR confirmation echoes it.
        reason = self.req_str(info, "reasonForMessage", f"{path}/messageInfo")
        self.reason = self.enum(
            ReasonForMessage,
            reason,
            f"{path}/messageInfo/reasonForMessage",
            "reason for message",
            ErrorType.UNSUPPORTED_REASON_FOR_MESSAGE_TYPE,
        )
        retry = self.child(el, "retryInfo")  # 2021 moved the retry fields there
        info_path = f"{path}/messageInfo"
        message_info = MessageInfo(
            reason_for_message=self.reason,
            answer_yes_no=self.opt_bool(info, "answerYesNo", info_path),
            note=self.opt_str(info, "note"),
            reason_unfilled=self.opt_scheme(info, "reasonUnfilled"),
            reason_retry=self.opt_scheme(info, "reasonRetry"),
            offered_costs=self.costs(self.child(info, "offeredCosts"), info_path)
            or self.costs(self.child(retry, "offeredCosts"), f"{path}/retryInfo"),
            retry_after=self.opt_datetime(info, "retryAfter", info_path)
            or self.opt_datetime(retry, "retryAfter", f"{path}/retryInfo"),
            retry_before=self.opt_datetime(info, "retryBefore", info_path)
            or self.opt_datetime(retry, "retryBefore", f"{path}/retryInfo"),
        )
        status_el = self.require(el, "statusInfo", path)
        status_path = f"{path}/statusInfo"
        status = self.req_str(status_el, "status", status_path)
        status_info = StatusInfo(
            status=self.enum(
                Status, status, f"{status_path}/status", "status", ErrorType.UNRECOGNISED_DATA_VALUE
            )
            if status
            else None,
            expected_delivery_date=self.opt_datetime(status_el, "expectedDeliveryDate", status_path),
            due_date=self.opt_datetime(status_el, "dueDate", status_path),
            last_change=self.opt_datetime(status_el, "lastChange", status_path),
        )
        return SupplyingAgencyMessage(
            header=self.header,
            message_info=message_info,
            status_info=status_info,
            delivery_info=self.delivery_info(self.child(el, "deliveryInfo"), f"{path}/deliveryInfo"),
            return_info=self.return_info(self.child(el, "returnInfo")),
        )

    def delivery_info(self, el: Element | None, path: str) -> DeliveryInfo | None:
        if el is None:
            return None
        return DeliveryInfo(
            date_sent=self.opt_datetime(el, "dateSent", path),
            item_id=self.opt_str(el, "itemId"),
            sent_via=self.opt_scheme(el, "sentVia", "deliveryMethod"),
            sent_to_patron=self.opt_bool(el, "sentToPatron", path),
            loan_condition=self.opt_scheme(el, "loanCondition"),
            delivered_format=self.opt_scheme(el, "deliveredFormat", "itemFormat"),
            delivery_costs=self.costs(self.child(el, "deliveryCosts"), path),
        )

    def return_info(self, el: Element | None) -> ReturnInfo | None:
        if el is None:
            return None
        return ReturnInfo(
            return_agency_id=self.agency_id(self.child(el, "returnAgencyId")),
            name=self.opt_str(el, "name"),
            physical_address=self.physical_address(self.child(el, "physicalAddress")),
        )

    def requesting_agency_message(self, el: Element, path: str) -> RequestingAgencyMessage:
        self.header = self.read_header(el, path)
        # v1.2 puts action/note directly in the message; accept an activeSection wrapper too.
        section = el if self.child(el, "action") is not None else self.child(el, "activeSection")
        action_el = self.child(section, "action")
        if section is None or action_el is None:
            self.missing(f"{path}/action")
        action = self.text(action_el)
        self.action = self.enum(Action, action, f"{path}/action", "action", ErrorType.UNSUPPORTED_ACTION_TYPE)
        return RequestingAgencyMessage(self.header, ActiveSection(self.action, self.opt_str(section, "note")))

    # -- confirmations ---------------------------------------------------------------------

    def confirmation_header(self, msg: Element, path: str) -> ConfirmationHeader:
        el = self.require(msg, "confirmationHeader", path)
        path = f"{path}/confirmationHeader"
        status = self.req_str(el, "messageStatus", path)
        return ConfirmationHeader(
            timestamp=self.req_datetime(el, "timestamp", path),
            timestamp_received=self.req_datetime(el, "timestampReceived", path),
            message_status=self.enum(
                MessageStatus,
                status,
                f"{path}/messageStatus",
                "message status",
                ErrorType.UNRECOGNISED_DATA_VALUE,
            ),
            supplying_agency_id=self.agency_id(self.child(el, "supplyingAgencyId")),
            requesting_agency_id=self.agency_id(self.child(el, "requestingAgencyId")),
            requesting_agency_request_id=self.opt_str(el, "requestingAgencyRequestId"),
            multiple_item_request_id=self.opt_str(el, "multipleItemRequestId"),
        )

    def error_data(self, msg: Element, path: str) -> ErrorData | None:
        el = self.child(msg, "errorData")
        if el is None:
            return None
        error_type = self.req_str(el, "errorType", f"{path}/errorData")
        return ErrorData(
            self.enum(
                ErrorType,
                error_type,
                f"{path}/errorData/errorType",
                "error type",
                ErrorType.UNRECOGNISED_DATA_VALUE,
            ),
            self.opt_str(el, "errorValue"),
        )

    def request_confirmation(self, el: Element, path: str) -> RequestConfirmation:
        return RequestConfirmation(self.confirmation_header(el, path), self.error_data(el, path))

    def sam_confirmation(self, el: Element, path: str) -> SupplyingAgencyMessageConfirmation:
        header = self.confirmation_header(el, path)
        reason = self.opt_str(el, "reasonForMessage")
        return SupplyingAgencyMessageConfirmation(
            header,
            reason_for_message=None
            if reason is None
            else self.enum(
                ReasonForMessage,
                reason,
                f"{path}/reasonForMessage",
                "reason for message",
                ErrorType.UNSUPPORTED_REASON_FOR_MESSAGE_TYPE,
            ),
            error_data=self.error_data(el, path),
        )

    def ram_confirmation(self, el: Element, path: str) -> RequestingAgencyMessageConfirmation:
        header = self.confirmation_header(el, path)
        action = self.opt_str(el, "action")
        return RequestingAgencyMessageConfirmation(
            header,
            action=None
            if action is None
            else self.enum(Action, action, f"{path}/action", "action", ErrorType.UNSUPPORTED_ACTION_TYPE),
            error_data=self.error_data(el, path),
        )
