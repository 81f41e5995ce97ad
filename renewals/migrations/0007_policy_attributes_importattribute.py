import django.utils.timezone
from django.db import migrations, models


class Migration(migrations.Migration):
    dependencies = [
        ("renewals", "0006_lighter_case_inserts"),
    ]

    operations = [
        migrations.AddField(
            model_name="policy",
            name="attributes",
            field=models.JSONField(blank=True, default=dict, verbose_name="attributes"),
        ),
        migrations.CreateModel(
            name="ImportAttribute",
            fields=[
                ("id", models.BigAutoField(auto_created=True, primary_key=True, serialize=False, verbose_name="ID")),
                ("name", models.SlugField(max_length=64, unique=True, verbose_name="column")),
                (
                    "kind",
                    models.CharField(
                        choices=[
                            ("number", "Number"),
                            ("category", "Category"),
                            ("boolean", "True/false"),
                            ("date", "Date"),
                        ],
                        max_length=10,
                        verbose_name="type",
                    ),
                ),
                ("label", models.CharField(blank=True, max_length=100, verbose_name="label")),
                (
                    "inferred",
                    models.BooleanField(
                        default=True, help_text="Typed by the import, not yet reviewed.", verbose_name="inferred"
                    ),
                ),
                ("active", models.BooleanField(default=True, verbose_name="used by the churn model")),
                ("created_at", models.DateTimeField(default=django.utils.timezone.now, editable=False)),
            ],
            options={
                "verbose_name": "import attribute",
                "verbose_name_plural": "import attributes",
                "ordering": ["name"],
            },
        ),
    ]
