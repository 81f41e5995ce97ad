from django.conf import settings
from django.db import models
from django.db.models import Q
from django.utils import timezone
from django.utils.translation import get_language
from django.utils.translation import gettext_lazy as _


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
    created_at = models.DateTimeField(default=timezone.now, editable=False)
    updated_at = models.DateTimeField(auto_now=True)

    class Meta:
        verbose_name = _("customer")
        verbose_name_plural = _("customers")
        indexes = [models.Index(fields=["phone_digits"], name="customer_phone_digits_idx")]

    def __str__(self):
        return f"{self.name} ({self.external_ref})"

    def consents_to(self, channel: str) -> bool:
        return {
            self.Channel.EMAIL: self.consent_email,
            self.Channel.SMS: self.consent_sms,
            self.Channel.PHONE: self.consent_phone,
        }.get(channel, False)


class LocalizedNameMixin(models.Model):
    """Reference data with an English and a Simplified Chinese name, edited by managers."""

    name = models.CharField(_("name (English)"), max_length=100)
    name_zh_hans = models.CharField(_("name (Simplified Chinese)"), max_length=100, blank=True)

    class Meta:
        abstract = True

    def __str__(self):
        return self.display_name

    @property
    def display_name(self) -> str:
        if (get_language() or "").lower().startswith("zh") and self.name_zh_hans:
            return self.name_zh_hans
        return self.name


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
    root_cause = models.CharField(_("root cause"), max_length=200, blank=True)
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
        ]
        constraints = [
            models.CheckConstraint(
                condition=Q(sla_due_at__gte=models.F("received_at")), name="complaint_sla_after_received"
            ),
            models.CheckConstraint(
                condition=~Q(status__in=["resolved", "closed"]) | Q(resolved_at__isnull=False),
                name="complaint_resolved_has_time",
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
        constraints = [models.CheckConstraint(condition=Q(score__gte=0) & Q(score__lte=10), name="survey_score_0_10")]

    @property
    def is_promoter(self):
        return self.score >= 9

    @property
    def is_detractor(self):
        return self.score <= 6
