"""Caching that stays correct: counts cached under the statement and the side's data version.

A count is cached under the exact statement that computed it and the side's *data version*: a
number that statement-level triggers raise, in the writing transaction itself, on every INSERT,
UPDATE, DELETE or TRUNCATE of the tables the counts read (see `version_sql`). Readers see the
version and the rows of the same committed state, so a cached count is never older than its key;
any committed write changes the key. Date buckets are literal bounds in the statement, so a new
day is a new statement. Only results read outside a transaction are cached (what they saw is
committed), and never on a search (it also reads patrons and partners). Without the table (SQLite,
or before the migration) nothing is cached.
"""

from __future__ import annotations

import hashlib

from django.core.cache import cache
from django.db import connections, transaction

from .config import TaskListConfig, first_hop

VERSION_TABLE = "illdesk_tasklist_version"
VERSION_SHARDS = 64  # writers bump the row of their backend (pid % shards): no lock queue among writers
CACHE_SECONDS = 3600
_version_table: dict[str, bool] = {}  # database alias -> the table exists (looked up once per process)


def version_tables(config: TaskListConfig) -> list[str]:
    """The tables whose writes can change a side's counts: the requests, the m2m tables of m2m facets
    and the tables a facet reads through a foreign key (pickup location kind)."""
    model = config.model
    tables = [model._meta.db_table]
    for facet in config.facets:
        if facet.kind == "m2m":
            tables.append(model._meta.get_field(facet.field).remote_field.through._meta.db_table)
        elif "__" in facet.field:
            hop, _rest = first_hop(model, facet.field)
            if hop is not None:
                tables.append(hop.related_model._meta.db_table)
    return list(dict.fromkeys(tables))


def _trigger_name(table: str) -> str:
    return f"tlv_{table}"[:63]


def version_table_sql() -> list[str]:
    """The DDL (PostgreSQL) of the version table and the trigger function both sides share
    (illdesk migration 0002); each side then adds its rows and triggers (`version_side_sql`)."""
    return [
        f"CREATE TABLE {VERSION_TABLE} (side varchar(20) NOT NULL, shard integer NOT NULL, "
        "version bigint NOT NULL DEFAULT 0, PRIMARY KEY (side, shard))",
        "CREATE FUNCTION illdesk_bump_tasklist_version() RETURNS trigger LANGUAGE plpgsql AS $$ BEGIN "
        f"UPDATE {VERSION_TABLE} SET version = version + 1 WHERE side = TG_ARGV[0] "
        f"AND shard = pg_backend_pid() % {VERSION_SHARDS}; RETURN NULL; END $$",
    ]


def version_table_reverse_sql() -> list[str]:
    return ["DROP FUNCTION IF EXISTS illdesk_bump_tasklist_version()", f"DROP TABLE IF EXISTS {VERSION_TABLE}"]


def version_side_sql(side: str, tables: list[str]) -> list[str]:
    """A side's shard rows and the statement triggers on `tables` (whose writes change its counts)."""
    # Shard 0 starts at the clock (microseconds): a table made again (migrations reversed and applied)
    # starts above any version a count cached before could carry.
    out = [f"INSERT INTO {VERSION_TABLE} (side, shard, version) SELECT '{side}', g.shard, CASE WHEN g.shard = 0 "
           "THEN (extract(epoch FROM clock_timestamp()) * 1000000)::bigint ELSE 0 END "
           f"FROM generate_series(0, {VERSION_SHARDS - 1}) AS g(shard)"]
    for table in tables:
        out.append(f'CREATE TRIGGER "{_trigger_name(table)}" AFTER INSERT OR UPDATE OR DELETE OR TRUNCATE '
                   f"ON \"{table}\" FOR EACH STATEMENT EXECUTE FUNCTION illdesk_bump_tasklist_version('{side}')")
    return out


def version_side_reverse_sql(side: str, tables: list[str]) -> list[str]:
    return [*(f'DROP TRIGGER IF EXISTS "{_trigger_name(table)}" ON "{table}"' for table in tables),
            f"DELETE FROM {VERSION_TABLE} WHERE side = '{side}'"]


def version_sql(tables: dict[str, list[str]]) -> list[str]:
    """All of the data version's DDL at once: {side: [tables whose writes change its counts]}. The
    migrations run the same statements in pieces; `version_reverse_sql` undoes it."""
    out = version_table_sql()
    for side, names in tables.items():
        out += version_side_sql(side, names)
    return out


def version_reverse_sql(tables: dict[str, list[str]]) -> list[str]:
    out = [f'DROP TRIGGER IF EXISTS "{_trigger_name(table)}" ON "{table}"'
           for names in tables.values() for table in names]
    return [*out, *version_table_reverse_sql()]


def forget_version_table() -> None:
    """Look for the version table again (tests that create or drop it)."""
    _version_table.clear()


def data_version(db: str, side: str) -> int | None:
    """The side's data version, or None when counts are not to be cached (no table, in a transaction)."""
    conn = connections[db]
    if conn.vendor != "postgresql" or conn.in_atomic_block:
        return None
    present = _version_table.get(db)
    if present is None:
        with conn.cursor() as cursor:
            cursor.execute("SELECT to_regclass(%s) IS NOT NULL", [VERSION_TABLE])
            present = _version_table[db] = bool(cursor.fetchone()[0])
    if not present:
        return None
    with conn.cursor() as cursor:
        cursor.execute(f"SELECT COALESCE(SUM(version), 0) FROM {VERSION_TABLE} WHERE side = %s", [side])
        return int(cursor.fetchone()[0])


def _fetch(db: str, sql: str, params, version: int | None, work_mem: str | None = None) -> list:
    """The statement's rows: from the cache when the same statement already ran on this data version."""
    key = None
    if version is not None:
        digest = hashlib.sha256(f"{connections[db].settings_dict['NAME']}|{sql}|{params!r}".encode()).hexdigest()
        key = f"illdesk.tasklist:{version}:{digest}"
        rows = cache.get(key)
        if rows is not None:
            return rows
    conn = connections[db]
    if work_mem and conn.vendor == "postgresql":
        with transaction.atomic(using=db), conn.cursor() as cursor:
            cursor.execute(f"SET LOCAL work_mem = '{work_mem}'")
            cursor.execute(sql, params)
            rows = cursor.fetchall()
    else:
        with conn.cursor() as cursor:
            cursor.execute(sql, params)
            rows = cursor.fetchall()
    if key is not None:
        cache.set(key, rows, CACHE_SECONDS)
    return rows

