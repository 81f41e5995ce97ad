"""Figures on a worked example, read from the rollups and counted from the raw rows."""

import datetime as dt

import pytest

from analytics import selectors
from analytics.params import Filters, Period
from renewals.models import LineOfInsurance
from tests.analytics.factories import make_case

NOVEMBER = Period(dt.date(2026, 11, 1), dt.date(2026, 11, 30), "month")


@pytest.mark.parametrize("use_rollups", [True, False])
def test_worked_example_pending_and_not_offered_left_out(book, use_rollups):
    # When the November figures are computed
    figures = selectors.kpi_figures(NOVEMBER, Filters(), use_rollups=use_rollups)
    # Then not_offered leaves the cohort and pending cases do not dilute the renewal rate
    assert figures["cohort"] == 7
    assert figures["not_offered"] == 1
    assert (figures["renewed"], figures["lost"], figures["lapsed"]) == (3, 1, 1)
    assert (figures["decided"], figures["pending"]) == (5, 2)
    assert figures["renewal_rate"] == pytest.approx(0.6)
    assert figures["premium_retention"] == pytest.approx(4000 / 5500)
    # r1, r2 (quoted), lost (contacted), open1 (contacted), r3 renewed without a logged contact
    assert figures["funnel"] == pytest.approx({"contacted": 5 / 7, "quoted": 3 / 7, "renewed": 3 / 7})
    assert figures["lost_reasons"] == {"price": 1.0}
    assert (figures["nps"], figures["nps_responses"]) == (25.0, 4)
    assert (figures["promoters"], figures["passives"], figures["detractors"]) == (2, 1, 1)
    assert figures["complaints"] == 2
    assert figures["median_days_to_resolve"] == 2
    assert figures["resolved_within_sla_share"] == 1.0
    assert figures["upheld_share"] == 1.0


def test_policies_in_force_and_renewal_premium_share(book):
    figures = selectors.kpi_figures(NOVEMBER, Filters())
    # In force on 30 Nov: the 3 successor policies (start 15 Nov); the expiring ones ended on 15 Nov
    # and the October case's policy ended in October.
    assert figures["policies_in_force"] == 3
    assert figures["complaint_rate_per_1000"] == pytest.approx(2 * 1000 / 3)
    # Policies starting in November: only the three renewals
    assert figures["renewal_premium_share"] == 1.0


@pytest.mark.parametrize("use_rollups", [True, False])
def test_a_policy_whose_last_day_of_cover_is_the_periods_last_day_is_in_force(db, use_rollups):
    from analytics.services import rollups_refresh
    from tests.renewals.factories import PolicyFactory

    # given a policy covering December 2025 – 30 November 2026 and one that ended on 29 November
    PolicyFactory(start_date=dt.date(2025, 12, 1), end_date=dt.date(2026, 11, 30))
    PolicyFactory(start_date=dt.date(2025, 11, 30), end_date=dt.date(2026, 11, 29))
    rollups_refresh(full=True)
    # when November's figures are read
    figures = selectors.kpi_figures(NOVEMBER, Filters(), use_rollups=use_rollups)
    # then only the first is in force on 30 November, its last day of cover
    assert figures["policies_in_force"] == 1


def test_period_without_responses_or_complaints_is_no_data_not_zero(book):
    empty = Period(dt.date(2026, 8, 1), dt.date(2026, 8, 31), "month")
    figures = selectors.kpi_figures(empty, Filters())
    assert figures["cohort"] == 0
    assert figures["renewal_rate"] is None and figures["premium_retention"] is None
    assert figures["nps"] is None and figures["nps_responses"] == 0
    assert figures["complaints"] == 0
    assert figures["median_days_to_resolve"] is None
    assert figures["resolved_within_sla_share"] is None and figures["upheld_share"] is None
    assert figures["funnel"] == {"contacted": None, "quoted": None, "renewed": None}
    assert figures["lost_reasons"] == {}


def test_filters_narrow_every_figure(book, specialist):
    health = LineOfInsurance.objects.get(code="health")
    by_line = selectors.kpi_figures(NOVEMBER, Filters(line_id=health.pk, line_code="health"))
    assert (by_line["cohort"], by_line["renewed"], by_line["renewal_rate"]) == (1, 1, 1.0)
    mine = selectors.kpi_figures(NOVEMBER, Filters(assignee_id=specialist.pk, specialist=specialist.username))
    assert (mine["cohort"], mine["decided"], mine["pending"]) == (4, 2, 2)
    assert mine["nps_responses"] == 4  # the answers belong to r1, a case of this specialist
    vip = selectors.kpi_figures(NOVEMBER, Filters(segments=("vip",)))
    assert (vip["renewed"], vip["premium_retention"]) == (1, 0.9)


def test_partial_month_period_is_counted_from_raw_rows(book):
    # Given a case expiring on 1 December, outside a 15-30 November window
    make_case(due=dt.date(2026, 12, 1))
    window = Period(dt.date(2026, 11, 15), dt.date(2026, 11, 30))
    assert not window.month_aligned
    figures = selectors.kpi_figures(window, Filters())
    assert figures["cohort"] == 7


def test_dashboard_only_figures(book):
    figures = selectors.dashboard_figures(NOVEMBER, Filters())
    # Days to first contact of the cohort's contacted cases: 1, 2, 4, 6 -> median 3
    assert figures["median_days_to_contact"] == 3
    # High-value/VIP: only r2 (vip, renewed at 900 of 1000)
    assert figures["high_value"] == {"renewal_rate": 1.0, "premium_retention": 0.9}


def test_leaderboard_and_region_table(book, specialist, other_specialist):
    board = {row["username"]: row for row in selectors.specialist_leaderboard(NOVEMBER, Filters())}
    assert board["spec"]["cases_closed"] == 2 and board["spec"]["renewal_rate"] == 1.0
    assert board["spec"]["open_workload"] == 2
    assert board["spec2"]["cases_closed"] == 2 and board["spec2"]["renewal_rate"] == 0.5
    regions = {row["region"]: row for row in selectors.region_table(NOVEMBER, Filters())}
    assert regions["Zhejiang"]["renewal_rate"] == 1.0
    assert regions["Guangdong"]["decided"] == 3 and regions["Guangdong"]["pending"] == 2
