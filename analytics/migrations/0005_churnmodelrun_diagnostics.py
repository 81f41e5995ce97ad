from django.db import migrations, models


class Migration(migrations.Migration):
    dependencies = [
        ("analytics", "0004_role_permissions"),
    ]

    operations = [
        migrations.AddField(
            model_name="churnmodelrun",
            name="diagnostics",
            field=models.JSONField(blank=True, default=dict),
        ),
    ]
