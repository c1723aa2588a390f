"""PDF slips per second: one bulk print of 500 slips (letters.api.bulk_print, what the task list's
"Print slips" runs), from borrowing requests the data set has in received / returned statuses.

    DJANGO_SETTINGS_MODULE=bench.settings BENCH_SCHEMA=n100000 python -m bench.slips --out slips.json
"""

from __future__ import annotations

import argparse
import json
import os
import statistics
import sys
import time

import django


def main(argv=None) -> int:
    parser = argparse.ArgumentParser()
    parser.add_argument("--slips", type=int, default=500)
    parser.add_argument("--runs", type=int, default=3)
    parser.add_argument("--out", required=True)
    args = parser.parse_args(argv)
    os.environ.setdefault("DJANGO_SETTINGS_MODULE", "bench.settings")
    django.setup()

    from borrowing.models import BorrowingRequest
    from borrowing.slips import slip_for as borrowing_slip_for
    from borrowing.statuses import HELD_RETURNABLE, Status
    from letters import pdf as letters_pdf
    from letters import pdfworkers
    from letters.api import bulk_print

    printable = [*HELD_RETURNABLE, Status.RECEIVED_NON_RETURNABLE, Status.RETURNED_BY_PATRON,
                 Status.RETURNED_TO_PARTNER]
    # what the bulk print view loads (the slip context reads these relations)
    qs = (BorrowingRequest.objects.filter(status__in=printable, is_active=True)
          .select_related("partner", "owner", "requester", "pickup_location", "assignee", "level_of_service")
          .order_by("-created_at", "-id"))
    result: dict = {"slips": args.slips, "runs": args.runs}
    if qs[: args.slips].count() < args.slips:
        result["skipped"] = f"not measured: the data set has fewer than {args.slips} printable requests"
        print(f"  slips: {result['skipped']}")
    else:
        times, pages = [], None
        for _ in range(args.runs):
            requests = list(qs[: args.slips])  # loading them is part of a print run
            started = time.perf_counter()
            pdf, printed, skipped = bulk_print(borrowing_slip_for, requests)
            times.append(time.perf_counter() - started)
            pages = len(printed)
            assert pdf and pdf.startswith(b"%PDF") and not skipped, skipped[:3]
        # the second half goes to another process from PARALLEL_FROM slips on, when one can be started
        ctx = pdfworkers.context() if pages >= letters_pdf.PARALLEL_FROM else None
        result.update(seconds=[round(t, 2) for t in times], median_s=round(statistics.median(times), 2),
                      max_s=round(max(times), 2), pages=pages, pdf_bytes=len(pdf),
                      slips_per_second=round(pages / statistics.median(times), 1), loadavg=os.getloadavg(),
                      processes=2 if ctx else 1, start_method=ctx.get_start_method() if ctx else None)
        print(f"  slips: {pages} in {result['median_s']} s (median of {args.runs}), "
              f"{result['slips_per_second']} slips/s, {result['processes']} process(es)")
    with open(args.out, "w") as fh:
        json.dump(result, fh, default=str)
    return 0


if __name__ == "__main__":
    sys.exit(main())
