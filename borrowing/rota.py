"""A borrowing request's rota: built from the first matching rota-assignment rule, advanced on reject."""

from django.db.models import Q
from django.utils.translation import gettext as _

from illdesk.models import HistoryEvent
from illdesk.workflow import record
from partners.models import RotaAssignmentRule

from .models import BorrowingRequest, RotaEntry


def matching_rule(req: BorrowingRequest) -> RotaAssignmentRule | None:
    """The first active rule (by priority) whose every set condition matches the request."""
    rules = RotaAssignmentRule.objects.filter(active=True).filter(
        Q(requested_format="") | Q(requested_format=req.requested_format),
        Q(request_type="") | Q(request_type=req.request_type),
        Q(level_of_service__isnull=True) | Q(level_of_service=req.level_of_service_id),
        Q(owner__isnull=True) | Q(owner=req.owner_id),
        Q(patron_category__isnull=True) | Q(patron_category=req.patron_category_id),
    )
    return rules.select_related("template").order_by("priority", "pk").first()


def _set_partner(req: BorrowingRequest, partner, *, by) -> None:
    old = req.partner
    if (old.pk if old else None) == (partner.pk if partner else None):
        return
    req.partner = partner
    type(req).objects.filter(pk=req.pk).update(partner=partner)
    record(req, by=by, kind=HistoryEvent.Kind.FIELD, field=_("Active partner"), old=old.name if old else "",
           new=partner.name if partner else "")


def rebuild(req: BorrowingRequest, *, by, keep_active: bool) -> RotaAssignmentRule | None:
    """Replace the rota from the rules. With keep_active the partner already asked stays first and
    active (seed 000: once sent, the active partner is kept)."""
    rule = matching_rule(req)
    keep = None
    if keep_active and req.partner_id:
        keep = req.rota_entries.filter(partner=req.partner_id).first()
    req.rota_entries.exclude(pk=keep.pk if keep else None).delete()
    position = 1
    if keep is not None:
        RotaEntry.objects.filter(pk=keep.pk).update(position=1, state=RotaEntry.State.ACTIVE)
        position = 2
    elif keep_active and req.partner_id:
        RotaEntry.objects.create(request=req, partner=req.partner, position=1, state=RotaEntry.State.ACTIVE)
        position = 2
    if rule is not None:
        for member in rule.template.members.select_related("partner").order_by("position"):
            if not member.partner.active or (req.partner_id and keep_active and member.partner_id == req.partner_id):
                continue
            RotaEntry.objects.create(request=req, partner=member.partner, position=position)
            position += 1
    if not keep_active:
        first = req.rota_entries.order_by("position").first()
        if first is not None:
            RotaEntry.objects.filter(pk=first.pk).update(state=RotaEntry.State.ACTIVE)
        _set_partner(req, first.partner if first else None, by=by)
    record(req, by=by, kind=HistoryEvent.Kind.ACTION, field=_("Rota"),
           new=", ".join(e.partner.name for e in req.rota_entries.select_related("partner").order_by("position"))
           or _("empty"),
           message=_("Rule: %(rule)s") % {"rule": rule.name} if rule else _("No rota rule matched"))
    return rule


def advance(req: BorrowingRequest, *, reason: str, by):
    """Mark the active partner rejected and make the next one active. Returns the next partner or None."""
    active = req.rota_entries.filter(state=RotaEntry.State.ACTIVE).first()
    if active is not None:
        RotaEntry.objects.filter(pk=active.pk).update(state=RotaEntry.State.REJECTED, reject_reason=reason)
    elif req.partner_id:
        # A partner set by hand that was not on the rota: remember that it rejected.
        last = req.rota_entries.order_by("-position").values_list("position", flat=True).first() or 0
        RotaEntry.objects.create(request=req, partner=req.partner, position=last + 1,
                                 state=RotaEntry.State.REJECTED, reject_reason=reason)
    after = active.position if active else 0
    nxt = (req.rota_entries.filter(state=RotaEntry.State.PENDING, position__gt=after).select_related("partner")
           .order_by("position").first())
    if nxt is None:
        return None
    RotaEntry.objects.filter(pk=nxt.pk).update(state=RotaEntry.State.ACTIVE)
    _set_partner(req, nxt.partner, by=by)
    return nxt.partner


def sends_automatically(req: BorrowingRequest) -> bool:
    rule = matching_rule(req)
    return bool(rule and rule.send_automatically)
