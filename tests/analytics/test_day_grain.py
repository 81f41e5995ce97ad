"""The day grain: a period inside months reads whole months from the rollups and edge days from the
fact tables (and the team's day rollup), with the figures a hand count gives."""

import datetime as dt
from decimal import Decimal

import pytest

from analytics import selectors
from analytics.params import Filters, Period
from analytics.selectors.days import split
from analytics.services import rollups_refresh
from analytics.team.selectors import period_totals, raw_totals
from analytics.team.services import team_rollups_refresh
from renewals.models import Stage
from tests.analytics.factories import at, make_case, make_complaint, make_response
from tests.renewals.factories import PolicyFactory


def test_split_into_whole_months_and_edge_days():
    assert split(Period(dt.date(2026, 2, 28), dt.date(2026, 3, 15))) == (
        None,
        [Period(dt.date(2026, 2, 28), dt.date(2026, 2, 28)), Period(dt.date(2026, 3, 1), dt.date(2026, 3, 15))],
    )
    months, edges = split(Period(dt.date(2026, 1, 10), dt.date(2026, 4, 17)))
    assert months == Period(dt.date(2026, 2, 1), dt.date(2026, 3, 31))
    assert edges == [
        Period(dt.date(2026, 1, 10), dt.date(2026, 1, 31)),
        Period(dt.date(2026, 4, 1), dt.date(2026, 4, 17)),
    ]
    assert split(Period(dt.date(2026, 2, 5), dt.date(2026, 2, 20))) == (
        None,
        [Period(dt.date(2026, 2, 5), dt.date(2026, 2, 20))],
    )
    assert split(Period(dt.date(2026, 2, 1), dt.date(2026, 3, 3)))[1] == [
        Period(dt.date(2026, 3, 1), dt.date(2026, 3, 3))
    ]


@pytest.fixture
def edges(db, specialist, other_specialist):
    cases = [
        make_case(
            due=dt.date(2026, 1, 31),
            stage=Stage.RENEWED,
            premium=Decimal("1000"),
            successor_premium=Decimal("1100"),
            assignee=specialist,
        ),
        make_case(due=dt.date(2026, 2, 1), stage=Stage.LOST, reason="price", assignee=specialist),
        make_case(due=dt.date(2026, 2, 15), stage=Stage.LAPSED, premium=Decimal("500"), assignee=other_specialist),
        make_case(
            due=dt.date(2026, 3, 1),
            stage=Stage.RENEWED,
            premium=Decimal("800"),
            successor_premium=Decimal("900"),
            assignee=specialist,
            contact_after_days=2,
        ),
        make_case(due=dt.date(2026, 3, 2), stage=Stage.OPEN, assignee=other_specialist),
    ]
    make_response(score=10, responded=at(dt.date(2026, 3, 2), 23), case=cases[3])
    make_response(score=2, responded=at(dt.date(2026, 2, 28), 0), case=cases[1])
    make_complaint(received=at(dt.date(2026, 3, 1), 0), case=cases[4], resolved_after_days=3.0, upheld=False)
    rollups_refresh(full=True)
    team_rollups_refresh()
    return cases


def test_figures_of_a_period_inside_months_by_hand(edges, specialist):
    # 31 January – 2 March: Jan 31 and Mar 1–2 are edge days, February a whole month.
    period = Period(dt.date(2026, 1, 31), dt.date(2026, 3, 2))
    figures = selectors.kpi_figures(period, Filters())
    assert (figures["renewed"], figures["lost"], figures["lapsed"], figures["pending"]) == (2, 1, 1, 1)
    assert figures["renewal_rate"] == 0.5
    assert figures["premium_retention"] == pytest.approx((1100 + 900) / (1000 + 1000 + 500 + 800))
    assert (figures["nps_responses"], figures["promoters"], figures["detractors"]) == (2, 1, 1)
    assert figures["complaints"] == 1
    # Without the February whole month: the two edge runs only.
    edge_only = selectors.kpi_figures(Period(dt.date(2026, 3, 1), dt.date(2026, 3, 1)), Filters())
    assert (edge_only["cohort"], edge_only["renewed"], edge_only["complaints"], edge_only["nps_responses"]) == (
        1,
        1,
        1,
        0,
    )
    mine = selectors.kpi_figures(period, Filters(assignee_id=specialist.pk, specialist=specialist.username))
    assert (mine["renewed"], mine["lost"], mine["lapsed"]) == (2, 1, 0)


@pytest.mark.parametrize(
    "start, end",
    [
        (dt.date(2026, 1, 31), dt.date(2026, 3, 2)),
        (dt.date(2026, 2, 1), dt.date(2026, 3, 1)),
        (dt.date(2026, 2, 15), dt.date(2026, 2, 15)),
        (dt.date(2026, 1, 1), dt.date(2026, 2, 14)),
        (dt.date(2025, 12, 31), dt.date(2026, 4, 1)),
    ],
)
def test_days_equal_raw_rows_with_policies_in_force(edges, specialist, start, end):
    # Policies that start and end around the last day test "in force" (rollup months + fact days).
    PolicyFactory(start_date=end, end_date=end + dt.timedelta(days=30))
    PolicyFactory(start_date=end - dt.timedelta(days=400), end_date=end - dt.timedelta(days=1))
    rollups_refresh(full=True)
    period = Period(start, end)
    for filters in (Filters(), Filters(assignee_id=specialist.pk, specialist=specialist.username)):
        assert selectors.kpi_figures(period, filters) == selectors.kpi_figures(period, filters, use_rollups=False)
        assert period_totals(period, filters) == raw_totals(period, filters)
