"""Bulk actions of the task lists: change status, tags, remove. Each row goes through the same
single-request path (lock, transition or audited field change), and the caller gets a per-row report."""

from dataclasses import dataclass, field

from django.db import transaction
from django.utils import timezone
from django.utils.translation import gettext as _

from . import sides
from .models import HistoryEvent, Tag
from .workflow import ActionRefused, lock, record, status_label


@dataclass
class BulkReport:
    done: list[int] = field(default_factory=list)
    skipped: list[tuple[int, str]] = field(default_factory=list)


def change_status(model, ids, new_status: str, *, by, guard=None) -> BulkReport:
    """`guard(obj, by)` sees each row locked, before its transition, and may refuse it (ActionRefused)."""
    report = BulkReport()
    check = (lambda current: guard(current, by)) if guard is not None else None
    transition = sides.of(model).transition
    for obj in model.objects.filter(pk__in=ids).order_by("pk"):
        try:
            transition(obj, "change_status", by=by, new_status=new_status, message=_("Bulk change status"),
                       check=check)
        except ActionRefused as exc:
            report.skipped.append((obj.pk, exc.message))
        else:
            report.done.append(obj.pk)
    return report


def set_tag(model, ids, tag: Tag, *, add: bool, by) -> BulkReport:
    report = BulkReport()
    for obj in model.objects.filter(pk__in=ids).order_by("pk"):
        with transaction.atomic():
            current = lock(obj)
            present = current.tags.filter(pk=tag.pk).exists()
            if present == add:
                report.skipped.append((obj.pk, _("already tagged") if add else _("not tagged")))
                continue
            if add:
                current.tags.add(tag)
            else:
                current.tags.remove(tag)
            record(current, by=by, kind=HistoryEvent.Kind.FIELD, field=_("Tags"),
                   old="" if add else tag.name, new=tag.name if add else "")
            report.done.append(obj.pk)
    return report


def remove(model, ids, removable_statuses, *, by) -> BulkReport:
    """Remove from the task list (kept for statistics); only requests in a final status."""
    report = BulkReport()
    for obj in model.objects.filter(pk__in=ids).order_by("pk"):
        with transaction.atomic():
            current = lock(obj)
            if current.removed_at is not None:
                report.skipped.append((obj.pk, _("already removed")))
                continue
            if current.status not in removable_statuses:
                report.skipped.append(
                    (obj.pk, _("only completed requests can be removed (status: %(status)s)")
                     % {"status": status_label(model, current.status)})
                )
                continue
            current.removed_at = timezone.now()
            current.save(update_fields=["removed_at"])
            record(current, by=by, kind=HistoryEvent.Kind.ACTION, field=_("Removed from task list"),
                   new=_("Removed"))
            report.done.append(obj.pk)
    return report
