"""`python manage.py refresh_milestones [--rebuild]`: bring the turnaround read model up to date with
the history (the statistics page does this too; run it after a large import so the first page view
does not pay for the catch-up). --rebuild starts over, e.g. after status labels were renamed."""

from django.core.management.base import BaseCommand

from reports import milestones


class Command(BaseCommand):
    help = "Update the turnaround milestones (first shipped / received / completed) from the history."

    def add_arguments(self, parser) -> None:
        parser.add_argument("--rebuild", action="store_true", help="forget what was read and start over")

    def handle(self, *args, rebuild: bool = False, **options) -> None:
        scanned = milestones.rebuild() if rebuild else milestones.refresh()
        self.stdout.write(f"refresh_milestones: {scanned:,} history ids read")
