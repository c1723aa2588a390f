"""Staff pages: the jobs page (schedules, integration profiles, every run with its counts and errors),
one run's report (a line per record), "run now" for administrators, and the partner CSV upload."""

from __future__ import annotations

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.core.exceptions import PermissionDenied
from django.core.paginator import Paginator
from django.db.models import Max
from django.http import Http404, HttpRequest, HttpResponse
from django.shortcuts import get_object_or_404, redirect, render
from django.utils.translation import gettext as _
from django.views.decorators.http import require_POST
from django_celery_beat.models import PeriodicTask

from illdesk.inputs import no_nul, parse_pk
from illdesk.roles import is_admin, staff_required

from . import jobs, partner_import, tasks
from .models import IntegrationProfile, JobRun, JobRunLine

RUNS_PER_PAGE = 50
LINES_PER_PAGE = 200
MAX_UPLOAD_BYTES = 5 * 1024 * 1024


def require_admin(request: HttpRequest) -> None:
    if not is_admin(request.user):
        raise PermissionDenied(_("Only administrators can do this."))


def _crontab_text(crontab) -> str:
    """"Daily at 06:00", "Hourly at :15", or the crontab itself when it is anything fancier."""
    every_day = (crontab.day_of_week, crontab.day_of_month, crontab.month_of_year) == ("*", "*", "*")
    if every_day and crontab.minute.isdigit() and crontab.hour.isdigit():
        return _("Daily at %(h)02d:%(m)02d") % {"h": int(crontab.hour), "m": int(crontab.minute)}
    if every_day and crontab.minute.isdigit() and crontab.hour == "*":
        return _("Hourly at :%(m)02d") % {"m": int(crontab.minute)}
    return str(crontab)


def _schedule_text(periodic: PeriodicTask | None) -> str:
    if periodic is None:
        return _("Not scheduled")
    text = _crontab_text(periodic.crontab) if periodic.crontab_id else str(periodic.scheduler)
    if not periodic.enabled:
        return _("Disabled (%(schedule)s)") % {"schedule": text}
    return text


@login_required
@staff_required
def jobs_page(request: HttpRequest) -> HttpResponse:
    periodic = {}
    for task in PeriodicTask.objects.filter(task__in=[j.task for j in jobs.JOBS.values()]).select_related(
            "crontab", "interval"):
        periodic.setdefault(task.task, task)
    last_runs = dict(JobRun.objects.values_list("job").annotate(last=Max("started_at")))
    job_rows = [{"job": job, "periodic": periodic.get(job.task), "schedule": _schedule_text(periodic.get(job.task)),
                 "last_run": last_runs.get(code)} for code, job in jobs.JOBS.items()]
    profiles = IntegrationProfile.objects.select_related("resource_sharing_library", "periodic_task").order_by("name")
    runs = JobRun.objects.select_related("profile", "triggered_by")
    selected = no_nul(request.GET.get("job", ""))
    if selected:
        runs = runs.filter(job=selected)
    profile_id = parse_pk(request.GET.get("profile"))
    if profile_id is not None:
        runs = runs.filter(profile_id=profile_id)
    page = Paginator(runs, RUNS_PER_PAGE).get_page(request.GET.get("page"))
    choices = [(code, str(job.label)) for code, job in jobs.JOBS.items()]
    choices += [(jobs.IMPORT_JOB, jobs.job_label(jobs.IMPORT_JOB)),
                (jobs.PARTNER_IMPORT_JOB, jobs.job_label(jobs.PARTNER_IMPORT_JOB))]
    return render(request, "integrations/jobs.html", {
        "job_rows": job_rows, "profiles": profiles, "page": page, "selected": selected, "job_choices": choices,
        "can_run": is_admin(request.user),
    })


@login_required
@staff_required
def run_report(request: HttpRequest, pk: int) -> HttpResponse:
    run = get_object_or_404(JobRun.objects.select_related("profile", "triggered_by"), pk=pk)
    lines = run.lines.select_related("content_type")
    outcome = request.GET.get("outcome", "")
    if outcome in JobRunLine.Outcome.values:
        lines = lines.filter(outcome=outcome)
    page = Paginator(lines, LINES_PER_PAGE).get_page(request.GET.get("page"))
    return render(request, "integrations/run.html", {
        "run": run, "page": page, "outcome": outcome, "outcomes": JobRunLine.Outcome.choices,
    })


def _started(request: HttpRequest, result, what: str) -> HttpResponse:
    """In-process (no broker) the run is over: show its report. With a worker it is queued."""
    from illdesk.celery import app

    if app.conf.task_always_eager and isinstance(result.result, int):
        run = JobRun.objects.filter(pk=result.result).first()
        if run is not None:
            messages.success(request, _("“%(job)s” ran: %(state)s.") % {"job": what, "state": run.get_state_display()})
            return redirect("integrations:run", pk=run.pk)
    messages.success(request, _("“%(job)s” was queued; its run appears below when a worker has done it.") % {
        "job": what})
    return redirect("integrations:jobs")


@login_required
@require_POST
def run_job_now(request: HttpRequest, code: str) -> HttpResponse:
    require_admin(request)
    if code not in tasks.TASKS:
        raise Http404(_("No such job."))
    result = tasks.TASKS[code].delay(trigger=JobRun.Trigger.MANUAL, user_id=request.user.pk)
    return _started(request, result, str(jobs.JOBS[code].label))


@login_required
@require_POST
def run_import_now(request: HttpRequest, pk: int) -> HttpResponse:
    require_admin(request)
    profile = get_object_or_404(IntegrationProfile, pk=pk)
    result = tasks.run_import.delay(profile.pk, trigger=JobRun.Trigger.MANUAL, user_id=request.user.pk)
    return _started(request, result, profile.job_name)


@login_required
def import_partners_page(request: HttpRequest) -> HttpResponse:
    """Upload a partner CSV (dry run first, then for real); the report lists each row."""
    require_admin(request)
    result = run = None
    error = ""
    if request.method == "POST":
        upload = request.FILES.get("file")
        dry_run = bool(request.POST.get("dry_run"))
        if upload is None:
            error = _("Choose a CSV file.")
        elif upload.size > MAX_UPLOAD_BYTES:
            error = _("The file may be at most %(n)d MB.") % {"n": MAX_UPLOAD_BYTES // (1024 * 1024)}
        else:
            result = partner_import.import_partners(upload.read(), dry_run=dry_run)
            if not dry_run and not result.file_error:
                run = partner_import.record_run(result, trigger=JobRun.Trigger.MANUAL, by=request.user,
                                                filename=upload.name)
    return render(request, "integrations/partner_import.html", {
        "result": result, "run": run, "error": error, "columns": partner_import.COLUMNS,
    }, status=400 if error else 200)
