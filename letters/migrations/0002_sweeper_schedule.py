"""Schedule the outbox sweeper (letters.tasks.sweep_outbox) every minute in django-celery-beat,
so letters queued while the broker was down, or waiting for a retry, are sent."""

from django.db import migrations

TASK = "letters.tasks.sweep_outbox"


def schedule(apps, schema_editor):
    IntervalSchedule = apps.get_model("django_celery_beat", "IntervalSchedule")
    PeriodicTask = apps.get_model("django_celery_beat", "PeriodicTask")
    every_minute, _ = IntervalSchedule.objects.get_or_create(every=1, period="minutes")
    PeriodicTask.objects.get_or_create(
        name="Send queued and retrying letters",
        defaults={"task": TASK, "interval": every_minute, "enabled": True,
                  "description": "Re-enqueues letters that are due (outbox sweeper)."},
    )


def unschedule(apps, schema_editor):
    apps.get_model("django_celery_beat", "PeriodicTask").objects.filter(task=TASK).delete()


class Migration(migrations.Migration):
    dependencies = [
        ("letters", "0001_initial"),
        ("django_celery_beat", "0019_alter_periodictasks_options"),
    ]

    operations = [migrations.RunPython(schedule, unschedule)]
