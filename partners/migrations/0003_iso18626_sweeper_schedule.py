"""Schedule the ISO 18626 outbox sweeper every minute (django-celery-beat; admins can change it)."""

from django.db import migrations

NAME = "ISO 18626: deliver due messages (outbox sweeper)"


def create(apps, schema_editor):
    IntervalSchedule = apps.get_model("django_celery_beat", "IntervalSchedule")
    PeriodicTask = apps.get_model("django_celery_beat", "PeriodicTask")
    every_minute, _ = IntervalSchedule.objects.get_or_create(every=60, period="seconds")
    PeriodicTask.objects.get_or_create(
        name=NAME,
        defaults={"task": "partners.retry_due_messages", "interval": every_minute, "enabled": True,
                  "description": "Re-enqueues ISO 18626 messages that are queued or waiting to be retried, so "
                                 "nothing is lost when Redis or the worker was down."},
    )


def remove(apps, schema_editor):
    apps.get_model("django_celery_beat", "PeriodicTask").objects.filter(name=NAME).delete()


class Migration(migrations.Migration):
    dependencies = [
        ("partners", "0002_iso18626_messages"),
        ("django_celery_beat", "0019_alter_periodictasks_options"),
    ]

    operations = [migrations.RunPython(create, remove)]
