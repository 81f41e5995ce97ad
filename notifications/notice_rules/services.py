"""Managers' notice rule writes: a new version, and end-dating one (never a delete). Each is one
transaction under the line's row lock (versions of a line are written one at a time) and is written
to the settings audit log (``renewals.models.SettingsChange``, area "notice_rule").

Rules are chosen by the policy's expiry date, so a change may only reach expiries whose notice is
not owed yet: a version starts (and an end date is followed by a day) no earlier than today + the
longest minimum that could apply to those expiries (``owed_horizon_days``), and a new version of a
(region, line, type) supersedes the one in force on its first day (which is end-dated the day
before). Refusals that depend on the other versions or on today are ConflictError (409) naming the
field.
"""

import datetime as dt
from decimal import Decimal, InvalidOperation

from django.db import transaction
from django.utils import timezone
from django.utils.formats import date_format
from django.utils.translation import gettext as _

from core.errors import ApplicationError, ConflictError, ErrorCode
from core.roles import Role, has_role
from customers.regions import REGION_LABELS
from notifications.errors import NotificationsErrorCode
from notifications.models import NOTICE_CHANNELS
from notifications.notice_rules.defaults import DEFAULT_RULES_FROM
from notifications.notice_rules.models import ALL_REGIONS, NoticeRule, NoticeType
from renewals.models import LineOfInsurance, SettingsChange

AREA = "notice_rule"
MAX_DAYS_LIMIT = 366
RISE_LIMIT = Decimal("1000")


def _audit(actor, rule: NoticeRule, changes: dict) -> None:
    SettingsChange.objects.create(
        actor=actor,
        area=AREA,
        object_repr=_describe(rule)[:200],
        changes={name: [str(old), str(new)] for name, (old, new) in changes.items()},
    )


def _describe(rule: NoticeRule) -> str:
    return f"{rule.line.code} · {rule.region} · {rule.notice_type} · {rule.effective_from.isoformat()}"


def _require_manager(actor) -> None:
    if not has_role(actor, Role.MANAGER):
        raise ApplicationError(_("Only managers change notice rules."), code=ErrorCode.FORBIDDEN, status=403)


def _clean_channels(proof_channels) -> list[str]:
    channels = []
    for channel in proof_channels or []:
        if channel not in NOTICE_CHANNELS:
            raise ApplicationError(
                _("Choose proof channels from e-mail, SMS and printed letter."),
                field="proof_channels",
                code=ErrorCode.INVALID,
            )
        if channel not in channels:
            channels.append(channel)
    if not channels:
        raise ApplicationError(
            _("Choose at least one channel accepted as proof."), field="proof_channels", code=ErrorCode.REQUIRED
        )
    # Kept in the product's order (e-mail, SMS, letter), so two equal sets read alike.
    return [channel for channel in NOTICE_CHANNELS if channel in channels]


def _clean_rise(notice_type: str, rate_rise_percent) -> Decimal | None:
    if notice_type != NoticeType.ADVERSE_CHANGE:
        if rate_rise_percent is not None:
            raise ConflictError(
                _("Only an adverse-change rule has a premium-rise threshold."),
                field="rate_rise_percent",
                code=NotificationsErrorCode.RULE_WINDOW,
            )
        return None
    if rate_rise_percent is None:
        raise ConflictError(
            _("An adverse-change rule needs the premium rise above which it applies."),
            field="rate_rise_percent",
            code=NotificationsErrorCode.RULE_WINDOW,
        )
    try:
        rise = Decimal(rate_rise_percent)
    except (InvalidOperation, TypeError, ValueError):
        raise ApplicationError(_("Enter the rise as a number."), field="rate_rise_percent") from None
    if not (0 <= rise <= RISE_LIMIT) or rise != rise.quantize(Decimal("0.01")):
        raise ApplicationError(
            _("The rise must be from 0 to 1000 percent with at most two decimals."),
            field="rate_rise_percent",
            code=ErrorCode.OUT_OF_RANGE,
        )
    return rise


def _check_days(line: LineOfInsurance, min_days: int, max_days: int | None) -> None:
    for field, value in (("min_days", min_days), ("max_days", max_days)):
        if value is not None and not 0 <= value <= MAX_DAYS_LIMIT:
            raise ApplicationError(
                _("Days before expiry must be from 0 to 366."), field=field, code=ErrorCode.OUT_OF_RANGE
            )
    if max_days is not None and max_days < min_days:
        raise ConflictError(
            _("The latest day (at most) must not be fewer days before expiry than the earliest (at least)."),
            field="max_days",
            code=NotificationsErrorCode.RULE_WINDOW,
        )
    if min_days > line.renewal_window_days:
        raise ConflictError(
            _("The notice cannot be owed before the case opens: at most %(days)s days for this line.")
            % {"days": line.renewal_window_days},
            field="min_days",
            code=NotificationsErrorCode.RULE_WINDOW,
        )


def owed_horizon_days(line: LineOfInsurance, *, today: dt.date, min_days: int = 0) -> int:
    """How many days from today a change of the line's rules may first apply: the longest minimum of
    the line's renewal and adverse-change rules not ended before today, of the line's lead days (the
    fallback) and of ``min_days`` (the new rule's). A case expiring later than that owes no notice
    today under any of them, so no notice already owed changes rule."""
    longest = max(
        NoticeRule.objects.filter(line=line, notice_type__in=[NoticeType.RENEWAL, NoticeType.ADVERSE_CHANGE])
        .exclude(effective_to__lt=today)
        .values_list("min_days", flat=True),
        default=0,
    )
    return max(longest, line.notice_lead_days, min_days)


def _locked_line(line_id: int) -> LineOfInsurance:
    line = LineOfInsurance.objects.select_for_update().filter(pk=line_id).first()
    if line is None:
        raise ApplicationError(_("Unknown line."), field="line", code=ErrorCode.NOT_FOUND, status=404)
    return line


@transaction.atomic
def notice_rule_create(
    *,
    actor,
    line_id: int,
    region: str,
    notice_type: str,
    min_days: int,
    max_days: int | None = None,
    rate_rise_percent=None,
    proof_channels: list[str],
    effective_from: dt.date,
    effective_to: dt.date | None = None,
    today: dt.date | None = None,
) -> NoticeRule:
    """A new version of the rule for (region, line, notice type), in force from ``effective_from``
    (today + owed_horizon_days or later). The version in force on that day is end-dated the day before; a version
    starting on or after it is refused (end-date that one first)."""
    _require_manager(actor)
    today = today or timezone.localdate()
    if region != ALL_REGIONS and region not in REGION_LABELS:
        raise ApplicationError(_("Choose a region from the list, or all."), field="region", code=ErrorCode.INVALID)
    if notice_type not in NoticeType.values:
        raise ApplicationError(_("Choose a notice type."), field="notice_type", code=ErrorCode.INVALID)
    line = _locked_line(line_id)
    _check_days(line, min_days, max_days)
    rise = _clean_rise(notice_type, rate_rise_percent)
    channels = _clean_channels(proof_channels)
    horizon = owed_horizon_days(line, today=today, min_days=min_days)
    if effective_from < today + dt.timedelta(days=horizon):
        raise ConflictError(
            _(
                "A rule can start on %(date)s at the earliest (%(days)s days from today, the longest minimum "
                "of this line's rules): notices already owed keep their rule."
            )
            % {"date": date_format(today + dt.timedelta(days=horizon), "SHORT_DATE_FORMAT"), "days": horizon},
            field="effective_from",
            code=NotificationsErrorCode.RULE_PAST,
        )
    if effective_to is not None and effective_to < effective_from:
        raise ConflictError(
            _("The last day must not be before the first."),
            field="effective_to",
            code=NotificationsErrorCode.RULE_WINDOW,
        )
    versions = NoticeRule.objects.filter(line=line, region=region, notice_type=notice_type)
    if versions.filter(effective_from__gte=effective_from).exists():
        raise ConflictError(
            _("A version of this rule starts on or after that day: end-date it first, or start later."),
            field="effective_from",
            code=NotificationsErrorCode.RULE_OVERLAP,
        )
    previous = versions.filter(effective_from__lt=effective_from).order_by("-effective_from").first()
    if previous is not None and (previous.effective_to is None or previous.effective_to >= effective_from):
        old_end = previous.effective_to
        previous.effective_to = effective_from - dt.timedelta(days=1)
        previous.save(update_fields=["effective_to"])
        _audit(actor, previous, {"effective_to": (old_end or "", previous.effective_to)})
    rule = NoticeRule.objects.create(
        line=line,
        region=region,
        notice_type=notice_type,
        min_days=min_days,
        max_days=max_days,
        rate_rise_percent=rise,
        proof_channels=channels,
        effective_from=effective_from,
        effective_to=effective_to,
        created_by=actor,
    )
    _audit(
        actor,
        rule,
        {
            "min_days": ("", min_days),
            "max_days": ("", "" if max_days is None else max_days),
            "rate_rise_percent": ("", "" if rise is None else rise),
            "proof_channels": ("", ", ".join(channels)),
            "effective_to": ("", effective_to or ""),
        },
    )
    return rule


@transaction.atomic
def notice_rule_end(*, actor, rule_id: int, effective_to: dt.date, today: dt.date | None = None) -> NoticeRule:
    """End-date a version: it stays in force for expiries up to ``effective_to`` (the day
    before today + owed_horizon_days or later, not before its first day). A version that already
    ended cannot be changed."""
    _require_manager(actor)
    today = today or timezone.localdate()
    rule = NoticeRule.objects.select_related("line").filter(pk=rule_id).first()
    if rule is None:
        raise ApplicationError(_("Notice rule not found."), code=ErrorCode.NOT_FOUND, status=404)
    _locked_line(rule.line_id)
    rule = NoticeRule.objects.select_for_update().select_related("line").get(pk=rule_id)
    if rule.effective_to is not None and rule.effective_to < today:
        raise ConflictError(
            _("This rule already ended; it cannot be changed."),
            field="effective_to",
            code=NotificationsErrorCode.RULE_PAST,
        )
    horizon = owed_horizon_days(rule.line, today=today)
    earliest = today + dt.timedelta(days=horizon - 1)
    if effective_to < earliest or effective_to < rule.effective_from:
        raise ConflictError(
            _(
                "The last day must be %(date)s or later (the day before %(days)s days from today, the longest "
                "minimum of this line's rules: notices already owed keep their rule), and not before the "
                "rule's first day."
            )
            % {"date": date_format(earliest, "SHORT_DATE_FORMAT"), "days": horizon},
            field="effective_to",
            code=NotificationsErrorCode.RULE_PAST,
        )
    later = NoticeRule.objects.filter(
        line_id=rule.line_id,
        region=rule.region,
        notice_type=rule.notice_type,
        effective_from__gt=rule.effective_from,
        effective_from__lte=effective_to,
    )
    if later.exists():
        raise ConflictError(
            _("A later version starts before that day."), field="effective_to", code=NotificationsErrorCode.RULE_OVERLAP
        )
    if rule.effective_to != effective_to:
        old_end = rule.effective_to
        rule.effective_to = effective_to
        rule.save(update_fields=["effective_to"])
        _audit(actor, rule, {"effective_to": (old_end or "", effective_to)})
    return rule


def line_rules_seed(*, line: LineOfInsurance, channels: list[str]) -> None:
    """A new line's default rules (region "all", every expiry), from its lead days and rate-shock
    threshold, like the migration that seeded the first lines; runs inside the line's save."""
    for notice_type, rise in (
        (NoticeType.RENEWAL, None),
        (NoticeType.ADVERSE_CHANGE, line.rate_shock_percent),
        (NoticeType.NON_RENEWAL, None),
    ):
        NoticeRule.objects.get_or_create(
            line=line,
            region=ALL_REGIONS,
            notice_type=notice_type,
            effective_from=DEFAULT_RULES_FROM,
            defaults={"min_days": line.notice_lead_days, "rate_rise_percent": rise, "proof_channels": channels},
        )
