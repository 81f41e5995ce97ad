"""The Team page's settings (unit costs, scorecard weights, capacity), its audit and its rollups.

Imported by ``analytics/models.py`` so that Django registers them in the analytics app.
"""

from decimal import Decimal

from django.conf import settings
from django.core.validators import MaxValueValidator, MinValueValidator
from django.db import models
from django.db.models import Q
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from ..models import MONEY, RollupDimensions

UNIT_COST = {"max_digits": 10, "decimal_places": 2, "validators": [MinValueValidator(Decimal("0"))]}
WEIGHT = {"default": 1, "validators": [MinValueValidator(0), MaxValueValidator(10)]}


class TeamSettings(models.Model):
    """One row (``TeamSettings.load()``): what a contact costs and how the scorecard weighs its parts.

    A logged call carries no duration, so a call (a call task done, or a phone contact logged) is
    priced as ``minutes_per_call`` × the call-minute cost.
    """

    sms_cost = models.DecimalField(_("SMS (per message)"), default=Decimal("0.05"), **UNIT_COST)
    email_cost = models.DecimalField(_("E-mail (per message)"), default=Decimal("0.01"), **UNIT_COST)
    call_minute_cost = models.DecimalField(_("Call (per minute)"), default=Decimal("0.50"), **UNIT_COST)
    letter_cost = models.DecimalField(_("Letter (per letter)"), default=Decimal("3.00"), **UNIT_COST)
    minutes_per_call = models.DecimalField(
        _("Minutes per call"),
        max_digits=5,
        decimal_places=1,
        default=Decimal("5.0"),
        validators=[MinValueValidator(Decimal("0")), MaxValueValidator(Decimal("600"))],
    )
    processing_time_target_percent = models.SmallIntegerField(
        _("Processing time target (% against the same month a year earlier)"),
        default=-30,
        validators=[MinValueValidator(-100), MaxValueValidator(100)],
    )
    weight_renewal_rate = models.PositiveSmallIntegerField(_("Renewal rate"), **WEIGHT)
    weight_premium_retention = models.PositiveSmallIntegerField(_("Premium retention"), **WEIGHT)
    weight_nps = models.PositiveSmallIntegerField(_("NPS"), **WEIGHT)
    weight_complaints = models.PositiveSmallIntegerField(_("Complaints per 100 cases"), **WEIGHT)
    weight_notice_compliance = models.PositiveSmallIntegerField(_("Notice compliance"), **WEIGHT)
    weight_processing_time = models.PositiveSmallIntegerField(_("Processing time"), **WEIGHT)
    updated_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.SET_NULL, null=True, blank=True, related_name="+"
    )
    updated_at = models.DateTimeField(default=timezone.now)

    class Meta:
        verbose_name = _("team settings")
        verbose_name_plural = _("team settings")
        constraints = [models.CheckConstraint(condition=Q(pk=1), name="team_settings_one_row")]

    @classmethod
    def load(cls) -> "TeamSettings":
        """The one row, with its defaults when managers never saved it (nothing is written)."""
        return cls.objects.filter(pk=1).first() or cls(pk=1)


class SpecialistCapacity(models.Model):
    """How many new cases a week a specialist can take (managers set it; none = not planned)."""

    user = models.OneToOneField(settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="team_capacity")
    cases_per_week = models.PositiveIntegerField(
        _("cases per week"), validators=[MinValueValidator(0), MaxValueValidator(10_000)]
    )
    updated_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.SET_NULL, null=True, blank=True, related_name="+"
    )
    updated_at = models.DateTimeField(default=timezone.now)

    class Meta:
        verbose_name = _("specialist capacity")
        verbose_name_plural = _("specialist capacities")
        constraints = [models.CheckConstraint(condition=Q(cases_per_week__lte=10_000), name="capacity_sane")]


class TeamSettingsChange(models.Model):
    """Audit of the Team settings and of every bulk rebalance (who, when, what moved)."""

    class Kind(models.TextChoices):
        SETTINGS = "settings", _("Settings")
        CAPACITY = "capacity", _("Capacity")
        REBALANCE = "rebalance", _("Rebalance")

    actor = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.SET_NULL, null=True, related_name="+")
    kind = models.CharField(max_length=16, choices=Kind.choices)
    changes = models.JSONField(default=dict)
    created_at = models.DateTimeField(default=timezone.now)

    class Meta:
        ordering = ["-created_at", "-id"]


def _count(label=None):
    return models.PositiveIntegerField(label, default=0, db_default=0)


class TeamRollup(RollupDimensions):
    """Team figures per month and the five dimensions (a cube like the dashboard's rollups).

    Every metric counts by the case's expiry month (the cohort) except ``output_decided``, which
    counts decisions by the month they were made (output per head is about when work was done).
    Each source inserts its own rows; readers sum them (see analytics/team/rollup.py).
    """

    cases = _count()
    renewed = _count()
    decided = _count()
    decided_expiring_premium = models.DecimalField(**MONEY, db_default=Decimal("0"))
    successor_premium = models.DecimalField(**MONEY, db_default=Decimal("0"))
    cycle_days = _count()
    cycle_cases = _count()
    contact_days = _count()
    contact_cases = _count()
    contacts_logged = _count()
    phone_contacts = _count()
    quotes = _count()
    calls_made = _count()
    emails_sent = _count()
    sms_sent = _count()
    letters_sent = _count()
    nps_responses = _count()
    promoters = _count()
    detractors = _count()
    complaints = _count()
    notice_due = _count()
    notice_on_time = _count()
    output_decided = _count()

    class Meta:
        indexes = [
            models.Index(fields=["month", "grain"], name="team_rollup_month_idx"),
            models.Index(fields=["grain", "region", "segment", "channel", "assignee", "month"], name="team_rollup_idx"),
        ]


class TeamDayRollup(RollupDimensions):
    """The team rollup's finest grain per day: ``month`` holds the day (the expiry day, or for
    ``output_decided`` the day of the decision), every dimension its value. The KPI API reads the
    edge days of a period that starts or ends inside a month from here (one index range, no joins);
    rebuilt with the team rollup (analytics/team/services.py).
    """

    cases = _count()
    renewed = _count()
    decided = _count()
    decided_expiring_premium = models.DecimalField(**MONEY, db_default=Decimal("0"))
    successor_premium = models.DecimalField(**MONEY, db_default=Decimal("0"))
    cycle_days = _count()
    cycle_cases = _count()
    contact_days = _count()
    contact_cases = _count()
    contacts_logged = _count()
    phone_contacts = _count()
    quotes = _count()
    calls_made = _count()
    emails_sent = _count()
    sms_sent = _count()
    letters_sent = _count()
    nps_responses = _count()
    promoters = _count()
    detractors = _count()
    complaints = _count()
    notice_due = _count()
    notice_on_time = _count()
    output_decided = _count()

    class Meta:
        indexes = [models.Index(fields=["month"], name="team_day_rollup_day_idx")]


class TeamForecast(models.Model):
    """Cases expected to open per week and line/region (policies × their line's window), as of ``computed_on``."""

    computed_on = models.DateField()
    week = models.DateField(help_text="Monday of the week the cases open.")
    line = models.ForeignKey("renewals.LineOfInsurance", on_delete=models.CASCADE, related_name="+")
    region = models.CharField(max_length=64)
    cases = models.PositiveIntegerField(default=0)

    class Meta:
        indexes = [models.Index(fields=["week"], name="team_forecast_week_idx")]
