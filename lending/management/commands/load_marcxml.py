"""python manage.py load_marcxml FILE.xml --library CODE

Loads bibliographic records and their items (952, Koha style) into the local inventory that lending
locate and shipping use. Idempotent: records are keyed by 001, items by barcode (952 $p). A record with
an error is reported and skipped, the others load; the exit status is 1 when any record failed.
See lending/marc.py for the field mapping.
"""

from pathlib import Path

from django.core.management.base import BaseCommand, CommandError

from illdesk.models import ResourceSharingLibrary
from lending import marc


class Command(BaseCommand):
    help = "Load bibliographic records and items from a MARCXML file into the lending inventory."

    def add_arguments(self, parser) -> None:
        parser.add_argument("file", help="MARCXML file (a <collection> of <record>s)")
        parser.add_argument("--library", required=True, help="code of the resource-sharing library owning the items")

    def handle(self, *args, **options) -> None:
        path = Path(options["file"])
        if not path.is_file():
            raise CommandError(f"No such file: {path}")
        try:
            library = ResourceSharingLibrary.objects.get(code=options["library"])
        except ResourceSharingLibrary.DoesNotExist as exc:
            known = ", ".join(ResourceSharingLibrary.objects.values_list("code", flat=True)) or "none"
            raise CommandError(f"No resource-sharing library with code {options['library']!r} (known: {known})") \
                from exc
        with path.open("rb") as source:
            report = marc.load(source, library, progress=lambda text: self.stdout.write(text))
        for error in report.errors:
            self.stderr.write(f"error: {error}")
        self.stdout.write(f"{path.name}: {report.summary()}")
        if report.errors:
            raise CommandError(f"{len(report.errors)} record(s) could not be loaded; the others were loaded.")
