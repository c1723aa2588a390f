"""The task lists' indexes and count-cache triggers, as the benchmark needs them. They come from the
migrations now, so a data set gets them from `migrate` (bench/dataset.py):

- borrowing 0004 / lending 0003 (Meta.indexes): `*_active_cover`, the active list's covering partial
  index (its key serves the default order, newest first; its INCLUDE columns are every column a facet
  counts, so the one GROUPING SETS statement of the active list is an index-only scan over the ~5%
  active rows); `*_status_cover`, `*_note_flag`, `*_message_flag` for the predefined filters, which
  count over every request (completed ones too: "cancelled by partner"), each from its own small index.
- borrowing 0005 / lending 0004 (PostgreSQL only): `*_search_trgm`, one trigram index over the citation
  fields as one document (illdesk.tasklist.search_document), for the secondary search and the
  completed-with-a-search-term list; lending's `lend_bibrecord_title_trgm` for locate; the data version
  of the count cache (illdesk 0002 and the sides' triggers); autovacuum settings.

This module
- adopts a data set built before those migrations existed (`adopt`, before `migrate`): the bench created
  the same indexes under the same names itself, and `migrate` would stop at the first existing name;
- drops them for a run without (BENCH_INDEXES=0: `drop`) and puts them back afterwards (`apply`);
- drops and restores the data-version triggers for a run without the cache (BENCH_CACHE=0).
"""

from __future__ import annotations

import importlib

from django.db import connection
from django.db.migrations.operations import AddIndex

# The migrations that create what this module manages, and the module of each.
MIGRATIONS = [
    ("illdesk", "0002_tasklist_version"),
    ("borrowing", "0004_tasklist_indexes"),
    ("borrowing", "0005_tasklist_postgres"),
    ("lending", "0003_tasklist_indexes"),
    ("lending", "0004_tasklist_postgres"),
]


def _module(app: str, name: str):
    return importlib.import_module(f"{app}.migrations.{name}")


def _models() -> dict:
    from borrowing.models import BorrowingRequest
    from lending.models import LendingRequest

    return {"borrowing": BorrowingRequest, "lending": LendingRequest}


def created_by(app: str, name: str) -> list[str]:
    """The names of the indexes a migration creates (AddIndex operations, or the PostgreSQL-only
    migration's constants)."""
    module = _module(app, name)
    names = [op.index.name for op in module.Migration.operations if isinstance(op, AddIndex)]
    names += [getattr(module, const) for const in ("SEARCH_INDEX", "TITLE_INDEX") if hasattr(module, const)]
    return names


def _postgres_only_sql() -> list[tuple[str, str]]:
    """(index name, CREATE INDEX) of the trigram indexes, as the sides' migrations run them."""
    out = []
    for app, name in MIGRATIONS:
        module = _module(app, name)
        if hasattr(module, "SEARCH_INDEX"):
            from illdesk.tasklist import search_index_sql

            out.append((module.SEARCH_INDEX, search_index_sql(module.SEARCH_INDEX, module.TABLE, module.DOCUMENT)))
        if hasattr(module, "TITLE_INDEX"):
            out.append((module.TITLE_INDEX, f'CREATE INDEX "{module.TITLE_INDEX}" ON "lending_bibrecord" '
                                            'USING gin ((UPPER("title"::text)) gin_trgm_ops)'))
    return out


def existing_names() -> set[str]:
    with connection.cursor() as cur:
        cur.execute("SELECT indexname FROM pg_indexes WHERE schemaname = current_schema()")
        return {row[0] for row in cur.fetchall()}


def adopt(log=print) -> list[str]:
    """Before `migrate` on a data set built before the task-list migrations: drop the indexes and the
    data-version objects the bench once created itself, so that the migrations (same DDL, same names)
    create them. Returns what was dropped."""
    from django.db.migrations.recorder import MigrationRecorder

    recorder = MigrationRecorder(connection)
    if not recorder.has_table():
        return []  # a new schema: migrate creates everything
    applied = recorder.applied_migrations()
    pending = [m for m in MIGRATIONS if m not in applied]
    if not pending:
        return []
    have = existing_names()
    gone = [index for app, name in pending for index in created_by(app, name) if index in have]
    from illdesk.tasklist import VERSION_TABLE, version_reverse_sql

    with connection.cursor() as cur:
        for index in gone:
            cur.execute(f'DROP INDEX "{index}"')
        cur.execute("SELECT to_regclass(%s) IS NOT NULL", [VERSION_TABLE])
        if ("illdesk", "0002_tasklist_version") in pending and cur.fetchone()[0]:
            for sql in version_reverse_sql(version_tables()):
                cur.execute(sql)
            gone.append(VERSION_TABLE)
    if gone:
        log(f"  dropped {', '.join(gone)} (made by the bench before the migrations did): migrate creates them")
    return gone


def task_list_index_names() -> list[str]:
    return [index for app, name in MIGRATIONS for index in created_by(app, name)]


def apply(log=print) -> list[str]:
    """Create the migrations' task-list indexes that are missing (after a run without them), two builds
    at a time (the trigram ones take minutes at a million rows). Returns the names created."""
    import time

    from demo.management.commands.seed_bulk import _parallel

    have = existing_names()
    todo = [(name, sql) for name, sql in _postgres_only_sql() if name not in have]
    with connection.schema_editor(collect_sql=True) as editor:
        for model in _models().values():
            for index in model._meta.indexes:
                if index.name in task_list_index_names() and index.name not in have:
                    todo.append((index.name, str(index.create_sql(model, editor))))
    if not todo:
        return []
    started = time.monotonic()
    ordered = sorted(todo, key=lambda item: "USING gin" not in item[1])
    _parallel([[sql for _n, sql in ordered[0::2]], [sql for _n, sql in ordered[1::2]]],
              ["SET maintenance_work_mem = '512MB'"])
    with connection.cursor() as cur:
        for model in _models().values():
            cur.execute(f'VACUUM (ANALYZE) "{model._meta.db_table}"')
    made = [name for name, _sql in todo]
    log(f"  created {', '.join(made)} in {time.monotonic() - started:.1f} s")
    return made


def drop(log=print) -> list[str]:
    """Drop the task-list indexes (a run without them: BENCH_INDEXES=0)."""
    have = existing_names()
    gone = [name for name in task_list_index_names() if name in have]
    with connection.cursor() as cur:
        for name in gone:
            cur.execute(f'DROP INDEX "{name}"')
    return gone


def version_tables() -> dict[str, list[str]]:
    from borrowing.tasklist import CONFIG as BORROWING
    from illdesk.tasklist import version_tables as tables
    from lending.tasklist import CONFIG as LENDING

    return {"borrowing": tables(BORROWING), "lending": tables(LENDING)}


def install_version(log=print) -> bool:
    """The data-version table and triggers of illdesk.tasklist's cache (the migrations create them; a
    run without the cache removed them), when missing."""
    from illdesk.tasklist import VERSION_TABLE, version_sql

    with connection.cursor() as cur:
        cur.execute("SELECT to_regclass(%s) IS NOT NULL", [VERSION_TABLE])
        if cur.fetchone()[0]:
            return False
        for sql in version_sql(version_tables()):
            cur.execute(sql)
    log(f"  created {VERSION_TABLE} and its triggers")
    return True


def remove_version() -> None:
    from illdesk.tasklist import version_reverse_sql

    with connection.cursor() as cur:
        for sql in version_reverse_sql(version_tables()):
            cur.execute(sql)
