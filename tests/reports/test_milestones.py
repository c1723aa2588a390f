"""The turnaround read model: first shipped / received / completed times condensed from the history,
kept up to date incrementally, never missing a late-committed row, and keeping the earliest time."""

from __future__ import annotations

import io
from datetime import datetime, timedelta

import time_machine
from django.contrib.contenttypes.models import ContentType

from borrowing.models import BorrowingRequest
from illdesk.models import HistoryEvent
from illdesk.workflow import run_transition
from reports import milestones
from reports.models import MilestoneWatermark, RequestMilestone
from tests.factories import make_borrowing
from tests.reports.conftest import HELSINKI

T0 = datetime(2025, 1, 6, 9, 0, tzinfo=HELSINKI)


def step(req, name: str, days: float, **kwargs):
    with time_machine.travel(T0 + timedelta(days=days), tick=False):
        return run_transition(req, name, by=None, **kwargs)


def row(req) -> RequestMilestone:
    return RequestMilestone.objects.get(content_type=ContentType.objects.get_for_model(type(req)), object_id=req.pk)


def test_it_condenses_the_history_incrementally(library, iso_partner):
    req = make_borrowing(library, "sent", iso_partner, created_at=T0)
    req = step(req, "partner_shipped_physically", 1)
    milestones.refresh()
    assert (row(req).shipped_at, row(req).received_at) == (T0 + timedelta(days=1), None)
    req = step(req, "receive", 3, received_format="physical")
    assert row(req).received_at is None  # not yet refreshed
    milestones.refresh()
    assert row(req).received_at == T0 + timedelta(days=3)
    assert MilestoneWatermark.objects.get().last_history_id == HistoryEvent.objects.order_by("-id").first().pk
    other = make_borrowing(library, "sent", iso_partner, created_at=T0)
    step(other, "partner_cancelled", 1)
    milestones.refresh()
    assert not RequestMilestone.objects.filter(object_id=other.pk).exists()  # no milestone, no row


def test_the_first_time_is_kept(library, iso_partner):
    """A request shipped, resupplied and shipped again keeps its first shipping time."""
    req = make_borrowing(library, "sent", iso_partner, created_at=T0)
    req = step(req, "partner_shipped_digitally", 2)
    req = step(req, "change_status", 3, new_status="sent")
    milestones.refresh()
    step(req, "partner_shipped_digitally", 5)
    milestones.refresh()
    assert row(req).shipped_at == T0 + timedelta(days=2)


def test_a_row_committed_late_below_the_watermark_is_still_read(library, iso_partner):
    req = make_borrowing(library, "sent", iso_partner, created_at=T0)
    req = step(req, "partner_shipped_physically", 1)
    event = HistoryEvent.objects.filter(object_id=req.pk).latest("id")
    # as if a later transaction had already moved the watermark past this row before it committed
    MilestoneWatermark.objects.update_or_create(pk=1, defaults={"last_history_id": event.pk + 10})
    milestones.refresh()
    assert row(req).shipped_at == T0 + timedelta(days=1)


def test_rebuild_starts_over(library, iso_partner):
    req = make_borrowing(library, "sent", iso_partner, created_at=T0)
    step(req, "partner_shipped_physically", 1)
    milestones.refresh()
    RequestMilestone.objects.update(shipped_at=None)
    milestones.rebuild()
    assert row(BorrowingRequest.objects.get(pk=req.pk)).shipped_at == T0 + timedelta(days=1)


def test_the_command_and_the_task(library, iso_partner):
    from django.core.management import call_command

    from reports.tasks import refresh_milestones

    req = make_borrowing(library, "sent", iso_partner, created_at=T0)
    step(req, "partner_shipped_physically", 1)
    call_command("refresh_milestones", stdout=io.StringIO())
    assert row(req).shipped_at == T0 + timedelta(days=1)
    assert refresh_milestones.run() >= 1
    call_command("refresh_milestones", "--rebuild", stdout=io.StringIO())
    assert row(req).shipped_at == T0 + timedelta(days=1)
