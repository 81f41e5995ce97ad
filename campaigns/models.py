"""Lifecycle history, win-back campaigns and randomised experiments with hold-outs.

The customer's current stage is ``customers.Customer.lifecycle_stage`` (the customer list and API
filter on it); this app derives it (``services/lifecycle.py``) and keeps every change here.
"""

from decimal import Decimal

from django.conf import settings
from django.core.validators import MaxValueValidator, MinValueValidator
from django.db import models
from django.db.models import F, Q
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from customers.models import Customer

LifecycleStage = Customer.LifecycleStage
# A line without its own setting: a customer with no policy in force for this long is dormant.
DEFAULT_DORMANT_MONTHS = 12


class LineLifecycleSetting(models.Model):
    """Per line: after how many months without a policy in force a lapsed customer is dormant."""

    line = models.OneToOneField(
        "renewals.LineOfInsurance", on_delete=models.CASCADE, related_name="lifecycle_setting", verbose_name=_("line")
    )
    dormant_after_months = models.PositiveSmallIntegerField(
        _("dormant after (months)"),
        default=DEFAULT_DORMANT_MONTHS,
        validators=[MinValueValidator(1), MaxValueValidator(120)],
        help_text=_("A lapsed customer becomes dormant after this many months without a policy in force."),
    )
    updated_at = models.DateTimeField(auto_now=True)

    class Meta:
        verbose_name = _("lifecycle setting")
        verbose_name_plural = _("lifecycle settings")
        constraints = [
            models.CheckConstraint(
                condition=Q(dormant_after_months__gte=1) & Q(dormant_after_months__lte=120),
                name="lifecycle_dormant_months_range",
                violation_error_message=_("Dormant after (months): between 1 and 120."),
            )
        ]


class LifecycleChange(models.Model):
    """One stage change of one customer, written by the nightly refresh (from "" on the first run)."""

    customer = models.ForeignKey(Customer, on_delete=models.CASCADE, related_name="lifecycle_changes")
    from_stage = models.CharField(_("from"), max_length=16, choices=LifecycleStage.choices, blank=True)
    to_stage = models.CharField(_("to"), max_length=16, choices=LifecycleStage.choices)
    changed_on = models.DateField(_("date"))

    class Meta:
        verbose_name = _("lifecycle change")
        verbose_name_plural = _("lifecycle changes")
        indexes = [
            models.Index(fields=["customer", "-changed_on"], name="lifecycle_customer_idx"),
            # The dashboard's flows per month.
            models.Index(fields=["changed_on"], name="lifecycle_changed_on_idx"),
        ]

    @property
    def from_label(self):
        return LifecycleStage(self.from_stage).label if self.from_stage else "—"

    @property
    def to_label(self):
        return LifecycleStage(self.to_stage).label


# --- campaigns ------------------------------------------------------------------------------


class Campaign(models.Model):
    """A win-back campaign: a target over the book, message steps, an offer, and a window."""

    class Status(models.TextChoices):
        DRAFT = "draft", _("Draft")
        RUNNING = "running", _("Running")
        FINISHED = "finished", _("Finished")

    name = models.CharField(_("name"), max_length=120)
    status = models.CharField(_("status"), max_length=10, choices=Status.choices, default=Status.DRAFT)
    # Target: an empty list means "any".
    stages = models.JSONField(_("lifecycle stages"), default=list, blank=True)
    lines = models.ManyToManyField("renewals.LineOfInsurance", blank=True, related_name="+", verbose_name=_("lines"))
    regions = models.JSONField(_("regions"), default=list, blank=True)
    segments = models.JSONField(_("segments"), default=list, blank=True)
    lost_reasons = models.ManyToManyField(
        "renewals.LostReason", blank=True, related_name="+", verbose_name=_("lost reasons")
    )
    min_last_premium = models.DecimalField(
        _("last premium at least"), max_digits=14, decimal_places=2, null=True, blank=True
    )
    max_last_premium = models.DecimalField(
        _("last premium at most"), max_digits=14, decimal_places=2, null=True, blank=True
    )
    min_months_since = models.PositiveSmallIntegerField(
        _("months since last policy, at least"), null=True, blank=True, validators=[MaxValueValidator(600)]
    )
    max_months_since = models.PositiveSmallIntegerField(
        _("months since last policy, at most"), null=True, blank=True, validators=[MaxValueValidator(600)]
    )
    reachable_only = models.BooleanField(
        _("only customers we may contact"),
        default=False,
        help_text=_("Leave out customers with no consent or no address (they count as unreachable otherwise)."),
    )
    offer_discount_percent = models.DecimalField(
        _("returning-customer discount (%)"),
        max_digits=5,
        decimal_places=2,
        default=Decimal("0"),
        validators=[MinValueValidator(Decimal("0")), MaxValueValidator(Decimal("50"))],
    )
    starts_on = models.DateField(_("starts on"))
    ends_on = models.DateField(_("ends on"))
    created_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.SET_NULL, null=True, blank=True, related_name="+"
    )
    created_at = models.DateTimeField(default=timezone.now, editable=False)
    started_at = models.DateTimeField(null=True, blank=True)
    finished_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        ordering = ["-created_at", "-id"]
        verbose_name = _("campaign")
        verbose_name_plural = _("campaigns")
        constraints = [
            models.CheckConstraint(
                condition=Q(ends_on__gte=F("starts_on")),
                name="campaign_ends_after_start",
                violation_error_message=_("Ends on: must not be before the start."),
            ),
            models.CheckConstraint(
                condition=Q(offer_discount_percent__gte=0) & Q(offer_discount_percent__lte=50),
                name="campaign_discount_0_50",
                violation_error_message=_("Returning-customer discount (%): between 0 and 50."),
            ),
        ]

    def __str__(self):
        return self.name


class CampaignStep(models.Model):
    """One message of the campaign's sequence, ``offset_days`` after the customer joined."""

    class Channel(models.TextChoices):
        EMAIL = "email", _("Email")
        SMS = "sms", _("SMS")
        # A to-do for a specialist (assigned by the usual balancing); the text is the call's brief.
        CALL = "call", _("Call task")

    campaign = models.ForeignKey(Campaign, on_delete=models.CASCADE, related_name="steps")
    offset_days = models.PositiveSmallIntegerField(_("days after start"), validators=[MaxValueValidator(365)])
    channel = models.CharField(_("channel"), max_length=8, choices=Channel.choices)
    body = models.TextField(_("message"), max_length=1000)

    class Meta:
        ordering = ["offset_days", "id"]
        verbose_name = _("campaign step")
        verbose_name_plural = _("campaign steps")
        constraints = [
            models.UniqueConstraint(fields=["campaign", "offset_days", "channel"], name="campaign_step_unique")
        ]


class CampaignMember(models.Model):
    """A targeted customer and what came of it (matched automatically by ``run_campaigns``)."""

    class Outcome(models.TextChoices):
        PENDING = "pending", _("Waiting")
        REACTIVATED = "reactivated", _("Reactivated")
        DECLINED = "declined", _("Declined")
        NO_RESPONSE = "no_response", _("No response")
        UNREACHABLE = "unreachable", _("Unreachable")

    campaign = models.ForeignKey(Campaign, on_delete=models.CASCADE, related_name="members")
    customer = models.ForeignKey(Customer, on_delete=models.CASCADE, related_name="+", db_index=False)
    stage_at_start = models.CharField(max_length=16, choices=LifecycleStage.choices, blank=True)
    region = models.CharField(max_length=64)
    reachable = models.BooleanField(default=True)
    outcome = models.CharField(_("outcome"), max_length=12, choices=Outcome.choices, default=Outcome.PENDING)
    outcome_on = models.DateField(null=True, blank=True)
    # The new policy that reactivated the customer (renewals.Policy, by id: matched from imports too).
    policy_id = models.BigIntegerField(null=True, blank=True)
    premium = models.DecimalField(max_digits=14, decimal_places=2, null=True, blank=True)
    # Set when the campaign runs as an experiment: the arm the customer was randomised to.
    arm = models.ForeignKey("Arm", on_delete=models.PROTECT, null=True, blank=True, related_name="+")
    enrolled_on = models.DateField()
    # The specialist who makes the campaign's calls to this customer (balanced at the first call step).
    call_assignee = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.SET_NULL, null=True, blank=True, related_name="+", db_index=False
    )

    class Meta:
        verbose_name = _("campaign member")
        verbose_name_plural = _("campaign members")
        constraints = [models.UniqueConstraint(fields=["campaign", "customer"], name="campaign_member_unique")]
        indexes = [
            models.Index(fields=["campaign", "outcome"], name="campaign_member_outcome_idx"),
            # The customer page's campaigns (and the offer a specialist can make them).
            models.Index(fields=["customer"], name="campaign_member_customer_idx"),
        ]


class CampaignMessage(models.Model):
    """A planned campaign message; ``outbox_message_id`` links to notifications' outbox row once it is
    handed over (campaigns sits above notifications, so the link is kept here, not there)."""

    member = models.ForeignKey(CampaignMember, on_delete=models.CASCADE, related_name="messages")
    step = models.ForeignKey(CampaignStep, on_delete=models.CASCADE, related_name="+")
    due_date = models.DateField()
    skip_reason = models.CharField(max_length=16, blank=True)
    outbox_message_id = models.BigIntegerField(null=True, blank=True)

    class Meta:
        verbose_name = _("campaign message")
        verbose_name_plural = _("campaign messages")
        constraints = [models.UniqueConstraint(fields=["member", "step"], name="campaign_message_unique")]


# --- experiments ----------------------------------------------------------------------------


class Experiment(models.Model):
    """A randomised comparison of arms against a hold-out that gets only the statutory notice."""

    class Kind(models.TextChoices):
        SCHEDULE = "schedule", _("Reminder schedule")
        CAMPAIGN = "campaign", _("Campaign")

    class Status(models.TextChoices):
        DRAFT = "draft", _("Draft")
        RUNNING = "running", _("Running")
        STOPPED = "stopped", _("Stopped")
        DECIDED = "decided", _("Winner declared")

    name = models.CharField(_("name"), max_length=120)
    kind = models.CharField(_("kind"), max_length=10, choices=Kind.choices, default=Kind.SCHEDULE)
    line = models.ForeignKey(
        "renewals.LineOfInsurance",
        on_delete=models.PROTECT,
        null=True,
        blank=True,
        related_name="+",
        verbose_name=_("line"),
    )
    campaign = models.OneToOneField(
        Campaign, on_delete=models.PROTECT, null=True, blank=True, related_name="experiment", verbose_name=_("campaign")
    )
    status = models.CharField(_("status"), max_length=10, choices=Status.choices, default=Status.DRAFT)
    holdout_percent = models.PositiveSmallIntegerField(
        _("hold-out (%)"), default=10, validators=[MinValueValidator(1), MaxValueValidator(50)]
    )
    min_sample_per_arm = models.PositiveIntegerField(
        _("minimum decided per arm"),
        default=200,
        validators=[MinValueValidator(20), MaxValueValidator(1_000_000)],
        help_text=_("Figures show as “not enough data yet” until every arm has this many decided cases."),
    )
    planned_sample_per_arm = models.PositiveIntegerField(
        _("planned decided per arm"), default=0, validators=[MaxValueValidator(10_000_000)]
    )
    baseline_rate = models.DecimalField(
        _("expected rate today (%)"), max_digits=5, decimal_places=2, default=Decimal("80")
    )
    min_effect_points = models.DecimalField(
        _("smallest difference worth finding (points)"), max_digits=5, decimal_places=2, default=Decimal("3")
    )
    # The seed of the assignment hash: fixed at creation, so enrolment is reproducible.
    seed = models.CharField(max_length=32, editable=False)
    created_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.SET_NULL, null=True, blank=True, related_name="+"
    )
    created_at = models.DateTimeField(default=timezone.now, editable=False)
    started_at = models.DateTimeField(null=True, blank=True)
    stopped_at = models.DateTimeField(null=True, blank=True)
    winner = models.ForeignKey("Arm", on_delete=models.PROTECT, null=True, blank=True, related_name="+")

    class Meta:
        ordering = ["-created_at", "-id"]
        verbose_name = _("experiment")
        verbose_name_plural = _("experiments")
        constraints = [
            # One running schedule experiment per line: a case can only follow one schedule.
            models.UniqueConstraint(
                fields=["line"],
                condition=Q(status="running", kind="schedule"),
                name="experiment_one_running_per_line",
                violation_error_message=_("This line already has a running experiment."),
            ),
            models.CheckConstraint(
                condition=Q(kind="campaign", campaign__isnull=False) | Q(kind="schedule", line__isnull=False),
                name="experiment_has_subject",
            ),
            models.CheckConstraint(
                condition=Q(holdout_percent__gte=1) & Q(holdout_percent__lte=50),
                name="experiment_holdout_1_50",
                violation_error_message=_("Hold-out (%): between 1 and 50."),
            ),
        ]

    def __str__(self):
        return self.name


class Arm(models.Model):
    """One arm. A schedule arm sends the line's steps listed in ``steps`` (all of them when
    ``all_steps``); the hold-out gets only the statutory notice, whatever else is set."""

    experiment = models.ForeignKey(Experiment, on_delete=models.CASCADE, related_name="arms")
    code = models.SlugField(_("code"), max_length=32)
    name = models.CharField(_("name"), max_length=80)
    is_holdout = models.BooleanField(_("hold-out"), default=False)
    # Relative share among the non-hold-out arms (the hold-out's share is the experiment's percent).
    weight = models.PositiveSmallIntegerField(_("share"), default=1, validators=[MinValueValidator(1)])
    all_steps = models.BooleanField(_("every step of the line"), default=True)
    steps = models.ManyToManyField(
        "notifications.ReminderStep", blank=True, related_name="+", verbose_name=_("reminder steps")
    )
    # A template arm: its cases' reminders (not the statutory notice) use this text instead of the
    # steps' templates, in every language (blank: the steps' own templates).
    reminder_subject = models.CharField(_("reminder subject"), max_length=200, blank=True)
    reminder_body = models.TextField(_("reminder text"), max_length=2000, blank=True)
    # An earlier-call arm: its cases also get this call step of the line (made for the experiment,
    # planned only for this arm's cases until the arm is declared the winner).
    call_step = models.ForeignKey(
        "notifications.ReminderStep",
        on_delete=models.PROTECT,
        null=True,
        blank=True,
        related_name="+",
        verbose_name=_("extra call task"),
    )

    class Meta:
        ordering = ["experiment", "is_holdout", "id"]
        verbose_name = _("arm")
        verbose_name_plural = _("arms")
        constraints = [
            models.UniqueConstraint(fields=["experiment", "code"], name="arm_code_unique"),
            models.UniqueConstraint(
                fields=["experiment"], condition=Q(is_holdout=True), name="arm_one_holdout_per_experiment"
            ),
        ]

    def __str__(self):
        return self.name


class Enrolment(models.Model):
    """A case (schedule experiments) or customer (campaign experiments) randomised to an arm.

    Written once at enrolment and never changed (no service updates it)."""

    experiment = models.ForeignKey(Experiment, on_delete=models.CASCADE, related_name="enrolments")
    arm = models.ForeignKey(Arm, on_delete=models.PROTECT, related_name="enrolments")
    case = models.ForeignKey(
        "renewals.RenewalCase", on_delete=models.CASCADE, null=True, blank=True, related_name="+", db_index=False
    )
    customer = models.ForeignKey(Customer, on_delete=models.CASCADE, related_name="+", db_index=False)
    stratum = models.CharField(max_length=64)
    enrolled_at = models.DateTimeField(default=timezone.now)

    class Meta:
        verbose_name = _("enrolment")
        verbose_name_plural = _("enrolments")
        constraints = [
            models.UniqueConstraint(
                fields=["experiment", "case"], condition=Q(case__isnull=False), name="enrolment_one_per_case"
            ),
            models.UniqueConstraint(
                fields=["experiment", "customer"], condition=Q(case__isnull=True), name="enrolment_one_per_customer"
            ),
        ]
        indexes = [
            # Planning's question "which arm is this case in?".
            models.Index(fields=["case"], condition=Q(case__isnull=False), name="enrolment_case_idx"),
            models.Index(fields=["experiment", "arm"], name="enrolment_arm_idx"),
        ]


class ExperimentEvent(models.Model):
    """The experiment's audit trail: started, stopped, winner declared (and what it changed)."""

    class Kind(models.TextChoices):
        STARTED = "started", _("Started")
        STOPPED = "stopped", _("Stopped")
        WINNER = "winner", _("Winner declared")

    experiment = models.ForeignKey(Experiment, on_delete=models.CASCADE, related_name="events")
    kind = models.CharField(max_length=10, choices=Kind.choices)
    actor = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.SET_NULL, null=True, related_name="+")
    payload = models.JSONField(default=dict, blank=True)
    at = models.DateTimeField(default=timezone.now)

    class Meta:
        ordering = ["-at", "-id"]
        verbose_name = _("experiment event")
        verbose_name_plural = _("experiment events")
