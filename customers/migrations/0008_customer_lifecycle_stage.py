"""The customer's lifecycle stage (derived nightly by campaigns.services.lifecycle_refresh)."""

from django.db import migrations, models


class AddColumnWithoutRebuild(migrations.AddField):
    """On SQLite (the demo), Django adds a column with a default by rebuilding the table, and the
    rebuild re-creates every index of the model, including the PostgreSQL-only GIN indexes of
    migrations 0004/0005: add the column with a plain ALTER TABLE there instead."""

    def database_forwards(self, app_label, schema_editor, from_state, to_state):
        if schema_editor.connection.vendor == "sqlite":
            schema_editor.execute(
                "ALTER TABLE customers_customer ADD COLUMN lifecycle_stage varchar(16) NOT NULL DEFAULT ''"
            )
            return
        super().database_forwards(app_label, schema_editor, from_state, to_state)

    def database_backwards(self, app_label, schema_editor, from_state, to_state):
        if schema_editor.connection.vendor == "sqlite":
            schema_editor.execute("ALTER TABLE customers_customer DROP COLUMN lifecycle_stage")
            return
        super().database_backwards(app_label, schema_editor, from_state, to_state)


class Migration(migrations.Migration):
    dependencies = [
        ("customers", "0007_repair_out_of_range_times"),
    ]

    operations = [
        AddColumnWithoutRebuild(
            model_name="customer",
            name="lifecycle_stage",
            field=models.CharField(
                blank=True,
                choices=[
                    ("new", "New"),
                    ("active", "Active"),
                    ("renewing", "Renewing"),
                    ("at_risk", "At risk"),
                    ("lapsed", "Lapsed"),
                    ("dormant", "Dormant"),
                    ("won_back", "Won back"),
                ],
                default="",
                editable=False,
                max_length=16,
                verbose_name="lifecycle stage",
            ),
        ),
        migrations.AddIndex(
            model_name="customer",
            index=models.Index(fields=["lifecycle_stage"], name="customer_lifecycle_idx"),
        ),
    ]
