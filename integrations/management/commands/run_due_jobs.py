"""Run every scheduled job whose schedule is due, in this process — for a machine without a broker
(call it from cron every few minutes). Uses the same PeriodicTask schedules celery beat uses."""

from __future__ import annotations

from django.core.management.base import BaseCommand

from integrations import schedules


class Command(BaseCommand):
    help = "Run the periodic tasks (django_celery_beat schedules) that are due now, in-process."

    def add_arguments(self, parser) -> None:
        parser.add_argument("--list", action="store_true", help="Only say which tasks are due, run nothing.")

    def handle(self, *args, **options) -> None:
        ran = 0
        for due in schedules.check_due():
            periodic = due.periodic_task
            if not due.due:
                self.stdout.write(f"not due: {periodic.name} (next in {int(due.next_in_seconds)} s)")
                continue
            if options["list"]:
                self.stdout.write(f"due: {periodic.name}")
                continue
            if not schedules.claim(due):
                self.stdout.write(f"skipped: {periodic.name} (another run_due_jobs took it)")
                continue
            result = schedules.run_now(periodic)
            ran += 1
            if result.failed():
                self.stderr.write(f"failed: {periodic.name}: {result.result!r}")
            else:
                self.stdout.write(f"ran: {periodic.name}")
        self.stdout.write(self.style.SUCCESS(f"{ran} task(s) run"))
