"""Getting the resource to the borrower and back: fulfilment requests, shipping (scan, non-returnable,
digital upload), check-in, detach and reactivate (seed 002)."""

from __future__ import annotations

from typing import Any

from django.db import transaction
from django.utils import timezone
from django.utils.translation import gettext as _
from django_fsm import can_proceed

from illdesk.inputs import parse_pk
from illdesk.models import Attachment, HistoryEvent
from illdesk.notes import check_len
from illdesk.workflow import ActionRefused, lock, record, status_label, update_fields

from .. import inventory
from ..models import FulfillmentRequest, Item, LendingRequest
from ..statuses import ON_LOAN, Status
from .common import (
    alert_for,
    cancel_all_fulfillment,
    close_fulfillment,
    notify,
    refuse_if_locked,
    release_item,
    set_item_state,
    transition,
)

S = Status


def _refuse_unless(req: LendingRequest, name: str) -> None:
    if not can_proceed(getattr(req, name)):
        raise ActionRefused(_("Request %(pk)s cannot do this while it is “%(status)s”.")
                            % {"pk": req.pk, "status": status_label(LendingRequest, req.status)})


# --- Manage fulfillment options: place / cancel a request ------------------------------------------

#: Not shipped yet (and not waiting for the borrower's answer): fulfilment can be arranged.
PLACEABLE = (S.CREATED, S.BEING_PROCESSED, S.WILL_SUPPLY, S.REACTIVATED, S.NON_EXPIRING, S.LOCATE_FAILED,
             S.PENDING_AUTO_REJECT)


def place_fulfillment_request(req: LendingRequest, *, kind: str, by, item: Item | None = None,
                              details: dict[str, Any] | None = None) -> FulfillmentRequest:
    """Place a ship-physically (move the item to the resource-sharing desk) or ship-digitally
    (digitization) request for the located resource; the lending request is then Being processed."""
    if kind not in FulfillmentRequest.Kind.values:
        raise ActionRefused(_("Choose ship physically or ship digitally."), status=400)
    with transaction.atomic():
        current = lock(req)
        refuse_if_locked(current, by)
        if current.status not in PLACEABLE:
            raise ActionRefused(_("Fulfillment requests can be placed only before the request is shipped."))
        if current.record_id is None:
            raise ActionRefused(_("Locate the resource first: the request has no located record."))
        if kind == FulfillmentRequest.Kind.SHIP_PHYSICALLY:
            if item is None:
                raise ActionRefused(_("Choose the item to move."), status=400)
            if item.record_id != current.record_id:
                raise ActionRefused(_("Item %(barcode)s is not a copy of the located record.")
                                    % {"barcode": item.barcode})
            busy = inventory.item_busy_reason(item, current)
            if busy:
                raise ActionRefused(busy)
        fr = FulfillmentRequest.objects.create(request=current, kind=kind, record_id=current.record_id,
                                               item=item if kind == FulfillmentRequest.Kind.SHIP_PHYSICALLY
                                               else None, details=details or {}, created_by=by)
        record(current, by=by, kind=HistoryEvent.Kind.ACTION, field=_("Fulfillment request"),
               new=fr.get_state_display(), message=f"{fr.get_kind_display()} #{fr.pk}")
        alert_for(fr, current)
        if can_proceed(current.start_processing):
            current = transition(current, "start_processing", by=by)
        if fr.item is not None:
            if current.item_id != fr.item_id:
                release_item(current, by=by)
                current = update_fields(current, by=by, changes={"item": fr.item})
            set_item_state(fr.item, Item.State.IN_RESOURCE_SHARING, req=current, by=by)
    return fr


def cancel_fulfillment_request(fr: FulfillmentRequest, *, by) -> FulfillmentRequest:
    with transaction.atomic():
        req = lock(fr.request)
        refuse_if_locked(req, by)
        fr = FulfillmentRequest.objects.select_for_update().get(pk=fr.pk)
        if not fr.is_open:
            raise ActionRefused(_("This fulfillment request is already %(state)s.")
                                % {"state": fr.get_state_display().lower()})
        fr.state, fr.closed_at = FulfillmentRequest.State.CANCELLED, timezone.now()
        fr.save(update_fields=["state", "closed_at"])
        alert_for(fr, req)
        record(req, by=by, kind=HistoryEvent.Kind.ACTION, field=_("Fulfillment request"),
               old=FulfillmentRequest.State.IN_PROCESS.label, new=fr.get_state_display(),
               message=f"{fr.get_kind_display()} #{fr.pk}")
        if fr.item_id is not None and fr.item_id == req.item_id:
            release_item(req, by=by)
    return fr


# --- shipping ------------------------------------------------------------------------------------------


def find_request(reference: str) -> LendingRequest:
    """A request by what the Shipping Items page scans: our id, or the external / borrower's id."""
    reference = (reference or "").strip()
    if not reference:
        raise ActionRefused(_("Scan or type the request id."), status=400)
    qs = LendingRequest.objects.filter(removed_at__isnull=True)
    pk = parse_pk(reference)
    found = qs.filter(pk=pk).first() if pk is not None else None
    if found is None:
        matches = list(qs.filter(external_id=reference)[:2]) or list(qs.filter(borrower_request_id=reference)[:2])
        if len(matches) > 1:
            raise ActionRefused(_("Several requests have the id %(ref)s: use our request number.")
                                % {"ref": reference})
        found = matches[0] if matches else None
    if found is None:
        raise ActionRefused(_("There is no lending request %(ref)s.") % {"ref": reference}, status=404)
    return found


def ship_item(req: LendingRequest, *, barcode: str, by, note: str = "") -> LendingRequest:
    """Shipping Items: the scanned item must be the request's located item (or a copy of its located
    record) and free → Shipped physically; the borrower gets ISO Loaned or the Lender Ship letter."""
    barcode = (barcode or "").strip()
    if not barcode:
        raise ActionRefused(_("Scan the item barcode."), status=400)
    check_len(note)
    with transaction.atomic():
        current = lock(req)
        refuse_if_locked(current, by)
        _refuse_unless(current, "ship_physically")
        item = Item.objects.select_for_update().filter(barcode=barcode).first()
        if item is None:
            raise ActionRefused(_("No item has the barcode %(barcode)s.") % {"barcode": barcode})
        if current.item_id is not None and current.item_id != item.pk:
            raise ActionRefused(_("Request %(pk)s is for item %(wanted)s, not %(barcode)s.")
                                % {"pk": current.pk, "wanted": current.item.barcode, "barcode": barcode})
        if current.record_id is None:
            raise ActionRefused(_("Request %(pk)s has no located resource: locate it first.") % {"pk": current.pk})
        if item.record_id != current.record_id:
            raise ActionRefused(_("Item %(barcode)s is “%(title)s”, not the title request %(pk)s located.")
                                % {"barcode": barcode, "title": item.record.title, "pk": current.pk})
        busy = inventory.item_busy_reason(item, current)
        if busy:
            raise ActionRefused(busy)
        current = transition(current, "ship_physically", by=by, item=item, message=note,
                             tracked=("item", "supplied_format"))
        set_item_state(item, Item.State.SHIPPED, req=current, by=by)
        close_fulfillment(current, FulfillmentRequest.Kind.SHIP_PHYSICALLY, FulfillmentRequest.State.COMPLETED,
                          by=by)
        notify(current, "loaned", by=by, note=note, barcode=barcode,
               due_date=current.due_date.isoformat() if current.due_date else None)
    return current


def ship_non_returnable(req: LendingRequest, *, by, note: str = "") -> LendingRequest:
    """A copy the borrower keeps: Shipped physically, supplied format non-returnable."""
    check_len(note)
    with transaction.atomic():
        req = transition(req, "ship_non_returnable", by=by, message=note, tracked=("supplied_format",))
        close_fulfillment(req, FulfillmentRequest.Kind.SHIP_PHYSICALLY, FulfillmentRequest.State.COMPLETED, by=by)
        notify(req, "loaned", by=by, note=note, non_returnable=True)
    return req


def ship_digitally(req: LendingRequest, *, upload, by, note: str = "") -> LendingRequest:
    """One uploaded file (validated by ShipDigitallyForm) is stored on the request and sent: Shipped
    digitally, or Request completed when the partner's profile does not wait for digital receipt. An open
    digitization request is cancelled (seed 002)."""
    check_len(note)
    with transaction.atomic():
        req = transition(req, "ship_digitally", by=by, message=note, tracked=("supplied_format",))
        attachment = Attachment.objects.create(
            request=req, file=upload, name=upload.name[:255], size=upload.size,
            content_type_label=(getattr(upload, "content_type", "") or "")[:100],
            uploaded_by=by if getattr(by, "is_authenticated", False) else None)
        record(req, by=by, kind=HistoryEvent.Kind.ACTION, field=_("Attachment"), new=attachment.name,
               message=_("Shipped digitally"))
        close_fulfillment(req, FulfillmentRequest.Kind.SHIP_DIGITALLY, FulfillmentRequest.State.CANCELLED, by=by)
        notify(req, "copy_completed", by=by, note=note, attachment_id=attachment.pk, file_name=attachment.name)
    return req


# --- back home ---------------------------------------------------------------------------------------------

CHECK_IN_FROM = (*ON_LOAN, S.RETURNED_BY_PARTNER, S.LOST, S.DAMAGED)


def check_in(req: LendingRequest, *, by, note: str = "") -> LendingRequest:
    """The item is back: the request closes, the item goes back on the shelf, and the borrower gets the
    ISO checked-in message (when its profile has the Checked In Message step) or the Lender Checked-In
    letter (email partners)."""
    check_len(note)
    with transaction.atomic():
        req = transition(req, "check_in", by=by, message=note)
        if req.item_id is not None:
            set_item_state(Item.objects.get(pk=req.item_id), Item.State.ON_SHELF, req=req, by=by)
        profile = req.partner.workflow_profile if req.partner_id else None
        if req.partner_id and req.partner.is_iso and profile is not None and not profile.checked_in_message:
            record(req, by=by, kind=HistoryEvent.Kind.PARTNER_DATA, field=_("Checked in"),
                   message=_("No checked-in message: the partner's workflow profile does not include it"))
        else:
            notify(req, "loan_completed", by=by, note=note)
    return req


def scan_in_return(barcode: str, *, by) -> LendingRequest:
    """Scan in an item the borrower sent back: the lending request holding it is checked in."""
    barcode = (barcode or "").strip()
    if not barcode:
        raise ActionRefused(_("Scan the item barcode."), status=400)
    req = (LendingRequest.objects.filter(item__barcode=barcode, status__in=CHECK_IN_FROM, removed_at__isnull=True)
           .order_by("-shipped_at", "-pk").first())
    if req is None:
        raise ActionRefused(_("No lending request is waiting for item %(barcode)s to come back.")
                            % {"barcode": barcode})
    return check_in(req, by=by, note=_("Scanned in: %(barcode)s") % {"barcode": barcode})


def detach(req: LendingRequest, *, by) -> LendingRequest:
    """Detach from inventory: no record or item linked any more (Resource locate status: none)."""
    with transaction.atomic():
        current = lock(req)
        refuse_if_locked(current, by)
        release_item(current, by=by)
        cancel_all_fulfillment(current, by=by)
        return transition(current, "detach_from_inventory", by=by, message=_("Detached from inventory"),
                          tracked=("locate_status", "record", "item"))


def reactivate(req: LendingRequest, *, by, note: str = "") -> LendingRequest:
    """Managers reopen a finished request; the shipped item is relinked (In resource sharing) unless it
    is in another process — then nothing changes and the reason is shown (seed 002)."""
    with transaction.atomic():
        current = lock(req)
        item = Item.objects.select_for_update().filter(pk=current.item_id).first() if current.item_id else None
        if item is not None:
            busy = inventory.item_busy_reason(item, current)
            if busy:
                raise ActionRefused(_("Cannot reactivate: %(reason)s") % {"reason": busy})
        current = transition(current, "reactivate", by=by, message=note)
        set_item_state(item, Item.State.IN_RESOURCE_SHARING, req=current, by=by)
    return current
