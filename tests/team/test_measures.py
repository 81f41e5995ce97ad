"""The team measures as pure functions, without a database."""

import datetime as dt
from decimal import Decimal

import pytest

from analytics.team import measures


def test_working_days_skip_weekends_and_days_away():
    # November 2026: 21 weekdays; away Monday 9 to Sunday 15 takes five of them.
    away = {dt.date(2026, 11, 9) + dt.timedelta(days=n) for n in range(7)}
    assert measures.working_days(dt.date(2026, 11, 1), dt.date(2026, 11, 30)) == 21
    assert measures.working_days(dt.date(2026, 11, 1), dt.date(2026, 11, 30), away) == 16
    assert measures.working_days(dt.date(2026, 11, 30), dt.date(2026, 11, 1)) == 0


def test_away_days_from_the_switches():
    start, end = dt.date(2026, 11, 1), dt.date(2026, 11, 30)
    on_off = [(dt.date(2026, 11, 9), True), (dt.date(2026, 11, 16), False)]
    assert measures.away_days(on_off, start=start, end=end, away_now=False) == {
        dt.date(2026, 11, 9) + dt.timedelta(days=n) for n in range(7)
    }
    # Switched on in October and never off: away the whole month.
    assert len(measures.away_days([(dt.date(2026, 10, 20), True)], start=start, end=end, away_now=True)) == 30
    # Switched off on the 3rd, the first switch on record: away on the 1st and 2nd.
    assert measures.away_days([(dt.date(2026, 11, 3), False)], start=start, end=end, away_now=False) == {
        dt.date(2026, 11, 1),
        dt.date(2026, 11, 2),
    }
    assert measures.away_days([], start=start, end=end, away_now=False) == set()
    # Away later than the period: nothing in it.
    assert measures.away_days([(dt.date(2026, 12, 5), True)], start=start, end=end, away_now=True) == set()


def test_cost_per_renewal_prices_each_channel():
    cost = measures.contact_cost(
        sms=10,
        emails=20,
        letters=1,
        calls=2,
        sms_cost=Decimal("0.05"),
        email_cost=Decimal("0.01"),
        letter_cost=Decimal("3.00"),
        call_minute_cost=Decimal("0.50"),
        minutes_per_call=Decimal("5"),
    )
    assert cost == Decimal("8.70")  # 0.50 + 0.20 + 3.00 + 2 × 5 × 0.50
    assert measures.cost_per_renewal(cost=cost, renewed=3) == Decimal("2.90")
    assert measures.cost_per_renewal(cost=cost, renewed=0) is None


def test_shares_and_means_with_empty_denominators():
    assert measures.manual_share(manual=7, automated=3) == pytest.approx(0.7)
    assert measures.manual_share(manual=0, automated=0) is None
    assert measures.processing_time_days(cycle_days=60, decided_with_dates=3) == pytest.approx(20)
    assert measures.processing_time_days(cycle_days=0, decided_with_dates=0) is None
    assert measures.complaints_per_100(complaints=1, cases=2) == pytest.approx(50)
    assert measures.output_per_day(decided=2, working_days_count=0) is None


def test_scorecard_index_is_100_at_the_median_and_clipped():
    assert measures.scorecard_index(0.80, 0.80, step=0.01, higher_is_better=True) == pytest.approx(100)
    assert measures.scorecard_index(0.82, 0.80, step=0.01, higher_is_better=True) == pytest.approx(120)
    assert measures.scorecard_index(12, 10, step=1, higher_is_better=False) == pytest.approx(80)
    assert measures.scorecard_index(1.0, 0.5, step=0.01, higher_is_better=True) == 200
    assert measures.scorecard_index(None, 0.5, step=0.01, higher_is_better=True) is None


def test_composite_leaves_out_missing_parts_and_zero_weights():
    indexes = {"renewal_rate": 120.0, "nps": None, "processing_time_days": 60.0}
    assert measures.composite(indexes, {"renewal_rate": 3, "nps": 5, "processing_time_days": 1}) == pytest.approx(
        (3 * 120 + 60) / 4
    )
    assert measures.composite(indexes, {"renewal_rate": 0, "nps": 1, "processing_time_days": 0}) is None


def test_change_against_an_earlier_period_and_the_target():
    assert measures.relative_change(14.0, 20.0) == pytest.approx(-0.3)
    assert measures.relative_change(14.0, 0) is None
    assert measures.on_target(-0.31, -30) is True
    assert measures.on_target(-0.2, -30) is False
