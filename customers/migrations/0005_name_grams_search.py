"""One- and two-character name search anywhere in the name (小明 finds 王小明), indexed.

``customer_name_grams(name)`` is every one- and two-character piece of ``UPPER(name)``; it is
IMMUTABLE, so PostgreSQL keeps a GIN index on it for every writer (the services, the import's COPY,
the demo loader) with no column or trigger to maintain, and ``customer_search`` asks it with ``@>``.
PostgreSQL only: the SQLite demo searches with a plain scan.
"""

import django.contrib.postgres.fields
import django.contrib.postgres.indexes
from django.db import migrations, models

# PL/pgSQL, not SQL: a plain loop is about 8 times faster than generate_series + array_agg, which
# counts when the GIN index is built over 500,000 names (6 s instead of 22 s on 2 cores). GIN
# removes duplicate pieces itself.
CREATE_FUNCTION = """
CREATE OR REPLACE FUNCTION customer_name_grams(name text) RETURNS text[]
LANGUAGE plpgsql IMMUTABLE STRICT PARALLEL SAFE AS $$
DECLARE
    upper_name text := upper(name);
    grams text[] := string_to_array(upper_name, NULL);
BEGIN
    FOR start IN 1 .. char_length(upper_name) - 1 LOOP
        grams := grams || substr(upper_name, start, 2);
    END LOOP;
    RETURN grams;
END
$$
"""
DROP_FUNCTION = "DROP FUNCTION IF EXISTS customer_name_grams(text)"


def create_function(apps, schema_editor):
    if schema_editor.connection.vendor == "postgresql":
        schema_editor.execute(CREATE_FUNCTION)


def drop_function(apps, schema_editor):
    if schema_editor.connection.vendor == "postgresql":
        schema_editor.execute(DROP_FUNCTION)


class PostgresOnlyAddIndex(migrations.AddIndex):
    """The index needs the function above, which exists only on PostgreSQL."""

    def database_forwards(self, app_label, schema_editor, from_state, to_state):
        if schema_editor.connection.vendor == "postgresql":
            super().database_forwards(app_label, schema_editor, from_state, to_state)

    def database_backwards(self, app_label, schema_editor, from_state, to_state):
        if schema_editor.connection.vendor == "postgresql":
            super().database_backwards(app_label, schema_editor, from_state, to_state)


class Migration(migrations.Migration):
    dependencies = [("customers", "0004_customer_voice")]

    operations = [
        # Schema work, not seeding: it declares its reverse (tests/conftest.py reseeds only steps without one).
        migrations.RunPython(create_function, drop_function),
        PostgresOnlyAddIndex(
            model_name="customer",
            index=django.contrib.postgres.indexes.GinIndex(
                models.Func(
                    models.F("name"),
                    function="customer_name_grams",
                    output_field=django.contrib.postgres.fields.ArrayField(base_field=models.TextField(), size=None),
                ),
                name="customer_name_grams_idx",
            ),
        ),
    ]
