"""Working on the request itself: the edit lock, editing, duplicating, removing, alerts, and the
printed / reported flags of slips and slip reports."""

from __future__ import annotations

from collections.abc import Iterable
from datetime import timedelta
from typing import Any

from django.conf import settings
from django.contrib.contenttypes.models import ContentType
from django.db import transaction
from django.db.models import Q
from django.utils import timezone
from django.utils.translation import gettext as _

from illdesk import bulk
from illdesk.models import Alert, HistoryEvent
from illdesk.workflow import ActionRefused, lock, record, update_fields

from ..models import LendingRequest
from ..statuses import REMOVABLE
from .common import lock_holder, person, refuse_if_locked


def lock_minutes() -> int:
    return int(getattr(settings, "ILLDESK_LOCK_MINUTES", 15))


# --- the edit lock (seed 002 "Edit": opening Edit locks the task against other operators) ----------


def acquire_edit_lock(req: LendingRequest, user) -> tuple[bool, LendingRequest]:
    """Take (or extend) the edit lock for `user` unless another operator holds it. One conditional
    UPDATE, so two operators opening Edit at the same moment cannot both get it."""
    now = timezone.now()
    until = now + timedelta(minutes=lock_minutes())
    got = (LendingRequest.objects.filter(pk=req.pk)
           .filter(Q(locked_by__isnull=True) | Q(locked_until__isnull=True) | Q(locked_until__lte=now)
                   | Q(locked_by=user))
           .update(locked_by=user, locked_until=until))
    current = LendingRequest.objects.select_related("locked_by").get(pk=req.pk)
    return bool(got), current


def release_edit_lock(req: LendingRequest, user) -> bool:
    return bool(LendingRequest.objects.filter(pk=req.pk, locked_by=user).update(locked_by=None, locked_until=None))


EDITABLE = ("request_type", "title", "author", "chapter_title", "chapter_author", "isbn", "issn", "oclc_number",
            "doi", "pmid", "publisher", "place_of_publication", "year", "edition", "volume", "issue", "pages",
            "requested_format", "level_of_service", "requester_name", "due_date", "needed_by",
            "last_interest_date", "cost", "shipping_cost", "request_note")


def edit(req: LendingRequest, *, by, changes: dict[str, Any]) -> LendingRequest:
    """Save the Edit form: each changed field gets its history row; the edit lock is released."""
    unknown = set(changes) - set(EDITABLE)
    if unknown:
        raise ValueError(f"not editable: {', '.join(sorted(unknown))}")
    with transaction.atomic():
        current = lock(req)
        refuse_if_locked(current, by)
        if not current.is_active:
            raise ActionRefused(_("A completed request can only be viewed."))
        changed = {k: v for k, v in changes.items() if getattr(current, k) != v}
        if changed:
            current = update_fields(current, by=by, changes=changed)
        LendingRequest.objects.filter(pk=current.pk, locked_by=by).update(locked_by=None, locked_until=None)
        current.locked_by_id = current.locked_until = None
    return current


# --- duplicate, remove -----------------------------------------------------------------------------------

DUPLICATED_FIELDS = ("request_type", "title", "author", "chapter_title", "chapter_author", "isbn", "issn",
                     "oclc_number", "doi", "pmid", "publisher", "place_of_publication", "year", "edition", "volume",
                     "issue", "pages", "requested_format", "owner_id", "partner_id", "level_of_service_id",
                     "requester_name", "request_note", "needed_by", "last_interest_date")


def duplicate(req: LendingRequest, *, by) -> LendingRequest:
    """A new task with the citation, format, owner, borrower and notes of this one (seed 002); it starts
    at Created lending request, not located yet."""
    with transaction.atomic():
        copy = LendingRequest.objects.create(**{f: getattr(req, f) for f in DUPLICATED_FIELDS})
        record(copy, by=by, kind=HistoryEvent.Kind.ACTION, field=_("Created"), new=copy.get_status_display(),
               message=_("Duplicate of %(pk)s") % {"pk": req.pk})
        record(req, by=by, kind=HistoryEvent.Kind.ACTION, field=_("Duplicated"),
               new=_("New request %(pk)s") % {"pk": copy.pk})
    return copy


def remove(req: LendingRequest, *, by) -> LendingRequest:
    """Remove from the task list (kept for statistics): only final requests."""
    refuse_if_locked(req, by)
    report = bulk.remove(LendingRequest, [req.pk], REMOVABLE, by=by)
    if report.skipped:
        raise ActionRefused(report.skipped[0][1])
    return LendingRequest.objects.get(pk=req.pk)


# --- alerts ------------------------------------------------------------------------------------------------


def remove_alerts(ids: Iterable[int], *, by) -> bulk.BulkReport:
    """Bulk "Remove alerts": every active alert of the selected requests is cleared (kept, inactive)."""
    report = bulk.BulkReport()
    content_type = ContentType.objects.get_for_model(LendingRequest)
    for req in LendingRequest.objects.filter(pk__in=list(ids)).order_by("pk"):
        with transaction.atomic():
            current = lock(req)
            n = Alert.objects.filter(content_type=content_type, object_id=current.pk, active=True).update(active=False)
            if not n and not current.has_alerts:
                report.skipped.append((current.pk, _("no alerts")))
                continue
            LendingRequest.objects.filter(pk=current.pk).update(has_alerts=False)
            record(current, by=by, kind=HistoryEvent.Kind.ACTION, field=_("Alerts"),
                   old=str(n), new="0", message=_("Alerts removed"))
            report.done.append(current.pk)
    return report


# --- printed / reported ------------------------------------------------------------------------------------


def mark(ids: Iterable[int], *, flag: str, by, message: str = "") -> int:
    """Set "request printed" or "request reported" (the task list facets), with a history row for each
    request whose flag changes. Two queries, whatever the number of requests."""
    if flag not in ("printed", "reported"):
        raise ValueError(flag)
    ids = list(LendingRequest.objects.filter(pk__in=list(ids), **{flag: False}).values_list("pk", flat=True))
    if not ids:
        return 0
    with transaction.atomic():
        LendingRequest.objects.filter(pk__in=ids).update(**{flag: True})
        content_type = ContentType.objects.get_for_model(LendingRequest)
        label = str(LendingRequest._meta.get_field(flag).verbose_name).capitalize()
        actor = by if getattr(by, "is_authenticated", False) else None
        HistoryEvent.objects.bulk_create([
            HistoryEvent(content_type=content_type, object_id=pk, actor=actor, kind=HistoryEvent.Kind.FIELD,
                         field=label, old_value=_("No"), new_value=_("Yes"), message=message) for pk in ids])
    return len(ids)


def lock_text(req: LendingRequest, user) -> str:
    holder = lock_holder(req, user)
    if holder is None:
        return ""
    return _("%(name)s is editing this request until %(time)s.") % {
        "name": person(holder), "time": timezone.localtime(req.locked_until).strftime("%H:%M")}
