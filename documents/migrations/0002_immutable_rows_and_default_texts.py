from django.db import migrations

TABLES = ("documents_document", "documents_acceptancerecord")

IMMUTABLE_SQL = """
CREATE OR REPLACE FUNCTION documents_immutable() RETURNS trigger AS $$
BEGIN
    RAISE EXCEPTION '% rows are immutable', TG_TABLE_NAME;
END;
$$ LANGUAGE plpgsql;
-- A template version's text can never change or go. (Writing a row back with the same text, as the
-- test runner does when it restores its snapshot of the seeded rows, changes nothing.)
CREATE OR REPLACE FUNCTION documents_template_immutable() RETURNS trigger AS $$
BEGIN
    IF TG_OP = 'UPDATE' AND (NEW.kind, NEW.line_id, NEW.language, NEW.version, NEW.body)
            IS NOT DISTINCT FROM (OLD.kind, OLD.line_id, OLD.language, OLD.version, OLD.body) THEN
        RETURN NEW;
    END IF;
    RAISE EXCEPTION 'document template versions are immutable';
END;
$$ LANGUAGE plpgsql;
CREATE TRIGGER documents_documenttemplate_immutable BEFORE UPDATE OR DELETE ON documents_documenttemplate
    FOR EACH ROW EXECUTE FUNCTION documents_template_immutable();
""" + "".join(
    f"""
CREATE TRIGGER {table}_immutable BEFORE UPDATE OR DELETE ON {table}
    FOR EACH ROW EXECUTE FUNCTION documents_immutable();
"""
    for table in TABLES
)
DROP_SQL = (
    "".join(f"DROP TRIGGER IF EXISTS {table}_immutable ON {table};\n" for table in TABLES)
    + "DROP TRIGGER IF EXISTS documents_documenttemplate_immutable ON documents_documenttemplate;\n"
    + "DROP FUNCTION IF EXISTS documents_immutable();\nDROP FUNCTION IF EXISTS documents_template_immutable();"
)


def protect_rows(apps, schema_editor):
    if schema_editor.connection.vendor == "postgresql":
        schema_editor.execute(IMMUTABLE_SQL, params=None)


def unprotect_rows(apps, schema_editor):
    if schema_editor.connection.vendor == "postgresql":
        schema_editor.execute(DROP_SQL, params=None)


def seed_texts(apps, schema_editor):
    from documents.defaults import DEFAULT_TEXTS

    DocumentTemplate = apps.get_model("documents", "DocumentTemplate")
    for (kind, language), body in DEFAULT_TEXTS.items():
        if not DocumentTemplate.objects.filter(kind=kind, language=language, line__isnull=True).exists():
            DocumentTemplate.objects.create(kind=kind, language=language, line=None, version=1, body=body)


class Migration(migrations.Migration):
    dependencies = [("documents", "0001_initial")]

    operations = [
        migrations.RunPython(protect_rows, unprotect_rows),
        migrations.RunPython(seed_texts, migrations.RunPython.noop),
    ]
