"""Playbooks and their versions; a case records the version it opened with."""

from django.conf import settings
from django.core.validators import MaxValueValidator, MinValueValidator
from django.db import models
from django.db.models import Q
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from core.models import LocalizedNameMixin

MONEY = {"max_digits": 14, "decimal_places": 2}
# Reminder and call windows: at most this many days before expiry (a year).
MAX_WINDOW_DAYS = 366


class Playbook(LocalizedNameMixin):
    """A named strategy; what it matches and does is its ``current_version``."""

    class Status(models.TextChoices):
        ACTIVE = "active", _("Active")
        RETIRED = "retired", _("Retired")

    code = models.SlugField(_("code"), max_length=32, unique=True)
    # Empty: every line (a default playbook always names its line).
    line = models.ForeignKey(
        "renewals.LineOfInsurance",
        on_delete=models.PROTECT,
        null=True,
        blank=True,
        related_name="playbooks",
        verbose_name=_("line"),
    )
    # Rules are tried by position (lower first), then id; each line's default comes after all of them.
    position = models.PositiveSmallIntegerField(_("order"), default=100)
    is_default = models.BooleanField(_("default of the line"), default=False)
    status = models.CharField(_("status"), max_length=8, choices=Status.choices, default=Status.ACTIVE)
    current_version = models.ForeignKey(
        "renewals.PlaybookVersion", on_delete=models.PROTECT, null=True, blank=True, related_name="+"
    )
    created_at = models.DateTimeField(default=timezone.now, editable=False)
    updated_at = models.DateTimeField(auto_now=True)

    class Meta:
        ordering = ["is_default", "position", "id"]
        verbose_name = _("playbook")
        verbose_name_plural = _("playbooks")
        constraints = [
            models.UniqueConstraint(
                fields=["line"], condition=Q(is_default=True, status="active"), name="playbook_one_default_per_line"
            ),
            models.CheckConstraint(condition=Q(is_default=False) | Q(line__isnull=False), name="playbook_default_line"),
            models.CheckConstraint(condition=Q(status__in=["active", "retired"]), name="playbook_status_valid"),
        ]


class PlaybookVersion(models.Model):
    """One immutable version of a playbook's rule and settings (an edit makes a new one)."""

    playbook = models.ForeignKey(Playbook, on_delete=models.CASCADE, related_name="versions")
    number = models.PositiveIntegerField(_("version"))
    # --- the rule: every non-empty condition must hold (empty lists and bounds match everything) ---
    segments = models.JSONField(_("segments"), default=list, blank=True)
    regions = models.JSONField(_("regions"), default=list, blank=True)
    channels = models.JSONField(_("sales channels"), default=list, blank=True)
    lifecycle_stages = models.JSONField(_("lifecycle stages"), default=list, blank=True)
    # A reversed band (from above up to) matches nothing, like a campaign's premium band: the settings
    # page's live count shows it. A case's churn risk is scored after it opens: a rule with a band
    # matches scored cases only (at opening none is; a re-apply after scoring picks them up).
    churn_risk_min = models.PositiveSmallIntegerField(
        _("churn risk from"), null=True, blank=True, validators=[MaxValueValidator(100)]
    )
    churn_risk_max = models.PositiveSmallIntegerField(
        _("churn risk up to"), null=True, blank=True, validators=[MaxValueValidator(100)]
    )
    premium_min = models.DecimalField(_("premium from"), null=True, blank=True, **MONEY)
    premium_max = models.DecimalField(_("premium up to"), null=True, blank=True, **MONEY)
    # --- what it sets ---
    # The reminder schedule variant, a subset of the line's steps (the statutory notice is always sent).
    remind_by_email = models.BooleanField(_("email reminders"), default=True)
    remind_by_sms = models.BooleanField(_("SMS reminders"), default=True)
    reminders_from_days = models.PositiveSmallIntegerField(
        _("reminders start (days before expiry)"),
        null=True,
        blank=True,
        validators=[MaxValueValidator(MAX_WINDOW_DAYS)],
        help_text=_("Empty: the line's whole schedule; otherwise earlier reminder steps are left out."),
    )
    call_tasks = models.BooleanField(_("call tasks"), default=True)
    call_from_days = models.PositiveSmallIntegerField(
        _("calls start (days before expiry)"),
        null=True,
        blank=True,
        validators=[MaxValueValidator(MAX_WINDOW_DAYS)],
        help_text=_("Empty: every call step of the line; otherwise earlier call steps are left out."),
    )
    # Only specialists with this skill get the case (empty: anyone, as the line's balancing decides).
    assignment_skill = models.SlugField(_("assignment pool (skill)"), max_length=32, blank=True)
    discount_authority_percent = models.DecimalField(
        _("discount authority override (%)"),
        max_digits=5,
        decimal_places=2,
        null=True,
        blank=True,
        validators=[MinValueValidator(0), MaxValueValidator(100)],
        help_text=_("Empty: each specialist's own authority on the line."),
    )
    first_contact_days = models.PositiveSmallIntegerField(
        _("first contact within (days)"), null=True, blank=True, validators=[MaxValueValidator(MAX_WINDOW_DAYS)]
    )
    note = models.CharField(_("note"), max_length=300, blank=True)
    created_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.SET_NULL, null=True, blank=True, related_name="+"
    )
    created_at = models.DateTimeField(default=timezone.now, editable=False)

    class Meta:
        ordering = ["playbook_id", "-number"]
        verbose_name = _("playbook version")
        verbose_name_plural = _("playbook versions")
        constraints = [
            models.UniqueConstraint(fields=["playbook", "number"], name="playbook_version_unique"),
            models.CheckConstraint(
                condition=Q(discount_authority_percent__isnull=True)
                | (Q(discount_authority_percent__gte=0) & Q(discount_authority_percent__lte=100)),
                name="playbook_authority_0_100",
            ),
        ]

    def __str__(self):
        return f"{self.playbook.code} v{self.number}"
