"""StatusAlias, moved from tools/: the state only, over the table it already has (tools_statusalias, made by
tools 0001), so no row moves. Its content type is renamed with it, so the admin's history and the
permissions granted on it stay."""

import django.db.models.deletion
from django.db import migrations, models

import illdesk.models


def rename_content_type(apps, schema_editor, old="tools", new="illdesk"):
    ContentType = apps.get_model("contenttypes", "ContentType")
    db = schema_editor.connection.alias
    if not ContentType.objects.using(db).filter(app_label=new, model="statusalias").exists():
        ContentType.objects.using(db).filter(app_label=old, model="statusalias").update(app_label=new)


def restore_content_type(apps, schema_editor):
    rename_content_type(apps, schema_editor, old="illdesk", new="tools")


class Migration(migrations.Migration):
    dependencies = [
        ("contenttypes", "0002_remove_content_type_name"),
        ("illdesk", "0002_tasklist_version"),
        ("tools", "0002_statusalias_to_illdesk"),
    ]

    operations = [
        migrations.SeparateDatabaseAndState(
            state_operations=[
                migrations.CreateModel(
                    name="StatusAlias",
                    fields=[
                        ("id", models.BigAutoField(auto_created=True, primary_key=True, serialize=False,
                                                   verbose_name="ID")),
                        ("side", models.CharField(choices=illdesk.models.side_choices, max_length=10,
                                                  verbose_name="side")),
                        ("status", models.CharField(help_text="The status code, e.g. “received_physically”.",
                                                    max_length=40, verbose_name="status")),
                        ("label", models.CharField(max_length=100, verbose_name="shown as")),
                        ("library", models.ForeignKey(
                            blank=True, help_text="Empty: every library without an alias of its own.", null=True,
                            on_delete=django.db.models.deletion.CASCADE, related_name="+",
                            to="illdesk.resourcesharinglibrary", verbose_name="library")),
                    ],
                    options={
                        "verbose_name": "status alias",
                        "verbose_name_plural": "status aliases",
                        "db_table": "tools_statusalias",
                        "ordering": ["side", "status", "library__name"],
                        "constraints": [
                            models.UniqueConstraint(fields=("side", "status", "library"),
                                                    name="status_alias_per_library"),
                            models.UniqueConstraint(condition=models.Q(("library__isnull", True)),
                                                    fields=("side", "status"), name="status_alias_default"),
                        ],
                    },
                ),
            ],
            database_operations=[],
        ),
        migrations.RunPython(rename_content_type, restore_content_type),
    ]
