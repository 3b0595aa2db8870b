"""Compress stored score results with lz4 on PostgreSQL.

Rescoring rewrites thousands of results at once; with the default pglz, compressing the
jsonb took longer than scoring (benchmarks/results/rescoring.md). lz4 is several times
faster at a similar size. Servers built without lz4 keep the default: nothing breaks.
"""

from django.db import migrations

TABLE = "questionnaires_responsescore"


def use_lz4(apps, schema_editor):
    connection = schema_editor.connection
    if connection.vendor != "postgresql":
        return
    with connection.cursor() as cursor:
        cursor.execute(
            "SELECT 1 FROM pg_settings WHERE name = 'default_toast_compression' "
            "AND 'lz4' = ANY(enumvals)"
        )
        if cursor.fetchone():
            cursor.execute(f"ALTER TABLE {TABLE} ALTER COLUMN result SET COMPRESSION lz4")


def use_default(apps, schema_editor):
    connection = schema_editor.connection
    if connection.vendor == "postgresql":
        with connection.cursor() as cursor:
            cursor.execute(f"ALTER TABLE {TABLE} ALTER COLUMN result SET COMPRESSION default")


class Migration(migrations.Migration):
    dependencies = [
        ("questionnaires", "0003_rescore_job"),
    ]

    operations = [migrations.RunPython(use_lz4, use_default)]
