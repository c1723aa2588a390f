"""Build a benchmark data set once and keep it: one schema per size in the bench database.

    DJANGO_SETTINGS_MODULE=bench.settings BENCH_SCHEMA=n100000 python -m bench.dataset --size 100000

creates the schema (and pg_trgm in `bench_ext`), migrates it (the migrations create the task lists' indexes
and the data-version triggers of their count cache: bench/indexes.py), fills it with `seed_bulk` when it is
missing, too small or made by an older generator, and drops those indexes with --no-indexes (the triggers
with --no-cache), or puts them back when an earlier run dropped them.
"""

from __future__ import annotations

import argparse
import os
import sys
import time

import psycopg

DATASET_VERSION = "4"  # bump when seed_bulk's data changes shape


def bench_url() -> str:
    return os.environ.get("BENCH_DATABASE_URL", "postgres://postgres@127.0.0.1:5432/illdesk_bench")


def ensure_database() -> None:
    url = bench_url()
    try:
        psycopg.connect(url, connect_timeout=5).close()
        return
    except psycopg.OperationalError as exc:
        if "does not exist" not in str(exc):
            raise
    name = url.rsplit("/", 1)[1].split("?")[0]
    maintenance = url.rsplit("/", 1)[0] + "/postgres"
    with psycopg.connect(maintenance, autocommit=True) as conn:
        conn.execute(f'CREATE DATABASE "{name}"')


def ensure_schema(schema: str) -> None:
    with psycopg.connect(bench_url(), autocommit=True) as conn:
        conn.execute(f'CREATE SCHEMA IF NOT EXISTS "{schema}"')
        conn.execute("CREATE SCHEMA IF NOT EXISTS bench_ext")
        conn.execute("CREATE EXTENSION IF NOT EXISTS pg_trgm SCHEMA bench_ext")
        conn.execute(f'CREATE TABLE IF NOT EXISTS "{schema}".bench_meta (key text PRIMARY KEY, value text)')


def _meta(schema: str) -> dict:
    with psycopg.connect(bench_url()) as conn:
        return dict(conn.execute(f'SELECT key, value FROM "{schema}".bench_meta').fetchall())


def _set_meta(schema: str, **values) -> None:
    with psycopg.connect(bench_url()) as conn:
        for k, v in values.items():
            conn.execute(f'INSERT INTO "{schema}".bench_meta VALUES (%s, %s) ON CONFLICT (key) DO UPDATE SET '
                         "value = EXCLUDED.value", [k, str(v)])


def main(argv=None) -> int:
    parser = argparse.ArgumentParser()
    parser.add_argument("--size", type=int, required=True)
    parser.add_argument("--no-indexes", action="store_true", help="drop the task lists' indexes")
    parser.add_argument("--no-cache", action="store_true", help="no data-version triggers: counts never cached")
    args = parser.parse_args(argv)
    schema = os.environ["BENCH_SCHEMA"]
    ensure_database()
    ensure_schema(schema)

    os.environ.setdefault("DJANGO_SETTINGS_MODULE", "bench.settings")
    import django

    django.setup()
    from django.core.management import call_command
    from django.db import connection

    from borrowing.models import BorrowingRequest
    from lending.models import LendingRequest

    from . import indexes

    indexes.adopt(log=lambda m: print(m, flush=True))
    started = time.monotonic()
    with connection.cursor() as cur:
        # the task-list migrations build their indexes on a filled data set the first time (the session
        # setting lasts for this connection: migrate uses it too)
        cur.execute("SET maintenance_work_mem = '512MB'")
    call_command("migrate", verbosity=0, interactive=False)
    if time.monotonic() - started > 5:
        print(f"  migrated in {time.monotonic() - started:.1f} s", flush=True)
    meta = _meta(schema)
    have = (BorrowingRequest.objects.count(), LendingRequest.objects.count())
    if meta.get("version") != DATASET_VERSION or meta.get("size") != str(args.size) or have != (args.size,) * 2:
        print(f"  {schema}: building {args.size:,} requests per side (have {have[0]:,}/{have[1]:,}, "
              f"data set version {meta.get('version')} → {DATASET_VERSION})", flush=True)
        started = time.monotonic()
        call_command("seed_bulk", requests=args.size, reset=True, side="both")
        _set_meta(schema, version=DATASET_VERSION, size=args.size, seed_seconds=round(time.monotonic() - started, 1))
    else:
        print(f"  {schema}: data set of {args.size:,} requests per side is ready", flush=True)
    if args.no_indexes:
        gone = indexes.drop()
        if gone:
            print(f"  dropped {', '.join(gone)}")
    else:
        indexes.apply(log=lambda m: print(m, flush=True))
    if args.no_cache:
        indexes.remove_version()
    else:
        indexes.install_version(log=lambda m: print(m, flush=True))
    with connection.cursor() as cur:
        cur.execute("SELECT pg_size_pretty(pg_database_size(current_database()))")
        print(f"  bench database size: {cur.fetchone()[0]}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
