"""The task lists' data version (PostgreSQL only): the table statement triggers raise on every write
and the trigger function. Each side's own migration adds its rows and triggers (illdesk.tasklist);
elsewhere counts are never cached (illdesk.tasklist.data_version)."""

from django.db import migrations

from illdesk.tasklist import version_table_reverse_sql, version_table_sql


def _run(schema_editor, statements) -> None:
    if schema_editor.connection.vendor != "postgresql":
        return
    for sql in statements:
        schema_editor.execute(sql, None)  # no parameters: "%" in the trigger function is the modulo operator


def forwards(apps, schema_editor):
    _run(schema_editor, version_table_sql())


def backwards(apps, schema_editor):
    _run(schema_editor, version_table_reverse_sql())


class Migration(migrations.Migration):
    dependencies = [("illdesk", "0001_initial")]

    operations = [migrations.RunPython(forwards, backwards, elidable=False)]
