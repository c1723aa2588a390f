"""The staff jobs page, a run's report, and "run now" for administrators."""

from __future__ import annotations

import datetime

import pytest
from django_celery_beat.models import CrontabSchedule, PeriodicTask

from integrations.importing import run_import
from integrations.jobs import run_job
from integrations.models import IntegrationProfile, JobRun
from tests.factories import make_lending

from .conftest import libris_record


@pytest.mark.django_db
def test_staff_see_runs_with_counts_and_errors(client, operator, profile, libris, iso_partner):
    libris.serve([libris_record("LF1"), {"title": "broken"}])
    run = run_import(profile.pk, today="2026-11-23")
    client.force_login(operator)
    page = client.get("/jobs/")
    assert page.status_code == 200
    html = page.content.decode()
    assert "Import resource sharing requests using profile Libris" in html
    assert "Send overdue messages to resource-sharing borrowing partners" in html
    assert "Completed with errors" in html
    assert "Run now" not in html  # operators only look
    report = client.get(f"/jobs/{run.pk}/")
    text = report.content.decode()
    assert "The record has no lf_number." in text and "LF1" in text
    assert "1 created · 0 updated · 0 skipped · 1 failed" in text
    failed_only = client.get(f"/jobs/{run.pk}/", {"outcome": "failed"}).content.decode()
    assert "LF1" not in failed_only


@pytest.mark.django_db
def test_the_page_filters_by_job_and_profile(client, manager, profile, libris):
    run_job("expire_requests")
    run_import(profile.pk, today="2026-11-23")
    client.force_login(manager)
    only = client.get("/jobs/", {"job": "expire_requests"})
    assert [r.job for r in only.context["page"].object_list] == ["expire_requests"]
    mine = client.get("/jobs/", {"profile": profile.pk})
    assert [r.job for r in mine.context["page"].object_list] == ["libris_import"]


@pytest.mark.django_db
def test_the_page_shows_the_schedules(client, admin_user):
    six = CrontabSchedule.objects.create(minute="0", hour="6", timezone="Europe/Helsinki")
    PeriodicTask.objects.filter(task="integrations.tasks.send_overdue_notices").delete()
    PeriodicTask.objects.create(name="x", task="integrations.tasks.send_overdue_notices", crontab=six)
    client.force_login(admin_user)
    rows = {row["job"].code: row for row in client.get("/jobs/").context["job_rows"]}
    assert rows["overdue_notices"]["schedule"] == "Daily at 06:00"


@pytest.mark.django_db
def test_outsiders_and_patrons_are_kept_out(client, outsider):
    assert client.get("/jobs/").status_code == 302  # to the login page
    client.force_login(outsider)
    assert client.get("/jobs/").status_code == 403
    run = run_job("expire_requests")
    assert client.get(f"/jobs/{run.pk}/").status_code == 403


@pytest.mark.django_db
def test_an_administrator_runs_a_job_now(client, admin_user, operator, library, iso_partner, notified):
    make_lending(library, "received_by_partner", partner=iso_partner, due_date=datetime.date(2020, 1, 1))
    client.force_login(operator)
    assert client.post("/jobs/run/overdue_notices/").status_code == 403
    client.force_login(admin_user)
    assert client.get("/jobs/run/overdue_notices/").status_code == 405
    assert client.post("/jobs/run/nope/").status_code == 404
    response = client.post("/jobs/run/overdue_notices/")
    run = JobRun.objects.get()
    assert response.status_code == 302 and response["Location"] == f"/jobs/{run.pk}/"
    assert (run.trigger, run.triggered_by, run.updated) == ("manual", admin_user, 1)


@pytest.mark.django_db
def test_an_administrator_runs_an_import_now(client, admin_user, profile, libris, iso_partner):
    libris.serve([libris_record("LF1")])
    client.force_login(admin_user)
    response = client.post(f"/jobs/import/{profile.pk}/run/", follow=True)
    run = JobRun.objects.get()
    assert (run.job, run.created, run.trigger) == ("libris_import", 1, "manual")
    assert "ran: Completed" in response.content.decode()


@pytest.mark.django_db
def test_saving_a_profile_in_the_admin_schedules_it(client, library):
    from django.contrib.auth.models import User

    admin = User.objects.create_superuser("root", "root@example.org", "root")
    client.force_login(admin)
    response = client.post("/admin/integrations/integrationprofile/add/", {
        "code": "LIBRIS", "name": "Libris", "integration_type": "resource_sharing", "system": "libris",
        "base_url": "https://iller.libris.kb.se/librisfjarrlan/api", "library_code": "Hig",
        "resource_sharing_library": library.pk, "api_key": "k", "active": "on", "harvest_start_date": "2026-11-01",
        "timeout_seconds": "30", "schedule": "weekly", "schedule_time": "04:00", "schedule_weekday": "0",
        "mappings-TOTAL_FORMS": "1", "mappings-INITIAL_FORMS": "0", "mappings-MIN_NUM_FORMS": "0",
        "mappings-MAX_NUM_FORMS": "1000", "mappings-0-external_code": "Hig", "mappings-0-library": library.pk,
    })
    assert response.status_code == 302, response.context["errors"] if response.context else response
    profile = IntegrationProfile.objects.get()
    assert profile.mappings.get().library == library
    task = profile.periodic_task
    assert (task.crontab.hour, task.crontab.minute, task.crontab.day_of_week, task.enabled) == ("4", "0", "1", True)
