"""Schedule the turnaround read model's refresh (reports.tasks.refresh_milestones) every ten minutes in
django-celery-beat, so the statistics page never has much history to catch up with itself."""

from django.db import migrations

TASK = "reports.tasks.refresh_milestones"


def schedule(apps, schema_editor):
    IntervalSchedule = apps.get_model("django_celery_beat", "IntervalSchedule")
    PeriodicTask = apps.get_model("django_celery_beat", "PeriodicTask")
    every_ten_minutes, _ = IntervalSchedule.objects.get_or_create(every=10, period="minutes")
    PeriodicTask.objects.get_or_create(
        name="Update the turnaround statistics from the request history",
        defaults={"task": TASK, "interval": every_ten_minutes, "enabled": True,
                  "description": "Condenses new history rows into reports.RequestMilestone."},
    )


def unschedule(apps, schema_editor):
    apps.get_model("django_celery_beat", "PeriodicTask").objects.filter(task=TASK).delete()


class Migration(migrations.Migration):
    dependencies = [
        ("reports", "0001_initial"),
        ("django_celery_beat", "0019_alter_periodictasks_options"),
    ]

    operations = [migrations.RunPython(schedule, unschedule)]
