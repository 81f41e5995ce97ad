"""Rollup tables the dashboard reads, the managers' KPI targets and the churn model runs.

Every rollup is a small cube: the finest grain groups by all five filter dimensions
(line, region, segment, channel, assignee) and coarser grains group by ``line`` plus a subset
of the other four. ``grain`` names the dimensions a row is grouped by ("" = line only,
"region+assignee", ...); a dimension outside the grain is stored as NULL and means "all".
A query with filters F and a breakdown B reads the grain F ∪ B, so an unfiltered year view
sums a few hundred rows instead of the finest grain. See docs/analytics.md.
"""

from decimal import Decimal

from django.conf import settings
from django.db import models
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

MONEY = {"max_digits": 18, "decimal_places": 2, "default": Decimal("0")}

# The filter dimensions beyond ``line``, in the order used to spell a grain.
GRAIN_DIMENSIONS = ("region", "segment", "channel", "assignee")
# The rollup column of each dimension.
DIMENSION_COLUMNS = {"region": "region", "segment": "segment", "channel": "channel", "assignee": "assignee_id"}


# The columns that name one cell of a rollup table (with the table's own key columns): unique, with
# NULL equal to NULL, so the incremental refresh can add deltas with INSERT … ON CONFLICT. The
# order serves the readers too (grain and dimensions equal, a range of months, then line and keys),
# so each table has this one index.
CELL_FIELDS = ("grain", "region", "segment", "channel", "assignee", "month", "line")


def cell_constraint(name: str, *keys: str, first: tuple[str, ...] = ()) -> models.UniqueConstraint:
    return models.UniqueConstraint(fields=[*first, *CELL_FIELDS, *keys], nulls_distinct=False, name=name)


class RollupDimensions(models.Model):
    grain = models.CharField(max_length=40)
    month = models.DateField(help_text="First day of the month the row counts.")
    line = models.ForeignKey("renewals.LineOfInsurance", on_delete=models.CASCADE, null=True, related_name="+")
    region = models.CharField(max_length=64, null=True)
    segment = models.CharField(max_length=16, null=True)
    channel = models.CharField(max_length=8, null=True)
    assignee = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.CASCADE, null=True, related_name="+")

    class Meta:
        abstract = True


class CaseRollup(RollupDimensions):
    """Renewal cases by expiry month, stage and lost reason."""

    stage = models.CharField(max_length=16)
    lost_reason = models.ForeignKey("renewals.LostReason", on_delete=models.CASCADE, null=True, related_name="+")
    cases = models.IntegerField(default=0)
    contacted = models.IntegerField(default=0)
    quoted = models.IntegerField(default=0)
    expiring_premium = models.DecimalField(**MONEY)
    successor_premium = models.DecimalField(**MONEY)

    class Meta:
        constraints = [cell_constraint("case_rollup_cell", "stage", "lost_reason")]


class CaseDaysRollup(RollupDimensions):
    """Histograms of whole days per case, by expiry month: medians cannot be summed, counts can."""

    class Kind(models.TextChoices):
        FIRST_CONTACT = "contact", _("Days from open to first contact")
        CYCLE = "cycle", _("Days from open to decision")

    kind = models.CharField(max_length=8, choices=Kind.choices)
    days = models.IntegerField()
    cases = models.IntegerField(default=0)

    class Meta:
        constraints = [cell_constraint("case_days_rollup_cell", "days", first=("kind",))]


class ComplaintRollup(RollupDimensions):
    """Complaints by month received and category."""

    category = models.ForeignKey("customers.ComplaintCategory", on_delete=models.CASCADE, related_name="+")
    complaints = models.IntegerField(default=0)

    class Meta:
        constraints = [cell_constraint("complaint_rollup_cell", "category")]


class ComplaintResolutionRollup(RollupDimensions):
    """Complaints by month resolved, whole days to resolve, within SLA and upheld."""

    days = models.IntegerField()
    within_sla = models.BooleanField()
    upheld = models.BooleanField(null=True)
    complaints = models.IntegerField(default=0)

    class Meta:
        constraints = [cell_constraint("complaint_res_rollup_cell", "days", "within_sla", "upheld")]


class SurveyRollup(RollupDimensions):
    """NPS answers by month received and score (0..10)."""

    score = models.PositiveSmallIntegerField()
    responses = models.IntegerField(default=0)

    class Meta:
        constraints = [cell_constraint("survey_rollup_cell", "score")]


class PolicyRollup(RollupDimensions):
    """Policies starting and leaving force per month (cancelled ones excluded).

    A policy is in force on day D when start_date ≤ D ≤ end_date (end_date is the last day of
    cover), so ``ends`` counts it in the month of end_date + 1 day, and in force on the last day
    of month M = Σ starts up to M − Σ ends up to M.
    """

    starts = models.IntegerField(default=0)
    ends = models.IntegerField(default=0)
    start_premium = models.DecimalField(**MONEY)
    renewal_start_premium = models.DecimalField(**MONEY)

    class Meta:
        constraints = [cell_constraint("policy_rollup_cell")]


class FactDimensions(models.Model):
    """One row per source row (case, policy, complaint, answer) as the rollups last counted it.

    The incremental refresh subtracts a changed row's old fact and adds its new one, so only the
    rollup cells that row was or is in move (docs/analytics.md "How the rollups stay in step").
    The KPI API also reads the edge days of a period that starts or ends inside a month from here:
    one table with the day and every filter dimension, no joins. ``id`` is the source row's id.
    """

    id = models.BigIntegerField(primary_key=True)
    line_id = models.BigIntegerField(null=True)
    region = models.CharField(max_length=64, null=True)
    segment = models.CharField(max_length=16, null=True)
    channel = models.CharField(max_length=8, null=True)
    assignee_id = models.BigIntegerField(null=True)

    class Meta:
        abstract = True


class CaseFact(FactDimensions):
    due_date = models.DateField()
    month = models.DateField()
    stage = models.CharField(max_length=16)
    lost_reason_id = models.BigIntegerField(null=True)
    contacted = models.BooleanField()
    quoted = models.BooleanField()
    expiring_premium = models.DecimalField(**MONEY)
    successor_premium = models.DecimalField(**MONEY)
    contact_days = models.IntegerField(null=True)
    cycle_days = models.IntegerField(null=True)

    class Meta:
        indexes = [models.Index(fields=["due_date"], name="case_fact_due_idx")]


class PolicyFact(FactDimensions):
    """A policy that counts (not cancelled): starts in ``start_month``, leaves force in ``end_month``."""

    start_date = models.DateField()
    out_of_force_on = models.DateField()
    start_month = models.DateField()
    end_month = models.DateField()
    premium = models.DecimalField(**MONEY)
    renewal_premium = models.DecimalField(**MONEY)

    class Meta:
        indexes = [
            models.Index(fields=["start_date"], name="policy_fact_start_idx"),
            models.Index(fields=["out_of_force_on"], name="policy_fact_out_idx"),
        ]


class ComplaintFact(FactDimensions):
    received_at = models.DateTimeField()
    received_month = models.DateField()
    resolved_at = models.DateTimeField(null=True)
    resolved_month = models.DateField(null=True)
    category_id = models.BigIntegerField()
    days = models.IntegerField(null=True)
    within_sla = models.BooleanField(null=True)
    upheld = models.BooleanField(null=True)

    class Meta:
        indexes = [
            models.Index(fields=["received_at"], name="complaint_fact_received_idx"),
            models.Index(fields=["resolved_at"], name="complaint_fact_resolved_idx"),
        ]


class SurveyFact(FactDimensions):
    responded_at = models.DateTimeField()
    month = models.DateField()
    score = models.PositiveSmallIntegerField()

    class Meta:
        indexes = [models.Index(fields=["responded_at"], name="survey_fact_responded_idx")]


class RollupState(models.Model):
    """One row: the incremental refresh's watermarks."""

    name = models.CharField(max_length=32, unique=True)
    refreshed_at = models.DateTimeField(null=True)
    rebuilt_at = models.DateTimeField(null=True)
    last_survey_id = models.BigIntegerField(default=0)
    months_refreshed = models.PositiveIntegerField(default=0)


class Kpi(models.TextChoices):
    """The KPIs a manager can set a target for; ``HIGHER_IS_BETTER`` colours the tiles."""

    RENEWAL_RATE = "renewal_rate", _("Renewal rate")
    PREMIUM_RETENTION = "premium_retention", _("Premium retention")
    CONTACTED_SHARE = "contacted_share", _("Contacted share")
    MEDIAN_DAYS_TO_CONTACT = "median_days_to_contact", _("Median days to first contact")
    NPS = "nps", _("NPS")
    COMPLAINT_RATE = "complaint_rate_per_1000", _("Complaints per 1,000 policies")
    MEDIAN_DAYS_TO_RESOLVE = "median_days_to_resolve", _("Median days to resolve a complaint")
    RESOLVED_WITHIN_SLA = "resolved_within_sla_share", _("Complaints resolved within SLA")
    UPHELD_SHARE = "upheld_share", _("Complaints upheld")
    RENEWAL_PREMIUM_SHARE = "renewal_premium_share", _("Renewal premium share")
    HIGH_VALUE_RETENTION = "high_value_renewal_rate", _("High-value/VIP renewal rate")


LOWER_IS_BETTER = {
    Kpi.MEDIAN_DAYS_TO_CONTACT,
    Kpi.COMPLAINT_RATE,
    Kpi.MEDIAN_DAYS_TO_RESOLVE,
    Kpi.UPHELD_SHARE,
}
# Shares are entered and shown as percentages; the others as plain numbers.
PERCENT_KPIS = {
    Kpi.RENEWAL_RATE,
    Kpi.PREMIUM_RETENTION,
    Kpi.CONTACTED_SHARE,
    Kpi.RESOLVED_WITHIN_SLA,
    Kpi.UPHELD_SHARE,
    Kpi.RENEWAL_PREMIUM_SHARE,
    Kpi.HIGH_VALUE_RETENTION,
}


class KpiTarget(models.Model):
    """A manager's target for one KPI (shares stored as 0..1, NPS as −100..100)."""

    kpi = models.CharField(_("KPI"), max_length=32, choices=Kpi.choices, unique=True)
    value = models.DecimalField(_("target"), max_digits=10, decimal_places=4)
    updated_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.SET_NULL, null=True, blank=True, related_name="+"
    )
    updated_at = models.DateTimeField(default=timezone.now)

    class Meta:
        verbose_name = _("KPI target")
        verbose_name_plural = _("KPI targets")

    def __str__(self):
        return f"{self.kpi}={self.value}"


class ChurnModelRun(models.Model):
    """One nightly fit of the churn model: its quality on held-out cases and what it scored."""

    class Status(models.TextChoices):
        FITTED = "fitted", _("Fitted")
        TOO_LITTLE_HISTORY = "too_little_history", _("Too little history")

    fitted_at = models.DateTimeField(default=timezone.now)
    status = models.CharField(max_length=24, choices=Status.choices)
    decided_cases = models.PositiveIntegerField(default=0)
    train_cases = models.PositiveIntegerField(default=0)
    test_cases = models.PositiveIntegerField(default=0)
    auc = models.FloatField(null=True)
    scored_cases = models.PositiveIntegerField(default=0)
    # Feature name → coefficient, for the model page.
    coefficients = models.JSONField(default=dict)
    # The time split (cutoff date) and the reliability bins of the held-out period, for the model page.
    diagnostics = models.JSONField(default=dict, blank=True)
    message = models.TextField(blank=True)

    class Meta:
        ordering = ["-fitted_at", "-id"]
        get_latest_by = "fitted_at"


# The Team page's models (issue 15) live in their own package; importing them registers them here.
from .team.models import (  # noqa: E402, F401
    SpecialistCapacity,
    TeamDayRollup,
    TeamForecast,
    TeamRollup,
    TeamSettings,
    TeamSettingsChange,
)
