"""Schedule lending's locate sweeper every minute (django-celery-beat; admins can change it). Until
now the ISO 18626 sweeper (partners.retry_due_messages) did this too; the service no longer knows
about lending."""

from django.db import migrations

NAME = "Lending: locate received requests whose locate was lost (sweeper)"


def create(apps, schema_editor):
    IntervalSchedule = apps.get_model("django_celery_beat", "IntervalSchedule")
    PeriodicTask = apps.get_model("django_celery_beat", "PeriodicTask")
    every_minute, _ = IntervalSchedule.objects.get_or_create(every=60, period="seconds")
    PeriodicTask.objects.get_or_create(
        name=NAME,
        defaults={"task": "lending.requeue_missed_locates", "interval": every_minute, "enabled": True,
                  "description": "Enqueues again the locate of lending requests received over ISO 18626 "
                                 "whose locate task was lost when Redis or the worker was down."},
    )


def remove(apps, schema_editor):
    apps.get_model("django_celery_beat", "PeriodicTask").objects.filter(name=NAME).delete()


class Migration(migrations.Migration):
    dependencies = [
        ("lending", "0005_item_held_once"),
        ("django_celery_beat", "0019_alter_periodictasks_options"),
    ]

    operations = [migrations.RunPython(create, remove)]
