"""Borrowing workflows (SPEC §1, seed 000). Each action: one transaction, the row locked, the
transition run through illdesk.workflow, history written, messages and letters queued on commit."""

from collections.abc import Callable
from datetime import date
from decimal import Decimal

from django.db import transaction
from django.utils import timezone, translation
from django.utils.translation import gettext as _

from illdesk.models import GeneralMessage, HistoryEvent, Note
from illdesk.notes import add_note, check_len
from illdesk.reasons import reason_label
from illdesk.workflow import ActionRefused, lock, record, run_transition, update_fields

from . import rota
from .models import BorrowingRequest, PurchaseRequest, RotaEntry
from .statuses import BEFORE_SEND, Status

S = Status


# --- side effects -------------------------------------------------------------------------------


def notify(req, event: str, *, by, note: str = "", **details) -> None:
    """Tell the active partner (ISO message, email letter, or a to-do for manual partners)."""
    from partners.notify import notify_partner

    notify_partner(req, event, by=by, note=note, **details)


def letter_to_patron(req: BorrowingRequest, code: str, *, by, context: dict | Callable[[], dict] | None = None,
                     visitor_language: str | None = None) -> None:
    """Send a patron letter in the patron's language; without an address, say so in the history.

    A requester without an account reads it in `visitor_language` (the language of the form they used).
    A callable `context` is built in the letter's language, so our own sentences in it are translated too.
    """
    patron = req.requester
    email = patron.email if patron else req.unauthenticated_email
    if not email:
        record(req, by=by, kind=HistoryEvent.Kind.ACTION, field=_("Letter"),
               message=_("No email address for the patron: letter “%(code)s” not sent.") % {"code": code})
        return
    from letters.api import send_letter

    language = patron.language if patron else visitor_language
    if callable(context):
        with translation.override(language):
            context = context()
    send_letter(code, request=req, to=[email], language=language, context=context or {}, by=by)


def transition(req: BorrowingRequest, name: str, *, by, message: str = "", tracked=(),
               check: Callable[[BorrowingRequest], None] | None = None, **kwargs) -> BorrowingRequest:
    """A step that is the state machine's and nothing more: the ISO tables' plain steps, the generic
    status dialog, bulk. The side's registered `transition` (illdesk.sides), so shared code never calls
    run_transition itself. `check` may refuse (raise ActionRefused), seeing the request under the lock."""
    return run_transition(req, name, by=by, message=message, tracked=tracked, before=check, **kwargs)


def expire(req: BorrowingRequest, *, by=None) -> BorrowingRequest:
    """The last interest date passed (the scheduled expiry job): Expired."""
    date_text = req.last_interest_date.isoformat() if req.last_interest_date else "—"
    return run_transition(req, "expire", by=by, message=_("Last interest date %(date)s passed") % {"date": date_text})


# --- sending and locating ----------------------------------------------------------------------


def send(req: BorrowingRequest, *, by, note: str = "") -> BorrowingRequest:
    check_len(note)
    with transaction.atomic():
        req = run_transition(req, "send", by=by, message=note)
        RotaEntry.objects.filter(request=req, partner=req.partner_id).update(sent_at=timezone.now())
        add_note(req, Note.Kind.TO_PARTNER, note, by=by)
        notify(req, "request", by=by, note=note)
    return req


def recalculate_rota(req: BorrowingRequest, *, by, remove_all: bool = False) -> BorrowingRequest:
    """Rebuild the rota from the rules. Once sent, the partner already asked stays active."""
    name = "remove_and_recalculate_rota" if remove_all else "recalculate_rota"
    with transaction.atomic():
        req = run_transition(req, name, by=by)
        rota.rebuild(req, by=by, keep_active=req.status not in BEFORE_SEND)
        req.refresh_from_db()
        if req.owner.auto_locate and req.status in BEFORE_SEND and (req.partner_id or req.rota_entries.exists()):
            from .locate import locate

            req = locate(req, by=by)
    return req


# --- answers from the lender -------------------------------------------------------------------


def apply_partner_reject(req: BorrowingRequest, *, reason: str, note: str = "", by=None,
                         transition: str = "partner_unfilled", notify_patron: bool = False,
                         transition_kwargs: dict | None = None):
    """The active lender can't supply: next partner in the rota (sent at once when the sending rules
    say so); with nobody left the request completes and the patron is told — unless the library keeps
    rejected requests active."""
    with transaction.atomic():
        req = run_transition(req, transition, by=by,
                             message=_("Reason: %(reason)s") % {"reason": reason_label(reason)},
                             **(transition_kwargs or {}))
        partner_name = req.partner.name if req.partner_id else ""
        if note:
            add_note(req, Note.Kind.FROM_PARTNER if by is None else Note.Kind.TO_PARTNER,
                  f"{partner_name}: {note}" if partner_name else note, by=by)
        Note.objects.create(request=req, kind=Note.Kind.INTERNAL,
                            text=_("%(partner)s rejected: %(reason)s") % {"partner": partner_name or "—",
                                                                         "reason": reason_label(reason)})
        following = rota.advance(req, reason=reason, by=by)
        req = lock(req)
        if following is not None:
            if notify_patron:
                letter_to_patron(req, "patron_request_update", by=by,
                                 context={"reason": reason_label(reason), "next_partner": following.name})
            if rota.sends_automatically(req) and following.profile_type in ("iso18626", "email"):
                req = send(req, by=by)
            return req
        if req.owner.keep_rejected_active:
            return req
        req = run_transition(req, "complete", by=None, message=_("No partner left in the rota"))
        # Seed 000: with nobody left the request ends and the patron always gets the cancel letter.
        letter_to_patron(req, "cancel_request", by=by, context={"reason": reason_label(reason)})
    return req


def reject(req: BorrowingRequest, *, by, reason: str, internal_note: str = "", partner_note: str = "",
           notify_patron: bool = False) -> BorrowingRequest:
    """Staff record a lender's rejection (the workflow profile's reject step)."""
    check_len(internal_note)
    check_len(partner_note)
    with transaction.atomic():
        if internal_note:
            add_note(req, Note.Kind.INTERNAL, internal_note, by=by)
        req = apply_partner_reject(req, reason=reason, note=partner_note, by=by, transition="reject",
                                   notify_patron=notify_patron)
    return req


def conditional_reply(req: BorrowingRequest, *, by, accept: bool, note: str = "") -> BorrowingRequest:
    check_len(note)
    with transaction.atomic():
        if accept:
            req = run_transition(req, "conditional_reply", by=by, accept=True, message=note)
            notify(req, "conditional_answer", by=by, note=note, accepted=True)
            return req
        current = lock(req)
        notify(current, "conditional_answer", by=by, note=note, accepted=False)
        # "No" is a rejection of the lender's terms: the rota moves on like for any reject.
        return apply_partner_reject(current, reason="PolicyProblem", note=note, by=by,
                                    transition="conditional_reply", transition_kwargs={"accept": False})


# --- the item arrives, circulates and goes back -------------------------------------------------


def _temp_barcode(req: BorrowingRequest) -> str:
    return f"ILL{req.pk:08d}"


def receive(req: BorrowingRequest, *, by, received_format: str, temp_barcode: str = "",
            note: str = "") -> BorrowingRequest:
    with transaction.atomic():
        current = lock(req)
        barcode = temp_barcode.strip() or (_temp_barcode(current) if current.owner.generate_temp_barcode else "")
        req = run_transition(current, "receive", by=by, received_format=received_format, message=note,
                             tracked=("supplied_format",))
        if barcode:
            req = update_fields(req, by=by, changes={"temp_barcode": barcode})
        notify(req, "received", by=by, note=note)
        if req.status == S.RECEIVED_PHYSICALLY or req.status == S.RECEIVED_NON_RETURNABLE:
            letter_to_patron(req, "patron_ready_for_pickup", by=by)
        elif req.status == S.RECEIVED_DIGITALLY:
            letter_to_patron(req, "patron_ready_for_pickup", by=by, context={"digital": True})
    return req


def return_item(req: BorrowingRequest, *, by, at_other_desk: bool = False, note: str = "") -> BorrowingRequest:
    with transaction.atomic():
        req = run_transition(req, "return_item", by=by, at_other_desk=at_other_desk, message=note)
        if req.status in (S.RETURNED_TO_PARTNER, S.COMPLETED):
            notify(req, "shipped_return", by=by, note=note)
    return req


def request_renew(req: BorrowingRequest, *, by, note: str = "") -> BorrowingRequest:
    """Ask the lender for more time; without a renew-response step the renewal is immediate."""
    check_len(note)
    with transaction.atomic():
        req = run_transition(req, "request_renew", by=by, message=note)
        add_note(req, Note.Kind.TO_PARTNER, note, by=by)
        if req.status == S.RENEW_REQUESTED:
            notify(req, "renew", by=by, note=note)
        else:
            letter_to_patron(req, "borrowing_info", by=by)
    return req


def renew(req: BorrowingRequest, *, by, due_date: date, internal_note: str = "",
          partner_note: str = "") -> BorrowingRequest:
    """Staff record a renewal granted by the lender (staff renewal step)."""
    check_len(internal_note)
    check_len(partner_note)
    with transaction.atomic():
        req = run_transition(req, "renew", by=by, due_date=due_date, tracked=("due_date",))
        add_note(req, Note.Kind.INTERNAL, internal_note, by=by)
        add_note(req, Note.Kind.TO_PARTNER, partner_note, by=by)
        letter_to_patron(req, "borrowing_info", by=by, context={"due_date": due_date})
    return req


def cancel_recall(req: BorrowingRequest, *, by) -> BorrowingRequest:
    return run_transition(req, "cancel_recall", by=by, tracked=("due_date",))


def report_damaged_or_lost(req: BorrowingRequest, *, by, lost: bool, note: str = "") -> BorrowingRequest:
    check_len(note)
    with transaction.atomic():
        req = run_transition(req, "report_lost" if lost else "report_damaged", by=by, message=note)
        notify(req, "lost" if lost else "damaged", by=by, note=note)
    return req


def resupply(req: BorrowingRequest, *, by, reason: str) -> BorrowingRequest:
    check_len(reason)
    with transaction.atomic():
        req = run_transition(req, "resupply", by=by, message=reason)
        add_note(req, Note.Kind.TO_PARTNER, _("Resupply requested: %(r)s") % {"r": reason}, by=by)
        notify(req, "resupply", by=by, note=reason)
    return req


# --- cancelling and ending ----------------------------------------------------------------------


def cancel(req: BorrowingRequest, *, by, note: str = "") -> BorrowingRequest:
    """Cancel outright while nothing is sent (or the partner can't take a cancel); otherwise ask the
    lender and wait for the answer."""
    check_len(note)
    from django_fsm import can_proceed

    with transaction.atomic():
        current = lock(req)
        if can_proceed(current.cancel):
            req = run_transition(current, "cancel", by=by, message=note)
            letter_to_patron(req, "cancel_request", by=by, context={"note": note})
        else:
            req = run_transition(current, "request_cancel", by=by, message=note)
            notify(req, "cancel", by=by, note=note)
    return req


def obtain_externally(req: BorrowingRequest, *, by, supplier: str, cost: Decimal | None,
                      note: str = "") -> BorrowingRequest:
    with transaction.atomic():
        req = run_transition(req, "obtain_externally", by=by,
                             message=_("Ordered from %(s)s") % {"s": supplier} + (f" — {note}" if note else ""))
        if cost is not None:
            req = update_fields(req, by=by, changes={"cost": cost})
    return req


def edit_shipping_cost(req: BorrowingRequest, *, by, shipping_cost: Decimal | None) -> BorrowingRequest:
    return update_fields(req, by=by, changes={"shipping_cost": shipping_cost})


def convert_request_type(req: BorrowingRequest, *, by, request_type: str, changes: dict) -> BorrowingRequest:
    """Book ↔ chapter ↔ article …: the type and its fields change, the rota is recalculated."""
    with transaction.atomic():
        req = run_transition(req, "convert_request_type", by=by, request_type=request_type,
                             tracked=("request_type",))
        if changes:
            req = update_fields(req, by=by, changes=changes)
        rota.rebuild(req, by=by, keep_active=False)
    return BorrowingRequest.objects.get(pk=req.pk)


# --- messages and copies ------------------------------------------------------------------------


def general_message(req: BorrowingRequest, *, by, text: str) -> BorrowingRequest:
    text = text.strip()
    if not text:
        raise ActionRefused(_("Write a message first."), status=400)
    check_len(text)
    with transaction.atomic():
        req = run_transition(req, "general_message", by=by, message=text)
        GeneralMessage.objects.create(request=req, direction=GeneralMessage.Direction.SENT, text=text, author=by)
        notify(req, "notification", by=by, note=text, text=text)
    return req


def status_query(req: BorrowingRequest, *, by) -> BorrowingRequest:
    with transaction.atomic():
        req = run_transition(req, "status_query", by=by, message=_("Status query sent to the lender"))
        notify(req, "status_request", by=by)
    return req


DUPLICATED_FIELDS = ("title", "issn", "isbn", "author", "requester", "owner", "requested_format",
                     "pickup_location", "request_note", "request_type", "patron_category", "level_of_service")


def duplicate(req: BorrowingRequest, *, by) -> BorrowingRequest:
    """A new request with the fields seed 000 lists; it starts its own life at Created."""
    with transaction.atomic():
        copy = BorrowingRequest.objects.create(**{f: getattr(req, f) for f in DUPLICATED_FIELDS})
        record(copy, by=by, kind=HistoryEvent.Kind.ACTION, field=_("Created"),
               new=_("Duplicate of %(pk)s") % {"pk": req.pk})
        record(req, by=by, kind=HistoryEvent.Kind.ACTION, field=_("Duplicated"),
               new=_("New request %(pk)s") % {"pk": copy.pk})
    return copy


def purchase_request(req: BorrowingRequest, *, by, cancel_request: bool) -> PurchaseRequest:
    """Suggest buying the item; the requester is the patron when the request is cancelled with it,
    else the staff member (seed 000)."""
    with transaction.atomic():
        purchase = PurchaseRequest.objects.create(
            source_request=req, title=req.title, author=req.author, isbn=req.isbn, issn=req.issn,
            requester=req.requester if cancel_request else None, created_by=by,
        )
        record(req, by=by, kind=HistoryEvent.Kind.ACTION, field=_("Purchase request"),
               new=_("Purchase request %(pk)s") % {"pk": purchase.pk})
        if cancel_request and req.is_active:
            cancel(req, by=by, note=_("Replaced by a purchase request"))
    return purchase
