"""ISO 18626 beside the lending state machine: a borrower's messages -> our lending requests, and the
ISO status we report for them.

    handle_request(msg, partner)   a Request -> a new lending request (actions.create_incoming)
    ram_event(action, note)        the *event* a requestingAgencyMessage carries
    LENDING_RULES[event]           the steps tried in order (partners.messaging.engine)
    handle_ram(msg, partner)       the handler lending registers for requestingAgencyMessage
    iso_status(req, …)             (seed label, ISO status) a request reports (LENDING_STATUS_QUERY)
"""

from __future__ import annotations

import re
from typing import Any

from django.core.exceptions import ValidationError
from django.utils.translation import gettext as _

from illdesk.inputs import parse_pk
from illdesk.workflow import ActionRefused, status_label
from partners.iso18626.messages import (
    Action,
    ErrorType,
    Request,
    RequestingAgencyMessage,
    RequestType,
    ServiceType,
    Status,
)
from partners.messaging.engine import (
    Call,
    Error,
    Handled,
    Message,
    Noop,
    Refused,
    Reply,
    Rule,
    T,
    local_date,
    note_from_partner,
    run_rule,
)
from partners.messaging.mapping import CONDITION_AGREE_MARKER, clean_note

from . import actions
from .actions.incoming import AlreadyReceived, open_request
from .models import LendingRequest
from .statuses import ON_LOAN
from .statuses import Status as L

# --- requestingAgencyMessage -> lending request ----------------------------------------------------

_L_CANCELLED = (L.CANCELLED, L.CANCEL_REPLY)
_L_AFTER_RECEIVED = [L.RECEIVED_BY_PARTNER, L.RENEW_REQUESTED, L.STAFF_RENEWAL, L.RENEWAL_RESPONSE,
                     L.PATRON_RENEWAL, L.RETURNED_BY_PARTNER, L.COMPLETED]
_L_SHIPPED_OR_LATER = [*ON_LOAN, L.RETURNED_BY_PARTNER, L.SHIPPED_DIGITALLY, L.COMPLETED, L.LOST, L.DAMAGED]


def _conditional_answer(accepted: bool):
    return Call(actions.conditional_answer, guard="borrower_answered_condition", accepted=accepted)


LENDING_RULES: dict[str, Rule] = {
    "Received": Rule((Noop(*_L_AFTER_RECEIVED), T("borrower_received"), T("borrower_received_digitally")),
                     "Received"),
    "Renew": Rule((Noop(L.RENEW_REQUESTED, L.PATRON_RENEWAL), T("borrower_requests_renewal")), "Renew"),
    "ShippedReturn": Rule((Noop(L.RETURNED_BY_PARTNER, L.COMPLETED), T("borrower_shipped_return")),
                          "Shipped return"),
    # A Cancel while our conditions wait for an answer is the borrower declining them (that is how
    # ReShare and crosslink say "REJECT"); once shipped, the answer is an automatic "no".
    "Cancel": Rule((Noop(*_L_CANCELLED, L.REJECTED, L.EXPIRED),
                    _conditional_answer(False),
                    T("borrower_requests_cancel"),
                    Reply("cancel_response", when=_L_SHIPPED_OR_LATER, accepted=False)), "Cancel"),
    "ConditionAccepted": Rule((_conditional_answer(True), Message()), "Conditions accepted"),
    "ConditionRejected": Rule((_conditional_answer(False), Message()), "Conditions declined"),
    "StatusRequest": Rule((Reply("status_request_response"),), "Status request"),
    "Notification": Rule((Message(),), "Message"),
    "ShippedForward": Rule((Error(ErrorType.UNSUPPORTED_ACTION_TYPE,
                                 "action ShippedForward: forwarding an item to another library is not "
                                 "supported; ship it back to us instead"),), "Shipped forward"),
}

_EDGE_NON_WORD = re.compile(r"^\W+|\W+$")


def ram_event(action: Action, note: str | None = None) -> str:
    """The event (a key of LENDING_RULES) a requestingAgencyMessage carries."""
    if action is Action.NOTIFICATION:
        text = clean_note(note)
        first = _EDGE_NON_WORD.sub("", text.replace(CONDITION_AGREE_MARKER, "").strip().split("\n")[0]).upper()
        if CONDITION_AGREE_MARKER in text or first == "ACCEPT":
            return "ConditionAccepted"
        if first == "REJECT":
            return "ConditionRejected"
        return "Notification"
    return {
        Action.STATUS_REQUEST: "StatusRequest",
        Action.RECEIVED: "Received",
        Action.CANCEL: "Cancel",
        Action.RENEW: "Renew",
        Action.SHIPPED_RETURN: "ShippedReturn",
        Action.SHIPPED_FORWARD: "ShippedForward",
    }[action]


def _lending_requests(partner, borrower_id: str):
    return LendingRequest.objects.filter(partner=partner, borrower_request_id=borrower_id).order_by("-pk")


def ram_context(msg: RequestingAgencyMessage, partner) -> tuple[Any, str, Rule, dict]:
    """(locked lending request, event, rule, context) for a requestingAgencyMessage."""
    header = msg.header
    candidates = _lending_requests(partner, header.requesting_agency_request_id).select_for_update()
    req = None
    our_id = parse_pk(header.supplying_agency_request_id)
    if our_id is not None:
        req = candidates.filter(pk=our_id).first()
    req = req or candidates.first()  # found and locked in one statement
    if req is None:
        # the same words whether we have none or it is another borrower's: naming nobody
        raise Refused(ErrorType.UNRECOGNISED_DATA_VALUE,
                      f"header/requestingAgencyRequestId: we have no request "
                      f"{header.requesting_agency_request_id[:60]} from you")
    event = ram_event(msg.action, msg.note)
    note = clean_note(msg.note).replace(CONDITION_AGREE_MARKER, "").strip()
    rule = LENDING_RULES[event]
    ctx = {"note": note, "history": f"{partner.name}: {rule.label}" + (f" — {note}" if note else "")}
    return req, event, rule, ctx


def handle_ram(msg: RequestingAgencyMessage, partner) -> Handled:
    req, event, rule, ctx = ram_context(msg, partner)
    req, outcome = run_rule(req, rule, ctx)
    return Handled(req, outcome, event)


# --- Request -> new lending request ------------------------------------------------------------------

def _bounded(model, values: dict) -> dict:
    """Cut strings to the model's max_length (PostgreSQL refuses longer ones; peers send anything)."""
    out = {}
    for name, value in values.items():
        if value in (None, ""):
            continue
        field = model._meta.get_field(name)
        if isinstance(value, str) and field.max_length:
            value = value.strip()[: field.max_length]
        out[name] = value
    return out


_REQUEST_TYPES = {"book": "book", "chapter": "chapter", "journal": "journal", "article": "article",
                  "thesis": "thesis", "conferenceproc": "conference"}


def request_fields(msg: Request) -> dict:
    """The lending request fields a Request carries. Every optional part may be missing."""
    bib = msg.bibliographic_info
    item_ids = {i.code.upper(): i.value for i in bib.bibliographic_item_ids if i.code}
    record_ids = {r.code.upper(): r.value for r in bib.bibliographic_record_ids if r.code}
    pub = msg.publication_info
    svc = msg.service_info
    patron = msg.patron_info
    pub_type = (pub.publication_type.value.lower() if pub and pub.publication_type else "")
    request_type = _REQUEST_TYPES.get(pub_type) or ("article" if bib.title_of_component and item_ids.get("ISSN")
                                                    else "chapter" if bib.title_of_component else "book")
    service = svc.service_type if svc else ServiceType.LOAN
    preferred = (svc.preferred_format.value.lower() if svc and svc.preferred_format else "")
    if service is ServiceType.COPY:
        requested_format = "physical_non_returnable" if "paper" in preferred else "digital"
    else:
        requested_format = "physical"
    notes = []
    if svc and svc.note:
        notes.append(clean_note(svc.note))
    if svc and service is ServiceType.COPY_OR_LOAN:
        notes.append(_("The borrower accepts a copy or a loan."))
    if msg.requesting_agency_info and msg.requesting_agency_info.name:
        notes.append(_("Requested by %(n)s") % {"n": msg.requesting_agency_info.name})
    requester = " ".join(p for p in ((patron.given_name, patron.surname) if patron else ()) if p)
    values = {
        "title": bib.title or bib.title_of_component or _("[no title given]"),
        "author": bib.author,
        "edition": bib.edition,
        "chapter_title": bib.title_of_component,
        "chapter_author": bib.author_of_component,
        "volume": bib.volume,
        "issue": bib.issue,
        "pages": bib.pages_requested,
        "isbn": item_ids.get("ISBN"),
        "issn": item_ids.get("ISSN"),
        "doi": item_ids.get("DOI"),
        "pmid": item_ids.get("PMID"),
        "oclc_number": record_ids.get("OCLC"),
        "publisher": pub.publisher if pub else None,
        "place_of_publication": pub.place_of_publication if pub else None,
        "year": pub.publication_date if pub else None,
        "request_type": request_type,
        "requested_format": requested_format,
        "needed_by": local_date(svc.need_before_date) if svc else None,
        "requester_name": requester,
        "borrower_request_id": msg.header.requesting_agency_request_id,
        "request_note": "\n".join(n for n in notes if n)[:2000],
    }
    return _bounded(LendingRequest, values)


def _already_have(msg: Request, existing: LendingRequest) -> Handled:
    """A Request for a borrower's request that is open here already: confirmed OK (as the first copy was),
    nothing new; a reminder is noted on it."""
    if msg.service_info and msg.service_info.request_type is RequestType.REMINDER:
        note_from_partner(existing, _("Reminder from the borrowing library."))
        return Handled(existing, _("reminder noted on lending request %(pk)s") % {"pk": existing.pk}, "Reminder")
    return Handled(existing, _("already have this request: lending request %(pk)s") % {"pk": existing.pk},
                   "Duplicate")


def handle_request(msg: Request, partner) -> Handled:
    # A copy sent later finds the first here; copies that arrive together are settled by the database
    # (constraint lending_request_once_per_borrower_request): the one that loses gets AlreadyReceived.
    # A closed request (rejected, cancelled, …) does not count: a new Request with its id is a new one.
    fields = request_fields(msg)
    existing = open_request(partner, fields.get("borrower_request_id"))  # as stored: stripped, cut to length
    if existing is not None:
        return _already_have(msg, existing)
    try:
        # Confirm at once; the catalogue search runs after commit (ISO 18626 confirms a request before
        # any status change, and the locate is the slow part of taking one).
        req = actions.create_incoming(partner, fields=fields, by=None, locate_after_commit=True)
    except AlreadyReceived as exc:
        return _already_have(msg, exc.request)
    except (ActionRefused, ValidationError, ValueError) as exc:
        raise Refused(ErrorType.UNRECOGNISED_DATA_VALUE, f"request: {getattr(exc, 'message', exc)}") from exc
    return Handled(req, _("lending request %(pk)s created (“%(s)s”)") % {"pk": req.pk,
                                                                          "s": status_label(type(req), req.status)},
                   "Request")


# --- the status we report ----------------------------------------------------------------------------

# Seed 000/002 "Status query": each Alma lending status reports as one ISO status. The first item
# is the seed's name for the group (it goes into the note), the second the ISO 18626 status sent.
# The seed's "Unknown" (damaged, all others) has no ISO status: we repeat the last one we sent.
LENDING_STATUS_QUERY: dict[str, tuple[str, Status | None]] = {
    L.REJECTED: ("Not supplied", Status.UNFILLED),
    L.LOCATE_FAILED: ("Not supplied", Status.UNFILLED),
    L.EXPIRED: ("Not supplied", Status.UNFILLED),
    L.CREATED: ("Pending", Status.REQUEST_RECEIVED),
    L.BEING_PROCESSED: ("Pending", Status.REQUEST_RECEIVED),
    L.WILL_SUPPLY: ("Pending", Status.REQUEST_RECEIVED),
    L.NON_EXPIRING: ("Pending", Status.REQUEST_RECEIVED),
    L.STAFF_RENEWAL: ("In process", Status.LOANED),
    L.RENEWAL_RESPONSE: ("In process", Status.LOANED),
    L.CANCEL_REPLY: ("Cancel pending", Status.REQUEST_RECEIVED),
    L.CANCELLED: ("Cancelled", Status.CANCELLED),
    L.SHIPPED_DIGITALLY: ("Shipped", Status.COPY_COMPLETED),
    L.SHIPPED_PHYSICALLY: ("Shipped", Status.LOANED),
    L.RECEIVED_BY_PARTNER: ("Received", Status.LOANED),
    L.RENEW_REQUESTED: ("Renew pending", Status.LOANED),
    L.PATRON_RENEWAL: ("Renew pending", Status.LOANED),
    L.OVERDUE: ("Overdue", Status.OVERDUE),
    L.RETURNED_BY_PARTNER: ("Returned", Status.LOANED),
    L.LENDER_CHECK_IN: ("Returned", Status.LOAN_COMPLETED),
    L.COMPLETED: ("Returned", Status.LOAN_COMPLETED),
    L.RECALLED: ("Recalled", Status.RECALLED),
    L.LOST: ("Lost", Status.COMPLETED_WITHOUT_RETURN),
    L.DAMAGED: ("Unknown", None),
    L.BORROWER_RECALL: ("Unknown", None),
    L.PENDING_AUTO_REJECT: ("Unknown", None),
    L.CONDITIONAL: ("Unknown", None),
    L.REACTIVATED: ("Unknown", None),
}


# Outside a status query (the status a RenewResponse, CancelResponse or Notification carries) the
# seed's coarse "Pending" would send a borrower that heard WillSupply back to square one.
PRECISE_STATUS: dict[str, Status | None] = {
    L.WILL_SUPPLY: Status.WILL_SUPPLY,
    L.BEING_PROCESSED: Status.EXPECT_TO_SUPPLY,
    L.CONDITIONAL: Status.WILL_SUPPLY,
    L.CANCEL_REPLY: None,  # unchanged: what we said last
}


def lending_iso_status(status: str, *, supplied_format: str = "", reject_reason: str = "",
                       last_sent: Status | None = None, precise: bool = False) -> tuple[str, Status]:
    """(seed label, ISO status) to report for a lending request in `status`.

    "Request completed" is reached by several roads; it reports CopyCompleted for a digital copy
    and Unfilled after a reject, so that the borrower is not told a loan came back. `precise` (any
    message but a StatusRequestResponse) uses PRECISE_STATUS where the seed's groups are coarse."""
    label, iso = LENDING_STATUS_QUERY[status]
    if precise and status in PRECISE_STATUS:
        iso = PRECISE_STATUS[status]
    if status == L.COMPLETED and supplied_format == "digital":
        iso = Status.COPY_COMPLETED
    elif status == L.COMPLETED and reject_reason and not supplied_format:
        label, iso = "Not supplied", Status.UNFILLED
    if iso is None:
        iso = last_sent or Status.REQUEST_RECEIVED
    return label, iso


def iso_status(req: LendingRequest, *, last_sent: Status | None = None, precise: bool = False) -> tuple[str, Status]:
    """The side's `iso_status`: lending_iso_status for a request (partners.messaging.outgoing knows what it
    last sent, we know what our statuses mean)."""
    return lending_iso_status(req.status, supplied_format=req.supplied_format, reject_reason=req.reject_reason,
                              last_sent=last_sent, precise=precise)


# Letter codes for email partners (partners.notify); every other event goes out as "partner_communication".
PARTNER_LETTERS = {"loaned": "lender_ship", "unfilled": "lender_reject", "loan_completed": "lender_checked_in",
                   "overdue": "borrower_overdue", "notification": "general_message", "recalled": "lender_recall"}
