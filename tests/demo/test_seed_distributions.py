"""The seeded demo reads like a real book: the rates and mixes planted in demo/reference.py come
out of the generated rows, by line AND by segment, and the customer's voice has its planted shape
(complaint categories and severities, NPS after a renewal against after a loss).

The expected figures are worked out here from the planted values, and the seeded rows are counted
with SQL: a different path from the numpy code that generates them. The book is big enough
(20,000 policies, seed 1) for the tolerances to be several standard errors wide.
"""

import datetime as dt

import pytest
from django.core.management import call_command
from django.db.models import Count, Q

from customers.models import Complaint, SurveyResponse
from demo.reference import COMPLAINT_CATEGORY_MIX, NOT_RENEWED_SPLIT, RENEW_BASE, RENEW_SEGMENT
from renewals.models import RenewalCase

pytestmark = pytest.mark.django_db

BOOK = {"customers": 10_000, "policies": 20_000, "seed": 1, "date": dt.date(2026, 6, 15)}
# Complaint severities and NPS bands as planted in demo/voice.py (promoter, passive, detractor).
SEVERITY_MIX = {"low": 0.25, "normal": 0.60, "high": 0.15}
NPS_BANDS_AFTER = {"renewed": (0.52, 0.30, 0.18), "lost": (0.12, 0.28, 0.60)}


def seed_book():
    call_command("seed_demo", reset=True, skip_derived=True, verbosity=0, **BOOK)


def planted_renewal_rate(p_renew: float) -> float:
    """Renewed / decided for a renewal probability: of the cases that do not renew, the lost and
    lapsed ones are decided and the not-offered ones leave the cohort (NOT_RENEWED_SPLIT)."""
    lost, lapsed, _not_offered = NOT_RENEWED_SPLIT
    return p_renew / (p_renew + (1 - p_renew) * (lost + lapsed))


def renewal_rates(dimension: str) -> dict[str, float]:
    rows = RenewalCase.objects.values_list(dimension).annotate(
        renewed=Count("id", filter=Q(stage="renewed")),
        decided=Count("id", filter=Q(stage__in=["renewed", "lost", "lapsed"])),
    )
    return {key: renewed / decided for key, renewed, decided in rows}


def shares(queryset, field: str) -> dict[str, float]:
    counts = dict(queryset.values_list(field).annotate(n=Count("id")))
    total = sum(counts.values())
    return {key: n / total for key, n in counts.items()}


def test_outcome_rates_come_out_as_planted_by_line_and_by_segment():
    seed_book()
    by_line = renewal_rates("line__code")
    for line_code, base in RENEW_BASE.items():
        # e.g. auto: 0.80 / (0.80 + 0.20 × 0.94) = 0.810; tenure, claims and channel move it a little
        assert by_line[line_code] == pytest.approx(planted_renewal_rate(base), abs=0.05), (line_code, by_line)
    by_segment = renewal_rates("customer__segment")
    assert 0.75 < by_segment["standard"] < 0.87, by_segment
    for segment in ("high_value", "vip"):
        # the planted lift over standard customers: +4 points for high value, +7 for VIP
        lift = by_segment[segment] - by_segment["standard"]
        assert lift == pytest.approx(RENEW_SEGMENT[segment], abs=0.035), (segment, by_segment)
    assert by_segment["vip"] > by_segment["high_value"] > by_segment["standard"]


def test_complaints_and_survey_answers_have_their_planted_distributions():
    seed_book()
    complaints = Complaint.objects.all()
    assert complaints.count() == pytest.approx(0.04 * BOOK["policies"], rel=0.05)  # 4 per 100 policies
    categories = shares(complaints, "category__code")
    assert set(categories) == set(COMPLAINT_CATEGORY_MIX)
    for code, planted in COMPLAINT_CATEGORY_MIX.items():
        assert categories[code] == pytest.approx(planted, abs=0.05), (code, categories)
    severities = shares(complaints, "severity")
    for severity, planted in SEVERITY_MIX.items():
        assert severities[severity] == pytest.approx(planted, abs=0.05), (severity, severities)
    statuses = set(complaints.values_list("status", flat=True))
    assert {"new", "acknowledged", "in_progress", "resolved", "closed"} <= statuses
    # resolved complaints have a verdict about 40 % of the time upheld
    resolved = complaints.filter(resolved_at__isnull=False)
    assert resolved.filter(upheld=True).count() / resolved.count() == pytest.approx(0.4, abs=0.05)

    answers = SurveyResponse.objects.all()
    assert not answers.exclude(case__stage__in=["renewed", "lost"]).exists()  # only after a decision
    assert set(answers.values_list("score", flat=True)) == set(range(11))  # the whole 0..10 spread
    nps = {}
    for stage, (promoters, passives, detractors) in NPS_BANDS_AFTER.items():
        after = answers.filter(case__stage=stage)
        n = after.count()
        got = (
            after.filter(score__gte=9).count() / n,
            after.filter(score__in=[7, 8]).count() / n,
            after.filter(score__lte=6).count() / n,
        )
        tolerance = 0.05 if stage == "renewed" else 0.1  # about 1,100 and 200 answers
        assert got == pytest.approx((promoters, passives, detractors), abs=tolerance), (stage, got)
        nps[stage] = 100 * (got[0] - got[2])
    # planted: +34 after a renewal, −48 after a loss
    assert nps["renewed"] > 20 > -30 > nps["lost"]
    assert nps["renewed"] - nps["lost"] > 60
