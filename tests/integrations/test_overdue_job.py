"""Overdue messages to borrowing partners (seed 002: "Send Overdue Message to Resource Sharing
Borrowing Partner"): once per overdue period, never again every run."""

from __future__ import annotations

import datetime
from zoneinfo import ZoneInfo

import pytest
import time_machine

from illdesk.models import HistoryEvent
from illdesk.workflow import run_transition
from integrations.jobs import run_job
from integrations.models import JobRun, OverdueNotice
from tests.factories import make_lending

HELSINKI = ZoneInfo("Europe/Helsinki")
NOV_23 = datetime.datetime(2026, 11, 23, 6, 0, tzinfo=HELSINKI)
DUE = datetime.date(2026, 11, 20)


@pytest.fixture
def lent(library, iso_partner):
    return make_lending(library, "received_by_partner", partner=iso_partner, due_date=DUE)


@pytest.mark.django_db
def test_it_marks_overdue_and_tells_the_partner_once(lent, notified):
    with time_machine.travel(NOV_23, tick=False):
        run = run_job("overdue_notices")
        again = run_job("overdue_notices")
    lent.refresh_from_db()
    assert lent.status == "overdue"
    assert notified.calls == [(lent.pk, "overdue", {"note": "", "due_date": "2026-11-20"})]
    assert (run.state, run.updated, run.failed) == (JobRun.State.SUCCEEDED, 1, 0)
    assert (again.state, again.updated, again.skipped) == (JobRun.State.SUCCEEDED, 0, 0)
    line = run.lines.get()
    assert line.outcome == "updated" and "Peer University" in line.message and line.object_id == lent.pk
    assert line.target_url == f"/lending/{lent.pk}/"
    notice = OverdueNotice.objects.get(lending_request=lent)
    assert (notice.due_date, notice.notices_sent) == (DUE, 1)
    assert HistoryEvent.objects.filter(object_id=lent.pk, kind="status", new_value="Overdue request").count() == 1


@pytest.mark.django_db
def test_it_sends_again_for_a_new_overdue_period_after_a_renewal(lent, notified, operator):
    with time_machine.travel(NOV_23, tick=False):
        run_job("overdue_notices")
    lent = run_transition(lent, "renew", by=operator, due_date=datetime.date(2026, 12, 1))
    with time_machine.travel(datetime.datetime(2026, 11, 30, 6, 0, tzinfo=HELSINKI), tick=False):
        assert run_job("overdue_notices").updated == 0  # not yet due again
    with time_machine.travel(datetime.datetime(2026, 12, 2, 6, 0, tzinfo=HELSINKI), tick=False):
        assert run_job("overdue_notices").updated == 1
        assert run_job("overdue_notices").updated == 0
    assert notified.events("overdue") == [lent.pk, lent.pk]
    notice = OverdueNotice.objects.get(lending_request=lent)
    assert (notice.due_date, notice.notices_sent) == (datetime.date(2026, 12, 1), 2)


@pytest.mark.django_db
def test_it_leaves_loans_that_are_not_due_or_not_out(library, iso_partner, notified):
    make_lending(library, "received_by_partner", partner=iso_partner, due_date=datetime.date(2026, 11, 23))
    make_lending(library, "being_processed", partner=iso_partner, due_date=DUE)
    make_lending(library, "completed", partner=iso_partner, due_date=DUE)
    make_lending(library, "shipped_physically", partner=None, due_date=DUE)
    with time_machine.travel(NOV_23, tick=False):
        run = run_job("overdue_notices")
    assert notified.calls == []
    assert run.total == 0


@pytest.mark.django_db
def test_it_notifies_without_changing_status_where_the_status_does_not_allow_it(library, iso_partner, notified):
    recalled = make_lending(library, "recalled", partner=iso_partner, due_date=DUE)
    already = make_lending(library, "overdue", partner=iso_partner, due_date=DUE)
    with time_machine.travel(NOV_23, tick=False):
        run_job("overdue_notices")
    recalled.refresh_from_db()
    assert recalled.status == "recalled"
    assert sorted(notified.events("overdue")) == sorted([recalled.pk, already.pk])


@pytest.mark.django_db
def test_one_failing_partner_does_not_stop_the_others_and_is_retried(library, iso_partner, notified):
    bad = make_lending(library, "received_by_partner", partner=iso_partner, due_date=DUE)
    good = make_lending(library, "received_by_partner", partner=iso_partner, due_date=DUE)
    notified.fail_for = {bad.pk}
    with time_machine.travel(NOV_23, tick=False):
        run = run_job("overdue_notices")
    assert (run.state, run.updated, run.failed) == (JobRun.State.PARTIAL, 1, 1)
    failed = run.lines.get(outcome="failed")
    assert failed.object_id == bad.pk and "partner unreachable" in failed.message
    bad.refresh_from_db()
    assert bad.status == "received_by_partner"  # rolled back with the failed message
    assert not OverdueNotice.objects.filter(lending_request=bad).exists()
    notified.fail_for = set()
    with time_machine.travel(NOV_23, tick=False):
        retry = run_job("overdue_notices")
    assert retry.updated == 1
    assert notified.events("overdue") == [good.pk, bad.pk]


@pytest.mark.django_db
def test_an_email_partner_gets_the_borrower_overdue_letter(library, email_partner):
    from letters.models import SentLetter

    lent = make_lending(library, "shipped_physically", partner=email_partner, due_date=DUE)
    with time_machine.travel(NOV_23, tick=False):
        run = run_job("overdue_notices")
        run_job("overdue_notices")
    assert run.updated == 1
    letters = SentLetter.objects.filter(object_id=lent.pk, code="borrower_overdue")
    assert letters.count() == 1
    assert letters.get().to == ["ill@mail.example.org"]
