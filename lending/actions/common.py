"""What every lending action shares: the edit-lock check, partner notification, notes, alerts, the
process status of items and the fulfilment requests placed for a request."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from django.utils import timezone
from django.utils.translation import gettext as _

from illdesk.models import Alert, HistoryEvent
from illdesk.workflow import ActionRefused, record, run_transition

from ..models import FulfillmentRequest, Item, LendingRequest


def person(user) -> str:
    return (user.get_full_name() or user.username) if user is not None else ""


# --- the edit lock ---------------------------------------------------------------------------------


def lock_holder(req: LendingRequest, user) -> Any:
    """The other operator holding the edit lock on `req` now, or None."""
    if req.locked_by_id is None or req.locked_until is None or req.locked_until <= timezone.now():
        return None
    if user is not None and req.locked_by_id == getattr(user, "pk", None):
        return None
    return req.locked_by


def refuse_if_locked(req: LendingRequest, by) -> None:
    """Another operator is editing `req`: others may only view it (seed 002 "Edit"). Messages from the
    partner (`by` None) are never held up by a lock."""
    if by is None:
        return
    holder = lock_holder(req, by)
    if holder is not None:
        raise ActionRefused(
            _("%(name)s is editing this request until %(time)s; you can only view it now.")
            % {"name": person(holder), "time": timezone.localtime(req.locked_until).strftime("%H:%M")}
        )


def transition(req: LendingRequest, name: str, *, by, message: str = "", tracked=(),
               check: Callable[[LendingRequest], None] | None = None, **kwargs) -> LendingRequest:
    """`run_transition` with the lending rule that nobody acts on a request someone else is editing.
    `check` may refuse too (raise ActionRefused), looking at the request as it is under the lock."""
    def before(current: LendingRequest) -> None:
        refuse_if_locked(current, by)
        if check is not None:
            check(current)

    return run_transition(req, name, by=by, message=message, tracked=tracked, before=before, **kwargs)


# --- notes, messages, alerts -------------------------------------------------------------------------


def add_alert(req: LendingRequest, text: str) -> Alert:
    alert = Alert.objects.create(request=req, text=text[:300])
    LendingRequest.objects.filter(pk=req.pk).update(has_alerts=True)
    return alert


def notify(req: LendingRequest, event: str, *, by, note: str = "", **details: Any) -> None:
    """Tell the borrowing library (ISO message or, for email partners, the matching letter — both done by
    partners.notify inside this transaction, delivered after commit). Requests without a partner
    (entered by hand) have nobody to tell."""
    if req.partner_id is None:
        return
    from partners.notify import notify_partner

    notify_partner(req, event, by=by, note=note, **details)


# --- items ---------------------------------------------------------------------------------------------


def set_item_state(item: Item | None, state: str, *, req: LendingRequest, by) -> None:
    """Change an item's process status, audited on the request it serves."""
    if item is None:
        return
    old = item.get_state_display()
    changed = Item.objects.filter(pk=item.pk).exclude(state=state).update(state=state)
    item.state = state
    if changed:
        record(req, by=by, kind=HistoryEvent.Kind.FIELD, field=_("Item status"), old=old,
               new=item.get_state_display(), message=item.barcode)


def release_item(req: LendingRequest, *, by) -> None:
    """An item put aside for this request goes back on the shelf (reject, detach, cancel)."""
    if req.item_id is not None:
        item = Item.objects.get(pk=req.item_id)
        if item.state == Item.State.IN_RESOURCE_SHARING:
            set_item_state(item, Item.State.ON_SHELF, req=req, by=by)


# --- fulfilment requests ------------------------------------------------------------------------------


ALERT_TEXT: dict[tuple[str, str], Callable[[], str]] = {
    ("Move", FulfillmentRequest.State.IN_PROCESS): lambda: _("Citation Move Request in Process"),
    ("Move", FulfillmentRequest.State.CANCELLED): lambda: _("Citation Move Request Canceled"),
    ("Move", FulfillmentRequest.State.COMPLETED): lambda: _("Citation Move Request Completed"),
    ("Digitization", FulfillmentRequest.State.IN_PROCESS): lambda: _("Citation Digitization Request in Process"),
    ("Digitization", FulfillmentRequest.State.CANCELLED): lambda: _("Citation Digitization Request Canceled"),
    ("Digitization", FulfillmentRequest.State.COMPLETED): lambda: _("Citation Digitization Request Completed"),
}


def alert_for(fr: FulfillmentRequest, req: LendingRequest) -> None:
    add_alert(req, f"{ALERT_TEXT[(fr.alert_subject, fr.state)]()} (#{fr.pk})")


def close_fulfillment(req: LendingRequest, kind: str, state: str, *, by) -> int:
    """Close the open fulfilment requests of `kind` (completed when shipped, cancelled otherwise)."""
    closed = 0
    for fr in FulfillmentRequest.objects.filter(request=req, kind=kind, state=FulfillmentRequest.State.IN_PROCESS):
        fr.state, fr.closed_at = state, timezone.now()
        fr.save(update_fields=["state", "closed_at"])
        alert_for(fr, req)
        record(req, by=by, kind=HistoryEvent.Kind.ACTION, field=_("Fulfillment request"),
               old=FulfillmentRequest.State.IN_PROCESS.label, new=fr.get_state_display(),
               message=f"{fr.get_kind_display()} #{fr.pk}")
        closed += 1
    return closed


def cancel_all_fulfillment(req: LendingRequest, *, by) -> None:
    for kind in FulfillmentRequest.Kind.values:
        close_fulfillment(req, kind, FulfillmentRequest.State.CANCELLED, by=by)


def let_go(req: LendingRequest, *, by) -> None:
    """We will not supply: the item put aside goes back on the shelf and open fulfilment requests are
    cancelled — after a staff reject, an automatic one, a declined or lapsed condition, an expiry alike."""
    release_item(req, by=by)
    cancel_all_fulfillment(req, by=by)
