"""Schedules in django_celery_beat: a profile's schedule becomes a PeriodicTask, the default jobs are
scheduled by a data migration, and `run_due_jobs` runs what is due (time controlled by time-machine)."""

from __future__ import annotations

import datetime
import importlib
import json
from io import StringIO
from zoneinfo import ZoneInfo

import pytest
import time_machine
from django.apps import apps
from django.core.management import call_command
from django_celery_beat.models import CrontabSchedule, PeriodicTask

from integrations.models import IntegrationProfile, JobRun
from integrations.schedules import check_due, sync_profile_schedule
from tests.factories import make_lending

HELSINKI = ZoneInfo("Europe/Helsinki")
DEFAULTS = importlib.import_module("integrations.migrations.0002_default_periodic_tasks")


def _at(*args: int) -> datetime.datetime:
    return datetime.datetime(*args, tzinfo=HELSINKI)


@pytest.mark.django_db
def test_a_daily_profile_schedule_becomes_a_periodic_task(profile):
    profile.schedule, profile.schedule_time = "daily", datetime.time(2, 30)
    profile.save()
    task = sync_profile_schedule(profile)
    assert (task.task, task.enabled, json.loads(task.kwargs)) == (
        "integrations.tasks.run_import", True, {"profile_id": profile.pk})
    assert (task.crontab.minute, task.crontab.hour, task.crontab.day_of_week) == ("30", "2", "*")
    assert str(task.crontab.timezone) == "Europe/Helsinki"
    profile.refresh_from_db()
    assert profile.periodic_task == task
    assert profile.schedule_label == "Daily at 02:30"


@pytest.mark.django_db
def test_weekly_then_none_then_inactive(profile):
    profile.schedule, profile.schedule_time, profile.schedule_weekday = "weekly", datetime.time(7, 5), 6
    task = sync_profile_schedule(profile)
    assert (task.crontab.minute, task.crontab.hour, task.crontab.day_of_week) == ("5", "7", "0")  # Sunday
    assert profile.schedule_label == "Every Sunday at 07:05"
    profile.schedule = "none"
    assert sync_profile_schedule(profile).enabled is False
    profile.schedule, profile.active = "daily", False
    assert sync_profile_schedule(profile).enabled is False
    assert PeriodicTask.objects.filter(task="integrations.tasks.run_import").count() == 1


@pytest.mark.django_db
def test_the_profile_form_needs_a_time_and_a_day(profile):
    from django.core.exceptions import ValidationError

    profile.schedule = "weekly"
    with pytest.raises(ValidationError) as caught:
        profile.full_clean()
    assert set(caught.value.message_dict) == {"schedule_time", "schedule_weekday"}


@pytest.mark.django_db
def test_the_data_migration_schedules_the_jobs_once():
    PeriodicTask.objects.filter(task__startswith="integrations.").delete()
    DEFAULTS.create(apps, None)
    DEFAULTS.create(apps, None)
    tasks = {t.task: t for t in PeriodicTask.objects.filter(task__startswith="integrations.")}
    assert set(tasks) == {"integrations.tasks.send_overdue_notices", "integrations.tasks.expire_requests",
                          "integrations.tasks.lapse_conditionals", "integrations.tasks.auto_reject"}
    overdue = tasks["integrations.tasks.send_overdue_notices"]
    assert (overdue.crontab.hour, overdue.crontab.minute, overdue.enabled) == ("6", "0", True)


@pytest.mark.django_db
def test_run_due_jobs_runs_what_is_due_once(library, iso_partner, notified):
    PeriodicTask.objects.all().delete()
    six = CrontabSchedule.objects.create(minute="0", hour="6", timezone="Europe/Helsinki")
    with time_machine.travel(_at(2026, 11, 22, 12, 0), tick=False):
        PeriodicTask.objects.create(name="overdue", task="integrations.tasks.send_overdue_notices", crontab=six)
    make_lending(library, "received_by_partner", partner=iso_partner, due_date=datetime.date(2026, 11, 20))

    with time_machine.travel(_at(2026, 11, 23, 5, 59), tick=False):
        assert [d.due for d in check_due()] == [False]
        call_command("run_due_jobs", stdout=StringIO())
    assert not JobRun.objects.exists()

    out = StringIO()
    with time_machine.travel(_at(2026, 11, 23, 6, 1), tick=False):
        call_command("run_due_jobs", stdout=out)
        call_command("run_due_jobs", stdout=StringIO())  # ran already: not due again until tomorrow
    assert "ran: overdue" in out.getvalue()
    run = JobRun.objects.get()
    assert (run.job, run.trigger, run.updated) == ("overdue_notices", "schedule", 1)
    task = PeriodicTask.objects.get()
    assert task.total_run_count == 1 and task.last_run_at is not None

    with time_machine.travel(_at(2026, 11, 24, 6, 0, 30), tick=False):
        call_command("run_due_jobs", stdout=StringIO())
    assert JobRun.objects.count() == 2


@pytest.mark.django_db
def test_run_due_jobs_runs_a_scheduled_import(profile, libris, iso_partner):
    from .conftest import libris_record

    PeriodicTask.objects.all().delete()
    with time_machine.travel(_at(2026, 11, 22, 12, 0), tick=False):
        profile.schedule, profile.schedule_time = IntegrationProfile.Schedule.DAILY, datetime.time(3, 0)
        profile.save()
        sync_profile_schedule(profile)
    libris.serve([libris_record("LF1")])
    with time_machine.travel(_at(2026, 11, 23, 3, 0, 5), tick=False):
        call_command("run_due_jobs", stdout=StringIO())
    run = JobRun.objects.get()
    assert (run.job, run.profile, run.created) == ("libris_import", profile, 1)
    assert "end_date=2026-11-23" in libris.requests[0]["path"]


@pytest.mark.django_db
def test_two_run_due_jobs_at_once_claim_a_task_once(library):
    from integrations.schedules import claim

    PeriodicTask.objects.all().delete()
    six = CrontabSchedule.objects.create(minute="0", hour="6", timezone="Europe/Helsinki")
    with time_machine.travel(_at(2026, 11, 22, 12, 0), tick=False):
        PeriodicTask.objects.create(name="expire", task="integrations.tasks.expire_requests", crontab=six)
    with time_machine.travel(_at(2026, 11, 23, 6, 1), tick=False):
        first, second = check_due(), check_due()  # both saw it due
        assert first[0].due and second[0].due
        assert claim(first[0]) is True
        assert claim(second[0]) is False
