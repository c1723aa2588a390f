"""ISO 18626 inbound messages per second, in production's shape: gunicorn with 3 sync workers (as
docker-compose.yml and the Dockerfile run it) on loopback, Redis as the Celery broker and cache, and a
Celery worker (production's default concurrency) locating the requests while the load runs. A load
generator posts valid Request messages (each its own requestingAgencyRequestId, from a partner we
know) to /iso18626, counting confirmations with messageStatus OK. Latency p50/p95/p99 per message;
then how long the worker needed after the last confirmation to locate every request.

Runs against the largest data set (index upkeep on million-row tables is part of the cost), then
deletes what it created so the data set stays as it was. Redis: BENCH_REDIS_URL (default database 15
of the local Redis; its Celery queue is purged before and after).

    DJANGO_SETTINGS_MODULE=bench.settings BENCH_SCHEMA=n1000000 python -m bench.iso --out iso.json
"""

from __future__ import annotations

import argparse
import http.client
import json
import os
import shutil
import signal
import socket
import subprocess
import sys
import tempfile
import threading
import time
from datetime import UTC, datetime
from pathlib import Path

import django

ROOT = Path(__file__).resolve().parent.parent


def _redis_url() -> str:
    return os.environ.get("BENCH_REDIS_URL", "redis://127.0.0.1:6379/15")


def _purge(env: dict) -> None:
    """Drop queued tasks (of an earlier run, or left by this one) from the bench's broker."""
    subprocess.run([_tool("celery"), "-A", "illdesk", "purge", "-f"], cwd=ROOT, env=env,
                   stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL, check=False)


def _tool(name: str) -> str:
    return shutil.which(name, path=str(ROOT / ".venv" / "bin")) or name


def _stop(process: subprocess.Popen) -> None:
    process.terminate()
    try:
        process.wait(timeout=30)
    except subprocess.TimeoutExpired:
        process.kill()


def _stat(pid: int, children: bool = False) -> tuple[int, float] | None:
    """(parent pid, CPU seconds used so far) of a live process; with `children`, plus what its
    children that ended used (a pool replaces its worker processes)."""
    try:
        fields = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()
    except (OSError, IndexError):
        return None
    used = int(fields[11]) + int(fields[12]) + ((int(fields[13]) + int(fields[14])) if children else 0)
    return int(fields[1]), used / os.sysconf("SC_CLK_TCK")


def _tree(root: int) -> list[int]:
    """`root` and every process below it (gunicorn's or Celery's workers)."""
    parents = {}
    for entry in Path("/proc").iterdir():
        if entry.name.isdigit() and (found := _stat(int(entry.name))) is not None:
            parents[int(entry.name)] = found[0]
    tree, grew = {root}, True
    while grew:
        below = {pid for pid, parent in parents.items() if parent in tree} - tree
        tree |= below
        grew = bool(below)
    return sorted(tree)


def _tree_cpu(root: int) -> float:
    """CPU seconds of `root`'s process tree: the live processes, and the ended ones (in root's account of
    its children: a pool replaces its workers)."""
    return sum(found[1] for pid in _tree(root) if (found := _stat(pid, children=pid == root)) is not None)


def _backends_cpu(seen: dict[int, float]) -> float:
    """CPU seconds of the bench database's server processes: one opened since counts from its start, one
    closed since with what it had used when last seen."""
    for pid in set(seen) | set(_postgres_backends()):
        if (found := _stat(pid)) is not None:
            seen[pid] = found[1]
    return sum(seen.values())


def _postgres_backends() -> list[int]:
    """The server processes serving the bench database (readable in /proc when run as root or postgres)."""
    from django.db import connection

    with connection.cursor() as cursor:
        cursor.execute("SELECT pid FROM pg_stat_activity WHERE datname = current_database() "
                       "AND pid <> pg_backend_pid()")
        return [row[0] for row in cursor.fetchall()]


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
    parser.add_argument("--workers", type=int, default=3, help="gunicorn sync workers (production runs 3)")
    parser.add_argument("--drain-timeout", type=float, default=600, help="seconds to wait for the locates")
    parser.add_argument("--locate-after-load", action="store_true",
                        help="hold the Celery worker while the load runs (the answering alone on the cores)")
    parser.add_argument("--out", required=True)
    args = parser.parse_args(argv)
    os.environ.setdefault("DJANGO_SETTINGS_MODULE", "bench.settings")
    django.setup()
    from django.conf import settings

    result: dict = {"messages": args.messages, "clients": args.clients, "workers": args.workers,
                    "celery_worker": True, "locate_after_load": args.locate_after_load}
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
    # production's shape: the broker and cache are Redis, a worker takes the tasks (the locate of each
    # request) while the web workers answer
    env = {**os.environ, "DJANGO_SETTINGS_MODULE": "bench.settings", "REDIS_URL": _redis_url(),
           "ILLDESK_CACHE_PREFIX": f"bench-iso-{os.getpid()}"}
    _purge(env)
    logs = Path(tempfile.mkdtemp(prefix="illdesk-bench-iso-"))
    print(f"  ISO 18626: server and worker logs in {logs}", flush=True)
    celery = subprocess.Popen([_tool("celery"), "-A", "illdesk", "worker", "-l", "warning", "--without-gossip",
                               "--without-mingle", "--without-heartbeat"],
                              cwd=ROOT, env=env, stdout=subprocess.DEVNULL,
                              stderr=(logs / "celery.log").open("wb"))
    server = subprocess.Popen([_tool("gunicorn"), "illdesk.wsgi:application", "-w", str(args.workers),
                               "-b", f"127.0.0.1:{port}", "--log-level", "warning"],
                              cwd=ROOT, env=env, stdout=subprocess.DEVNULL,
                              stderr=(logs / "gunicorn.log").open("wb"))
    held: list[int] = []  # the worker's processes, stopped while the load runs (--locate-after-load)
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

        # warm-up: every worker imports everything and opens its database connection
        warm = [threading.Thread(target=post, args=(message(theirs, ours, 9_000_000 + n, run),))
                for n in range(10 * args.workers)]
        for t in warm:
            t.start()
        for t in warm:
            t.join()

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

        held += _tree(celery.pid) if args.locate_after_load else []
        for pid in held:
            os.kill(pid, signal.SIGSTOP)
        backends: dict[int, float] = {}
        cpu_before = {"web": _tree_cpu(server.pid), "worker": _tree_cpu(celery.pid),
                      "postgres": _backends_cpu(backends)}
        started = time.perf_counter()
        threads = [threading.Thread(target=worker) for _ in range(args.clients)]
        for t in threads:
            t.start()
        for t in threads:
            t.join()
        wall = time.perf_counter() - started
        cpu_load = {"web": _tree_cpu(server.pid), "worker": _tree_cpu(celery.pid),
                    "postgres": _backends_cpu(backends)}
        for pid in held:
            os.kill(pid, signal.SIGCONT)
        # the requests answered but not located yet, until the worker caught up
        waiting = LendingRequest.objects.filter(pk__gt=last_request, locate_status="not_run")
        drained = time.perf_counter()
        pending = waiting.count()
        while pending and time.perf_counter() - drained < args.drain_timeout:
            time.sleep(0.5)
            pending = waiting.count()
        result.update(locate_pending_at_end=pending, locate_drain_s=round(time.perf_counter() - drained, 1))
        # CPU per message, which unlike the rate does not depend on what else the machine runs: the web
        # workers and their database backends while answering, the Celery worker until all were located
        cpu_end = {"worker": _tree_cpu(celery.pid)}
        n = max(1, len(bodies))
        result["cpu_ms_per_message"] = {
            "web_while_answering": round((cpu_load["web"] - cpu_before["web"]) * 1000 / n, 2),
            "worker_until_located": round((cpu_end["worker"] - cpu_before["worker"]) * 1000 / n, 2),
            "postgres_while_answering": round((cpu_load["postgres"] - cpu_before["postgres"]) * 1000 / n, 2),
        }
        connection.close()
    finally:
        for pid in held:
            os.kill(pid, signal.SIGCONT)
        _stop(server)
        _stop(celery)
        _purge(env)
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
          f"{len(failures)} failures, {created} lending requests created, all located "
          f"{result['locate_drain_s']} s after the last answer ({result['locate_pending_at_end']} still waiting)")
    return 0


if __name__ == "__main__":
    sys.exit(main())
