from decimal import Decimal

import django.core.validators
from django.db import migrations, models


class Migration(migrations.Migration):
    dependencies = [
        ("renewals", "0012_service_ratings"),
    ]

    operations = [
        migrations.AddField(
            model_name="lineofinsurance",
            name="rate_shock_percent",
            field=models.DecimalField(
                decimal_places=2,
                default=Decimal("10.00"),
                help_text="A quoted rise above this share of the expiring premium is flagged for a call.",
                max_digits=5,
                validators=[
                    django.core.validators.MinValueValidator(Decimal("0")),
                    django.core.validators.MaxValueValidator(Decimal("1000")),
                ],
                verbose_name="rate shock above (%)",
            ),
        ),
    ]
