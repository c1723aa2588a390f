"""Task list pages vs Django admin's faceted changelist vs the one-statement SQL floor, for one data
set (the schema in BENCH_SCHEMA). Run by bench/__main__.py in its own process per size:

    DJANGO_SETTINGS_MODULE=bench.settings BENCH_SCHEMA=n100000 python -m bench.tasklists --out x.json

Every page is a full request through the Django test client as a logged-in operator (middleware,
session, view, template); the admin pages likewise as a superuser; the floor is one cursor.execute().
The three are interleaved run by run so they share the machine's moment. Before timing, each
scenario's facet counts are checked against the floor's.
"""

from __future__ import annotations

import argparse
import json
import os
import sys
import time
from urllib.parse import urlencode

import django


def _setup() -> None:
    os.environ.setdefault("DJANGO_SETTINGS_MODULE", "bench.settings")
    django.setup()


def ensure_users():
    from django.contrib.auth.models import Group, User

    from illdesk import roles

    roles.ensure_roles()
    operator = User.objects.get(username="operator")  # the demo operator: the most assignments
    if not operator.groups.filter(name=roles.OPERATOR).exists():
        operator.groups.add(Group.objects.get(name=roles.OPERATOR))
    admin, _ = User.objects.get_or_create(username="bench-admin", defaults={"is_staff": True, "is_superuser": True})
    return operator, admin


def _ms(seconds: float) -> float:
    return round(seconds * 1000, 2)


def app_result(client, url: str):
    """One request with the test environment's template instrumentation on, for response.context."""
    from django.test.utils import setup_test_environment, teardown_test_environment

    setup_test_environment()
    try:
        response = client.get(url)
    finally:
        teardown_test_environment()
    return response.context["result"], response.context.get("scope_tabs")


def compare(result, tabs, floor_counts: dict) -> list[str]:
    """Differences between the page's counts and the floor's (empty: they agree)."""
    problems = []
    for facet, values in result.facets:
        app = {v.value: v.count for v in values if v.count}
        floor = {k: n for k, n in floor_counts["facets"].get(facet.key, {}).items() if n}
        if facet.kind == "choice" and facet.choices:
            allowed = {str(k) for k, _l in facet.choices}
            floor = {k: n for k, n in floor.items() if k in allowed}
        if app != floor:
            diff = {k: (app.get(k), floor.get(k)) for k in set(app) | set(floor) if app.get(k) != floor.get(k)}
            problems.append(f"{facet.key}: {dict(list(diff.items())[:5])}")
    if result.page.paginator.count != floor_counts["total"]:
        problems.append(f"total: {result.page.paginator.count} vs {floor_counts['total']}")
    presets = {p.key: n for p, n in result.presets}
    if presets != floor_counts["presets"]:
        problems.append(f"presets: {presets} vs {floor_counts['presets']}")
    if result.search:
        act = result.activity_counts
        if floor_counts["activity"] != {"active": act["active"], "completed": act["completed"]}:
            problems.append(f"activity: {act} vs {floor_counts['activity']}")
    if tabs is not None and floor_counts["tabs"] is not None:
        if {k: n for k, _label, n in tabs} != {k: floor_counts["tabs"][k] for k, _l, _n in tabs}:
            problems.append(f"tabs: {tabs} vs {floor_counts['tabs']}")
    return problems


def main(argv=None) -> int:
    parser = argparse.ArgumentParser()
    parser.add_argument("--runs", type=int, default=15)
    parser.add_argument("--admin-runs", type=int, default=5)
    parser.add_argument("--only", default="", help="comma-separated scenario keys")
    parser.add_argument("--out", required=True)
    args = parser.parse_args(argv)
    _setup()

    from django.db import connection
    from django.test import Client
    from django.test.utils import CaptureQueriesContext

    from borrowing.models import BorrowingRequest
    from lending.models import LendingRequest

    from . import floor
    from .scenarios import build

    operator, admin_user = ensure_users()
    from illdesk.tasklist import VERSION_TABLE

    with connection.cursor() as cur:
        cur.execute("SELECT to_regclass(%s) IS NOT NULL", [VERSION_TABLE])
        caching = bool(cur.fetchone()[0])

    def changed(side: str) -> None:
        """What any committed write does to the side's data version (the triggers' job)."""
        if caching:
            with connection.cursor() as cur:
                cur.execute(f"UPDATE {VERSION_TABLE} SET version = version + 1 WHERE side = %s AND shard = 0",
                            [side])
    client = Client()
    client.force_login(operator)
    admin_client = Client()
    admin_client.force_login(admin_user)
    scenarios = build(operator)
    if args.only:
        wanted = set(args.only.split(","))
        scenarios = [s for s in scenarios if s.key in wanted]
    sizes = {"borrowing": BorrowingRequest.objects.count(), "lending": LendingRequest.objects.count(),
             "borrowing_active": BorrowingRequest.objects.filter(is_active=True).count(),
             "lending_active": LendingRequest.objects.filter(is_active=True).count()}
    out = {"schema": os.environ.get("BENCH_SCHEMA"), "sizes": sizes, "scenarios": [], "caching": caching,
           "loadavg_before": os.getloadavg()}
    for sc in scenarios:
        url = f"/{sc.side}/?{urlencode(sc.params)}"
        model = "borrowingrequest" if sc.side == "borrowing" else "lendingrequest"
        admin_url = f"/bench-admin/{sc.side}/{model}/?{urlencode(sc.admin)}" if sc.admin is not None else None

        def run_floor(sc=sc):
            with connection.cursor() as cur:
                return floor.run(cur, sc.spec)

        # correctness first: the page's counts must be the floor's
        result, tabs = app_result(client, url)
        row, meta = run_floor()
        problems = compare(result, tabs, floor.counts(row, meta))
        rows_listed = result.page.paginator.count
        # warm up, then one request with the statements recorded (the profile), nothing cached
        client.get(url)
        changed(sc.side)
        with CaptureQueriesContext(connection) as ctx:
            started = time.perf_counter()
            response = client.get(url)
            page_ms = _ms(time.perf_counter() - started)
        assert response.status_code == 200, (url, response.status_code)
        statements = [q for q in ctx.captured_queries
                      if q["sql"].split(None, 1)[0].upper() not in ("BEGIN", "COMMIT", "SAVEPOINT", "RELEASE")]
        profile = {
            "page_ms": page_ms,
            "sql_ms": round(sum(float(q["time"]) for q in statements) * 1000, 1),
            "queries": len(statements),
            "top": sorted(([round(float(q["time"]) * 1000, 1), q["sql"][:160]] for q in statements),
                          reverse=True)[:6],
        }
        app_t, warm_t, floor_t, admin_t = [], [], [], []
        admin_runs = args.admin_runs
        for i in range(args.runs):
            # cold: the data changed since the last page (as after any write), nothing cached applies
            changed(sc.side)
            started = time.perf_counter()
            client.get(url)
            app_t.append(_ms(time.perf_counter() - started))
            if caching:  # warm: the same page again, nothing written meanwhile
                started = time.perf_counter()
                client.get(url)
                warm_t.append(_ms(time.perf_counter() - started))
            started = time.perf_counter()
            run_floor()
            floor_t.append(_ms(time.perf_counter() - started))
            if admin_url and i < admin_runs:
                started = time.perf_counter()
                response = admin_client.get(admin_url)
                admin_t.append(_ms(time.perf_counter() - started))
                assert response.status_code == 200, (admin_url, response.status_code)
                if admin_t[-1] > 20_000:  # at 1M the baseline takes seconds: three runs are enough
                    admin_runs = min(admin_runs, 3)
        admin_queries = None
        if admin_url:
            with CaptureQueriesContext(connection) as ctx:
                admin_client.get(admin_url)
            admin_queries = len(ctx.captured_queries)
        out["scenarios"].append({
            "key": sc.key, "side": sc.side, "label": sc.label, "url": url, "admin_url": admin_url,
            "target_ms": sc.target_ms, "headline": sc.headline, "rows": rows_listed, "problems": problems,
            "app_ms": app_t, "warm_ms": warm_t, "floor_ms": floor_t, "admin_ms": admin_t, "profile": profile,
            "admin_queries": admin_queries,
        })
        mid = {name: sorted(t)[len(t) // 2] if t else float("nan")
               for name, t in (("app", app_t), ("warm", warm_t), ("floor", floor_t), ("admin", admin_t))}
        print(f"  {sc.key:18} app {mid['app']:8.1f} ms  warm {mid['warm']:7.1f}  floor {mid['floor']:8.1f} ms  "
              f"admin {mid['admin']:9.1f} ms  "
              f"rows {rows_listed:>7}  {'OK' if not problems else 'COUNTS DIFFER: ' + '; '.join(problems)}",
              flush=True)
    out["loadavg_after"] = os.getloadavg()
    with open(args.out, "w") as fh:
        json.dump(out, fh, indent=1, default=str)
    return 0


if __name__ == "__main__":
    sys.exit(main())
