"""KPI formulas on worked examples (DESIGN §2), without a database."""

from decimal import Decimal

from analytics import kpis


def test_cohort_leaves_out_not_offered_and_pending_is_cohort_minus_decided():
    # Given 6 renewed, 2 lost, 1 lapsed and 3 open cases (not_offered cases are never passed in)
    cohort = kpis.cohort(renewed=6, lost=2, lapsed=1, open_cases=3)
    decided = kpis.decided(renewed=6, lost=2, lapsed=1)
    # Then the cohort is 12, decided 9, pending 3
    assert (cohort, decided, kpis.pending(cohort_size=cohort, decided_count=decided)) == (12, 9, 3)


def test_renewal_rate_counts_decided_cases_only_so_pending_does_not_dilute_it():
    assert kpis.renewal_rate(renewed=6, decided_count=9) == 6 / 9


def test_renewal_rate_without_decided_cases_is_no_data():
    assert kpis.renewal_rate(renewed=0, decided_count=0) is None


def test_premium_retention_is_successor_premium_over_expiring_premium_of_decided():
    value = kpis.premium_retention(successor_premium=Decimal("5500.00"), decided_expiring_premium=Decimal("10000.00"))
    assert value == 0.55
    assert kpis.premium_retention(successor_premium=Decimal("0"), decided_expiring_premium=Decimal("0")) is None


def test_funnel_shares_are_of_the_cohort():
    assert kpis.funnel(cohort_size=10, contacted=8, quoted=5, renewed=4) == {
        "contacted": 0.8,
        "quoted": 0.5,
        "renewed": 0.4,
    }
    assert kpis.funnel(cohort_size=0, contacted=0, quoted=0, renewed=0) == {
        "contacted": None,
        "quoted": None,
        "renewed": None,
    }


def test_median_from_histogram_odd_even_and_empty():
    assert kpis.median_from_histogram({1: 1, 3: 1, 10: 1}) == 3
    assert kpis.median_from_histogram({2: 2, 4: 1, 6: 1}) == 3  # 2,2,4,6 -> (2+4)/2
    assert kpis.median_from_histogram({5: 4}) == 5
    assert kpis.median_from_histogram({}) is None
    assert kpis.median_from_histogram({3: 0}) is None
    assert kpis.median([7, 1, 3, 2]) == 2.5


def test_lost_reason_shares_among_lost_cases():
    assert kpis.lost_reason_shares({"price": 3, "service": 1}) == {"price": 0.75, "service": 0.25}
    assert kpis.lost_reason_shares({}) == {}


def test_nps_promoters_passives_detractors_worked_example():
    # Given scores 10, 9, 9, 8, 7, 6, 0, 3 -> 3 promoters, 2 passives, 3 detractors
    counts = kpis.nps_counts({10: 1, 9: 2, 8: 1, 7: 1, 6: 1, 0: 1, 3: 1})
    assert counts == {"responses": 8, "promoters": 3, "passives": 2, "detractors": 3}
    # Then NPS = 100 x (3 - 3) / 8 = 0
    assert kpis.nps(promoters=3, detractors=3, responses=8) == 0
    assert kpis.nps(promoters=3, detractors=1, responses=8) == 25


def test_nps_with_no_responses_is_no_data():
    assert kpis.nps_counts({}) == {"responses": 0, "promoters": 0, "passives": 0, "detractors": 0}
    assert kpis.nps(promoters=0, detractors=0, responses=0) is None


def test_complaint_rate_per_thousand_policies_in_force():
    assert kpis.complaint_rate_per_1000(complaints=3, policies_in_force=1500) == 2
    # No complaints with policies in force is a real zero; no policies in force is no data
    assert kpis.complaint_rate_per_1000(complaints=0, policies_in_force=1500) == 0
    assert kpis.complaint_rate_per_1000(complaints=0, policies_in_force=0) is None


def test_complaint_resolution_figures_and_no_complaints():
    assert kpis.median_days_to_resolve({1: 1, 4: 2}) == 4
    assert kpis.resolved_within_sla_share(within_sla=3, resolved=4) == 0.75
    assert kpis.upheld_share(upheld=1, resolved_with_verdict=4) == 0.25
    assert kpis.median_days_to_resolve({}) is None
    assert kpis.resolved_within_sla_share(within_sla=0, resolved=0) is None
    assert kpis.upheld_share(upheld=0, resolved_with_verdict=0) is None


def test_renewal_premium_share():
    assert kpis.renewal_premium_share(renewal_premium=Decimal("600"), all_premium=Decimal("800")) == 0.75
    assert kpis.renewal_premium_share(renewal_premium=Decimal("0"), all_premium=Decimal("0")) is None


def test_specialist_productivity_worked_example():
    figures = kpis.specialist_productivity(
        renewed=3,
        lost=1,
        lapsed=0,
        successor_premium=Decimal("3300.00"),
        decided_expiring_premium=Decimal("4000.00"),
        cycle_days={10: 2, 30: 2},
        open_workload=7,
    )
    assert figures == {
        "cases_closed": 4,
        "renewed": 3,
        "renewal_rate": 0.75,
        "premium_retained": Decimal("3300.00"),
        "premium_retention": 0.825,
        "median_cycle_days": 20,
        "open_workload": 7,
    }


def test_specialist_without_closed_cases_has_no_rates():
    figures = kpis.specialist_productivity(
        renewed=0,
        lost=0,
        lapsed=0,
        successor_premium=Decimal("0"),
        decided_expiring_premium=Decimal("0"),
        cycle_days={},
        open_workload=2,
    )
    assert figures["renewal_rate"] is None and figures["median_cycle_days"] is None
    assert figures["open_workload"] == 2


def test_high_value_retention_and_change():
    assert kpis.high_value_retention(
        renewed=1, decided_count=2, successor_premium=Decimal("900"), decided_expiring_premium=Decimal("2000")
    ) == {"renewal_rate": 0.5, "premium_retention": 0.45}
    assert kpis.change(0.8, 0.75) == 0.8 - 0.75
    assert kpis.change(None, 0.75) is None
