"""python manage.py import_partners FILE.csv [--dry-run] — see integrations/partner_import.py for the
columns. Prints a line per row with its row number; exits 1 when any row failed."""

from __future__ import annotations

from pathlib import Path

from django.core.management.base import BaseCommand, CommandError

from integrations import partner_import
from integrations.models import JobRun


class Command(BaseCommand):
    help = "Create or update partners from a CSV file (columns: " + ", ".join(partner_import.COLUMNS) + ")."

    def add_arguments(self, parser) -> None:
        parser.add_argument("file", help="CSV file (UTF-8; comma, semicolon or tab separated)")
        parser.add_argument("--dry-run", action="store_true", help="Check every row and change nothing.")

    def handle(self, *args, **options) -> None:
        path = Path(options["file"])
        try:
            data = path.read_bytes()
        except OSError as exc:
            raise CommandError(f"Cannot read {path}: {exc}") from exc
        result = partner_import.import_partners(data, dry_run=options["dry_run"])
        if result.file_error and not result.lines:
            raise CommandError(result.file_error)
        for line in result.lines:
            text = f"row {line.row}: {line.code or '-'}: {line.outcome}: {line.message}"
            self.stdout.write(self.style.ERROR(text) if line.outcome == "failed" else text)
        if result.file_error:
            self.stderr.write(result.file_error)
        counts = ", ".join(f"{result.count(o)} {o}" for o in ("created", "updated", "skipped", "failed"))
        if options["dry_run"]:
            self.stdout.write(f"dry run, nothing changed: {counts}")
        else:
            run = partner_import.record_run(result, trigger=JobRun.Trigger.COMMAND, filename=path.name)
            self.stdout.write(f"{counts} (report: /jobs/{run.pk}/)")
        if result.errors:
            raise SystemExit(1)
