"""Expire past the last interest date, lapse unanswered conditions, and pending auto reject."""

from __future__ import annotations

import datetime
from zoneinfo import ZoneInfo

import pytest
import time_machine
from django.contrib.contenttypes.models import ContentType

from borrowing.models import RotaEntry
from illdesk.models import HistoryEvent
from integrations.jobs import run_job
from integrations.models import JobRun
from lending.models import BibRecord, FulfillmentRequest, Item, LendingRequest
from tests.factories import make_borrowing, make_lending

HELSINKI = ZoneInfo("Europe/Helsinki")
TODAY = datetime.datetime(2026, 11, 23, 1, 0, tzinfo=HELSINKI)
YESTERDAY = datetime.date(2026, 11, 22)


@pytest.mark.django_db
def test_it_expires_requests_past_their_last_interest_date(library, iso_partner, notified):
    old_b = make_borrowing(library, "sent", partner=iso_partner, last_interest_date=YESTERDAY)
    today_b = make_borrowing(library, "sent", partner=iso_partner, last_interest_date=TODAY.date())
    received = make_borrowing(library, "received_physically", partner=iso_partner, last_interest_date=YESTERDAY)
    old_l = make_lending(library, "created", partner=iso_partner, last_interest_date=YESTERDAY)
    never = make_lending(library, "non_expiring", partner=iso_partner, last_interest_date=YESTERDAY)
    shipped = make_lending(library, "shipped_physically", partner=iso_partner, last_interest_date=YESTERDAY)
    with time_machine.travel(TODAY, tick=False):
        run = run_job("expire_requests")
        again = run_job("expire_requests")
    statuses = {r.pk: type(r).objects.get(pk=r.pk).status for r in (old_b, today_b, received)}
    assert statuses == {old_b.pk: "expired", today_b.pk: "sent", received.pk: "received_physically"}
    old_l.refresh_from_db()
    never.refresh_from_db()
    shipped.refresh_from_db()
    assert (old_l.status, never.status, shipped.status) == ("expired", "non_expiring", "shipped_physically")
    old_b.refresh_from_db()
    assert old_b.is_active is False
    assert (run.updated, run.failed, again.updated) == (2, 0, 0)
    assert {line.object_id for line in run.lines.all()} == {old_b.pk, old_l.pk}
    assert "2026-11-22" in run.lines.first().message


@pytest.mark.django_db
def test_an_unanswered_lenders_condition_counts_as_declined_and_the_rota_moves_on(library, iso_partner,
                                                                                   email_partner):
    req = make_borrowing(library, "conditional", partner=iso_partner, reply_by=YESTERDAY)
    RotaEntry.objects.create(request=req, partner=iso_partner, position=1, state=RotaEntry.State.ACTIVE)
    RotaEntry.objects.create(request=req, partner=email_partner, position=2)
    waiting = make_borrowing(library, "conditional", partner=iso_partner, reply_by=TODAY.date())
    with time_machine.travel(TODAY, tick=False):
        run = run_job("lapse_conditionals")
    req.refresh_from_db()
    waiting.refresh_from_db()
    assert req.status == "rejected_by_partner" and req.partner == email_partner and req.reply_by is None
    assert waiting.status == "conditional"
    assert (run.state, run.updated) == (JobRun.State.SUCCEEDED, 1)


@pytest.mark.django_db
def test_an_unanswered_condition_of_ours_lapses_into_a_rejection(library, iso_partner, notified):
    req = make_lending(library, "conditional", partner=iso_partner, reply_by=YESTERDAY,
                       conditional_reason="Costs 10 EUR")
    with time_machine.travel(TODAY, tick=False):
        run = run_job("lapse_conditionals")
        run_job("lapse_conditionals")
    req.refresh_from_db()
    assert req.status == "rejected" and req.reply_by is None
    assert notified.events("unfilled") == [req.pk]
    assert run.updated == 1


@pytest.mark.django_db
def test_pending_auto_reject_rejects_after_the_delay(library, iso_partner, notified, settings):
    settings.ILLDESK_AUTO_REJECT_HOURS = 24
    with time_machine.travel(datetime.datetime(2026, 11, 20, 12, 0, tzinfo=HELSINKI), tick=False):
        req = make_lending(library, "pending_auto_reject", partner=iso_partner)
    with time_machine.travel(datetime.datetime(2026, 11, 21, 11, 0, tzinfo=HELSINKI), tick=False):
        assert run_job("auto_reject").updated == 0
    req.refresh_from_db()
    assert req.status == "pending_auto_reject"
    with time_machine.travel(datetime.datetime(2026, 11, 21, 12, 30, tzinfo=HELSINKI), tick=False):
        assert run_job("auto_reject").updated == 1
        assert run_job("auto_reject").updated == 0
    req.refresh_from_db()
    assert (req.status, req.reject_reason) == ("rejected", "NotFoundAsCited")
    assert notified.calls == [(req.pk, "unfilled", {"note": "", "reason": "NotFoundAsCited"})]


@pytest.mark.django_db
def test_the_delay_can_be_given_per_run(library, iso_partner, notified):
    with time_machine.travel(datetime.datetime(2026, 11, 20, 12, 0, tzinfo=HELSINKI), tick=False):
        req = make_lending(library, "pending_auto_reject", partner=iso_partner)
    with time_machine.travel(datetime.datetime(2026, 11, 20, 15, 0, tzinfo=HELSINKI), tick=False):
        assert run_job("auto_reject", after_hours=2).updated == 1
    req.refresh_from_db()
    assert req.status == "rejected"


@pytest.mark.django_db
def test_a_job_that_breaks_is_recorded_as_failed(monkeypatch):
    from integrations import jobs

    def broken(report, **options):
        raise RuntimeError("database went away")

    monkeypatch.setitem(jobs.JOBS, "expire_requests", jobs.Job("expire_requests", "Expire", "x", broken))
    run = run_job("expire_requests")
    assert run.state == JobRun.State.FAILED
    assert "database went away" in run.errors
    assert run.finished_at is not None


def _holding(library, partner, status: str, **fields):
    """A lending request with a copy put aside for it and an open fulfilment request, as located ones are."""
    record = BibRecord.objects.create(record_id=f"R-{status}", title="Flora Fennica")
    item = Item.objects.create(record=record, barcode=f"39009-{status}", library=library,
                               state=Item.State.IN_RESOURCE_SHARING)
    req = make_lending(library, status, partner=partner, item=item, **fields)
    fr = FulfillmentRequest.objects.create(request=req, kind=FulfillmentRequest.Kind.SHIP_PHYSICALLY, item=item)
    return req, item, fr


@pytest.mark.django_db
@pytest.mark.parametrize(("job", "status", "fields", "after"), [
    ("auto_reject", "pending_auto_reject", {}, "rejected"),
    ("expire_requests", "created", {"last_interest_date": YESTERDAY}, "expired"),
    ("lapse_conditionals", "conditional", {"reply_by": YESTERDAY, "conditional_reason": "Costs 10 EUR"},
     "rejected"),
])
def test_a_job_that_stops_a_lending_request_lets_its_copy_and_fulfilment_go(library, iso_partner, notified,
                                                                              settings, job, status, fields, after):
    """What a staff reject does, the scheduled one does too: the copy is back on the shelf, the open
    fulfilment request is cancelled, and both leave history rows."""
    settings.ILLDESK_AUTO_REJECT_HOURS = 24
    with time_machine.travel(TODAY - datetime.timedelta(days=3), tick=False):
        req, item, fr = _holding(library, iso_partner, status, **fields)
    with time_machine.travel(TODAY, tick=False):
        run = run_job(job)
    req.refresh_from_db()
    item.refresh_from_db()
    fr.refresh_from_db()
    assert (run.updated, run.failed) == (1, 0)
    assert req.status == after
    assert item.state == Item.State.ON_SHELF
    assert fr.state == FulfillmentRequest.State.CANCELLED and fr.closed_at is not None
    logged = set(HistoryEvent.objects.filter(
        content_type=ContentType.objects.get_for_model(LendingRequest), object_id=req.pk,
    ).values_list("field", "new_value"))
    assert {("Item status", "On shelf"), ("Fulfillment request", "Cancelled")} <= logged
