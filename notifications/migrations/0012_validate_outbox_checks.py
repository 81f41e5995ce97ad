"""Validate the two outbox CHECKs 0009 added NOT VALID, in a transaction of their own: VALIDATE
CONSTRAINT scans the outbox under SHARE UPDATE EXCLUSIVE, which lets dispatch read and write it.
No change of state (0009 holds the constraints)."""

from django.db import migrations

CHECKS = ("outbox_reminder_has_step", "outbox_case_unless_campaign")


def _validate(apps, schema_editor):
    if schema_editor.connection.vendor != "postgresql":
        return  # SQLite added them as ordinary constraints
    table = schema_editor.quote_name(apps.get_model("notifications", "OutboundMessage")._meta.db_table)
    for name in CHECKS:
        schema_editor.execute(f"ALTER TABLE {table} VALIDATE CONSTRAINT {schema_editor.quote_name(name)}")


class Migration(migrations.Migration):
    dependencies = [("notifications", "0011_seed_notice_rules")]

    # Reverse: nothing to undo (a validated constraint is dropped by 0009's reverse).
    operations = [migrations.RunPython(_validate, migrations.RunPython.noop, elidable=False)]
