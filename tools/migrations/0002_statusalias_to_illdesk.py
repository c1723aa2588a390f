"""StatusAlias moved to the core (illdesk.models): only the migration state changes here; the table
tools_statusalias stays and illdesk 0003 takes it over."""

from django.db import migrations


class Migration(migrations.Migration):
    dependencies = [("tools", "0001_initial")]

    operations = [
        migrations.SeparateDatabaseAndState(
            state_operations=[migrations.DeleteModel(name="StatusAlias")],
            database_operations=[],
        ),
    ]
