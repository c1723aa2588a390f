"""`make bench` = `python -m bench`: build the data sets (once), run every benchmark, write RESULTS.md.

Environment:
  BENCH_DATABASE_URL  PostgreSQL database for the data sets (default postgres://postgres@127.0.0.1:5432/
                      illdesk_bench; created when missing; one schema per size, kept between runs)
  BENCH_SIZES         requests per side, comma-separated (default 10000,100000,1000000)
  BENCH_QUICK=1       sizes 10000,100000 and fewer runs (a few minutes once the data sets exist)
  BENCH_RUNS          timed runs per task list view (default 15, quick 7); BENCH_ADMIN_RUNS (5, quick 3)
  BENCH_INDEXES=0     measure without the task lists' indexes (bench/indexes.py; dropped, restored next run)
  BENCH_CACHE=0       without the data-version triggers (the task lists then never cache counts)
  BENCH_ONLY          comma-separated subset of: tasklists, iso, slips, libris
  BENCH_SCENARIOS     comma-separated task list scenario keys (bench/scenarios.py)
  BENCH_RESULTS       where to write the report (default bench/RESULTS.md, quick: bench/RESULTS-quick.md;
                      raw data next to it as results.json / results-quick.json)
  BENCH_REPORT_ONLY=1 only rewrite the report from the last run's results.json (e.g. after editing NOTES.md)

Every benchmark runs in its own process on the data set's schema (bench/settings.py).
"""

from __future__ import annotations

import json
import os
import platform
import subprocess
import sys
import tempfile
import time
from datetime import UTC, datetime
from pathlib import Path

import psycopg

from . import report
from .dataset import bench_url, ensure_database

HERE = Path(__file__).resolve().parent
ROOT = HERE.parent


def _env(size: int) -> dict:
    return {**os.environ, "DJANGO_SETTINGS_MODULE": "bench.settings", "BENCH_SCHEMA": f"n{size}",
            "PYTHONPATH": str(ROOT)}


def _run(module: str, size: int, *args: str) -> int:
    return subprocess.call([sys.executable, "-m", module, *args], cwd=ROOT, env=_env(size))


def _load_json(path: str) -> dict:
    try:
        with open(path) as fh:
            return json.load(fh)
    except (OSError, ValueError):
        return {}


def dataset_meta(size: int) -> dict:
    try:
        with psycopg.connect(bench_url()) as conn:
            return dict(conn.execute(f'SELECT key, value FROM "n{size}".bench_meta').fetchall())
    except psycopg.Error:
        return {}


def machine() -> dict:
    cpu = "unknown"
    try:
        for line in Path("/proc/cpuinfo").read_text().splitlines():
            if line.startswith("model name"):
                cpu = line.split(":", 1)[1].strip()
                break
        mem_kb = next(int(line.split()[1]) for line in Path("/proc/meminfo").read_text().splitlines()
                      if line.startswith("MemTotal"))
    except (OSError, StopIteration):
        mem_kb = 0
    with psycopg.connect(bench_url()) as conn:
        version = conn.execute("SHOW server_version").fetchone()[0]
        names = ["shared_buffers", "work_mem", "effective_cache_size", "max_parallel_workers_per_gather", "jit"]
        pg = {n: conn.execute(f"SHOW {n}").fetchone()[0] for n in names}
    import django

    return {"cpu": cpu, "cores": os.cpu_count(), "ram_gb": round(mem_kb / 1024 / 1024, 1),
            "os": platform.platform(), "python": platform.python_version(), "django": django.get_version(),
            "pg_version": version, "pg_settings": pg, "loadavg_start": [round(x, 2) for x in os.getloadavg()]}


def targets(data: dict) -> list[dict]:
    rows = []
    sizes = sorted(data["tasklists"], key=int)
    if not sizes:
        return rows
    largest = sizes[-1]
    at = f" at {int(largest):,}" + ("" if int(largest) >= 1_000_000 else " (1M not in this run)")
    scenarios = data["tasklists"][largest]["scenarios"]
    by_key = {s["key"]: s for s in scenarios}
    for key in ("b_active", "l_active", "l_unassigned"):
        if key in by_key:
            v = report.p95(by_key[key]["app_ms"])
            rows.append({"target": f"{by_key[key]['label']}: p95 ≤ 150 ms{at}", "measured": f"{v} ms",
                         "ok": v is not None and v <= 150})
    for key in ("b_active", "l_active"):
        if key in by_key and by_key[key].get("warm_ms"):
            v = report.p95(by_key[key]["warm_ms"])
            rows.append({"target": f"{by_key[key]['label']}, counts cached (no write since the last load): "
                                   f"p95 ≤ 150 ms{at}", "measured": f"{v} ms", "ok": v is not None and v <= 150})
    worst = max(scenarios, key=lambda s: report.p95(s["app_ms"]) or 0)
    v = report.p95(worst["app_ms"])
    rows.append({"target": f"any facet combination: p95 ≤ 300 ms{at}",
                 "measured": f"worst {v} ms ({worst['label']})", "ok": v is not None and v <= 300})
    ratios = [(report.median(s["app_ms"]) / report.median(s["floor_ms"]), s) for s in scenarios
              if s["headline"] and report.median(s["floor_ms"])]
    if ratios:
        r, s = max(ratios, key=lambda x: x[0])
        rows.append({"target": f"page ≤ 1.5 × the SQL floor (medians, the views with a baseline){at}",
                     "measured": f"worst {r:.2f}× ({s['label']})", "ok": r <= 1.5})
    speedups = [(report.median(s["admin_ms"]) / report.median(s["app_ms"]), s) for s in scenarios
                if s["admin_ms"] and report.median(s["app_ms"])]
    if speedups:
        r, s = min(speedups, key=lambda x: x[0])
        rows.append({"target": f"≥ 5 × faster than the admin changelist (medians){at}",
                     "measured": f"least {r:.1f}× ({s['label']})", "ok": r >= 5})
    counts_ok = all(not s["problems"] for run in data["tasklists"].values() for s in run["scenarios"])
    rows.append({"target": "page counts equal the floor's (every view, every size)",
                 "measured": "equal" if counts_ok else "DIFFER (see tables)", "ok": counts_ok})
    iso = data.get("iso") or {}
    if iso.get("per_second") is not None:
        rows.append({"target": "ISO 18626 inbound ≥ 300 messages/s", "measured": f"{iso['per_second']} msg/s "
                     f"(p99 {iso['p99_ms']} ms)", "ok": iso["per_second"] >= 300 and not iso.get("failures")})
    else:
        rows.append({"target": "ISO 18626 inbound ≥ 300 messages/s", "measured": iso.get("skipped", "not run"),
                     "ok": None})
    slips = data.get("slips") or {}
    if slips.get("median_s") is not None:
        rows.append({"target": "500 slips ≤ 15 s", "measured": f"{slips['median_s']} s "
                     f"({slips['slips_per_second']} slips/s)", "ok": slips["median_s"] <= 15})
    else:
        rows.append({"target": "500 slips ≤ 15 s", "measured": slips.get("skipped", "not run"), "ok": None})
    return rows


def rewrite_report(out_path: Path) -> int:
    """RESULTS.md again from the last run's results.json (after editing NOTES.md)."""
    raw = out_path.with_name(out_path.stem.lower() + ".json")
    data = json.loads(raw.read_text())
    notes = HERE / "NOTES.md"
    data["notes"] = [notes.read_text().strip()] if notes.exists() else []
    report.write(out_path, data)
    print(f"bench: rewrote {out_path} from {raw}")
    return 0


def main() -> int:
    if os.environ.get("BENCH_REPORT_ONLY", "") not in ("", "0"):
        return rewrite_report(Path(os.environ.get("BENCH_RESULTS", HERE / "RESULTS.md")))
    quick = os.environ.get("BENCH_QUICK", "") not in ("", "0")
    sizes = [int(s) for s in os.environ.get("BENCH_SIZES", "10000,100000" if quick else
                                            "10000,100000,1000000").split(",") if s.strip()]
    runs = int(os.environ.get("BENCH_RUNS", "7" if quick else "15"))
    admin_runs = int(os.environ.get("BENCH_ADMIN_RUNS", "3" if quick else "5"))
    indexes = os.environ.get("BENCH_INDEXES", "1") != "0"
    cache = os.environ.get("BENCH_CACHE", "1") != "0"
    only = set(filter(None, os.environ.get("BENCH_ONLY", "tasklists,iso,slips,libris").split(",")))
    # a quick run does not overwrite the full run's report
    out_path = Path(os.environ.get("BENCH_RESULTS", HERE / ("RESULTS-quick.md" if quick else "RESULTS.md")))
    started = time.monotonic()
    ensure_database()
    data: dict = {"started": datetime.now(UTC).strftime("%Y-%m-%d %H:%M UTC"), "machine": machine(),
                  "config": {"sizes": ",".join(map(str, sizes)), "runs": runs, "admin_runs": admin_runs,
                             "indexes": indexes, "cache": cache}, "datasets": {}, "tasklists": {}}
    print(f"bench: sizes {sizes}, {runs} runs per view, indexes {'on' if indexes else 'off'}", flush=True)
    tmp = Path(tempfile.mkdtemp(prefix="illdesk-bench-"))
    for size in sizes:
        print(f"== data set {size:,}", flush=True)
        t0 = time.monotonic()
        flags = ([] if indexes else ["--no-indexes"]) + ([] if cache else ["--no-cache"])
        if _run("bench.dataset", size, "--size", str(size), *flags) != 0:
            print(f"bench: could not build the {size:,} data set", file=sys.stderr)
            return 1
        data["datasets"][str(size)] = {"seconds": round(time.monotonic() - t0, 1), **dataset_meta(size)}
        if "tasklists" in only:
            print(f"== task lists at {size:,}", flush=True)
            out = tmp / f"tasklists-{size}.json"
            extra = ["--only", os.environ["BENCH_SCENARIOS"]] if os.environ.get("BENCH_SCENARIOS") else []
            code = _run("bench.tasklists", size, "--runs", str(runs), "--admin-runs", str(admin_runs),
                        "--out", str(out), *extra)
            if code == 0:
                data["tasklists"][str(size)] = _load_json(str(out))
    largest = max(sizes)
    data["iso_size"] = largest
    for name, module, args in (("slips", "bench.slips", ["--runs", "1" if quick else "3"]),
                               ("iso", "bench.iso", []), ("libris", "bench.libris", [])):
        if name in only:
            print(f"== {name} at {largest:,}", flush=True)
            out = tmp / f"{name}.json"
            if _run(module, largest, "--out", str(out), *args) == 0:
                data[name] = _load_json(str(out))
            else:
                data[name] = {"skipped": f"not measured: bench/{name}.py failed (see the run's output)"}
    data["machine"]["loadavg_end"] = [round(x, 2) for x in os.getloadavg()]
    data["finished"] = datetime.now(UTC).strftime("%H:%M UTC")
    data["elapsed_min"] = (time.monotonic() - started) / 60
    data["targets"] = targets(data)
    notes = HERE / "NOTES.md"
    if notes.exists():
        data["notes"] = [notes.read_text().strip()]
    raw = out_path.with_name(out_path.stem.lower() + ".json")
    raw.write_text(json.dumps(data, indent=1, default=str))
    report.write(out_path, data)
    print(f"bench: wrote {out_path} in {data['elapsed_min']:.1f} min", flush=True)
    for row in data["targets"]:
        mark = {True: "met", False: "MISSED", None: "n/a"}[row["ok"]]
        print(f"  [{mark:6}] {row['target']}: {row['measured']}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
