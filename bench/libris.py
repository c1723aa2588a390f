"""Libris import records per second: one import run (integrations.importing.run_import, what the
scheduled job runs) against a local HTTP server playing the Libris ILL API with N new records.
Each record becomes a borrowing request (requester matched or created, partners matched by code,
rota, history). Afterwards what the run created is deleted, so the data set stays as it was.

    DJANGO_SETTINGS_MODULE=bench.settings BENCH_SCHEMA=n100000 python -m bench.libris --out libris.json
"""

from __future__ import annotations

import argparse
import datetime
import json
import os
import sys
import threading
import time
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer

import django


def records(n: int, partner_codes: list[str], run: str) -> list[dict]:
    out = []
    for i in range(n):
        lf = f"BENCH-{run}-{i:06d}"
        out.append({
            "request_id": f"REQ-{lf}", "lf_number": lf, "status": "Läst", "xstatus": "",
            "media_type": "Lån" if i % 3 else "Kopia", "title": f"Röda rummet {i}", "author": "Strindberg, August",
            "isbn_issn": "9789100000000" if i % 3 else "0346-8755", "year": "1879", "imprint": "Bonnier",
            "place_of_publication": "Stockholm", "volume_designation": "", "pages": "" if i % 3 else "12-34",
            "title_of_article": "" if i % 3 else f"Artikel {i}", "author_of_article": "", "message": "",
            "end_user": {"first_name": "Greta", "last_name": f"Garbo{i % 500}", "email": f"greta{i % 500}@example.org",
                         "library_card": f"BENCH-L{i % 500:04d}"},
            "receiving_library": {"name": "Main Library", "library_code": "BenchSigil"},
            "recipients": [{"library_code": partner_codes[(i + k) % len(partner_codes)], "library_id": k + 1,
                            "location": "", "response": "", "is_active_library": k == 0} for k in range(2)],
            "last_modified": "2026-11-20 10:00:00",
        })
    return out


def main(argv=None) -> int:
    parser = argparse.ArgumentParser()
    parser.add_argument("--records", type=int, default=1000)
    parser.add_argument("--out", required=True)
    args = parser.parse_args(argv)
    os.environ.setdefault("DJANGO_SETTINGS_MODULE", "bench.settings")
    django.setup()
    result: dict = {"records": args.records}
    try:
        from integrations.importing import run_import
        from integrations.models import ImportedRecord, IntegrationProfile, JobRun, LibraryCodeMapping
    except ImportError as exc:
        result["skipped"] = f"not measured: Libris import not yet landed ({exc})"
        print(f"  Libris: {result['skipped']}")
        with open(args.out, "w") as fh:
            json.dump(result, fh)
        return 0

    from django.utils import timezone

    from borrowing.models import BorrowingRequest
    from illdesk.models import Patron, ResourceSharingLibrary
    from partners.models import Partner

    run = datetime.datetime.now(datetime.UTC).strftime("%H%M%S")
    codes = list(Partner.objects.filter(active=True, profile_type__in=["iso18626", "email"])
                 .order_by("pk").values_list("code", flat=True)[:20])
    body = json.dumps({"count": args.records, "ill_requests": records(args.records, codes, run)}).encode()

    class Handler(BaseHTTPRequestHandler):
        def do_GET(self) -> None:  # noqa: N802
            self.send_response(200)
            self.send_header("Content-Type", "application/json; charset=utf-8")
            self.send_header("Content-Length", str(len(body)))
            self.end_headers()
            self.wfile.write(body)

        def log_message(self, format, *args) -> None:
            pass

    server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
    threading.Thread(target=server.serve_forever, daemon=True).start()
    library = ResourceSharingLibrary.objects.get(code="MAIN")
    last_request = BorrowingRequest.objects.order_by("-pk").values_list("pk", flat=True).first() or 0
    last_patron = Patron.objects.order_by("-pk").values_list("pk", flat=True).first() or 0
    profile = IntegrationProfile.objects.create(
        code=f"BENCH-{run}", name="Libris (benchmark)", base_url=f"http://127.0.0.1:{server.server_address[1]}/api",
        library_code="BenchSigil", resource_sharing_library=library, api_key="bench",
        harvest_start_date=timezone.localdate() - datetime.timedelta(days=7), timeout_seconds=60)
    LibraryCodeMapping.objects.create(profile=profile, external_code="BenchSigil", library=library)
    try:
        started = time.perf_counter()
        job = run_import(profile.pk, trigger=JobRun.Trigger.COMMAND)
        elapsed = time.perf_counter() - started
        created = BorrowingRequest.objects.filter(pk__gt=last_request).count()
        result.update(seconds=round(elapsed, 2), per_second=round(args.records / elapsed, 1), created=created,
                      job_status=getattr(job, "status", ""), loadavg=os.getloadavg())
        print(f"  Libris import: {args.records} records in {elapsed:.1f} s = {result['per_second']} records/s "
              f"({created} borrowing requests created, run {result['job_status']})")
    finally:
        server.shutdown()
        from django.contrib.contenttypes.models import ContentType

        from borrowing.models import RotaEntry
        from illdesk.models import HistoryEvent

        new_ids = list(BorrowingRequest.objects.filter(pk__gt=last_request).values_list("pk", flat=True))
        ct = ContentType.objects.get_for_model(BorrowingRequest)
        HistoryEvent.objects.filter(content_type=ct, object_id__in=new_ids).delete()
        ImportedRecord.objects.filter(profile=profile).delete()
        RotaEntry.objects.filter(request_id__in=new_ids).delete()
        BorrowingRequest.objects.filter(pk__in=new_ids).delete()
        Patron.objects.filter(pk__gt=last_patron).delete()
        JobRun.objects.filter(profile=profile).delete() if hasattr(JobRun, "profile") else None
        LibraryCodeMapping.objects.filter(profile=profile).delete()
        profile.delete()
    with open(args.out, "w") as fh:
        json.dump(result, fh, default=str)
    return 0


if __name__ == "__main__":
    sys.exit(main())
