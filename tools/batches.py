"""Request batches (Koha ILL batches): group borrowing requests and act on the group.

Adding and removing a request is audited on the request's history; acting on the batch goes through
the same single-request paths as the task list's bulk bar (illdesk.bulk), so every row is locked,
checked by the state machine and reported."""

from __future__ import annotations

import re
from dataclasses import dataclass, field

from django.db import transaction
from django.utils.translation import gettext as _

from illdesk import bulk
from illdesk.models import HistoryEvent
from illdesk.workflow import record

from .models import Batch
from .scan import ScanError, find_borrowing

_SPLIT = re.compile(r"[\s,;]+")
MAX_ADD = 500


@dataclass
class AddReport:
    added: list[int] = field(default_factory=list)
    already: list[int] = field(default_factory=list)
    not_found: list[str] = field(default_factory=list)


def codes(text: str) -> list[str]:
    """Request ids, external ids or temporary barcodes, separated by spaces, commas or new lines."""
    return [c for c in _SPLIT.split(text or "") if c][:MAX_ADD]


def add(batch: Batch, references: list[str], *, by) -> AddReport:
    report = AddReport()
    present = set(batch.requests.values_list("pk", flat=True))
    with transaction.atomic():
        for ref in references:
            try:
                req = find_borrowing(ref)
            except ScanError:
                report.not_found.append(ref)
                continue
            if req.pk in present:
                report.already.append(req.pk)
                continue
            batch.requests.add(req)
            present.add(req.pk)
            record(req, by=by, kind=HistoryEvent.Kind.ACTION, field=_("Batch"), new=batch.name,
                   message=_("Added to batch “%(name)s”") % {"name": batch.name})
            report.added.append(req.pk)
    return report


def add_ids(batch: Batch, ids: list[int], *, by) -> AddReport:
    return add(batch, [str(i) for i in ids], by=by)


def remove(batch: Batch, ids: list[int], *, by) -> list[int]:
    from borrowing.models import BorrowingRequest

    removed = []
    with transaction.atomic():
        for req in BorrowingRequest.objects.filter(pk__in=ids, batches=batch).order_by("pk"):
            batch.requests.remove(req)
            record(req, by=by, kind=HistoryEvent.Kind.ACTION, field=_("Batch"), old=batch.name,
                   message=_("Removed from batch “%(name)s”") % {"name": batch.name})
            removed.append(req.pk)
    return removed


def change_status(batch: Batch, ids: list[int] | None, new_status: str, *, by) -> bulk.BulkReport:
    """Change the status of the batch's requests (all, or the chosen ones among them)."""
    from borrowing.models import BorrowingRequest

    members = batch.requests.values_list("pk", flat=True)
    chosen = [pk for pk in members if ids is None or pk in set(ids)]
    return bulk.change_status(BorrowingRequest, chosen, new_status, by=by)
