"""bench/RESULTS.md from one run's raw results (bench/results.json)."""

from __future__ import annotations

import math
import statistics


def median(values: list[float]) -> float | None:
    return round(statistics.median(values), 1) if values else None


def p95(values: list[float]) -> float | None:
    """Nearest-rank 95th percentile (with 15 runs: the largest but none)."""
    if not values:
        return None
    ordered = sorted(values)
    return round(ordered[max(0, math.ceil(0.95 * len(ordered)) - 1)], 1)


def _fmt(value, unit: str = "") -> str:
    if value is None:
        return "—"
    if isinstance(value, float):
        return f"{value:,.1f}{unit}"
    return f"{value:,}{unit}"


def _ratio(a, b) -> str:
    if not a or not b:
        return "—"
    return f"{a / b:.2f}×"


def _check(ok: bool | None) -> str:
    return "—" if ok is None else ("✅" if ok else "❌")


def write(path, data: dict) -> None:
    lines: list[str] = []
    add = lines.append
    m = data["machine"]
    add("# illdesk benchmarks")
    add("")
    add(f"Run {data['started']} – {data['finished']} ({data['elapsed_min']:.1f} min) by `make bench` "
        f"(`python -m bench`); raw figures in `bench/results.json`.")
    add("")
    add("## Machine")
    add("")
    add(f"- CPU: {m['cpu']} × {m['cores']} cores; RAM {m['ram_gb']} GiB; {m['os']}")
    add(f"- PostgreSQL {m['pg_version']} (shared_buffers {m['pg_settings'].get('shared_buffers')}, work_mem "
        f"{m['pg_settings'].get('work_mem')}, effective_cache_size {m['pg_settings'].get('effective_cache_size')}, "
        f"max_parallel_workers_per_gather {m['pg_settings'].get('max_parallel_workers_per_gather')}, "
        f"jit {m['pg_settings'].get('jit')}); Python {m['python']}, Django {m['django']}")
    add(f"- Load average at start {m['loadavg_start']}, at end {m['loadavg_end']}. "
        + ("**The machine was shared with other work during this run** (load average above the 2 cores): "
           "absolute times are inflated and noisy; ratios taken in the same run (app vs floor vs admin, "
           "interleaved request by request) are the stable figures."
           if max(m["loadavg_start"][0], m["loadavg_end"][0]) > m["cores"] else "The machine was otherwise idle."))
    add(f"- Settings: BENCH_SIZES={data['config']['sizes']}, runs per view {data['config']['runs']} "
        f"(admin baseline {data['config']['admin_runs']}), proposed indexes "
        f"{'on' if data['config']['indexes'] else 'OFF'}.")
    add("")
    add("## Data sets")
    add("")
    add("Built by `manage.py seed_bulk --requests N` (one schema per size in database `illdesk_bench`, kept "
        "between runs). N requests per side; ~5% active; ten years of history; ~500 partners, ~50,000 "
        "patrons, 25 tags, a few history rows per request, notes on about a third, tags on one in six.")
    add("")
    add("| size | borrowing (active) | lending (active) | seed_bulk (both sides, when it was built) |")
    add("|---:|---:|---:|---:|")
    for size, run in data["tasklists"].items():
        s = run.get("sizes", {})
        seeded = data["datasets"].get(size, {}).get("seed_seconds")
        add(f"| {int(size):,} | {s.get('borrowing', 0):,} ({s.get('borrowing_active', 0):,}) | "
            f"{s.get('lending', 0):,} ({s.get('lending_active', 0):,}) | "
            f"{f'{float(seeded):,.0f} s' if seeded else '—'} |")
    add("")

    sizes = sorted(data["tasklists"], key=int)
    largest = sizes[-1] if sizes else None
    # --- targets -----------------------------------------------------------------------------------
    add("## Targets")
    add("")
    add("| target | measured | met |")
    add("|---|---|:---:|")
    for row in data.get("targets", []):
        add(f"| {row['target']} | {row['measured']} | {_check(row['ok'])} |")
    add("")

    # --- task lists ------------------------------------------------------------------------------------
    add("## Task lists: page vs floor vs Django admin")
    add("")
    add("Each page is a full HTTP request through the Django test client as a logged-in operator "
        "(middleware, session, the view, all facet counts, predefined-filter counts, the page of 25 rows "
        "and the template). **floor** = every count the page shows (facets, total, predefined filters, "
        "activity and tab counts) by ONE hand-written SQL statement with GROUPING SETS (bench/floor.py); "
        "**admin** = Django admin's own changelist with `show_facets = ALWAYS` and list filters on the "
        "same fields (bench/admin.py). **page** = nothing cached: the side's data changed just before "
        "each request (as after any write); **cached** = the same page again with no write in between "
        "(the counts come from the cache keyed by the data version, see illdesk/tasklist/versioning.py). "
        "Medians and p95 in ms; app and floor "
        f"{data['config']['runs']} runs, admin up to {data['config']['admin_runs']}. Counts column: the page's "
        "counts checked equal to the floor's.")
    add("")
    for size in sizes:
        run = data["tasklists"][size]
        add(f"### {int(size):,} requests per side")
        add("")
        add("| view | rows | page median | page p95 | cached median | cached p95 | floor median | page/floor "
            "| admin median | admin/page | queries | counts |")
        add("|---|---:|---:|---:|---:|---:|---:|---:|---:|---:|---:|:---:|")
        for sc in run["scenarios"]:
            app_med, app_p95, fl_med = median(sc["app_ms"]), p95(sc["app_ms"]), median(sc["floor_ms"])
            adm_med = median(sc["admin_ms"])
            warm = sc.get("warm_ms") or []
            add(f"| {sc['label']} | {sc['rows']:,} | {_fmt(app_med)} | {_fmt(app_p95)} | {_fmt(median(warm))} | "
                f"{_fmt(p95(warm))} | {_fmt(fl_med)} | "
                f"{_ratio(app_med, fl_med)} | {_fmt(adm_med)} | {_ratio(adm_med, app_med)} | "
                f"{sc['profile']['queries']} | {'✅' if not sc['problems'] else '❌ ' + '; '.join(sc['problems'])} |")
        add("")
    # --- profile ------------------------------------------------------------------------------------------
    if largest:
        add(f"### Where the time goes at {int(largest):,} (one request each, statements as timed by Django)")
        add("")
        for sc in data["tasklists"][largest]["scenarios"]:
            if not sc["headline"]:
                continue
            prof = sc["profile"]
            add(f"- **{sc['label']}**: {prof['page_ms']} ms in all, {prof['sql_ms']} ms in {prof['queries']} SQL "
                f"statements, {round(prof['page_ms'] - prof['sql_ms'], 1)} ms in Python (view, template, "
                "psycopg). Slowest statements:")
            for ms, sql in prof["top"][:4]:
                add(f"  - {ms} ms `{sql[:110]}…`")
        add("")
    # --- other benchmarks ------------------------------------------------------------------------
    add("## ISO 18626 inbound")
    add("")
    iso = data.get("iso") or {}
    if iso.get("skipped"):
        add(iso["skipped"])
    elif iso:
        setup = (f"gunicorn, {iso.get('workers', 2)} sync workers, on loopback"
                 + (", Redis as broker and cache, a Celery worker locating the requests" if iso.get("celery_worker")
                    else ""))
        add(f"{setup}; {iso['clients']} client threads posting {iso['messages']:,} "
            "valid Request messages (each a new lending request) to /iso18626, on the "
            f"{int(data['iso_size']):,}-request data set: **{iso['per_second']} messages/s**, latency p50 "
            f"{iso['p50_ms']} ms, p95 {iso['p95_ms']} ms, p99 {iso['p99_ms']} ms; {iso['failures']} failures; "
            f"load average {tuple(round(x, 1) for x in iso.get('loadavg', ()))}.")
        if "locate_drain_s" in iso:
            cpu = iso.get("cpu_ms_per_message", {})
            add(f"Every request located {iso['locate_drain_s']} s after the last confirmation "
                f"({iso['locate_pending_at_end']} still waiting). CPU per message: web workers "
                f"{cpu.get('web_while_answering')} ms and PostgreSQL {cpu.get('postgres_while_answering')} ms while "
                f"answering, the Celery worker {cpu.get('worker_until_located')} ms until located.")
        for sample in iso.get("failure_samples", []):
            add(f"- failure: `{sample}`")
    add("")
    add("## PDF slips")
    add("")
    slips = data.get("slips") or {}
    if slips.get("skipped"):
        add(slips["skipped"])
    elif slips:
        add(f"One bulk print of {slips['pages']} receive/return slips (`letters.api.bulk_print`, one PDF, "
            f"{slips['pdf_bytes'] // 1024} KiB): median **{slips['median_s']} s** of {slips['runs']} runs "
            f"(all: {slips['seconds']}), **{slips['slips_per_second']} slips/s**.")
    add("")
    add("## Libris import")
    add("")
    lib = data.get("libris") or {}
    if lib.get("skipped"):
        add(lib["skipped"])
    elif lib:
        add(f"One import run (`integrations.importing.run_import`) of {lib['records']:,} new records from a local "
            f"HTTP server playing the Libris API: {lib['seconds']} s, **{lib['per_second']} records/s** "
            f"({lib['created']:,} borrowing requests created).")
    add("")
    for section in data.get("notes", []):
        add(section)
        add("")
    with open(path, "w") as fh:
        fh.write("\n".join(lines).rstrip() + "\n")
