"""The notice rule table (see the package docstring and docs/notice-rules.md)."""

from django.conf import settings
from django.db import models
from django.db.models import F, Q
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

# A rule for every region: a region's own rule wins over it.
ALL_REGIONS = "all"


class NoticeType(models.TextChoices):
    RENEWAL = "renewal", _("Renewal notice")
    ADVERSE_CHANGE = "adverse_change", _("Adverse change notice")
    NON_RENEWAL = "non_renewal", _("Non-renewal notice")


class NoticeRule(models.Model):
    """One version of the rule for (region, line, notice type): the notice must go out at least
    ``min_days`` and, when ``max_days`` is set, at most ``max_days`` before expiry, by one of
    ``proof_channels``; in force for policies expiring from ``effective_from`` to ``effective_to``
    (both inclusive; no end: open). Versions of one key never overlap (services refuse it); a rule is
    never deleted, it is end-dated."""

    region = models.CharField(_("region"), max_length=64, default=ALL_REGIONS)
    line = models.ForeignKey(
        "renewals.LineOfInsurance", on_delete=models.PROTECT, related_name="notice_rules", verbose_name=_("line")
    )
    notice_type = models.CharField(_("notice type"), max_length=16, choices=NoticeType.choices)
    min_days = models.PositiveSmallIntegerField(_("at least (days before expiry)"))
    max_days = models.PositiveSmallIntegerField(_("at most (days before expiry)"), null=True, blank=True)
    # Adverse change: a quoted premium rising by more than this share of the expiring premium.
    rate_rise_percent = models.DecimalField(
        _("premium rise above (%)"), max_digits=6, decimal_places=2, null=True, blank=True
    )
    # The notice channels (email, sms, letter) a notice under this rule may be proved by.
    proof_channels = models.JSONField(_("channels accepted as proof"), default=list)
    effective_from = models.DateField(_("for expiries from"))
    effective_to = models.DateField(_("for expiries until"), null=True, blank=True)
    created_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.SET_NULL, null=True, blank=True, related_name="+"
    )
    created_at = models.DateTimeField(default=timezone.now, editable=False)

    class Meta:
        ordering = ["line_id", "notice_type", "region", "effective_from"]
        verbose_name = _("notice rule")
        verbose_name_plural = _("notice rules")
        constraints = [
            models.CheckConstraint(
                condition=Q(max_days__isnull=True) | Q(max_days__gte=F("min_days")), name="notice_rule_window_order"
            ),
            models.CheckConstraint(
                condition=Q(effective_to__isnull=True) | Q(effective_to__gte=F("effective_from")),
                name="notice_rule_dates_order",
            ),
            models.CheckConstraint(
                condition=Q(notice_type="adverse_change") | Q(rate_rise_percent__isnull=True),
                name="notice_rule_rise_only_adverse",
            ),
            models.CheckConstraint(condition=Q(notice_type__in=NoticeType.values), name="notice_rule_type_valid"),
            models.UniqueConstraint(
                fields=["line", "notice_type", "region", "effective_from"], name="notice_rule_version_unique"
            ),
        ]
        # The unique index's leading (line, notice_type) serves every in-force lookup.

    def __str__(self):
        return f"{self.line_id} {self.notice_type} {self.region} {self.effective_from}"

    def in_force_on(self, day) -> bool:
        return self.effective_from <= day and (self.effective_to is None or day <= self.effective_to)

    def days_before(self, preferred: int) -> int:
        """``preferred`` days before expiry (the notice step's), moved inside the rule's window."""
        days = max(preferred, self.min_days)
        return min(days, self.max_days) if self.max_days is not None else days
