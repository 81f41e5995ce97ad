"""The competitor list and the competitor quotes recorded on cases (tables, not text)."""

from django.conf import settings
from django.db import models
from django.db.models import Q
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from core.models import LocalizedNameMixin

MONEY = {"max_digits": 14, "decimal_places": 2}
# The lost reason whose cases name the competitor they went to (seeded in renewals 0002).
COMPETITOR_REASON_CODE = "competitor"


class Competitor(LocalizedNameMixin):
    """An insurer customers leave for or quote against; managers keep the list. Never deleted:
    a competitor no longer seen is retired (``active`` off) and keeps its history."""

    code = models.SlugField(_("code"), max_length=32, unique=True)
    active = models.BooleanField(_("active"), default=True)
    sort_order = models.PositiveSmallIntegerField(_("sort order"), default=0)

    class Meta:
        ordering = ["sort_order", "code"]
        verbose_name = _("competitor")
        verbose_name_plural = _("competitors")


class CompetitorQuote(models.Model):
    """A competitor's offer for a case: recorded while the case is open (re-shopping), or with a
    loss to that competitor (at most one per case, premium when known). ``our_premium`` is our
    quote when it was recorded (the expiring premium before any quote), so the price gap does not
    move when the case is quoted again."""

    class Kind(models.TextChoices):
        RESHOP = "reshop", _("Competitor quote")
        LOSS = "loss", _("Lost to competitor")

    case = models.ForeignKey("renewals.RenewalCase", on_delete=models.CASCADE, related_name="competitor_quotes")
    competitor = models.ForeignKey(Competitor, on_delete=models.PROTECT, related_name="quotes", db_index=False)
    kind = models.CharField(_("kind"), max_length=8, choices=Kind.choices, default=Kind.RESHOP)
    premium = models.DecimalField(_("competitor's premium"), **MONEY, null=True, blank=True)
    our_premium = models.DecimalField(_("our premium"), **MONEY)
    cover_notes = models.CharField(_("cover notes"), max_length=500, blank=True)
    recorded_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.SET_NULL, null=True, blank=True, related_name="+", db_index=False
    )
    created_at = models.DateTimeField(default=timezone.now)

    class Meta:
        ordering = ["-created_at", "-id"]
        verbose_name = _("competitor quote")
        verbose_name_plural = _("competitor quotes")
        constraints = [
            models.CheckConstraint(
                condition=Q(premium__isnull=True) | Q(premium__gte=0),
                name="competitor_quote_premium_not_negative",
                violation_error_message=_("Premium: must not be negative."),
            ),
            models.CheckConstraint(condition=Q(our_premium__gte=0), name="competitor_quote_ours_not_negative"),
            models.CheckConstraint(
                condition=Q(kind="loss") | Q(premium__isnull=False),
                name="competitor_quote_reshop_has_premium",
                violation_error_message=_("A competitor quote needs its premium."),
            ),
            models.UniqueConstraint(fields=["case"], condition=Q(kind="loss"), name="competitor_loss_once_per_case"),
        ]
        indexes = [
            # Losses by competitor: the rows of one competitor (case FK has its own index).
            models.Index(fields=["competitor", "kind"], name="competitor_quote_by_comp_idx"),
        ]

    @property
    def gap_percent(self):
        """(competitor − ours) / ours × 100; None without both premiums."""
        if self.premium is None or not self.our_premium:
            return None
        return (self.premium - self.our_premium) * 100 / self.our_premium
