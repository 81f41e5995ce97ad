import datetime as dt
from decimal import Decimal

from django.conf import settings
from django.core.validators import MaxValueValidator, MinValueValidator
from django.db import models
from django.db.models import F, Q
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from core.models import LocalizedNameMixin
from customers.models import Customer
from renewals import notice_deadline as notice_deadlines

MONEY = {"max_digits": 14, "decimal_places": 2}


class LineOfInsurance(LocalizedNameMixin):
    """A line (auto, health, property, ...) with its renewal calendar."""

    code = models.SlugField(_("code"), max_length=32, unique=True)
    renewal_window_days = models.PositiveSmallIntegerField(
        _("renewal window (days)"), help_text=_("A case opens this many days before expiry.")
    )
    grace_days = models.PositiveSmallIntegerField(
        _("grace period (days)"), help_text=_("Days after expiry before an undecided case lapses.")
    )
    notice_lead_days = models.PositiveSmallIntegerField(
        _("statutory notice lead (days)"),
        help_text=_("The renewal notice must have gone out at least this many days before expiry."),
    )
    term_months = models.PositiveSmallIntegerField(_("default term (months)"), default=12)
    # A quote raising the premium by more than this is a rate shock: flagged on the case page and
    # the queue so specialists call those customers first (documents explain the rise).
    rate_shock_percent = models.DecimalField(
        _("rate shock above (%)"),
        max_digits=5,
        decimal_places=2,
        default=Decimal("10.00"),
        validators=[MinValueValidator(Decimal("0")), MaxValueValidator(Decimal("1000"))],
        help_text=_("A quoted rise above this share of the expiring premium is flagged for a call."),
    )
    active = models.BooleanField(_("active"), default=True)
    sort_order = models.PositiveSmallIntegerField(_("sort order"), default=0)

    class Meta:
        ordering = ["sort_order", "code"]
        verbose_name = _("line of insurance")
        verbose_name_plural = _("lines of insurance")
        constraints = [
            models.CheckConstraint(
                condition=Q(notice_lead_days__lte=F("renewal_window_days")),
                name="line_notice_inside_window",
                violation_error_message=_("Statutory notice lead (days): must not be longer than the renewal window."),
            ),
            models.CheckConstraint(
                condition=Q(term_months__gte=1),
                name="line_term_positive",
                violation_error_message=_("Default term (months): must be at least 1."),
            ),
        ]

    def notice_deadline(self, due_date: dt.date) -> dt.date:
        """The last day a renewal notice for a policy expiring on ``due_date`` may go out."""
        return due_date - dt.timedelta(days=self.notice_lead_days)

    def is_rate_shock(self, expiring: Decimal, new: Decimal) -> bool:
        """The rate-shock rule (its SQL twin is ``rate_shock_q``): a rise above rate_shock_percent."""
        return expiring > 0 and (new - expiring) * 100 > expiring * self.rate_shock_percent


def rate_shock_q(prefix: str = "") -> Q:
    """Cases (``prefix`` to reach one) whose current quote is a rate shock for their line."""
    return Q(
        **{
            f"{prefix}expiring_premium__gt": 0,
            f"{prefix}current_quote__premium__gt": F(f"{prefix}expiring_premium")
            * (1 + F(f"{prefix}line__rate_shock_percent") / 100),
        }
    )


class LostReason(LocalizedNameMixin):
    """Why a case was lost or not offered; the list is edited by managers."""

    class Kind(models.TextChoices):
        LOST = "lost", _("Customer left")
        NOT_OFFERED = "not_offered", _("Insurer declined")

    code = models.SlugField(_("code"), max_length=32, unique=True)
    kind = models.CharField(_("used for"), max_length=16, choices=Kind.choices, default=Kind.LOST)
    active = models.BooleanField(_("active"), default=True)
    sort_order = models.PositiveSmallIntegerField(_("sort order"), default=0)

    class Meta:
        ordering = ["kind", "sort_order", "code"]
        verbose_name = _("lost reason")
        verbose_name_plural = _("lost reasons")


class Policy(models.Model):
    class Channel(models.TextChoices):
        DIRECT = "direct", _("Direct")
        AGENT = "agent", _("Agent")
        BROKER = "broker", _("Broker")
        ONLINE = "online", _("Online")

    class Status(models.TextChoices):
        ACTIVE = "active", _("Active")
        EXPIRED = "expired", _("Expired")
        CANCELLED = "cancelled", _("Cancelled")

    number = models.CharField(_("policy number"), max_length=32, unique=True)
    customer = models.ForeignKey(Customer, on_delete=models.PROTECT, related_name="policies")
    line = models.ForeignKey(LineOfInsurance, on_delete=models.PROTECT, related_name="policies")
    product = models.CharField(_("product"), max_length=100)
    start_date = models.DateField(_("start date"))
    end_date = models.DateField(_("end date"))
    premium = models.DecimalField(_("premium"), **MONEY)
    sum_insured = models.DecimalField(_("sum insured"), max_digits=16, decimal_places=2)
    channel = models.CharField(_("sales channel"), max_length=8, choices=Channel.choices)
    status = models.CharField(_("status"), max_length=10, choices=Status.choices, default=Status.ACTIVE)
    previous_policy = models.OneToOneField(
        "self",
        on_delete=models.PROTECT,
        null=True,
        blank=True,
        related_name="next_policy",
        verbose_name=_("previous policy"),
    )
    claims_count = models.PositiveSmallIntegerField(_("claims in term"), default=0)
    # Extra import columns, typed by ImportAttribute (name -> number, text, true/false or ISO date).
    attributes = models.JSONField(_("attributes"), default=dict, blank=True)
    created_at = models.DateTimeField(default=timezone.now, editable=False)
    updated_at = models.DateTimeField(auto_now=True)

    class Meta:
        verbose_name = _("policy")
        verbose_name_plural = _("policies")
        constraints = [
            models.CheckConstraint(
                condition=Q(end_date__gt=F("start_date")),
                name="policy_end_after_start",
                violation_error_message=_("End date: must be after the start date."),
            ),
            models.CheckConstraint(
                condition=Q(premium__gte=0),
                name="policy_premium_not_negative",
                violation_error_message=_("Premium: must not be negative."),
            ),
            models.CheckConstraint(
                condition=Q(sum_insured__gte=0),
                name="policy_sum_insured_not_negative",
                violation_error_message=_("Sum insured: must not be negative."),
            ),
        ]
        indexes = [
            # The renewal-window scan: active policies by expiry, per line.
            models.Index(fields=["line", "end_date"], condition=Q(status="active"), name="policy_active_expiry_idx"),
            # Renewal premium share and "policies in force" read by start/end date.
            models.Index(fields=["start_date"], name="policy_start_idx"),
            models.Index(fields=["end_date"], name="policy_end_idx"),
        ]

    def __str__(self):
        return self.number


class Stage(models.TextChoices):
    OPEN = "open", _("Open")
    CONTACTED = "contacted", _("Contacted")
    QUOTED = "quoted", _("Quoted")
    RENEWED = "renewed", _("Renewed")
    LOST = "lost", _("Lost")
    LAPSED = "lapsed", _("Lapsed")
    NOT_OFFERED = "not_offered", _("Not offered")


# The one definition of "open" (a case still being worked) used by every app: the stages are
# ``str`` values, so they serve ORM filters and raw SQL alike.
OPEN_STAGES = (Stage.OPEN, Stage.CONTACTED, Stage.QUOTED)
CLOSED_STAGES = (Stage.RENEWED, Stage.LOST, Stage.LAPSED, Stage.NOT_OFFERED)
DECIDED_STAGES = (Stage.RENEWED, Stage.LOST, Stage.LAPSED)


class RenewalCaseQuerySet(models.QuerySet):
    def open(self):
        """Cases still being worked (``OPEN_STAGES``); the partial indexes of the queues match this."""
        return self.filter(stage__in=OPEN_STAGES)


class RenewalCase(models.Model):
    """Exactly one per expiring policy; the unit a specialist works."""

    policy = models.OneToOneField(Policy, on_delete=models.PROTECT, related_name="renewal_case")
    # Denormalised from the policy for the queue and analytics scans (never change after open).
    customer = models.ForeignKey(Customer, on_delete=models.PROTECT, related_name="renewal_cases")
    line = models.ForeignKey(LineOfInsurance, on_delete=models.PROTECT, related_name="renewal_cases")
    expiring_premium = models.DecimalField(_("expiring premium"), **MONEY)
    due_date = models.DateField(_("expiry date"))

    stage = models.CharField(_("stage"), max_length=16, choices=Stage.choices, default=Stage.OPEN)
    assignee = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        on_delete=models.SET_NULL,
        null=True,
        blank=True,
        related_name="renewal_cases",
        verbose_name=_("assignee"),
    )
    opened_at = models.DateTimeField(_("opened at"), default=timezone.now)
    # Set when a manager reopens a closed case: the case lapses after this day instead of after
    # due date + grace (renewals.services.opening.cases_lapse_due).
    decision_date = models.DateField(_("decision date"), null=True, blank=True)
    next_action_date = models.DateField(_("next action"), null=True, blank=True)
    # Queue order: churn risk x premium at stake (higher first), then due date.
    priority = models.DecimalField(_("priority"), max_digits=16, decimal_places=2, default=Decimal("0"))
    churn_risk = models.PositiveSmallIntegerField(
        _("churn risk"), null=True, blank=True, validators=[MinValueValidator(0), MaxValueValidator(100)]
    )
    churn_reasons = models.JSONField(default=list, blank=True)
    # Set while the customer has an open complaint: raises the priority (customers.signals).
    has_open_complaint = models.BooleanField(_("open complaint"), default=False)

    # Funnel milestones: set once, kept even when the case later moves on.
    first_contact_at = models.DateTimeField(null=True, blank=True)
    quoted_at = models.DateTimeField(null=True, blank=True)

    # No index on the four references below: every opened case would pay for them at insert, and
    # nothing looks cases up by them (deleting a quote, user or reason is rare and may scan).
    current_quote = models.ForeignKey(
        "Quote", on_delete=models.SET_NULL, null=True, blank=True, related_name="+", db_index=False
    )
    closed_at = models.DateTimeField(_("closed at"), null=True, blank=True)
    closed_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.SET_NULL, null=True, blank=True, related_name="+", db_index=False
    )
    lost_reason = models.ForeignKey(
        LostReason, on_delete=models.PROTECT, null=True, blank=True, verbose_name=_("reason"), db_index=False
    )
    outcome_note = models.TextField(_("outcome note"), blank=True)
    successor_policy = models.OneToOneField(
        Policy,
        on_delete=models.PROTECT,
        null=True,
        blank=True,
        related_name="predecessor_case",
        verbose_name=_("successor policy"),
    )
    # The playbook version chosen when the case opened (renewals.playbooks): it keeps that version
    # when the playbook is edited, until a manager re-applies the playbook. No index, like the
    # references above: the re-apply and the dashboard's comparison scan open or cohort cases anyway.
    playbook_version = models.ForeignKey(
        "renewals.PlaybookVersion",
        on_delete=models.PROTECT,
        null=True,
        blank=True,
        related_name="+",
        db_index=False,
        verbose_name=_("playbook"),
    )
    version = models.PositiveIntegerField(default=1)
    updated_at = models.DateTimeField(auto_now=True)
    updated_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.SET_NULL, null=True, blank=True, related_name="+", db_index=False
    )

    objects = RenewalCaseQuerySet.as_manager()

    class Meta:
        verbose_name = _("renewal case")
        verbose_name_plural = _("renewal cases")
        constraints = [
            models.CheckConstraint(condition=Q(stage__in=Stage.values), name="case_stage_valid"),
            models.CheckConstraint(
                condition=~Q(stage__in=["lost", "not_offered"]) | Q(lost_reason__isnull=False),
                name="case_lost_needs_reason",
            ),
            models.CheckConstraint(
                condition=~Q(stage="renewed") | Q(successor_policy__isnull=False),
                name="case_renewed_needs_successor",
            ),
            models.CheckConstraint(
                condition=Q(churn_risk__isnull=True) | Q(churn_risk__lte=100), name="case_churn_risk_0_100"
            ),
        ]
        indexes = [
            # My queue: one specialist's open cases in priority order.
            models.Index(
                F("assignee"),
                F("priority").desc(),
                F("due_date"),
                condition=Q(stage__in=OPEN_STAGES),
                name="case_queue_idx",
            ),
            # Counts per stage of one specialist's open queue (index-only).
            models.Index(fields=["assignee", "stage"], condition=Q(stage__in=OPEN_STAGES), name="case_queue_stage_idx"),
            # Team queue (managers): every open case in priority order.
            models.Index(
                F("priority").desc(),
                F("due_date"),
                condition=Q(stage__in=OPEN_STAGES),
                name="case_open_priority_idx",
            ),
            # Managers' queue and the lapse scan: open cases by due date.
            models.Index(fields=["due_date"], condition=Q(stage__in=OPEN_STAGES), name="case_open_due_idx"),
            # The lapse scan of reopened cases (few): open cases with a manager's decision date.
            models.Index(
                fields=["decision_date"],
                condition=Q(stage__in=OPEN_STAGES, decision_date__isnull=False),
                name="case_open_decision_idx",
            ),
            # Cohorts: cases by expiry date.
            models.Index(fields=["due_date", "line"], name="case_due_line_idx"),
            models.Index(fields=["closed_at"], name="case_closed_idx"),
        ]

    def __str__(self):
        return f"Case {self.pk} ({self.policy_id})"

    @property
    def is_open(self) -> bool:
        return self.stage in OPEN_STAGES

    @property
    def notice_deadline(self) -> dt.date:
        """The last day the statutory notice may go out (DESIGN §2): by the notice rule in force for
        the case (renewals.notice_deadline; the line's lead days without one). Cached per instance."""
        cached = self.__dict__.get("_notice_deadline")
        if cached is None:
            cached = self.__dict__["_notice_deadline"] = notice_deadlines.notice_deadline(self)
        return cached


class Quote(models.Model):
    class Approval(models.TextChoices):
        NOT_REQUIRED = "not_required", _("Within authority")
        PENDING = "pending", _("Awaiting approval")
        APPROVED = "approved", _("Approved")
        REJECTED = "rejected", _("Rejected")

    case = models.ForeignKey(RenewalCase, on_delete=models.CASCADE, related_name="quotes")
    expiring_premium = models.DecimalField(**MONEY)
    base_rate_factor = models.DecimalField(max_digits=7, decimal_places=4)
    claims_factor = models.DecimalField(max_digits=7, decimal_places=4)
    loyalty_factor = models.DecimalField(max_digits=7, decimal_places=4)
    discount_percent = models.DecimalField(max_digits=5, decimal_places=2, default=Decimal("0"))
    premium = models.DecimalField(_("quoted premium"), **MONEY)
    # Every factor with its label and the running amount, as shown to the specialist.
    breakdown = models.JSONField(default=list)
    approval_status = models.CharField(max_length=16, choices=Approval.choices, default=Approval.NOT_REQUIRED)
    approval_comment = models.TextField(blank=True)
    decided_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.SET_NULL, null=True, blank=True, related_name="+"
    )
    decided_at = models.DateTimeField(null=True, blank=True)
    created_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.SET_NULL, null=True, blank=True, related_name="+"
    )
    created_at = models.DateTimeField(default=timezone.now)

    class Meta:
        verbose_name = _("quote")
        verbose_name_plural = _("quotes")
        constraints = [
            models.CheckConstraint(
                condition=Q(premium__gte=0),
                name="quote_premium_not_negative",
                violation_error_message=_("Premium: must not be negative."),
            ),
            models.CheckConstraint(
                condition=Q(discount_percent__gte=0) & Q(discount_percent__lte=100),
                name="quote_discount_0_100",
                violation_error_message=_("Discount (%): must be between 0 and 100."),
            ),
        ]
        indexes = [
            models.Index(fields=["approval_status"], condition=Q(approval_status="pending"), name="quote_pending_idx")
        ]

    @property
    def is_usable(self) -> bool:
        """A quote can be sent or accepted only within authority or once approved."""
        return self.approval_status in (self.Approval.NOT_REQUIRED, self.Approval.APPROVED)


class ContactChannel(models.TextChoices):
    """How a specialist reached (or tried to reach) the customer; stored in the contact event's payload."""

    PHONE = "phone", _("Phone call")
    EMAIL = "email", _("Email")
    VISIT = "visit", _("Visit")
    MESSAGE = "message", _("Message")


class CaseEvent(models.Model):
    """The case timeline: every transition and action, with who and when."""

    class Kind(models.TextChoices):
        OPENED = "opened", _("Case opened")
        ASSIGNED = "assigned", _("Assigned")
        STAGE_CHANGED = "stage_changed", _("Stage changed")
        CONTACT = "contact", _("Contact logged")
        QUOTE = "quote", _("Quote prepared")
        APPROVAL_REQUESTED = "approval_requested", _("Approval requested")
        APPROVED = "approved", _("Discount approved")
        REJECTED = "rejected", _("Discount rejected")
        RENEWED = "renewed", _("Renewed")
        PREMIUM_OVERRIDE = "premium_override", _("Premium overridden")
        LOST = "lost", _("Lost")
        NOT_OFFERED = "not_offered", _("Not offered")
        LAPSED = "lapsed", _("Lapsed")
        REOPENED = "reopened", _("Reopened")
        REFERRAL = "referral", _("Referral")
        REFERRAL_RESOLVED = "referral_resolved", _("Referral resolved")
        REMINDER = "reminder", _("Reminder")
        COMPLAINT = "complaint", _("Complaint")
        SURVEY = "survey", _("Survey answer")
        NOTE = "note", _("Note")
        PLAYBOOK = "playbook", _("Playbook applied")

    case = models.ForeignKey(RenewalCase, on_delete=models.CASCADE, related_name="events")
    kind = models.CharField(max_length=24, choices=Kind.choices)
    actor = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.SET_NULL, null=True, blank=True, related_name="+"
    )
    payload = models.JSONField(default=dict, blank=True)
    created_at = models.DateTimeField(default=timezone.now)

    class Meta:
        ordering = ["-created_at", "-id"]
        verbose_name = _("case event")
        verbose_name_plural = _("case events")
        indexes = [models.Index(fields=["case", "-created_at"], name="case_event_timeline_idx")]


class PricingRule(models.Model):
    """The line's renewal pricing: a base rate change applied to every renewal of the line."""

    line = models.OneToOneField(LineOfInsurance, on_delete=models.CASCADE, related_name="pricing_rule")
    base_rate_change_percent = models.DecimalField(
        _("base rate change (%)"),
        max_digits=6,
        decimal_places=2,
        default=Decimal("0"),
        help_text=_("Applied to every renewal of the line, e.g. 3.00 raises premiums by 3%."),
    )
    updated_at = models.DateTimeField(auto_now=True)

    class Meta:
        verbose_name = _("pricing rule")
        verbose_name_plural = _("pricing rules")
        constraints = [
            models.CheckConstraint(
                condition=Q(base_rate_change_percent__gt=-100),
                name="pricing_base_rate_above_minus_100",
                violation_error_message=_("Base rate change (%): must be above -100."),
            )
        ]

    def __str__(self):
        return f"{self.line}: {self.base_rate_change_percent}%"


class ClaimsFactor(models.Model):
    """Claims factor table: the row with the highest ``min_claims`` not above the term's claims applies."""

    line = models.ForeignKey(LineOfInsurance, on_delete=models.CASCADE, related_name="claims_factors")
    min_claims = models.PositiveSmallIntegerField(_("claims in term (at least)"))
    factor = models.DecimalField(_("factor"), max_digits=7, decimal_places=4)

    class Meta:
        ordering = ["line", "min_claims"]
        verbose_name = _("claims factor")
        verbose_name_plural = _("claims factors")
        constraints = [
            models.UniqueConstraint(fields=["line", "min_claims"], name="claims_factor_unique_step"),
            models.CheckConstraint(
                condition=Q(factor__gt=0),
                name="claims_factor_positive",
                violation_error_message=_("Factor: must be above zero."),
            ),
        ]


class LoyaltyFactor(models.Model):
    """Loyalty factor by tenure: the row with the highest ``min_years`` not above the tenure applies."""

    line = models.ForeignKey(LineOfInsurance, on_delete=models.CASCADE, related_name="loyalty_factors")
    min_years = models.PositiveSmallIntegerField(_("tenure (years, at least)"))
    factor = models.DecimalField(_("factor"), max_digits=7, decimal_places=4)

    class Meta:
        ordering = ["line", "min_years"]
        verbose_name = _("loyalty factor")
        verbose_name_plural = _("loyalty factors")
        constraints = [
            models.UniqueConstraint(fields=["line", "min_years"], name="loyalty_factor_unique_step"),
            models.CheckConstraint(
                condition=Q(factor__gt=0),
                name="loyalty_factor_positive",
                violation_error_message=_("Factor: must be above zero."),
            ),
        ]


class DiscountAuthority(models.Model):
    """The largest discount a specialist may give on a line without a manager's approval."""

    user = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="discount_authorities")
    line = models.ForeignKey(LineOfInsurance, on_delete=models.CASCADE, related_name="discount_authorities")
    max_discount_percent = models.DecimalField(_("maximum discount (%)"), max_digits=5, decimal_places=2)

    class Meta:
        verbose_name = _("discount authority")
        verbose_name_plural = _("discount authorities")
        constraints = [
            models.UniqueConstraint(fields=["user", "line"], name="discount_authority_unique"),
            models.CheckConstraint(
                condition=Q(max_discount_percent__gte=0) & Q(max_discount_percent__lte=100),
                name="discount_authority_0_100",
                violation_error_message=_("Maximum discount (%): must be between 0 and 100."),
            ),
        ]


class SpecialistProfile(models.Model):
    """Skills and availability that steer automatic assignment. Empty skills mean "any"."""

    user = models.OneToOneField(settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="specialist_profile")
    lines = models.ManyToManyField(LineOfInsurance, blank=True, related_name="+", verbose_name=_("lines"))
    regions = models.JSONField(_("regions"), default=list, blank=True)
    # Free tags such as "senior": a playbook's assignment pool names one (renewals.playbooks).
    skills = models.JSONField(_("skills"), default=list, blank=True)
    away = models.BooleanField(_("away"), default=False, help_text=_("Away specialists get no new cases."))
    updated_at = models.DateTimeField(auto_now=True)

    class Meta:
        verbose_name = _("specialist profile")
        verbose_name_plural = _("specialist profiles")


class Referral(models.Model):
    """A question to underwriting or claims; shown on the case until resolved."""

    class To(models.TextChoices):
        UNDERWRITING = "underwriting", _("Underwriting")
        CLAIMS = "claims", _("Claims")

    case = models.ForeignKey(RenewalCase, on_delete=models.CASCADE, related_name="referrals")
    to = models.CharField(_("refer to"), max_length=16, choices=To.choices)
    note = models.TextField(_("note"))
    created_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.SET_NULL, null=True, blank=True, related_name="+"
    )
    created_at = models.DateTimeField(default=timezone.now)
    resolved_at = models.DateTimeField(null=True, blank=True)
    resolved_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.SET_NULL, null=True, blank=True, related_name="+"
    )
    resolution = models.TextField(_("resolution"), blank=True)

    class Meta:
        ordering = ["-created_at"]
        verbose_name = _("referral")
        verbose_name_plural = _("referrals")
        indexes = [models.Index(fields=["case"], condition=Q(resolved_at__isnull=True), name="referral_open_idx")]

    @property
    def is_open(self) -> bool:
        return self.resolved_at is None


# The import's attributes and the settings audit log live in their own modules; importing them here
# registers them with the app.
# The add-on tables live in their own module; importing them here registers them with the app.
from renewals.addons.models import (  # noqa: E402,F401
    AddOn,
    AttachRate,
    PolicyAddOn,
    QuoteAddOn,
    ServiceRating,
    ServiceUse,
)
from renewals.archive_models import ArchivedCaseEvent, TimelineEvent  # noqa: E402,F401
from renewals.attributes import ImportAttribute  # noqa: E402,F401

# The competitor tables live in their own module; importing them here registers them with the app.
from renewals.competitors.models import (  # noqa: E402,F401
    Competitor,
    CompetitorQuote,
)
from renewals.playbooks.models import Playbook, PlaybookVersion  # noqa: E402,F401
from renewals.settings_log import SettingsChange  # noqa: E402,F401
