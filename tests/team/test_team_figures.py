"""Team figures against the hand-computed values of the small book (tests/team/conftest.py)."""

import datetime as dt
from decimal import Decimal

import pytest

from analytics.params import Filters, Period
from analytics.team.selectors import TeamReport, kpi_api_figures, period_totals, raw_totals

NOV = Period(dt.date(2026, 11, 1), dt.date(2026, 11, 30), "month")


def by_username(scorecard):
    return {person["user"].username: person for person in scorecard["people"]}


def test_team_processing_time_touches_and_cost(team_book, today):
    team = TeamReport(NOV, Filters()).team()
    figures = team["figures"]
    # Decided: 20, 30 and 10 days; first contact after 2, 4 and 1 days.
    assert figures["processing_time_days"] == pytest.approx(20.0)
    assert figures["days_to_first_contact"] == pytest.approx(7 / 3)
    # Manual: 4 contacts logged + 2 quotes + 1 call task; automated: SMS, e-mail, letter.
    assert figures["touches"] == 10 and figures["touches_per_case"] == pytest.approx(2.5)
    assert figures["manual_share"] == pytest.approx(0.7)
    # 0.05 + 0.01 + 3.00 + 3 calls (1 task, 2 phone contacts) × 5 min × 0.50 = 10.56 over 2 renewed.
    assert figures["contact_cost"] == Decimal("10.56")
    assert figures["cost_per_renewal"] == Decimal("5.28")
    assert figures["premium_retained"] == Decimal("3100")


def test_year_on_year_and_previous_period(team_book, today):
    compare = TeamReport(NOV, Filters()).team()["compare"]["processing_time_days"]
    assert compare["previous"] == pytest.approx(25.0)  # October 2026: one case, 25 days
    assert compare["year_ago"] == pytest.approx(35.0)  # November 2025: 40 and 30 days
    assert compare["vs_previous"] == pytest.approx(-0.2)
    assert compare["vs_year_ago"] == pytest.approx(-15 / 35)
    assert compare["on_target"] is True  # −43 % reaches the default −30 % target


def test_output_per_head_leaves_out_days_away(team_book, today):
    report = TeamReport(NOV, Filters())
    people = by_username(report.scorecard())
    # November 2026 has 21 weekdays; spec was away Mon 9 – Fri 13 (5 of them).
    assert people["spec"]["figures"]["working_days"] == 16
    assert people["spec"]["figures"]["output_per_day"] == pytest.approx(2 / 16)
    assert people["spec2"]["figures"]["working_days"] == 21
    assert people["spec2"]["figures"]["output_per_day"] == pytest.approx(1 / 21)
    assert report.team()["figures"]["output_per_day"] == pytest.approx(3 / 37)


def test_scorecard_parts_against_the_team_median(team_book, today):
    scorecard = TeamReport(NOV, Filters()).scorecard()
    people = by_username(scorecard)
    # Days to decision: spec (20 + 30) / 2 = 25, spec2 10; median 17.5; 10 points a day.
    assert scorecard["median"]["processing_time_days"] == pytest.approx(17.5)
    assert people["spec"]["parts"]["processing_time_days"]["index"] == pytest.approx(25.0)
    assert people["spec2"]["parts"]["processing_time_days"]["index"] == pytest.approx(175.0)
    assert people["spec"]["parts"]["complaints_per_100"]["value"] == pytest.approx(50.0)
    assert people["spec"]["parts"]["premium_retention"]["value"] == pytest.approx(0.55)
    # Parts (rr, pr, nps, complaints, notice, time), equal weights: spec 0, 0, 200, 0, 100, 25.
    assert people["spec"]["composite"] == pytest.approx(325 / 6)
    assert people["spec2"]["composite"] == pytest.approx(875 / 6)
    assert [p["user"].username for p in scorecard["people"]] == ["spec2", "spec"]


def test_raw_rows_agree_with_the_rollup(team_book, today):
    assert raw_totals(NOV, Filters()) == period_totals(NOV, Filters())


def test_kpi_keys_for_a_range_of_days(team_book, today):
    # 1–30 November as days (raw rows) gives the month's figures.
    days = Period(dt.date(2026, 11, 2), dt.date(2026, 11, 30), "custom")
    figures = kpi_api_figures(days, Filters())
    assert figures == {
        "processing_time_days": pytest.approx(20.0),
        "touches_per_case": pytest.approx(2.5),
        "manual_share": pytest.approx(0.7),
        "cost_per_renewal": Decimal("5.28"),
    }


def test_by_segment_and_by_line(team_book, today):
    report = TeamReport(NOV, Filters())
    segments = {row["segment"]: row for row in report.by_segment()}
    # Every case of the book is a standard customer's.
    assert segments["standard"]["figures"]["processing_time_days"] == pytest.approx(20.0)
    assert segments["standard"]["compare"]["processing_time_days"]["year_ago"] == pytest.approx(35.0)
    assert segments["vip"]["figures"]["processing_time_days"] is None
    lines = {row["line"].code: row for row in report.by_line()}
    assert lines["auto"]["figures"]["cost_per_renewal"] == Decimal("5.28")
    assert lines["auto"]["median_cycle"] == 20
    assert lines["health"]["figures"]["cases"] == 0
