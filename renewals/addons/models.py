"""The add-on catalogue and the add-ons quotes and policies carry (tables, not text)."""

from decimal import Decimal

from django.conf import settings
from django.core.validators import MinValueValidator
from django.db import models
from django.db.models import Q
from django.utils import timezone
from django.utils.translation import get_language
from django.utils.translation import gettext_lazy as _

from core.models import LocalizedNameMixin

MONEY = {"max_digits": 14, "decimal_places": 2}


class AddOn(LocalizedNameMixin):
    """A rider (priced cover on top of the base policy) or a value-added service of one line."""

    class Kind(models.TextChoices):
        RIDER = "rider", _("Rider")
        SERVICE = "service", _("Value-added service")

    class Pricing(models.TextChoices):
        FREE = "free", _("Free")
        FIXED = "fixed", _("Fixed amount")
        SHARE = "share", _("Share of the base premium")

    code = models.SlugField(_("code"), max_length=32, unique=True)
    line = models.ForeignKey("renewals.LineOfInsurance", on_delete=models.PROTECT, related_name="addons")
    kind = models.CharField(_("kind"), max_length=8, choices=Kind.choices)
    description = models.CharField(_("description (English)"), max_length=300, blank=True)
    description_zh_hans = models.CharField(_("description (Simplified Chinese)"), max_length=300, blank=True)
    pricing = models.CharField(_("pricing"), max_length=8, choices=Pricing.choices, default=Pricing.FIXED)
    # FIXED: the amount per term; SHARE: a percentage of the base premium; FREE: 0.
    amount = models.DecimalField(
        _("amount or percentage"),
        max_digits=12,
        decimal_places=2,
        default=Decimal("0"),
        validators=[MinValueValidator(Decimal("0"))],
    )
    # Eligibility: customer segments (empty: every segment) and a ceiling on one numeric policy
    # attribute of the import (e.g. vehicle_age ≤ 8); both must hold.
    segments = models.JSONField(_("segments"), default=list, blank=True)
    attribute_name = models.CharField(_("attribute"), max_length=64, blank=True)
    attribute_max = models.DecimalField(_("attribute at most"), max_digits=12, decimal_places=2, null=True, blank=True)
    provider = models.CharField(_("provider"), max_length=100, blank=True)
    capacity_note = models.CharField(_("capacity note"), max_length=200, blank=True)
    active_from = models.DateField(_("active from"), default=timezone.localdate)
    active_to = models.DateField(_("active to"), null=True, blank=True)

    class Meta:
        ordering = ["line_id", "kind", "code"]
        verbose_name = _("add-on")
        verbose_name_plural = _("add-ons")
        constraints = [
            models.CheckConstraint(
                condition=Q(amount__gte=0),
                name="addon_amount_not_negative",
                violation_error_message=_("The amount must not be negative."),
            ),
            models.CheckConstraint(
                condition=~Q(pricing="share") | Q(amount__lte=100),
                name="addon_share_at_most_100",
                violation_error_message=_("A share is at most 100 percent."),
            ),
            models.CheckConstraint(
                condition=Q(active_to__isnull=True) | Q(active_to__gte=models.F("active_from")),
                name="addon_active_dates_ordered",
                violation_error_message=_("The last day must not be before the first."),
            ),
        ]

    def description_in(self, language: str | None) -> str:
        if (language or "").lower().startswith("zh") and self.description_zh_hans:
            return self.description_zh_hans
        return self.description

    @property
    def display_description(self) -> str:
        return self.description_in(get_language())

    def is_active_on(self, day) -> bool:
        return self.active_from <= day and (self.active_to is None or day <= self.active_to)


class QuoteAddOn(models.Model):
    """An add-on priced into a quote (its own line in the breakdown, after the factors)."""

    quote = models.ForeignKey("renewals.Quote", on_delete=models.CASCADE, related_name="addon_lines")
    addon = models.ForeignKey(AddOn, on_delete=models.PROTECT, related_name="+")
    premium = models.DecimalField(_("premium"), **MONEY)

    class Meta:
        constraints = [models.UniqueConstraint(fields=["quote", "addon"], name="quote_addon_once")]


class PolicyAddOn(models.Model):
    """An add-on a policy carries (from the renewal quote, or from the import)."""

    policy = models.ForeignKey("renewals.Policy", on_delete=models.CASCADE, related_name="addon_lines")
    addon = models.ForeignKey(AddOn, on_delete=models.PROTECT, related_name="policy_lines")
    premium = models.DecimalField(_("premium"), **MONEY, default=Decimal("0"))

    class Meta:
        constraints = [models.UniqueConstraint(fields=["policy", "addon"], name="policy_addon_once")]
        # Attach rates scan by add-on.
        indexes = [models.Index(fields=["addon", "policy"], name="policy_addon_by_addon_idx")]


class ServiceUse(models.Model):
    """A value-added service used by a customer under a policy (recorded by staff or the import)."""

    policy = models.ForeignKey("renewals.Policy", on_delete=models.CASCADE, related_name="service_uses")
    addon = models.ForeignKey(AddOn, on_delete=models.PROTECT, related_name="+")
    used_on = models.DateField(_("used on"))
    note = models.CharField(_("note"), max_length=300, blank=True)
    recorded_by = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.SET_NULL, null=True, related_name="+")
    recorded_at = models.DateTimeField(default=timezone.now)

    class Meta:
        indexes = [models.Index(fields=["policy"], name="service_use_policy_idx")]


class AttachRate(models.Model):
    """The book's attach rate of an add-on per line and segment over the last 12 months: renewed
    cases whose successor carries it / renewed cases offered it. Refreshed set-based, nightly
    (``renewals.addons.selectors.attach_rates_refresh``); suggestions read it."""

    addon = models.ForeignKey(AddOn, on_delete=models.CASCADE, related_name="+")
    segment = models.CharField(max_length=16)
    offered = models.PositiveIntegerField()
    taken = models.PositiveIntegerField()
    computed_at = models.DateTimeField()

    class Meta:
        constraints = [models.UniqueConstraint(fields=["addon", "segment"], name="attach_rate_once")]

    @property
    def rate(self) -> Decimal | None:
        return Decimal(self.taken) / Decimal(self.offered) if self.offered else None


class ServiceRating(models.Model):
    """The customer's satisfaction (0-10) with a value-added service they used, from the optional
    question the NPS survey asks per service used."""

    service_use = models.ForeignKey(ServiceUse, on_delete=models.CASCADE, related_name="ratings")
    response = models.ForeignKey("customers.SurveyResponse", on_delete=models.CASCADE, related_name="+")
    score = models.PositiveSmallIntegerField(_("score"))
    created_at = models.DateTimeField(default=timezone.now)

    class Meta:
        constraints = [
            models.UniqueConstraint(fields=["service_use", "response"], name="service_rating_once"),
            models.CheckConstraint(condition=Q(score__lte=10), name="service_rating_0_10"),
        ]
        indexes = [models.Index(fields=["created_at"], name="service_rating_created_idx")]
