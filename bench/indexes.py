"""The indexes this benchmark proposes for the request models, as the Django `Index` objects the lead
adds to each model's `Meta.indexes` (the bench creates them with Django's own schema editor, so the DDL
measured here is exactly the DDL the migration will run).

- `*_active_cover`: the active list's covering partial index. Its key serves the default order
  (newest first) and its INCLUDE columns are every column a facet counts, so the one GROUPING SETS
  statement of the active list is an index-only scan over the ~5% active rows.
- `*_status_cover`, `*_note_flag`, `*_message_flag`: the predefined filters count over every request
  (completed ones too: "cancelled by partner"), each from its own small index, index-only (status with
  assignee and partner: "new – without partner", lending's "… – assigned to me / unassigned").
- `*_search_trgm`: one trigram index over the citation fields as one document (illdesk.tasklist.
  SearchDocument): the secondary search and the completed-with-a-search-term list.
"""

from __future__ import annotations

from django.contrib.postgres.indexes import GinIndex, OpClass
from django.db import connection
from django.db.models import Index, OrderBy, Q
from django.db.models.functions import Collate, Upper
from django.db.models.indexes import IndexExpression

# What django.contrib.postgres does in its AppConfig.ready(): without it an OpClass in an index gets
# wrapped in parentheses and PostgreSQL rejects the DDL. (The app itself is not installed here.)
IndexExpression.register_wrappers(OrderBy, OpClass, Collate)

BORROWING_COVER = ["status", "partner_id", "updated_at", "requested_format", "supplied_format", "due_date",
                   "last_interest_date", "patron_info_required", "has_active_message", "has_active_note",
                   "owner_id", "has_partner_note", "pickup_location_id", "level_of_service_id",
                   "patron_category_id", "assignee_id", "event_name", "removed_at"]
LENDING_COVER = ["status", "printed", "reported", "partner_id", "updated_at", "requested_format",
                 "supplied_format", "due_date", "last_interest_date", "owner_id", "level_of_service_id", "has_alerts",
                 "has_active_message", "has_active_note", "assignee_id", "removed_at"]


def proposed() -> dict:
    """{model: [Index, …]} — what the lead adds to Meta.indexes (plus a TrigramExtension migration)."""
    from borrowing.models import BorrowingRequest
    from borrowing.tasklist import CONFIG as BORROWING
    from illdesk.tasklist import search_document
    from lending.models import LendingRequest
    from lending.tasklist import CONFIG as LENDING

    def side(prefix: str, cover: list[str], config) -> list:
        return [
            Index(fields=["-created_at", "-id"], include=cover, condition=Q(is_active=True),
                  name=f"{prefix}_active_cover"),
            Index(fields=["status", "assignee", "partner"], include=["is_active"],
                  condition=Q(removed_at__isnull=True), name=f"{prefix}_status_cover"),
            Index(fields=["id"], condition=Q(has_active_note=True, removed_at__isnull=True),
                  name=f"{prefix}_note_flag"),
            Index(fields=["id"], condition=Q(has_active_message=True, removed_at__isnull=True),
                  name=f"{prefix}_message_flag"),
            GinIndex(OpClass(Upper(search_document(config)), name="gin_trgm_ops"), name=f"{prefix}_search_trgm"),
        ]

    return {BorrowingRequest: side("borrow", BORROWING_COVER, BORROWING),
            LendingRequest: side("lend", LENDING_COVER, LENDING)}


def existing_names() -> set[str]:
    with connection.cursor() as cur:
        cur.execute("SELECT indexname FROM pg_indexes WHERE schemaname = current_schema()")
        return {row[0] for row in cur.fetchall()}


def apply(log=print) -> list[str]:
    """Create the proposed indexes that are missing (and pg_trgm), two builds at a time (the trigram
    ones take minutes at a million rows). Returns the names created."""
    import time

    from illdesk.management.commands.seed_bulk import _parallel

    with connection.cursor() as cur:
        cur.execute("CREATE EXTENSION IF NOT EXISTS pg_trgm")  # bench_ext (bench/dataset.py) when benchmarking
    have = existing_names()
    todo = []
    with connection.schema_editor(collect_sql=True) as editor:
        for model, indexes in proposed().items():
            for index in indexes:
                if index.name not in have:
                    todo.append((index.name, str(index.create_sql(model, editor))))
    if not todo:
        return []
    started = time.monotonic()
    ordered = sorted(todo, key=lambda item: "USING gin" not in item[1])
    _parallel([[sql for _n, sql in ordered[0::2]], [sql for _n, sql in ordered[1::2]]],
              ["SET maintenance_work_mem = '512MB'"])
    with connection.cursor() as cur:
        for model in proposed():
            cur.execute(f'VACUUM (ANALYZE) "{model._meta.db_table}"')
    made = [name for name, _sql in todo]
    log(f"  created {', '.join(made)} in {time.monotonic() - started:.1f} s")
    return made


def drop(log=print) -> list[str]:
    have = existing_names()
    gone = []
    with connection.schema_editor() as editor:
        for model, indexes in proposed().items():
            for index in indexes:
                if index.name in have:
                    editor.remove_index(model, index)
                    gone.append(index.name)
    return gone


def ddl() -> list[str]:
    """The CREATE INDEX statements, for the report."""
    out = []
    with connection.schema_editor(collect_sql=True) as editor:
        for model, indexes in proposed().items():
            for index in indexes:
                out.append(str(index.create_sql(model, editor)))
    return out


def version_tables() -> dict[str, list[str]]:
    from borrowing.tasklist import CONFIG as BORROWING
    from illdesk.tasklist import version_tables as tables
    from lending.tasklist import CONFIG as LENDING

    return {"borrowing": tables(BORROWING), "lending": tables(LENDING)}


def install_version(log=print) -> bool:
    """The data-version table and triggers of illdesk.tasklist's cache (what the lead's RunSQL migration
    creates), when missing."""
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

