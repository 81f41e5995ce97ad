"""The renewal probability a quote buys, for the case page's quote preview (renewals.estimates).

Two estimators, registered in ``AnalyticsConfig.ready()``:
- the price-sensitivity curve: the renewal rate, over the last 12 months of expiries, of the
  quoted premium's change band for the case's line and segment (selectors.price_sensitivity);
- the churn model, when fitted and the case scored: the case's score moved along the model's
  premium-change coefficient by the discount (the only input the quote changes).
"""

from __future__ import annotations

import math
from decimal import Decimal

from django.utils.translation import gettext as _

from renewals.estimates import RenewalEstimate

from .selectors.price_sensitivity import BAND_LABELS, curve_estimate

PREMIUM_FEATURE = "rules_premium_change"
# A stored score of 0 or 100 has no finite log-odds; it is read as this close to the edge.
EDGE = 0.005


def curve_estimator(case, preview: dict) -> RenewalEstimate | None:
    found = curve_estimate(
        line_id=case.line_id,
        segment=case.customer.segment,
        expiring=Decimal(preview["expiring_premium"]),
        quoted=Decimal(preview["base_premium"]),  # without add-ons, as the curve counts
    )
    if found is None:
        return None
    scope = case.customer.get_segment_display() if found["scope"] != "*" else _("all segments")
    basis = _("price-sensitivity curve: %(band)s change, %(line)s, %(scope)s, %(n)d decided cases in 12 months") % {
        "band": BAND_LABELS[found["band"]],
        "line": case.line.display_name,
        "scope": scope,
        "n": found["decided"],
    }
    return RenewalEstimate("curve", _("Expected renewal at this premium"), found["rate"], basis)


def shifted_renewal_probability(*, churn_risk: int, coefficient: float, scale: float, change: float) -> float:
    """1 − sigmoid(logit(risk) + coefficient / scale × change): the churn model's renewal
    probability when the premium change moves by ``change`` (a fraction of the expiring premium)."""
    risk = min(max(churn_risk / 100, EDGE), 1 - EDGE)
    log_odds = math.log(risk / (1 - risk)) + (coefficient / scale) * change
    return 1 - 1 / (1 + math.exp(-log_odds))


def churn_estimator(case, preview: dict) -> RenewalEstimate | None:
    from .models import ChurnModelRun

    if case.churn_risk is None or not preview.get("expiring_premium"):
        return None
    run = ChurnModelRun.objects.filter(status=ChurnModelRun.Status.FITTED).only("coefficients", "diagnostics").first()
    if run is None:
        return None
    coefficient = run.coefficients.get(PREMIUM_FEATURE)
    scale = (run.diagnostics.get("scales") or {}).get(PREMIUM_FEATURE)
    if coefficient is None or not scale:
        return None
    change = float(
        (Decimal(preview["base_premium"]) - Decimal(preview["before_discount"])) / preview["expiring_premium"]
    )
    probability = shifted_renewal_probability(
        churn_risk=case.churn_risk, coefficient=float(coefficient), scale=float(scale), change=change
    )
    basis = _("churn model: the case's churn risk of %(risk)d%% moved by the discount") % {"risk": case.churn_risk}
    return RenewalEstimate("churn_model", _("Churn model at this premium"), probability, basis)
