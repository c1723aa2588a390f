"""Every letter and slip illdesk knows: name, audience, the context variables its templates may use,
and a sample context for previews.

The shipped templates are `letters/templates/letters/defaults/<code>.<lang>.{subject,txt,html}`; an
admin may override any part per library (`LetterTemplate`). Every letter gets the COMMON variables
(built from the request by `letters.rendering.request_context`) plus its own, which always exist
(empty unless the caller passes a value), so a template never meets a missing variable.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any

from django.utils.translation import gettext_lazy as _

from illdesk import sides

PATRON, PARTNER, STAFF = "patron", "partner", "staff"
EMAIL, SLIP = "email", "slip"

COMMON_VARIABLES: dict[str, str] = {
    "request.id": "illdesk request number",
    "request.side": "borrowing or lending",
    "request.title / author / publisher / place_of_publication / year / edition":
        "citation of the requested item",
    "request.volume / issue / pages / chapter_title / chapter_author": "part of the item (articles, chapters)",
    "request.isbn / issn / doi / pmid / oclc_number / identifier": "identifiers (identifier: the first one set)",
    "request.citation": "one-line citation",
    "request.request_type / requested_format / supplied_format / status": "labels, in the letter's language",
    "request.external_id": "identifier in the other system (partner's or OPAC's)",
    "request.borrower_request_id": "lending: the borrowing library's own request id",
    "request.requester_name": "the patron who asked (borrowing) or the borrower's patron (lending)",
    "request.barcode": "item barcode (lending) or temporary barcode (borrowing)",
    "request.pickup_location": "borrowing: where the patron collects the item",
    "request.created_at / updated_at / due_date / last_interest_date / needed_by / reply_by":
        "dates (use |date:\"SHORT_DATE_FORMAT\"); empty when not set",
    "request.cost / shipping_cost / currency": "money",
    "request.note": "the request note",
    "library.name / code / email / address": "our resource-sharing library that owns the request",
    "partner.name / code / email / address / symbol": "the active partner (empty when none)",
    "patron.name / first_name / last_name / card_number / email": "the requester (borrowing; empty otherwise)",
    "staff.name / email": "the operator who sends the letter",
    "request_url": "link to the request in illdesk (staff letters; needs ILLDESK_BASE_URL)",
    "today": "the date the letter is made",
}


@dataclass(frozen=True)
class LetterSpec:
    code: str
    name: Any  # lazy translation
    description: Any
    audience: str  # patron / partner / staff
    kind: str = EMAIL
    variables: dict[str, str] = field(default_factory=dict)  # letter-specific → what it holds
    sample: Callable[[Any], dict] | None = None  # request → example values for previews
    aliases: dict[str, str] = field(default_factory=dict)  # other name a caller may use → documented name

    @property
    def sides(self) -> tuple[str, ...]:
        """The sides that send this letter: each side registers its codes (illdesk.sides, `letters`)."""
        return tuple(info.name for info in sides.all() if self.code in info.letters)

    @property
    def defaults(self) -> dict[str, Any]:
        """Letter-specific variables all exist; dotted names are documentation of nested values."""
        return {name: "" for name in self.variables if "." not in name and name != "rows"}

    def with_aliases(self, values: dict) -> dict:
        """Copy values given under an alias to the documented name (the documented name wins)."""
        result = dict(values)
        for alias, name in self.aliases.items():
            if alias in result and name not in result:
                result[name] = result[alias]
        return result

    def sample_context(self, request) -> dict:
        return self.sample(request) if self.sample else {}


def _fixed(**values) -> Callable[[Any], dict]:
    return lambda request: dict(values)


_LETTERS = [
    # --- to patrons -----------------------------------------------------------------------------
    LetterSpec("cancel_request", _("Cancel Request letter"),
               _("Tells the patron the request was cancelled (by staff, or no partner could supply)."),
               PATRON, variables={"reason": "why, in words", "note": "free text from staff"},
               sample=_fixed(reason="Not found as cited", note="Please check the page numbers and ask again.")),
    LetterSpec("borrowing_info", _("Borrowing Info letter"),
               _("Tells the patron the loan was renewed and the new due date."),
               PATRON, variables={"due_date": "the new due date (default: the request's)",
                                                "renewal_fee": "fee charged for the renewal, if any",
                                                "note": "free text from staff"},
               sample=_fixed(renewal_fee="2.00 EUR", note="")),
    LetterSpec("query_to_patron", _("Query To Patron letter"),
               _("Asks the patron for missing or unclear information about the request."),
               PATRON, variables={"query_type": "what we ask about (a query template's subject)",
                                                "query_body": "the query template's text",
                                                "note": "free text from staff (the question)"},
               sample=_fixed(query_type="Citation details", query_body="", note="Which edition do you need?"),
               aliases={"query_subject": "query_type"}),
    LetterSpec("patron_request_update", _("ILL request update"),
               _("Koha ILL_REQUEST_UPDATE: the request's status changed."),
               PATRON, variables={"message": "what happened"},
               sample=_fixed(message="Your request has been sent to a partner library.")),
    LetterSpec("patron_unavailable", _("ILL request unavailable"),
               _("Koha ILL_REQUEST_UNAVAIL: we cannot supply the item."),
               PATRON, variables={"reason": "why, in words", "note": "free text from staff"},
               sample=_fixed(reason="No library could lend the item", note="")),
    LetterSpec("patron_ready_for_pickup", _("ILL request ready for pickup"),
               _("Koha ILL_PICKUP_READY: the item waits at the pickup location."),
               PATRON, variables={"pickup_until": "last day to collect (date or text)",
                                                "digital": "true when a digital copy arrived (no pickup)",
                                                "download_url": "digital: where to fetch the copy",
                                                "resent": "true when sent again (“Resend patron email”)",
                                                "note": "free text from staff"},
               sample=_fixed(pickup_until="", note="Bring your library card.")),
    LetterSpec("patron_digital_delivery", _("Digital delivery email"),
               _("The copy the patron asked for, as a link or attachment (also “Resend patron email”)."),
               PATRON, variables={"download_url": "where to fetch the copy (empty: attached)",
                                                "note": "free text from staff"},
               sample=_fixed(download_url="https://example.org/d/abc123", note="")),
    # --- to partners ----------------------------------------------------------------------------
    LetterSpec("partner_request", _("Partner request email"),
               _("Asks a partner library to supply the item (Koha ILL_PARTNER_REQ; email partners' “Send”)."),
               PARTNER, variables={"note": "free text to the partner"},
               sample=_fixed(note="")),
    LetterSpec("general_message", _("General Message email"),
               _("A general message (at most 1000 characters) to the other library about the request."),
               PARTNER, variables={"message": "the message"},
               sample=_fixed(message="Could you tell us when the item will be shipped?"),
               aliases={"text": "message", "body": "message"}),
    LetterSpec("partner_communication", _("Partner communication email"),
               _("Free correspondence with the partner, kept on the request (Communications)."),
               PARTNER, variables={"topic": "short subject text", "message": "the message"},
               sample=_fixed(topic="Thank you", message="Thank you for the quick delivery!"),
               aliases={"subject": "topic", "body": "message"}),
    LetterSpec("damaged_lost_report", _("Damaged / Lost report email"),
               _("Tells the lender the item was damaged or lost while with us."),
               PARTNER, variables={"what": "“damaged” or “lost”, in the letter's language",
                                                 "note": "details"},
               sample=_fixed(what="damaged", note="Water damage on the cover.")),
    LetterSpec("lender_ship", _("Lender Ship email"),
               _("Tells the borrowing library we shipped the item."),
               PARTNER, variables={"note": "free text to the borrower"},
               sample=_fixed(note="")),
    LetterSpec("lender_reject", _("Lender Reject email"),
               _("Tells the borrowing library we cannot supply, with the reason."),
               PARTNER, variables={"reason": "reject reason, in words", "note": "free text"},
               sample=_fixed(reason="Not on shelf", note="")),
    LetterSpec("lender_checked_in", _("Lender Checked-In email"),
               _("Tells the borrowing library the item came back and the loan is closed."),
               PARTNER, variables={"note": "free text"}, sample=_fixed(note="")),
    LetterSpec("lender_recall", _("Lender Recall email"),
               _("Asks the borrowing library to return the item early."),
               PARTNER, variables={"note": "free text"},
               sample=_fixed(note="A local patron has placed a hold on the item.")),
    LetterSpec("borrower_overdue", _("Borrower Overdue email"),
               _("Reminds the borrowing library that the item is overdue (also sent by the scheduled job)."),
               PARTNER, variables={"days_overdue": "days past the due date", "note": "free text"},
               sample=_fixed(days_overdue=7, note="")),
    # --- to staff -------------------------------------------------------------------------------
    LetterSpec("staff_patron_modified", _("Staff notice: patron modified a request"),
               _("Koha ILL_REQUEST_MODIFIED: to the library's ILL email (or ILLDESK_STAFF_EMAIL)."),
               STAFF, variables={"changes": "what the patron changed", "note": "patron's note"},
               sample=_fixed(changes="Last interest date: 2025-05-01 → 2025-06-01", note="")),
    LetterSpec("staff_patron_cancelled", _("Staff notice: patron cancelled a request"),
               _("Koha ILL_REQUEST_CANCEL: to the library's ILL email (or ILLDESK_STAFF_EMAIL)."),
               STAFF, variables={"note": "patron's note"},
               sample=_fixed(note="I found the book elsewhere.")),
    LetterSpec("assignment_notice", _("Assignment notice"),
               _("Tells an operator a request was assigned to them."),
               STAFF, variables={"assignee_name": "who gets the task", "assigned_by": "who assigned it",
                                       "note": "the assignment note"},
               sample=_fixed(assignee_name="Olli Operator", assigned_by="Maija Manager", note="Urgent")),
    # --- slips (PDF) ----------------------------------------------------------------------------
    LetterSpec("receive_slip", _("Receive slip"),
               _("Printed when the item arrives: request id and temporary barcode, patron, pickup location."),
               STAFF, kind=SLIP, variables={"barcodes.request": "Code 128 of the request id",
                                                          "barcodes.item": "Code 128 of the barcode (if any)"}),
    LetterSpec("return_slip", _("Return slip"),
               _("Goes with the item back to the lender."),
               STAFF, kind=SLIP, variables={"barcodes.request": "Code 128 of the request id",
                                                          "barcodes.item": "Code 128 of the barcode (if any)"}),
    LetterSpec("incoming_slip", _("Incoming (lending) slip"),
               _("Call slip to fetch the item from the shelf, before shipping."),
               STAFF, kind=SLIP, variables={"barcodes.request": "Code 128 of the request id",
                                                        "barcodes.item": "Code 128 of the item barcode",
                                                        "item.location / call_number": "where the item is"}),
    LetterSpec("shipping_slip", _("Shipping slip"),
               _("Goes with the item to the borrowing library."),
               STAFF, kind=SLIP, variables={"barcodes.request": "Code 128 of the request id",
                                                        "barcodes.item": "Code 128 of the item barcode",
                                                        "item.location / call_number": "where the item is"}),
    LetterSpec("lending_report_slip", _("Lending requests report slip"),
               _("One table row per selected lending request (title, author, location, call number …)."),
               STAFF, kind=SLIP, variables={"rows": "list of request contexts (each as `request` "
                                                                "plus item.location / call_number)",
                                                        "generated_at": "when the report was made"}),
]

LETTERS: dict[str, LetterSpec] = {spec.code: spec for spec in _LETTERS}
SLIPS = frozenset(code for code, spec in LETTERS.items() if spec.kind == SLIP)
EMAILS = frozenset(code for code, spec in LETTERS.items() if spec.kind == EMAIL)


def get(code: str) -> LetterSpec:
    try:
        return LETTERS[code]
    except KeyError as exc:
        raise KeyError(f"unknown letter {code!r}") from exc


def for_side(side: str, *, kind: str = EMAIL) -> list[LetterSpec]:
    return [spec for spec in LETTERS.values() if side in spec.sides and spec.kind == kind]
