"""ISO 18626 codec: bytes <-> the dataclasses in ``messages``. Pure Python + lxml, no Django.

    parse(data)        -> Request | SupplyingAgencyMessage | ... (or raises Iso18626Error)
    serialize(msg)     -> UTF-8 XML bytes that validate against the shipped v1.2 XSD
    validate(xml)      -> list of schema problems (empty when valid)
    build_confirmation(message_or_error, ok=...) -> the *Confirmation to answer with

How ``parse`` maps problems to ISO errorType (errorValue is always "<path>: <explanation>"):

* BadlyFormedMessage: empty, larger than MAX_MESSAGE_BYTES, not well-formed XML (HTML,
  JSON, truncated ...), any DOCTYPE (so no entity expansion / XXE), or a document whose root
  element is not ISO18626Message - it is not an ISO 18626 message at all.
* UnrecognisedDataElement: ISO18626Message without one of the six message elements (an unknown
  one is named in errorValue), or a required element missing, e.g.
  "request/header/requestingAgencyRequestId: required element is missing".
* UnsupportedReasonForMessageType: unknown messageInfo/reasonForMessage.
* UnsupportedActionType: unknown requestingAgencyMessage/action.
* UnrecognisedDataValue: any other bad value - unknown status, serviceType, yes/no, a date
  that is not an xs:dateTime, a non-numeric amount ...
"""

from __future__ import annotations

import logging
import threading
from datetime import UTC, datetime
from functools import cache
from pathlib import Path

from lxml import etree

from . import _reader, _writer, _xmlread
from .messages import (
    Action,
    ConfirmationHeader,
    ErrorData,
    ErrorType,
    Header,
    Iso18626Error,
    Message,
    MessageKind,
    MessageStatus,
    ReasonForMessage,
    Request,
    RequestConfirmation,
    RequestingAgencyMessage,
    RequestingAgencyMessageConfirmation,
    SupplyingAgencyMessage,
    SupplyingAgencyMessageConfirmation,
)

log = logging.getLogger(__name__)

MAX_MESSAGE_BYTES = 1024 * 1024  # real messages are a few KB; anything near this is abuse
SCHEMA_PATH = Path(__file__).resolve().parent / "schema" / "ISO-18626-v1_2.xsd"
INTERNAL_ERROR_PREFIX = "internal error reading message"

_schema_lock = threading.Lock()  # lxml validators keep per-run state; serialise their use


def _hardened_parser() -> etree.XMLParser:
    # A fresh parser per call: lxml parsers must not be shared between threads.
    return etree.XMLParser(
        resolve_entities=False,
        no_network=True,
        load_dtd=False,
        huge_tree=False,
        remove_comments=True,
        remove_pis=True,
    )


def _badly_formed(explanation: str) -> Iso18626Error:
    return Iso18626Error(ErrorType.BADLY_FORMED_MESSAGE, explanation)


def _load_document(data: bytes | bytearray | memoryview | str) -> etree._Element:
    """Hostile-input-safe bytes -> root element, or Iso18626Error(BadlyFormedMessage)."""
    raw = data.encode("utf-8") if isinstance(data, str) else bytes(data)
    if len(raw) > MAX_MESSAGE_BYTES:
        raise _badly_formed(f"message is {len(raw)} bytes, more than the {MAX_MESSAGE_BYTES} accepted")
    stripped = raw.lstrip(b" \t\r\n")
    if not stripped:
        raise _badly_formed("message is empty")
    if stripped.startswith(b"<"):  # an XML declaration must be the very first thing
        raw = stripped
    # Cheap early refusal; the docinfo check below also catches UTF-16 and other encodings.
    if b"<!DOCTYPE" in raw or b"<!ENTITY" in raw:
        raise _badly_formed("DOCTYPE declarations are not allowed")
    try:
        root = etree.fromstring(raw, parser=_hardened_parser())
    except (etree.LxmlError, ValueError) as exc:
        raise _badly_formed(f"not well-formed XML: {_xmlread.show(str(exc))}") from None
    if root is None:
        raise _badly_formed("not well-formed XML: no root element")
    docinfo = root.getroottree().docinfo
    if docinfo.doctype or docinfo.internalDTD is not None or docinfo.externalDTD is not None:
        raise _badly_formed("DOCTYPE declarations are not allowed")
    return root


def parse(data: bytes | bytearray | memoryview | str) -> Message:
    """Read one ISO 18626 message. Raises Iso18626Error and nothing else for bad input.

    A str is encoded as UTF-8 first (so its XML declaration should say UTF-8 or nothing)."""
    root = _load_document(data)
    name = _xmlread.local_name(root.tag)
    if name != "ISO18626Message":
        raise _badly_formed(f"root element is {_xmlread.show(name)}, expected 'ISO18626Message'")
    reader = _reader.Reader(root)
    try:
        return reader.message(root)
    except Iso18626Error:
        raise
    except Exception as exc:  # a reader bug must still produce an ISO answer, not a 500
        log.exception("unexpected failure reading an ISO 18626 message")
        raise Iso18626Error(
            ErrorType.BADLY_FORMED_MESSAGE,
            f"{INTERNAL_ERROR_PREFIX}: {type(exc).__name__}",
            reader.kind,
            reader.header,
            reason_for_message=reader.reason,
            action=reader.action,
        ) from exc


def serialize(msg: Message, *, schema_location: bool = False) -> bytes:
    """UTF-8 bytes with an XML declaration, ``ill:`` prefix and ``ill:version="1.2"``.

    Raises TypeError for a non-message and ValueError for one that cannot be made valid
    (a SAM whose status is None, more than three requestSubTypes)."""
    root = _writer.build_tree(msg, schema_location=schema_location)
    return etree.tostring(root, xml_declaration=True, encoding="UTF-8", pretty_print=True)


@cache
def _schema() -> etree.XMLSchema:
    return etree.XMLSchema(etree.parse(str(SCHEMA_PATH), parser=_hardened_parser()))


def validate(xml_bytes: bytes) -> list[str]:
    """Problems found by validating against the shipped v1.2 XSD; [] means valid."""
    try:
        root = _load_document(xml_bytes)
    except Iso18626Error as exc:
        return [exc.error_value]
    schema = _schema()
    with _schema_lock:
        if schema.validate(root):
            return []
        return [f"line {e.line}: {e.message}" for e in schema.error_log]


# --- confirmations ------------------------------------------------------------------------

_CONFIRMS = {
    MessageKind.REQUEST: RequestConfirmation,
    MessageKind.SUPPLYING_AGENCY_MESSAGE: SupplyingAgencyMessageConfirmation,
    MessageKind.REQUESTING_AGENCY_MESSAGE: RequestingAgencyMessageConfirmation,
}


def build_confirmation(
    for_message_or_error: Message | Iso18626Error,
    *,
    ok: bool,
    error_type: ErrorType | None = None,
    error_value: str | None = None,
    now: datetime | None = None,
) -> RequestConfirmation | SupplyingAgencyMessageConfirmation | RequestingAgencyMessageConfirmation:
    """The confirmation answering an incoming message, or the ERROR answer to a parse failure.

    * request -> requestConfirmation; SAM -> supplyingAgencyMessageConfirmation echoing
      reasonForMessage; RAM -> requestingAgencyMessageConfirmation echoing action.
    * For an Iso18626Error, error_type/error_value default to the error's own, and the header,
      reason and action are echoed when the parser got that far.
    * When the kind is unknown (unreadable message) - or a peer posted a confirmation, which is
      never itself confirmed - the answer is requestConfirmation-shaped with no agency ids and
      no request id: the v1.2 schema makes those optional in confirmationHeader, so leaving them
      out is valid, where inventing placeholder ids would mislead the peer.
    * confirmationHeader/timestamp is ``now``; timestampReceived echoes the incoming header's
      timestamp (as Index Data crosslink does), or ``now`` when there was no readable header.
    """
    now = now if now is not None else datetime.now(UTC)
    if now.tzinfo is None:
        now = now.replace(tzinfo=UTC)
    header: Header | None = None
    kind: MessageKind | None = None
    reason: ReasonForMessage | None = None
    action: Action | None = None
    if isinstance(for_message_or_error, Iso18626Error):
        if ok:
            raise ValueError("a message that failed to parse can only get an ERROR confirmation")
        error = for_message_or_error
        header, kind, reason, action = (
            error.header,
            error.message_kind,
            error.reason_for_message,
            error.action,
        )
        error_type = error_type or error.error_type
        error_value = error_value if error_value is not None else error.error_value
    elif isinstance(for_message_or_error, Request | SupplyingAgencyMessage | RequestingAgencyMessage):
        header, kind = for_message_or_error.header, for_message_or_error.kind
        if isinstance(for_message_or_error, SupplyingAgencyMessage):
            reason = for_message_or_error.message_info.reason_for_message
        elif isinstance(for_message_or_error, RequestingAgencyMessage):
            action = for_message_or_error.active_section.action
    elif isinstance(
        for_message_or_error,
        RequestConfirmation | SupplyingAgencyMessageConfirmation | RequestingAgencyMessageConfirmation,
    ):
        if ok:
            raise ValueError("confirmations are not themselves confirmed")
    else:
        raise TypeError(f"cannot confirm {type(for_message_or_error).__name__}")

    if ok and error_type is not None:
        raise ValueError("an OK confirmation carries no errorData")
    if not ok and error_type is None:
        raise ValueError("an ERROR confirmation needs an error_type")

    confirmation_header = ConfirmationHeader(
        timestamp=now,
        timestamp_received=header.timestamp if header is not None else now,
        message_status=MessageStatus.OK if ok else MessageStatus.ERROR,
        supplying_agency_id=header.supplying_agency_id if header else None,
        requesting_agency_id=header.requesting_agency_id if header else None,
        requesting_agency_request_id=header.requesting_agency_request_id if header else None,
        multiple_item_request_id=header.multiple_item_request_id if header else None,
    )
    error_data = None if ok else ErrorData(ErrorType(error_type), error_value)
    cls = _CONFIRMS.get(kind) if kind is not None else None
    if cls is SupplyingAgencyMessageConfirmation:
        return SupplyingAgencyMessageConfirmation(confirmation_header, reason, error_data)
    if cls is RequestingAgencyMessageConfirmation:
        return RequestingAgencyMessageConfirmation(confirmation_header, action, error_data)
    return RequestConfirmation(confirmation_header, error_data)
