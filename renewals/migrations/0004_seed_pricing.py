"""Default pricing per seeded line; managers edit them on the settings pages."""

from decimal import Decimal

from django.db import migrations

BASE_RATE = {"auto": "3.00", "health": "5.00", "property": "2.00"}
CLAIMS = [(0, "1.0000"), (1, "1.1000"), (2, "1.2500"), (3, "1.5000")]
LOYALTY = [(0, "1.0000"), (2, "0.9800"), (3, "0.9700"), (5, "0.9500")]


def forwards(apps, schema_editor):
    Line = apps.get_model("renewals", "LineOfInsurance")
    PricingRule = apps.get_model("renewals", "PricingRule")
    ClaimsFactor = apps.get_model("renewals", "ClaimsFactor")
    LoyaltyFactor = apps.get_model("renewals", "LoyaltyFactor")
    for line in Line.objects.all():
        PricingRule.objects.get_or_create(
            line=line, defaults={"base_rate_change_percent": Decimal(BASE_RATE.get(line.code, "0"))}
        )
        for min_claims, factor in CLAIMS:
            ClaimsFactor.objects.get_or_create(line=line, min_claims=min_claims, defaults={"factor": Decimal(factor)})
        for min_years, factor in LOYALTY:
            LoyaltyFactor.objects.get_or_create(line=line, min_years=min_years, defaults={"factor": Decimal(factor)})


class Migration(migrations.Migration):
    dependencies = [("renewals", "0003_workflow")]
    operations = [migrations.RunPython(forwards, migrations.RunPython.noop)]
