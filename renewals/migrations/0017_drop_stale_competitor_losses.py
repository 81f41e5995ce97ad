"""A case reopened before its loss row was voided on reopen still has it: drop the loss rows of
cases that are not lost now (reopened, or reopened and renewed), so they stop counting and the case
can be lost to a competitor again."""

from django.db import migrations


def drop_stale_losses(apps, schema_editor):
    CompetitorQuote = apps.get_model("renewals", "CompetitorQuote")
    CompetitorQuote.objects.filter(kind="loss").exclude(case__stage="lost").delete()


class Migration(migrations.Migration):
    dependencies = [("renewals", "0016_competitors")]

    operations = [migrations.RunPython(drop_stale_losses, migrations.RunPython.noop)]
