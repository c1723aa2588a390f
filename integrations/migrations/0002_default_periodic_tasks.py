"""The default schedules of the scheduled jobs, as django_celery_beat PeriodicTask rows (admins edit
them in Configuration › Periodic tasks). Idempotent: an existing task of the same name is left as the
admin left it."""

from django.conf import settings
from django.db import migrations

DEFAULTS = [
    # name, task, crontab minute, crontab hour
    ("Send overdue messages to resource-sharing borrowing partners", "integrations.tasks.send_overdue_notices",
     "0", "6"),
    ("Expire requests past their last interest date", "integrations.tasks.expire_requests", "0", "1"),
    ("Lapse conditional answers past their reply-by date", "integrations.tasks.lapse_conditionals", "30", "1"),
    ("Reject lending requests pending auto reject", "integrations.tasks.auto_reject", "15", "*"),
]


def create(apps, schema_editor):
    CrontabSchedule = apps.get_model("django_celery_beat", "CrontabSchedule")
    PeriodicTask = apps.get_model("django_celery_beat", "PeriodicTask")
    for name, task, minute, hour in DEFAULTS:
        if PeriodicTask.objects.filter(name=name).exists():
            continue
        values = {"minute": minute, "hour": hour, "day_of_week": "*", "day_of_month": "*", "month_of_year": "*",
                  "timezone": settings.TIME_ZONE}
        schedule = CrontabSchedule.objects.filter(**values).first() or CrontabSchedule.objects.create(**values)
        PeriodicTask.objects.create(name=name, task=task, crontab=schedule, enabled=True, kwargs="{}",
                                    description="illdesk default schedule")


def remove(apps, schema_editor):
    PeriodicTask = apps.get_model("django_celery_beat", "PeriodicTask")
    PeriodicTask.objects.filter(name__in=[d[0] for d in DEFAULTS]).delete()


class Migration(migrations.Migration):
    dependencies = [
        ("integrations", "0001_initial"),
        ("django_celery_beat", "0019_alter_periodictasks_options"),
    ]

    operations = [migrations.RunPython(create, remove)]
