from django.conf import settings
from django.contrib.postgres.fields import ArrayField
from django.contrib.postgres.indexes import GinIndex, OpClass
from django.core.validators import MaxValueValidator, MinValueValidator
from django.db import models
from django.db.models import F, Func, Q
from django.db.models.functions import Upper
from django.utils import timezone
from django.utils.translation import gettext_lazy as _
from django.utils.translation import pgettext_lazy

from core.models import LocalizedNameMixin
from customers import regions
from customers.limits import COMPLAINT_ROOT_CAUSE_MAX_LENGTH


def name_grams(field: str = "name") -> Func:
    """Every one- and two-character piece of ``UPPER(field)`` as a text array, computed by the
    immutable PL/pgSQL function ``customer_name_grams`` (migration 0005, PostgreSQL only).

    Its GIN index answers "contains 小明" with ``@>`` for queries too short for trigrams.
    """
    return Func(F(field), function="customer_name_grams", output_field=ArrayField(models.TextField()))


class Customer(models.Model):
    class Kind(models.TextChoices):
        INDIVIDUAL = "individual", _("Individual")
        BUSINESS = "business", _("Business")

    class Segment(models.TextChoices):
        STANDARD = "standard", _("Standard")
        HIGH_VALUE = "high_value", _("High value")
        VIP = "vip", _("VIP")

    class Channel(models.TextChoices):
        EMAIL = "email", _("Email")
        SMS = "sms", _("SMS")
        PHONE = "phone", _("Phone")

    class Language(models.TextChoices):
        EN = "en", _("English")
        ZH_HANS = "zh-hans", _("Simplified Chinese")

    class LifecycleStage(models.TextChoices):
        """Derived nightly from policies and cases by ``campaigns.services.lifecycle_refresh``."""

        NEW = "new", pgettext_lazy("lifecycle stage", "New")
        ACTIVE = "active", pgettext_lazy("lifecycle stage", "Active")
        RENEWING = "renewing", pgettext_lazy("lifecycle stage", "Renewing")
        AT_RISK = "at_risk", pgettext_lazy("lifecycle stage", "At risk")
        LAPSED = "lapsed", pgettext_lazy("lifecycle stage", "Lapsed")
        DORMANT = "dormant", pgettext_lazy("lifecycle stage", "Dormant")
        WON_BACK = "won_back", pgettext_lazy("lifecycle stage", "Won back")

    # The segments counted as high value (high-value retention on the dashboard, queue filters).
    HIGH_VALUE_SEGMENTS = (Segment.HIGH_VALUE, Segment.VIP)

    external_ref = models.CharField(_("external reference"), max_length=64, unique=True)
    kind = models.CharField(_("kind"), max_length=16, choices=Kind.choices, default=Kind.INDIVIDUAL)
    name = models.CharField(_("name"), max_length=200)
    phone = models.CharField(_("phone"), max_length=32, blank=True)
    # Digits of ``phone`` only, kept by the services, so "138-0013 8000" and "13800138000" match.
    phone_digits = models.CharField(max_length=32, blank=True, editable=False)
    email = models.EmailField(_("email"), blank=True)
    region = models.CharField(_("region"), max_length=64)
    segment = models.CharField(_("segment"), max_length=16, choices=Segment.choices, default=Segment.STANDARD)
    preferred_channel = models.CharField(
        _("preferred channel"), max_length=8, choices=Channel.choices, default=Channel.SMS
    )
    preferred_language = models.CharField(
        _("preferred language"), max_length=8, choices=Language.choices, default=Language.ZH_HANS
    )
    consent_email = models.BooleanField(_("email allowed"), default=True)
    consent_sms = models.BooleanField(_("SMS allowed"), default=True)
    consent_phone = models.BooleanField(_("calls allowed"), default=True)
    marketing_opt_out = models.BooleanField(_("marketing opt-out"), default=False)
    time_zone = models.CharField(_("time zone"), max_length=64, blank=True, help_text=_("Empty: the site's time zone."))
    # Empty until the first lifecycle refresh (or for a customer with no policy yet).
    lifecycle_stage = models.CharField(
        _("lifecycle stage"), max_length=16, choices=LifecycleStage.choices, blank=True, default="", editable=False
    )
    created_at = models.DateTimeField(default=timezone.now, editable=False)
    updated_at = models.DateTimeField(auto_now=True)

    class Meta:
        verbose_name = _("customer")
        verbose_name_plural = _("customers")
        indexes = [
            models.Index(fields=["phone_digits"], name="customer_phone_digits_idx"),
            # Quick search (customers.selectors.customer_search). The trigram indexes serve
            # ``icontains`` (Django writes UPPER(col) LIKE UPPER(%s)) and ``contains``/``endswith``
            # on PostgreSQL; the pattern index serves prefixes too short for trigrams (2-char names).
            GinIndex(OpClass(Upper("name"), name="gin_trgm_ops"), name="customer_name_trgm_idx"),
            GinIndex(OpClass("phone_digits", name="gin_trgm_ops"), name="customer_phone_trgm_idx"),
            GinIndex(OpClass(Upper("external_ref"), name="gin_trgm_ops"), name="customer_ref_trgm_idx"),
            models.Index(fields=["name"], opclasses=["varchar_pattern_ops"], name="customer_name_prefix_idx"),
            # One- and two-character names anywhere in the name (王小明 for 小明), see name_grams.
            GinIndex(name_grams(), name="customer_name_grams_idx"),
            # Campaign targets and the API filter by stage.
            models.Index(fields=["lifecycle_stage"], name="customer_lifecycle_idx"),
        ]

    def __str__(self):
        return f"{self.name} ({self.external_ref})"

    @property
    def region_label(self):
        """The region's name in the active language (an unknown region as stored)."""
        return regions.region_label(self.region)

    def consents_to(self, channel: str) -> bool:
        return {
            self.Channel.EMAIL: self.consent_email,
            self.Channel.SMS: self.consent_sms,
            self.Channel.PHONE: self.consent_phone,
        }.get(channel, False)


class ComplaintCategory(LocalizedNameMixin):
    code = models.SlugField(_("code"), max_length=32, unique=True)
    active = models.BooleanField(_("active"), default=True)
    sort_order = models.PositiveSmallIntegerField(default=0)

    class Meta:
        ordering = ["sort_order", "code"]
        verbose_name = _("complaint category")
        verbose_name_plural = _("complaint categories")


class Complaint(models.Model):
    class ReceivedVia(models.TextChoices):
        PHONE = "phone", _("Phone")
        ONLINE = "online", _("Online")
        BRANCH = "branch", _("Branch")
        LETTER = "letter", _("Letter")
        REGULATOR = "regulator", _("Regulator")

    class Severity(models.TextChoices):
        LOW = "low", _("Low")
        NORMAL = "normal", _("Normal")
        HIGH = "high", _("High")

    class Status(models.TextChoices):
        NEW = "new", _("New")
        ACKNOWLEDGED = "acknowledged", _("Acknowledged")
        IN_PROGRESS = "in_progress", _("In progress")
        RESOLVED = "resolved", _("Resolved")
        CLOSED = "closed", _("Closed")

    OPEN_STATUSES = (Status.NEW, Status.ACKNOWLEDGED, Status.IN_PROGRESS)

    customer = models.ForeignKey(Customer, on_delete=models.PROTECT, related_name="complaints")
    # String references: customers never imports renewals (DESIGN §3 dependency order).
    policy = models.ForeignKey(
        "renewals.Policy", on_delete=models.SET_NULL, null=True, blank=True, related_name="complaints"
    )
    case = models.ForeignKey(
        "renewals.RenewalCase", on_delete=models.SET_NULL, null=True, blank=True, related_name="complaints"
    )
    received_via = models.CharField(_("received via"), max_length=16, choices=ReceivedVia.choices)
    received_at = models.DateTimeField(_("received at"))
    category = models.ForeignKey(ComplaintCategory, on_delete=models.PROTECT, verbose_name=_("category"))
    severity = models.CharField(_("severity"), max_length=8, choices=Severity.choices, default=Severity.NORMAL)
    description = models.TextField(_("description"))
    status = models.CharField(_("status"), max_length=16, choices=Status.choices, default=Status.NEW)
    acknowledge_due_at = models.DateTimeField(_("acknowledge by"))
    sla_due_at = models.DateTimeField(_("resolve by"))
    acknowledged_at = models.DateTimeField(null=True, blank=True)
    resolved_at = models.DateTimeField(null=True, blank=True)
    closed_at = models.DateTimeField(null=True, blank=True)
    escalated_at = models.DateTimeField(null=True, blank=True)
    upheld = models.BooleanField(null=True, blank=True)
    resolution = models.TextField(_("resolution"), blank=True)
    root_cause = models.CharField(_("root cause"), max_length=COMPLAINT_ROOT_CAUSE_MAX_LENGTH, blank=True)
    assignee = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.SET_NULL, null=True, blank=True, related_name="+"
    )
    created_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.SET_NULL, null=True, blank=True, related_name="+"
    )
    created_at = models.DateTimeField(default=timezone.now, editable=False)
    updated_at = models.DateTimeField(auto_now=True)

    class Meta:
        verbose_name = _("complaint")
        verbose_name_plural = _("complaints")
        indexes = [
            models.Index(fields=["received_at"], name="complaint_received_idx"),
            models.Index(fields=["resolved_at"], name="complaint_resolved_idx"),
            models.Index(
                fields=["sla_due_at"],
                condition=Q(status__in=["new", "acknowledged", "in_progress"]),
                name="complaint_open_sla_idx",
            ),
            # Escalation scan: new complaints past their acknowledge-by time.
            models.Index(fields=["acknowledge_due_at"], condition=Q(status="new"), name="complaint_new_ack_idx"),
        ]
        constraints = [
            models.CheckConstraint(
                condition=Q(sla_due_at__gte=models.F("received_at")),
                name="complaint_sla_after_received",
                violation_error_message=_("“Resolve by” cannot be earlier than “received at”."),
            ),
            models.CheckConstraint(
                condition=~Q(status__in=["resolved", "closed"]) | Q(resolved_at__isnull=False),
                name="complaint_resolved_has_time",
                violation_error_message=_("A resolved or closed complaint needs the time it was resolved."),
            ),
        ]

    def __str__(self):
        return f"#{self.pk}"


class SurveyResponse(models.Model):
    class Channel(models.TextChoices):
        LINK = "link", _("Survey link")
        PHONE = "phone", _("Phone")
        EMAIL = "email", _("Email")
        SMS = "sms", _("SMS")

    customer = models.ForeignKey(Customer, on_delete=models.PROTECT, related_name="survey_responses")
    case = models.ForeignKey(
        "renewals.RenewalCase", on_delete=models.SET_NULL, null=True, blank=True, related_name="survey_responses"
    )
    score = models.PositiveSmallIntegerField(_("score"))
    comment = models.TextField(_("comment"), blank=True)
    channel = models.CharField(_("channel"), max_length=8, choices=Channel.choices, default=Channel.LINK)
    responded_at = models.DateTimeField(_("responded at"), default=timezone.now)
    recorded_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.SET_NULL, null=True, blank=True, related_name="+"
    )

    class Meta:
        verbose_name = _("survey response")
        verbose_name_plural = _("survey responses")
        indexes = [models.Index(fields=["responded_at"], name="survey_responded_idx")]
        constraints = [
            models.CheckConstraint(
                condition=Q(score__gte=0) & Q(score__lte=10),
                name="survey_score_0_10",
                violation_error_message=_("“Score” is a whole number from 0 to 10."),
            )
        ]

    @property
    def is_promoter(self):
        return self.score >= 9

    @property
    def is_detractor(self):
        return self.score <= 6


class ComplaintSla(models.Model):
    """Service level per severity, edited by managers: calendar days to acknowledge and to resolve."""

    severity = models.CharField(_("severity"), max_length=8, choices=Complaint.Severity.choices, unique=True)
    acknowledge_days = models.PositiveSmallIntegerField(
        _("days to acknowledge"), validators=[MinValueValidator(1), MaxValueValidator(365)]
    )
    resolve_days = models.PositiveSmallIntegerField(
        _("days to resolve"), validators=[MinValueValidator(1), MaxValueValidator(365)]
    )

    class Meta:
        verbose_name = _("complaint SLA")
        verbose_name_plural = _("complaint SLAs")
        constraints = [
            models.CheckConstraint(
                condition=Q(resolve_days__gte=models.F("acknowledge_days")),
                name="complaint_sla_resolve_after_ack",
                violation_error_message=_("“Days to resolve” cannot be fewer than “days to acknowledge”."),
            ),
        ]

    def __str__(self):
        return f"{self.severity}: {self.acknowledge_days}/{self.resolve_days}"


class CustomerVoiceSettings(models.Model):
    """One row (pk=1) of settings managers edit on /complaints/settings/."""

    survey_delay_days = models.PositiveSmallIntegerField(
        _("survey delay (days after the decision)"), default=3, validators=[MaxValueValidator(90)]
    )
    sla_near_hours = models.PositiveSmallIntegerField(
        _("warn when less than this many hours are left"), default=24, validators=[MaxValueValidator(720)]
    )

    class Meta:
        verbose_name = _("customer voice settings")
        verbose_name_plural = _("customer voice settings")
        constraints = [
            models.CheckConstraint(
                condition=Q(pk=1),
                name="customer_voice_settings_single_row",
                violation_error_message=_("There is one row of customer voice settings."),
            )
        ]


class ComplaintEvent(models.Model):
    """The complaint's timeline: every status change, assignment and escalation."""

    class Kind(models.TextChoices):
        LOGGED = "logged", _("Logged")
        ACKNOWLEDGED = "acknowledged", _("Acknowledged")
        STARTED = "started", _("Work started")
        RESOLVED = "resolved", _("Resolved")
        CLOSED = "closed", _("Closed")
        REOPENED = "reopened", _("Reopened")
        ASSIGNED = "assigned", _("Assigned")
        ESCALATED = "escalated", _("SLA breached, escalated")

    complaint = models.ForeignKey(Complaint, on_delete=models.CASCADE, related_name="events")
    kind = models.CharField(_("kind"), max_length=16, choices=Kind.choices)
    at = models.DateTimeField(_("at"), default=timezone.now)
    actor = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.SET_NULL, null=True, blank=True, related_name="+"
    )
    from_status = models.CharField(max_length=16, blank=True)
    to_status = models.CharField(max_length=16, blank=True)
    note = models.TextField(_("note"), blank=True)

    class Meta:
        verbose_name = _("complaint event")
        verbose_name_plural = _("complaint events")
        indexes = [models.Index(fields=["complaint", "at"], name="complaint_event_timeline_idx")]


class SurveyInvitation(models.Model):
    """An NPS survey planned for a customer (usually N days after their case was decided).

    The notifications app sends it through its outbox; the customer answers through the
    signed link of ``customers.links.survey_url``. One answer per invitation.
    """

    customer = models.ForeignKey(Customer, on_delete=models.PROTECT, related_name="survey_invitations")
    case = models.ForeignKey(
        "renewals.RenewalCase", on_delete=models.SET_NULL, null=True, blank=True, related_name="survey_invitations"
    )
    send_after = models.DateTimeField(_("send after"))
    created_at = models.DateTimeField(default=timezone.now, editable=False)
    answered_at = models.DateTimeField(_("answered at"), null=True, blank=True)
    response = models.OneToOneField(
        SurveyResponse, on_delete=models.SET_NULL, null=True, blank=True, related_name="invitation"
    )

    class Meta:
        verbose_name = _("survey invitation")
        verbose_name_plural = _("survey invitations")
        constraints = [
            models.UniqueConstraint(
                fields=["case"],
                condition=Q(case__isnull=False),
                name="survey_invitation_one_per_case",
                violation_error_message=_("This “case” already has a survey invitation."),
            )
        ]
        indexes = [
            models.Index(
                fields=["send_after"], condition=Q(answered_at__isnull=True), name="survey_invitation_due_idx"
            ),
            models.Index(fields=["customer", "created_at"], name="survey_invitation_customer_idx"),
        ]


class SurveyFollowUp(models.Model):
    """A detractor (0-6) answer becomes a call-back task for support; done closes the loop."""

    class Status(models.TextChoices):
        OPEN = "open", _("Open")
        DONE = "done", _("Done")

    response = models.OneToOneField(SurveyResponse, on_delete=models.CASCADE, related_name="follow_up")
    customer = models.ForeignKey(Customer, on_delete=models.PROTECT, related_name="survey_follow_ups")
    status = models.CharField(_("status"), max_length=8, choices=Status.choices, default=Status.OPEN)
    assignee = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.SET_NULL, null=True, blank=True, related_name="+"
    )
    created_at = models.DateTimeField(default=timezone.now, editable=False)
    outcome = models.TextField(_("outcome"), blank=True)
    done_at = models.DateTimeField(null=True, blank=True)
    done_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.SET_NULL, null=True, blank=True, related_name="+"
    )

    class Meta:
        verbose_name = _("survey follow-up")
        verbose_name_plural = _("survey follow-ups")
        indexes = [models.Index(fields=["created_at"], condition=Q(status="open"), name="survey_followup_open_idx")]
        constraints = [
            models.CheckConstraint(
                condition=Q(status="open") | (Q(done_at__isnull=False) & ~Q(outcome="")),
                name="survey_followup_done_has_outcome",
                violation_error_message=_("A done follow-up needs its “outcome” and the time it was done."),
            )
        ]


class CustomerChange(models.Model):
    """The audit trail of a customer's contact details and consent: one row per changed value,
    with who changed it and when (written by ``customers.services.customer_update_contact``)."""

    class Field(models.TextChoices):
        PHONE = "phone", _("phone")
        EMAIL = "email", _("email")
        PREFERRED_CHANNEL = "preferred_channel", _("preferred channel")
        PREFERRED_LANGUAGE = "preferred_language", _("preferred language")
        CONSENT_EMAIL = "consent_email", _("email allowed")
        CONSENT_SMS = "consent_sms", _("SMS allowed")
        CONSENT_PHONE = "consent_phone", _("calls allowed")
        MARKETING_OPT_OUT = "marketing_opt_out", _("marketing opt-out")
        TIME_ZONE = "time_zone", _("time zone")

    customer = models.ForeignKey(Customer, on_delete=models.CASCADE, related_name="changes")
    field = models.CharField(_("field"), max_length=32, choices=Field.choices)
    # Values as text; booleans as "true"/"false" (see CustomerChange.display).
    old_value = models.CharField(_("old value"), max_length=254, blank=True)
    new_value = models.CharField(_("new value"), max_length=254, blank=True)
    changed_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.SET_NULL, null=True, blank=True, related_name="+"
    )
    changed_at = models.DateTimeField(_("changed at"), default=timezone.now)

    class Meta:
        verbose_name = _("customer change")
        verbose_name_plural = _("customer changes")
        indexes = [models.Index(fields=["customer", "-changed_at"], name="customer_change_history_idx")]

    BOOLEAN_TEXT = {True: "true", False: "false"}

    @classmethod
    def as_text(cls, value) -> str:
        return cls.BOOLEAN_TEXT[value] if isinstance(value, bool) else str(value)

    @staticmethod
    def display(value: str):
        """A stored value as the history shows it: yes/no for booleans, "—" for empty."""
        return {"true": _("yes"), "false": _("no"), "": "—"}.get(value, value)

    @property
    def old_display(self):
        return self.display(self.old_value)

    @property
    def new_display(self):
        return self.display(self.new_value)
