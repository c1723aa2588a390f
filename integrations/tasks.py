"""Celery tasks of the integrations app: thin, each calls one action (integrations/jobs.py,
integrations/importing.py), which records the run. Beat schedules them from the database
(django_celery_beat's PeriodicTask rows); `manage.py run_due_jobs` does the same without a broker."""

from __future__ import annotations

from typing import Any

from celery import shared_task

from . import importing, jobs


def _user(user_id: int | None):
    if user_id is None:
        return None
    from django.contrib.auth import get_user_model

    return get_user_model().objects.filter(pk=user_id).first()


def _run(code: str, trigger: str, user_id: int | None, options: dict[str, Any]) -> int:
    return jobs.run_job(code, trigger=trigger, by=_user(user_id), **options).pk


@shared_task(name="integrations.tasks.send_overdue_notices", ignore_result=True)
def send_overdue_notices(trigger: str = "schedule", user_id: int | None = None, **options: Any) -> int:
    return _run("overdue_notices", trigger, user_id, options)


@shared_task(name="integrations.tasks.expire_requests", ignore_result=True)
def expire_requests(trigger: str = "schedule", user_id: int | None = None, **options: Any) -> int:
    return _run("expire_requests", trigger, user_id, options)


@shared_task(name="integrations.tasks.lapse_conditionals", ignore_result=True)
def lapse_conditionals(trigger: str = "schedule", user_id: int | None = None, **options: Any) -> int:
    return _run("lapse_conditionals", trigger, user_id, options)


@shared_task(name="integrations.tasks.auto_reject", ignore_result=True)
def auto_reject(trigger: str = "schedule", user_id: int | None = None, **options: Any) -> int:
    return _run("auto_reject", trigger, user_id, options)


@shared_task(name="integrations.tasks.run_import", ignore_result=True)
def run_import(profile_id: int, trigger: str = "schedule", user_id: int | None = None) -> int:
    return importing.run_import(profile_id, trigger=trigger, by=_user(user_id)).pk


TASKS = {
    "overdue_notices": send_overdue_notices,
    "expire_requests": expire_requests,
    "lapse_conditionals": lapse_conditionals,
    "auto_reject": auto_reject,
}
