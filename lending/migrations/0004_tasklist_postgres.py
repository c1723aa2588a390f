"""PostgreSQL only (nothing on SQLite): what the lending task list and locate need beyond Meta.indexes.

- pg_trgm and one trigram index over the citation fields as one document, exactly the expression the
  list's search compiles to (illdesk.tasklist.search_document), so the planner can use it.
- a trigram index for locate's title search in the catalogue (lending/inventory.py search():
  `title__icontains`, on PostgreSQL `UPPER("title"::text) LIKE UPPER('%word%')`): without it every
  incoming request scans the whole catalogue.
- the data version of the count cache: this side's rows and statement triggers (illdesk.tasklist).
- autovacuum that keeps the visibility map fresh, or the active list's index-only scans return to the heap.

DOCUMENT and VERSION_TABLES are frozen here (tests check they still are what the task list uses): a new
search field or a facet over another table needs a new migration.
"""

from django.db import migrations

from illdesk.tasklist import search_index_sql, version_side_reverse_sql, version_side_sql

SIDE = "lending"
TABLE = "lending_lendingrequest"
DOCUMENT = ("title", "chapter_title", "author", "chapter_author", "isbn", "issn", "doi", "pmid", "oclc_number",
            "external_id", "borrower_request_id", "requester_name")
VERSION_TABLES = ["lending_lendingrequest"]
SEARCH_INDEX = "lend_search_trgm"
TITLE_INDEX = "lend_bibrecord_title_trgm"
VACUUM = ("autovacuum_vacuum_scale_factor", "autovacuum_vacuum_insert_scale_factor")


def _run(schema_editor, statements) -> None:
    if schema_editor.connection.vendor != "postgresql":
        return
    for sql in statements:
        schema_editor.execute(sql, None)  # no parameters: "%" in the trigger function is the modulo operator


def forwards(apps, schema_editor):
    _run(schema_editor, [
        "CREATE EXTENSION IF NOT EXISTS pg_trgm",
        search_index_sql(SEARCH_INDEX, TABLE, DOCUMENT),
        f'CREATE INDEX "{TITLE_INDEX}" ON "lending_bibrecord" USING gin ((UPPER("title"::text)) gin_trgm_ops)',
        *version_side_sql(SIDE, VERSION_TABLES),
        f'ALTER TABLE "{TABLE}" SET ({", ".join(f"{p} = 0.01" for p in VACUUM)})',
    ])


def backwards(apps, schema_editor):
    # pg_trgm stays: other indexes or other schemas of the database may use it.
    _run(schema_editor, [
        f'ALTER TABLE "{TABLE}" RESET ({", ".join(VACUUM)})',
        *version_side_reverse_sql(SIDE, VERSION_TABLES),
        f'DROP INDEX IF EXISTS "{TITLE_INDEX}"', f'DROP INDEX IF EXISTS "{SEARCH_INDEX}"',
    ])


class Migration(migrations.Migration):
    dependencies = [("lending", "0003_tasklist_indexes"), ("illdesk", "0002_tasklist_version")]

    operations = [migrations.RunPython(forwards, backwards, elidable=False)]
