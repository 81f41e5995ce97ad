"""A few notice rules for the demo beside each line's seeded default: a region that requires a
window, a region whose longer minimum starts next month, and a stricter adverse-change threshold."""

import datetime as dt
from decimal import Decimal

from django.contrib.auth.models import User

from core.errors import ApplicationError
from notifications.notice_rules.models import NoticeRule, NoticeType
from notifications.notice_rules.services import notice_rule_create
from renewals.models import LineOfInsurance

# (line, region, type, min days, max days, rise %, proof channels, starts in days from today)
DEMO_RULES = [
    ("auto", "Zhejiang", NoticeType.RENEWAL, 30, 50, None, ["email", "sms", "letter"], 0),
    ("auto", "Beijing", NoticeType.ADVERSE_CHANGE, 50, None, Decimal("5.00"), ["email", "letter"], 0),
    ("health", "Jiangsu", NoticeType.RENEWAL, 50, None, None, ["email", "letter"], 30),
    ("property", "Guangdong", NoticeType.RENEWAL, 45, 60, None, ["email", "sms", "letter"], 0),
]


def notice_rules_demo_seed(*, today: dt.date, manager: User) -> int:
    """Add the demo rules that are not there yet (through the service, so they are audited)."""
    lines = {line.code: line for line in LineOfInsurance.objects.all()}
    made = 0
    for code, region, notice_type, min_days, max_days, rise, channels, starts_in in DEMO_RULES:
        if code not in lines or NoticeRule.objects.filter(line=lines[code], region=region).exists():
            continue
        try:
            notice_rule_create(
                actor=manager,
                line_id=lines[code].pk,
                region=region,
                notice_type=notice_type,
                min_days=min_days,
                max_days=max_days,
                rate_rise_percent=rise,
                proof_channels=channels,
                effective_from=today + dt.timedelta(days=starts_in),
                # Entered "a year ago", so the demo shows them in force now: a rule added today may
                # only start after the notices already owed (services.owed_horizon_days).
                today=today - dt.timedelta(days=366),
            )
        except ApplicationError:
            continue  # a line whose settings were changed so that the rule no longer fits
        made += 1
    return made
