"""Each line's default non-renewal rule (region "all", in force for every expiry) where the line has
none: the non-renewal notice at least the line's notice lead days before expiry, proved by the line's
notice channels (0011_seed_notice_rules seeded only the renewal and adverse-change rules)."""

from django.db import migrations

from notifications.defaults import DEFAULT_NOTICE_CHANNELS
from notifications.notice_rules.defaults import DEFAULT_RULES_FROM


def seed(apps, schema_editor):
    Line = apps.get_model("renewals", "LineOfInsurance")
    NoticeChannel = apps.get_model("notifications", "NoticeChannel")
    NoticeRule = apps.get_model("notifications", "NoticeRule")
    for line in Line.objects.all():
        if NoticeRule.objects.filter(line=line, notice_type="non_renewal").exists():
            continue
        channels = list(NoticeChannel.objects.filter(line=line).order_by("position").values_list("channel", flat=True))
        NoticeRule.objects.create(
            line=line,
            region="all",
            notice_type="non_renewal",
            effective_from=DEFAULT_RULES_FROM,
            min_days=line.notice_lead_days,
            proof_channels=channels or list(DEFAULT_NOTICE_CHANNELS),
        )


class Migration(migrations.Migration):
    dependencies = [("notifications", "0013_outbox_offer_percent")]

    operations = [migrations.RunPython(seed, migrations.RunPython.noop)]
