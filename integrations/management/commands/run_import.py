"""python manage.py run_import PROFILE_CODE [--today YYYY-MM-DD] — run one integration profile's
import now and print its report."""

from __future__ import annotations

from django.core.management.base import BaseCommand, CommandError

from integrations.importing import run_import
from integrations.models import IntegrationProfile, JobRun


class Command(BaseCommand):
    help = "Import borrowing requests with an integration profile (e.g. Libris) now."

    def add_arguments(self, parser) -> None:
        parser.add_argument("profile", help="integration profile code")
        parser.add_argument("--today", help="harvest up to this date (YYYY-MM-DD) instead of today")

    def handle(self, *args, **options) -> None:
        profile = IntegrationProfile.objects.filter(code__iexact=options["profile"]).first()
        if profile is None:
            raise CommandError(f"No integration profile with code {options['profile']!r}.")
        run = run_import(profile.pk, trigger=JobRun.Trigger.COMMAND, today=options["today"])
        for line in run.lines.all():
            self.stdout.write(f"{line.key}: {line.outcome}: {line.message}")
        self.stdout.write(f"{run.get_state_display()}: {run.created} created, {run.updated} updated, "
                          f"{run.skipped} skipped, {run.failed} failed (report: /jobs/{run.pk}/)")
        if run.errors:
            self.stderr.write(run.errors)
        if run.state == JobRun.State.FAILED:
            raise SystemExit(1)
