"""Every line's ordered notice channels (email, then SMS, then a printed letter) and the SMS text of
each notice step, so a customer without e-mail can still get the statutory notice; notices planning
skipped for want of an e-mail address or consent are due again, for dispatch to route them."""

import datetime as dt

from django.db import migrations
from django.utils import timezone

from notifications.defaults import DEFAULT_NOTICE_CHANNELS, TEXTS


def seed(apps, schema_editor):
    Line = apps.get_model("renewals", "LineOfInsurance")
    NoticeChannel = apps.get_model("notifications", "NoticeChannel")
    Step = apps.get_model("notifications", "ReminderStep")
    Template = apps.get_model("notifications", "MessageTemplate")
    for line in Line.objects.all():
        if not NoticeChannel.objects.filter(line=line).exists():
            NoticeChannel.objects.bulk_create(
                NoticeChannel(line=line, position=position, channel=channel)
                for position, channel in enumerate(DEFAULT_NOTICE_CHANNELS, start=1)
            )
    for step in Step.objects.filter(is_notice=True):
        for channel in ("email", "sms"):
            for language, (subject, body) in TEXTS[("notice", channel)].items():
                Template.objects.get_or_create(
                    step=step,
                    channel=channel,
                    language=language,
                    defaults={"kind": "reminder", "subject": subject, "body": body},
                )


def reopen_stuck_notices(apps, schema_editor):
    Message = apps.get_model("notifications", "OutboundMessage")
    Case = apps.get_model("renewals", "RenewalCase")
    now = timezone.now()
    still_owed = Case.objects.filter(stage__in=["open", "contacted", "quoted"], due_date__gte=dt.date.today())
    Message.objects.filter(
        is_notice=True,
        status="skipped",
        skip_reason__in=["no_address", "opted_out"],
        case__in=still_owed.values("id"),
    ).update(status="scheduled", skip_reason="", next_attempt_at=now, updated_at=now)


class Migration(migrations.Migration):
    dependencies = [
        ("notifications", "0006_notice_channels_day_claims_step_removal"),
        ("renewals", "0002_seed_lines_and_reasons"),
    ]
    operations = [
        migrations.RunPython(seed, migrations.RunPython.noop),
        migrations.RunPython(reopen_stuck_notices, migrations.RunPython.noop),
    ]
