"""Incoming messages applied to our requests through the mapping tables.

    handle_sam(msg, partner)      supplyingAgencyMessage -> borrowing request
    handle_ram(msg, partner)      requestingAgencyMessage -> lending request
    handle_request(msg, partner)  Request -> new lending request (lending.actions.create_incoming)

Each raises Refused (-> an ERROR confirmation) when the message cannot be applied; the caller runs
them inside one transaction, so a refused message changes nothing.
"""

from __future__ import annotations

import importlib
import logging
from dataclasses import dataclass
from datetime import date
from typing import Any

from django.core.exceptions import ValidationError
from django.utils import timezone
from django.utils.translation import gettext as _
from django_fsm import can_proceed

from illdesk.inputs import parse_pk
from illdesk.models import GeneralMessage, HistoryEvent, Note
from illdesk.workflow import ActionRefused, record, run_transition, status_label, update_fields

from ..iso18626.messages import (
    ErrorType,
    Request,
    RequestingAgencyMessage,
    RequestType,
    ServiceType,
    Status,
    SupplyingAgencyMessage,
)
from . import mapping
from .mapping import Rule, Step

log = logging.getLogger("illdesk.iso18626")


class Refused(Exception):
    """The message cannot be applied: answer ERROR with this errorType and errorValue."""

    def __init__(self, error_type: ErrorType | str, error_value: str, request: Any = None) -> None:
        super().__init__(f"{error_type}: {error_value}")
        self.error_type = ErrorType(error_type)
        self.error_value = error_value
        self.request = request  # the request it was about, to show the refusal there


@dataclass
class Handled:
    request: Any
    outcome: str
    event: str = ""


def _local_date(value) -> date | None:
    if value is None:
        return None
    if value.tzinfo is None:
        return value.date()
    try:
        return timezone.localdate(value)
    except OverflowError:  # 0001-01-01T00:00+14:00 is in year 0 here: keep the partner's calendar date
        return value.date()


# --- the step engine -------------------------------------------------------------------------------


def _resolve(args: dict, ctx: dict) -> dict | None:
    """Fill "$name" from the message context; "$name!" is required (None skips the step)."""
    out = {}
    for key, value in args.items():
        if isinstance(value, str) and value.startswith("$"):
            name = value[1:].rstrip("!")
            value = ctx.get(name)
            if value is None and args[key].endswith("!"):
                return None
        out[key] = value
    return out


def _note_from_partner(req, text: str) -> None:
    if not text:
        return
    Note.objects.create(request=req, kind=Note.Kind.FROM_PARTNER, text=text[:4000])
    type(req).objects.filter(pk=req.pk).update(has_active_note=True, has_partner_note=True)


def _general_message(req, text: str) -> None:
    GeneralMessage.objects.create(request=req, direction=GeneralMessage.Direction.RECEIVED,
                                  text=(text or _("(empty message)"))[:1000])
    type(req).objects.filter(pk=req.pk).update(has_active_message=True)


def choose_step(req, rule: Rule, ctx: dict) -> Step | None:
    """The first step of the rule that applies to the request as it is now (None: none does).
    Decides without changing anything, so the tables can be checked against every status."""
    for step in rule.steps:
        if step.kind == "noop":
            if req.status in step.statuses:
                return step
        elif step.kind == "transition":
            kwargs = _resolve(step.kwargs, ctx)
            if kwargs is not None and can_proceed(getattr(req, step.name)):
                return step
        elif step.kind == "call":
            if can_proceed(getattr(req, step.kwargs["guard"])):
                return step
        elif step.kind == "reject":
            if can_proceed(req.partner_unfilled):
                return step
        elif step.kind == "reply":
            if not step.statuses or req.status in step.statuses:
                return step
        else:
            return step
    return None


def run_rule(req, rule: Rule, ctx: dict) -> tuple[Any, str]:
    """Run the rule's applicable step on the (locked) request; returns (request, what happened)."""
    model = type(req)
    step = choose_step(req, rule, ctx)
    if step is None:
        raise Refused(ErrorType.UNRECOGNISED_DATA_VALUE,
                      _("%(what)s is not possible while request %(pk)s is “%(status)s”")
                      % {"what": rule.label, "pk": req.pk, "status": status_label(model, req.status)}, req)
    note = ctx.get("note", "")
    try:
        if step.kind == "noop":
            if note:
                _note_from_partner(req, note)
            return req, _("no change (already “%(s)s”)") % {"s": status_label(model, req.status)}
        if step.kind == "transition":
            req = run_transition(req, step.name, by=None, message=ctx["history"], tracked=("due_date",),
                                 **_resolve(step.kwargs, ctx))
            _note_from_partner(req, note)
            return req, f"{step.name} → {status_label(model, req.status)}"
        if step.kind == "call":
            kwargs = {k: v for k, v in step.kwargs.items() if k != "guard"}
            module, _dot, name = step.name.rpartition(".")
            req = getattr(importlib.import_module(module), name)(req, by=None, note=note[:1000], **kwargs)
            return req, f"{name} → {status_label(model, req.status)}"
        if step.kind == "reject":
            from borrowing.actions import apply_partner_reject

            req = apply_partner_reject(req, reason=ctx.get("reason") or "NotAvailable", note=note, by=None)
            return req, f"rejected ({ctx.get('reason') or '-'}) → {status_label(model, req.status)}"
    except ActionRefused as exc:
        raise Refused(ErrorType.UNRECOGNISED_DATA_VALUE, exc.message, req) from exc
    if step.kind == "message":
        _general_message(req, note)
        return req, _("general message recorded")
    if step.kind == "status_note":
        text = _("Partner status: %(s)s") % {"s": ctx.get("iso_status") or "-"}
        _note_from_partner(req, text + (f" — {note}" if note else ""))
        return req, text
    if step.kind == "note":
        record(req, by=None, kind=HistoryEvent.Kind.PARTNER_DATA, field=_("ISO 18626 message"),
               new=rule.label, message=_(step.name))
        _note_from_partner(req, note)
        return req, _(step.name)
    if step.kind == "reply":
        from ..notify import notify_partner

        notify_partner(req, step.name, by=None, **step.kwargs)
        return req, _("answered with %(e)s") % {"e": step.name}
    raise Refused(step.error_type, step.name, req)


# --- borrowing side -------------------------------------------------------------------------------


def _borrowing_request(msg, partner):
    from borrowing.models import BorrowingRequest

    raw = msg.header.requesting_agency_request_id
    pk = parse_pk(raw)
    if pk is None:
        raise Refused(ErrorType.UNRECOGNISED_DATA_VALUE,
                      f"header/requestingAgencyRequestId: {raw!r} is not one of our request ids")
    # Found and locked in one statement; the partner comes along for the "not with you" check.
    req = (BorrowingRequest.objects.select_for_update(of=("self",)).select_related("partner")
           .filter(pk=pk).first())
    if req is None:
        raise Refused(ErrorType.UNRECOGNISED_DATA_VALUE,
                      f"header/requestingAgencyRequestId: we have no request {raw}")
    return req


def sam_context(msg: SupplyingAgencyMessage, partner) -> tuple[Any, str, Rule, dict]:
    """(locked borrowing request, event, rule, context) for a supplyingAgencyMessage."""
    info, status_info = msg.message_info, msg.status_info
    delivery = msg.delivery_info
    event = mapping.sam_event(
        info.reason_for_message, status_info.status, info.answer_yes_no, note=info.note,
        reason_unfilled=info.reason_unfilled.value if info.reason_unfilled else None,
        loan_condition=bool(delivery and delivery.loan_condition and delivery.loan_condition.value),
        offered_costs=bool(info.offered_costs and info.offered_costs.monetary_value > 0),
    )
    req = _borrowing_request(msg, partner)
    if req.partner_id != partner.pk and event not in ("Message", "StatusReport"):
        raise Refused(ErrorType.UNRECOGNISED_DATA_VALUE,
                      f"request {req.pk} is not with {partner.agency_symbol} (any more): "
                      f"its active partner is {req.partner.agency_symbol if req.partner_id else 'none'}", req)
    note = mapping.clean_note(info.note)
    costs = info.offered_costs
    if event == "Conditions" and costs and costs.monetary_value > 0 and "Cost:" not in note:
        note = f"Cost: {costs.monetary_value} {costs.currency_code.value}" + (f", {note}" if note else "")
    if event == "Conditions" and delivery and delivery.loan_condition and "Condition:" not in note:
        note = f"Condition: {delivery.loan_condition.value}" + (f", {note}" if note else "")
    ctx = {
        "note": note,
        "due_date": _local_date(status_info.due_date),
        "resume_status": mapping.RESUME_AFTER_REFUSED_CANCEL.get(status_info.status),
        "reason": (info.reason_unfilled or info.reason_retry).value
        if (info.reason_unfilled or info.reason_retry) else None,
        "iso_status": status_info.status.value if status_info.status else "",
        "history": f"{partner.name}: {mapping.BORROWING_RULES[event].label}" + (f" — {note}" if note else ""),
    }
    return req, event, mapping.BORROWING_RULES[event], ctx


def handle_sam(msg: SupplyingAgencyMessage, partner) -> Handled:
    req, event, rule, ctx = sam_context(msg, partner)
    status_info = msg.status_info
    req, outcome = run_rule(req, rule, ctx)
    if rule.set_due_date and ctx["due_date"] and req.due_date != ctx["due_date"]:
        req = update_fields(req, by=None, changes={"due_date": ctx["due_date"]})
    if rule.then_status and status_info.status in (Status.RECALLED, Status.OVERDUE):
        try:
            req, more = run_rule(req, mapping.BORROWING_RULES[status_info.status.value], {**ctx, "note": ""})
            outcome += f"; {more}"
        except Refused:
            pass
    return Handled(req, outcome, event)


# --- lending side ---------------------------------------------------------------------------------

# A lending request in one of these is over: a new Request with the same borrower id is a new one.
_LENDING_CLOSED = {"rejected", "cancelled", "expired", "completed", "shipped_digitally"}


def _lending_requests(partner, borrower_id: str):
    from lending.models import LendingRequest

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
        raise Refused(ErrorType.UNRECOGNISED_DATA_VALUE,
                      f"header/requestingAgencyRequestId: no request {header.requesting_agency_request_id!r} "
                      f"from {partner.agency_symbol}")
    event = mapping.ram_event(msg.action, msg.note)
    note = mapping.clean_note(msg.note).replace(mapping.CONDITION_AGREE_MARKER, "").strip()
    rule = mapping.LENDING_RULES[event]
    ctx = {"note": note, "history": f"{partner.name}: {rule.label}" + (f" — {note}" if note else "")}
    return req, event, rule, ctx


def handle_ram(msg: RequestingAgencyMessage, partner) -> Handled:
    req, event, rule, ctx = ram_context(msg, partner)
    req, outcome = run_rule(req, rule, ctx)
    return Handled(req, outcome, event)


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
    from lending.models import LendingRequest

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
        notes.append(mapping.clean_note(svc.note))
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
        "needed_by": _local_date(svc.need_before_date) if svc else None,
        "requester_name": requester,
        "borrower_request_id": msg.header.requesting_agency_request_id,
        "request_note": "\n".join(n for n in notes if n)[:2000],
    }
    return _bounded(LendingRequest, values)


def handle_request(msg: Request, partner) -> Handled:
    header = msg.header
    # Almost always there is none: ask for the id and status only, the row only when there is one.
    requests = _lending_requests(partner, header.requesting_agency_request_id)
    latest = list(requests.values_list("pk", "status")[:1])
    if latest and latest[0][1] not in _LENDING_CLOSED:
        existing = requests.get(pk=latest[0][0])
        if msg.service_info and msg.service_info.request_type is RequestType.REMINDER:
            _note_from_partner(existing, _("Reminder from the borrowing library."))
            return Handled(existing, _("reminder noted on lending request %(pk)s") % {"pk": existing.pk}, "Reminder")
        return Handled(existing, _("already have this request: lending request %(pk)s") % {"pk": existing.pk},
                       "Duplicate")
    try:
        from lending.actions import create_incoming
    except ImportError as exc:
        log.error("lending.actions.create_incoming is missing: cannot take ISO 18626 requests")
        raise Refused(ErrorType.UNRECOGNISED_DATA_VALUE,
                      "this library cannot take requests over ISO 18626 at the moment; please send it "
                      "another way") from exc
    try:
        # Confirm at once; the catalogue search runs after commit (ISO 18626 confirms a request before
        # any status change, and the locate is the slow part of taking one).
        req = create_incoming(partner, fields=request_fields(msg), by=None, locate_after_commit=True)
    except (ActionRefused, ValidationError, ValueError) as exc:
        raise Refused(ErrorType.UNRECOGNISED_DATA_VALUE, f"request: {getattr(exc, 'message', exc)}") from exc
    return Handled(req, _("lending request %(pk)s created (“%(s)s”)") % {"pk": req.pk,
                                                                          "s": status_label(type(req), req.status)},
                   "Request")

