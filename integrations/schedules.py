"""Schedules live in django_celery_beat's tables (editable by admins in Configuration › Periodic
tasks). This module keeps an integration profile's schedule in step with its PeriodicTask and finds
the tasks that are due for `manage.py run_due_jobs`."""

from __future__ import annotations

import json
from dataclasses import dataclass
from typing import Any

from django.conf import settings
from django.db.models import F
from django.utils import timezone
from django_celery_beat.models import CrontabSchedule, PeriodicTask

from .models import IntegrationProfile

IMPORT_TASK = "integrations.tasks.run_import"

# The jobs' schedules as the data migration creates them (admins change them afterwards).
DEFAULT_SCHEDULES: dict[str, dict[str, str]] = {
    "overdue_notices": {"minute": "0", "hour": "6"},
    "expire_requests": {"minute": "0", "hour": "1"},
    "lapse_conditionals": {"minute": "30", "hour": "1"},
    "auto_reject": {"minute": "15", "hour": "*"},
}


def _crontab(**fields: str) -> CrontabSchedule:
    values = {"minute": "0", "hour": "*", "day_of_week": "*", "day_of_month": "*", "month_of_year": "*", **fields}
    schedule = CrontabSchedule.objects.filter(timezone=settings.TIME_ZONE, **values).first()
    return schedule or CrontabSchedule.objects.create(timezone=settings.TIME_ZONE, **values)


def profile_task_name(profile: IntegrationProfile) -> str:
    return f"Import resource sharing requests using profile {profile.code}"


def sync_profile_schedule(profile: IntegrationProfile) -> PeriodicTask | None:
    """Create, update or disable the profile's PeriodicTask to match its schedule fields."""
    task = profile.periodic_task
    scheduled = profile.schedule != IntegrationProfile.Schedule.NONE and profile.schedule_time is not None
    if not scheduled:
        if task is not None and task.enabled:
            task.enabled = False
            task.save()
        return task
    when = profile.schedule_time
    fields = {"minute": str(when.minute), "hour": str(when.hour)}
    if profile.schedule == IntegrationProfile.Schedule.WEEKLY and profile.schedule_weekday is not None:
        fields["day_of_week"] = str((profile.schedule_weekday + 1) % 7)  # cron: 0 is Sunday
    values: dict[str, Any] = {
        "name": profile_task_name(profile)[:200], "task": IMPORT_TASK, "crontab": _crontab(**fields),
        "interval": None, "solar": None, "clocked": None,
        "kwargs": json.dumps({"profile_id": profile.pk}), "enabled": profile.active,
        "description": profile.job_name,
    }
    if task is None:
        task = PeriodicTask.objects.filter(name=values["name"]).first() or PeriodicTask(**values)
    for name, value in values.items():
        setattr(task, name, value)
    task.save()
    if profile.periodic_task_id != task.pk:
        profile.periodic_task = task
        IntegrationProfile.objects.filter(pk=profile.pk).update(periodic_task=task)
    return task


def delete_profile_schedule(profile: IntegrationProfile) -> None:
    if profile.periodic_task_id:
        PeriodicTask.objects.filter(pk=profile.periodic_task_id).delete()


# --- run_due_jobs ----------------------------------------------------------------------------------


@dataclass
class DueTask:
    periodic_task: PeriodicTask
    due: bool
    next_in_seconds: float
    last_run_at: Any  # as stored (ModelEntry fills in a default on the object it is given)


def check_due(tasks=None) -> list[DueTask]:
    """Ask each enabled PeriodicTask's own schedule (as celery beat would) whether it is due now."""
    from django_celery_beat.schedulers import ModelEntry

    from illdesk.celery import app

    result = []
    for periodic in tasks if tasks is not None else PeriodicTask.objects.filter(enabled=True).order_by("name"):
        stored = periodic.last_run_at
        state = ModelEntry(periodic, app=app).is_due()
        result.append(DueTask(periodic, bool(state.is_due), float(state.next), stored))
    return result


def claim(due: DueTask) -> bool:
    """Conditional UPDATE of last_run_at: when two machines run run_due_jobs at once, one runs the task."""
    now = timezone.now()
    rows = PeriodicTask.objects.filter(pk=due.periodic_task.pk)
    rows = rows.filter(last_run_at=due.last_run_at) if due.last_run_at else rows.filter(last_run_at__isnull=True)
    return bool(rows.update(last_run_at=now, total_run_count=F("total_run_count") + 1))


def run_now(periodic: PeriodicTask) -> Any:
    """Run the task in this process (no broker needed) with the PeriodicTask's arguments."""
    from illdesk.celery import app

    app.loader.import_default_modules()
    task = app.tasks[periodic.task]
    args = json.loads(periodic.args or "[]")
    kwargs = json.loads(periodic.kwargs or "{}")
    result = task.apply(args=args, kwargs=kwargs)
    if periodic.one_off:
        PeriodicTask.objects.filter(pk=periodic.pk).update(enabled=False)
    return result
