"""Today's per-line values as each line's default notice rules (region "all", in force for every
expiry): the renewal notice at least the line's notice lead days before expiry, and the adverse-change
notice for a quoted rise above the line's rate-shock threshold with the same lead time; both proved
by the line's notice channels."""

from django.db import migrations

from notifications.defaults import DEFAULT_NOTICE_CHANNELS
from notifications.notice_rules.defaults import DEFAULT_RULES_FROM


def seed(apps, schema_editor):
    Line = apps.get_model("renewals", "LineOfInsurance")
    NoticeChannel = apps.get_model("notifications", "NoticeChannel")
    NoticeRule = apps.get_model("notifications", "NoticeRule")
    for line in Line.objects.all():
        channels = list(NoticeChannel.objects.filter(line=line).order_by("position").values_list("channel", flat=True))
        for notice_type, rise in (("renewal", None), ("adverse_change", line.rate_shock_percent)):
            NoticeRule.objects.get_or_create(
                line=line,
                region="all",
                notice_type=notice_type,
                effective_from=DEFAULT_RULES_FROM,
                defaults={
                    "min_days": line.notice_lead_days,
                    "rate_rise_percent": rise,
                    "proof_channels": channels or list(DEFAULT_NOTICE_CHANNELS),
                },
            )


class Migration(migrations.Migration):
    dependencies = [("notifications", "0010_notice_rules")]

    operations = [migrations.RunPython(seed, migrations.RunPython.noop)]
