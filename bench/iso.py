"""ISO 18626 inbound messages per second: gunicorn with 2 workers on loopback, a load generator
posting valid Request messages (each its own requestingAgencyRequestId, from a partner we know) to
/iso18626, counting confirmations with messageStatus OK. Latency p50/p95/p99 per message.

Runs against the largest data set (index upkeep on million-row tables is part of the cost), then
deletes what it created so the data set stays as it was.

    DJANGO_SETTINGS_MODULE=bench.settings BENCH_SCHEMA=n1000000 python -m bench.iso --out iso.json
"""

from __future__ import annotations

import argparse
import http.client
import json
import os
import shutil
import socket
import subprocess
import sys
import threading
import time
from datetime import UTC, datetime
from pathlib import Path

import django

ROOT = Path(__file__).resolve().parent.parent


def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def endpoint_landed() -> str | None:
    """None when POST /iso18626 exists, else why not."""
    from django.urls import Resolver404, resolve

    try:
        resolve("/iso18626")
    except Resolver404:
        try:
            resolve("/iso18626/")
        except Resolver404:
            return "not measured: endpoint not yet landed (no URL /iso18626 in the URLconf)"
    return None


def message(partner_symbol: tuple[str, str], our_symbol: tuple[str, str], n: int, run: str) -> bytes:
    """A Request from the codec itself (so it validates against the shipped schema)."""
    from partners.iso18626 import codec
    from partners.iso18626.messages import (
        AgencyId,
        BibliographicInfo,
        Header,
        PublicationInfo,
        Request,
        ServiceInfo,
        ServiceType,
    )

    header = Header(supplying_agency_id=AgencyId(*our_symbol), requesting_agency_id=AgencyId(*partner_symbol),
                    timestamp=datetime.now(UTC), requesting_agency_request_id=f"BENCH-{run}-{n:07d}")
    req = Request(header=header,
                  bibliographic_info=BibliographicInfo(title=f"Benchmark title {n}", author="Virtanen, Aino"),
                  publication_info=PublicationInfo(publisher="Otava", publication_date="2019"),
                  service_info=ServiceInfo(service_type=ServiceType.LOAN))
    return codec.serialize(req)


def main(argv=None) -> int:
    parser = argparse.ArgumentParser()
    parser.add_argument("--messages", type=int, default=3000)
    parser.add_argument("--clients", type=int, default=8)
    parser.add_argument("--out", required=True)
    args = parser.parse_args(argv)
    os.environ.setdefault("DJANGO_SETTINGS_MODULE", "bench.settings")
    django.setup()
    from django.conf import settings

    result: dict = {"messages": args.messages, "clients": args.clients}
    why = endpoint_landed()
    if why:
        result["skipped"] = why
        Path(args.out).write_text(json.dumps(result))
        print(f"  ISO 18626: {why}")
        return 0

    from django.db import connection

    from lending.models import LendingRequest
    from partners.models import InboundMessage, Partner

    partner = (Partner.objects.filter(profile_type="iso18626", active=True).exclude(agency_id_value="")
               .order_by("pk").first())
    ours = tuple(settings.ILLDESK_ISO_SYMBOL.split(":", 1))
    theirs = (partner.agency_id_type, partner.agency_id_value)
    run = datetime.now(UTC).strftime("%H%M%S")
    bodies = [message(theirs, ours, n, run) for n in range(args.messages)]
    last_request = LendingRequest.objects.order_by("-pk").values_list("pk", flat=True).first() or 0
    last_inbound = InboundMessage.objects.order_by("-pk").values_list("pk", flat=True).first() or 0
    connection.close()

    port = _free_port()
    gunicorn = shutil.which("gunicorn", path=str(ROOT / ".venv" / "bin")) or "gunicorn"
    env = {**os.environ, "DJANGO_SETTINGS_MODULE": "bench.settings"}
    server = subprocess.Popen([gunicorn, "illdesk.wsgi:application", "-w", "2", "-b", f"127.0.0.1:{port}",
                               "--log-level", "warning"],
                              cwd=ROOT, env=env, stdout=subprocess.DEVNULL, stderr=subprocess.PIPE)
    try:
        for _ in range(200):  # wait for it to listen
            try:
                socket.create_connection(("127.0.0.1", port), timeout=0.2).close()
                break
            except OSError:
                time.sleep(0.1)
        latencies: list[float] = []
        failures: list[str] = []
        lock = threading.Lock()
        cursor = iter(range(len(bodies)))

        def post(body: bytes) -> tuple[float, int, bytes]:
            started = time.perf_counter()
            conn = http.client.HTTPConnection("127.0.0.1", port, timeout=30)
            conn.request("POST", "/iso18626", body=body, headers={"Content-Type": "application/xml"})
            response = conn.getresponse()
            data = response.read()
            conn.close()
            return time.perf_counter() - started, response.status, data

        # warm-up: both workers import everything and open their database connections
        for n in range(4):
            post(message(theirs, ours, 9_000_000 + n, run))

        def worker():
            while True:
                with lock:
                    n = next(cursor, None)
                if n is None:
                    return
                elapsed, status, data = post(bodies[n])
                ok = status == 200 and b"OK" in data and b"ERROR" not in data
                with lock:
                    latencies.append(elapsed)
                    if not ok:
                        failures.append(f"{status}: {data[:200]!r}")

        started = time.perf_counter()
        threads = [threading.Thread(target=worker) for _ in range(args.clients)]
        for t in threads:
            t.start()
        for t in threads:
            t.join()
        wall = time.perf_counter() - started
    finally:
        server.terminate()
        try:
            server.wait(timeout=20)
        except subprocess.TimeoutExpired:
            server.kill()
    latencies.sort()

    def pct(p):
        return round(latencies[min(len(latencies) - 1, int(p * len(latencies)))] * 1000, 1) if latencies else None

    result.update(wall_s=round(wall, 2), per_second=round(len(latencies) / wall, 1), p50_ms=pct(0.5),
                  p95_ms=pct(0.95), p99_ms=pct(0.99), failures=len(failures), failure_samples=failures[:3],
                  loadavg=os.getloadavg())
    created = LendingRequest.objects.filter(pk__gt=last_request).count()
    result["lending_requests_created"] = created
    # leave the data set as it was
    from django.contrib.contenttypes.models import ContentType

    from illdesk.models import HistoryEvent, Note

    ct = ContentType.objects.get_for_model(LendingRequest)
    new_ids = list(LendingRequest.objects.filter(pk__gt=last_request).values_list("pk", flat=True))
    HistoryEvent.objects.filter(content_type=ct, object_id__in=new_ids).delete()
    Note.objects.filter(content_type=ct, object_id__in=new_ids).delete()
    InboundMessage.objects.filter(pk__gt=last_inbound).delete()
    LendingRequest.objects.filter(pk__in=new_ids).delete()
    Path(args.out).write_text(json.dumps(result, default=str))
    print(f"  ISO 18626 inbound: {result['per_second']} msg/s, p99 {result['p99_ms']} ms, "
          f"{len(failures)} failures, {created} lending requests created")
    return 0


if __name__ == "__main__":
    sys.exit(main())
