"""The KPI formulas of DESIGN.md §2 "Metric definitions", as small pure functions.

Inputs are counts and sums that SQL (or the rollups) produced; outputs are plain numbers.
A figure whose denominator is empty is ``None`` ("no data": "—" on screen, null in the API),
never 0 and never an error. Shares are floats between 0 and 1; NPS is between −100 and 100.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from decimal import ROUND_HALF_UP, Decimal

PROMOTER_MIN = 9
PASSIVE_MIN = 7


def _share(numerator, denominator) -> float | None:
    if not denominator:
        return None
    return float(Decimal(numerator) / Decimal(denominator))


def cohort(*, renewed: int, lost: int, lapsed: int, open_cases: int) -> int:
    """Cohort: cases whose policy expires in P; ``not_offered`` cases leave the cohort.

    So the cohort is renewed + lost + lapsed + still-open cases; not_offered is never an input.
    """
    return renewed + lost + lapsed + open_cases


def decided(*, renewed: int, lost: int, lapsed: int) -> int:
    """Decided = renewed + lost + lapsed."""
    return renewed + lost + lapsed


def pending(*, cohort_size: int, decided_count: int) -> int:
    """Pending = cohort − decided (the cases of the cohort still open)."""
    return cohort_size - decided_count


def renewal_rate(*, renewed: int, decided_count: int) -> float | None:
    """Renewal rate = renewed / decided (provisional while pending > 0; shown with pending)."""
    return _share(renewed, decided_count)


def premium_retention(*, successor_premium: Decimal, decided_expiring_premium: Decimal) -> float | None:
    """Premium retention = Σ successor premium of renewed cases / Σ expiring premium of decided cases."""
    return _share(successor_premium, decided_expiring_premium)


def funnel(*, cohort_size: int, contacted: int, quoted: int, renewed: int) -> dict[str, float | None]:
    """Funnel: of the cohort, the share that reached contacted, quoted, renewed.

    A case "reached contacted" when a first contact was logged or it got further (quoted or
    renewed); "reached quoted" when a quote was made or it renewed; so the shares never rise
    from one step to the next.
    """
    return {
        "contacted": _share(contacted, cohort_size),
        "quoted": _share(quoted, cohort_size),
        "renewed": _share(renewed, cohort_size),
    }


def median_from_histogram(histogram: Mapping[int, int]) -> float | None:
    """Median of values given as {value: how many}; the mean of the two middle values when the
    count is even; None when there are no values.

    Medians cannot be summed across rollup rows, histograms can: this is how the dashboard
    gets exact medians (median days to first contact, to resolve, cycle time) from rollups.
    """
    total = sum(count for count in histogram.values() if count > 0)
    if total == 0:
        return None
    low_rank, high_rank = (total + 1) // 2, total // 2 + 1  # 1-based ranks of the middle value(s)
    low = high = None
    seen = 0
    for value in sorted(histogram):
        count = histogram[value]
        if count <= 0:
            continue
        seen += count
        if low is None and seen >= low_rank:
            low = value
        if seen >= high_rank:
            high = value
            break
    return (low + high) / 2


def median(values: Iterable[int | float]) -> float | None:
    """Median of plain values (None when empty); same rule as :func:`median_from_histogram`."""
    histogram: dict = {}
    for value in values:
        histogram[value] = histogram.get(value, 0) + 1
    return median_from_histogram(histogram)


def median_days_to_first_contact(histogram: Mapping[int, int]) -> float | None:
    """Funnel: median whole days from case open to first contact, over the cohort's contacted cases."""
    return median_from_histogram(histogram)


def lost_reason_shares(counts: Mapping[str, int]) -> dict[str, float]:
    """Lost reasons: share of each reason among lost cases ({} when nothing was lost)."""
    total = sum(counts.values())
    if not total:
        return {}
    return {reason: _share(count, total) for reason, count in sorted(counts.items(), key=lambda kv: (-kv[1], kv[0]))}


def nps_counts(score_counts: Mapping[int, int]) -> dict[str, int]:
    """Promoters score 9–10, passives 7–8, detractors 0–6; ``responses`` is their total."""
    promoters = sum(n for score, n in score_counts.items() if score >= PROMOTER_MIN)
    passives = sum(n for score, n in score_counts.items() if PASSIVE_MIN <= score < PROMOTER_MIN)
    detractors = sum(n for score, n in score_counts.items() if score < PASSIVE_MIN)
    return {
        "responses": promoters + passives + detractors,
        "promoters": promoters,
        "passives": passives,
        "detractors": detractors,
    }


def nps(*, promoters: int, detractors: int, responses: int) -> float | None:
    """NPS over responses received in P = 100 × (promoters − detractors) / responses.

    Always shown with the response count; None when nobody answered.
    """
    if not responses:
        return None
    return float(Decimal(100) * (promoters - detractors) / Decimal(responses))


def complaint_rate_per_1000(*, complaints: int, policies_in_force: int) -> float | None:
    """Complaint rate = complaints received in P × 1000 / policies in force on the last day of P."""
    if not policies_in_force:
        return None
    return float(Decimal(complaints) * 1000 / Decimal(policies_in_force))


def median_days_to_resolve(histogram: Mapping[int, int]) -> float | None:
    """Median whole days from received to resolved, over complaints resolved in P."""
    return median_from_histogram(histogram)


def resolved_within_sla_share(*, within_sla: int, resolved: int) -> float | None:
    """Share of the complaints resolved in P whose resolved_at ≤ sla_due_at."""
    return _share(within_sla, resolved)


def upheld_share(*, upheld: int, resolved_with_verdict: int) -> float | None:
    """Upheld share: of the complaints resolved in P with a verdict recorded, the share upheld."""
    return _share(upheld, resolved_with_verdict)


def renewal_premium_share(*, renewal_premium: Decimal, all_premium: Decimal) -> float | None:
    """Renewal premium share = premium of renewal policies starting in P / premium of all policies starting in P."""
    return _share(renewal_premium, all_premium)


def specialist_productivity(
    *,
    renewed: int,
    lost: int,
    lapsed: int,
    successor_premium: Decimal,
    decided_expiring_premium: Decimal,
    cycle_days: Mapping[int, int],
    open_workload: int,
) -> dict:
    """Specialist productivity: cases closed (decided), renewal rate, premium retained (Σ successor
    premium of renewed cases), premium retention, median cycle time (days from open to decision of
    the decided cases), open workload (open cases assigned now, whatever their expiry)."""
    closed = decided(renewed=renewed, lost=lost, lapsed=lapsed)
    return {
        "cases_closed": closed,
        "renewed": renewed,
        "renewal_rate": renewal_rate(renewed=renewed, decided_count=closed),
        "premium_retained": Decimal(successor_premium),
        "premium_retention": premium_retention(
            successor_premium=successor_premium, decided_expiring_premium=decided_expiring_premium
        ),
        "median_cycle_days": median_from_histogram(cycle_days),
        "open_workload": open_workload,
    }


def high_value_retention(
    *, renewed: int, decided_count: int, successor_premium: Decimal, decided_expiring_premium: Decimal
) -> dict[str, float | None]:
    """High-value/VIP retention: renewal rate and premium retention over cases of customers in the
    high value and VIP segments (same formulas as for the whole cohort)."""
    return {
        "renewal_rate": renewal_rate(renewed=renewed, decided_count=decided_count),
        "premium_retention": premium_retention(
            successor_premium=successor_premium, decided_expiring_premium=decided_expiring_premium
        ),
    }


def reactivation_rate(*, reactivated: int, reached: int) -> float | None:
    """Reactivation rate = win-back campaign members who took a new policy inside the campaign's
    window / members reached (reactivated + declined + no response; unreachable ones are left out),
    counted by the day their outcome was settled in the period. None without members."""
    return _share(reactivated, reached)


def change(current: float | None, previous: float | None) -> float | None:
    """Difference current − previous (absolute, in the figure's own unit); None if either is missing."""
    if current is None or previous is None:
        return None
    return current - previous


def attach_rate(*, offered: int, taken: int) -> float | None:
    """Attach rate = renewed cases whose successor policy carries the add-on / renewed cases
    offered it (on any quote of the case). Summed over add-ons for the overall figure."""
    return _share(taken, offered)


def cross_sell_rate(*, crossed: int, customers: int) -> float | None:
    """Cross-sell rate = customers renewed in P who took a policy of another line, one they held
    none of on the renewal day, starting within 90 days after it / customers renewed in P."""
    return _share(crossed, customers)


def premium_per_customer(*, premium: Decimal, customers: int) -> Decimal | None:
    """Premium per customer (客均保费) = Σ successor premium of the renewed cases / customers renewed,
    in money (rounded half-up to cents). The part add-ons explain is the same with Σ add-on premium."""
    if not customers:
        return None
    return (Decimal(premium) / Decimal(customers)).quantize(Decimal("0.01"), rounding=ROUND_HALF_UP)


def service_satisfaction(*, total: int, responses: int) -> float | None:
    """Value-added service satisfaction = the mean 0-10 score of the survey's optional question per
    service used, over the answers given in P (shown with their count)."""
    if not responses:
        return None
    return float(Decimal(total) / Decimal(responses))


def per_case(count: int, cases: int) -> float | None:
    """Cost per case of a playbook = reminder messages sent (or call tasks done) for the cohort's
    cases / cases in the cohort (docs/analytics.md, "Playbooks compared")."""
    if not cases:
        return None
    return count / cases


# Premium-change bands of the price-sensitivity curve: (code, lower bound exclusive, upper bound
# inclusive) in percent of the expiring premium; None is open-ended. "≤ −5 %" holds −5 itself,
# "−5..0" holds 0, "0..5" holds 5, and so on.
PREMIUM_CHANGE_BANDS = (
    ("le_m5", None, Decimal("-5")),
    ("m5_0", Decimal("-5"), Decimal("0")),
    ("p0_5", Decimal("0"), Decimal("5")),
    ("p5_10", Decimal("5"), Decimal("10")),
    ("p10_20", Decimal("10"), Decimal("20")),
    ("gt20", Decimal("20"), None),
)


def premium_change_band(*, expiring: Decimal, quoted: Decimal) -> str | None:
    """The band of the premium change (quoted − expiring) / expiring × 100; None without an
    expiring premium. Compared without dividing, so a change of exactly −5 % falls in "≤ −5 %"."""
    if not expiring or expiring <= 0:
        return None
    change = (Decimal(quoted) - Decimal(expiring)) * 100
    for code, _low, high in PREMIUM_CHANGE_BANDS:
        if high is None or change <= high * Decimal(expiring):
            return code
    return None  # pragma: no cover - the last band is open-ended


def renewal_rate_in_band(*, renewed: int, decided_count: int) -> float | None:
    """Renewal rate by premium-change band = renewed / decided among the cohort's decided cases
    with a quote, whose current quote (without add-ons) changed the premium by that band (shown
    with its count)."""
    return _share(renewed, decided_count)


def price_gap_percent(*, ours: Decimal, theirs: Decimal) -> float | None:
    """Price gap = (competitor's premium − our quote) / our quote × 100: negative when the
    competitor is cheaper."""
    if not ours:
        return None
    return float((Decimal(theirs) - Decimal(ours)) * 100 / Decimal(ours))


def win_rate_against_competitor(*, renewed: int, decided_count: int) -> float | None:
    """Win rate when a competitor quote was recorded = renewed / decided among the cohort's decided
    cases that carry at least one re-shopping competitor quote."""
    return _share(renewed, decided_count)
