"""Periods: the sane calendar range, any day range, the opening period and year on year (issues 11, 12).

Every expected figure is worked out by hand in the test from the cases it makes.
"""

import datetime as dt
from decimal import Decimal

import pytest
import time_machine
from django.utils import timezone
from rest_framework.test import APIClient

from analytics import selectors
from analytics.params import Filters, Period, period_from_api, period_from_query
from analytics.services import rollups_refresh
from core.errors import ApplicationError
from renewals.models import Stage
from tests.analytics.factories import at, make_case, make_complaint, make_response

API = "/api/v1/kpis/"
EDGES = ["0001-01", "9999-12"]


@pytest.fixture
def api(manager):
    client = APIClient()
    client.force_authenticate(manager)
    return client


# --------------------------------------------------------------------------- the sane range (issue 11)


@pytest.mark.parametrize("month", EDGES)
@pytest.mark.parametrize("kind", ["month", "quarter", "year"])
@pytest.mark.parametrize("path", ["/analytics/", "/analytics/export/kpis.csv", "/analytics/cases/"])
def test_a_period_at_either_end_of_the_calendar_is_a_clear_400_on_every_page(
    db, client_for, manager, path, kind, month
):
    response = client_for(manager).get(path, {"period": kind, "month": month})
    assert response.status_code == 400
    assert "between 2000-01" in response.content.decode()


@pytest.mark.parametrize(
    ("start", "end"), [("0001-01-01", "0001-12-31"), ("9999-01-01", "9999-12-31"), ("1999-12-31", "2000-01-31")]
)
@pytest.mark.parametrize("path", ["/analytics/", "/analytics/export/kpis.csv"])
def test_a_custom_range_outside_the_sane_range_is_a_clear_400(db, client_for, manager, path, start, end):
    response = client_for(manager).get(path, {"period": "custom", "from": start, "to": end})
    assert response.status_code == 400
    assert "between 2000-01-01" in response.content.decode()


def test_the_dashboard_shows_the_error_with_its_filter_form(db, client_for, manager):
    html = client_for(manager).get("/analytics/", {"period": "year", "month": "9999-12"}).content.decode()
    assert 'id="dashboard-filters"' in html
    assert 'role="alert"' in html and 'id="f-month"' in html


def test_an_htmx_request_with_a_bad_period_gets_the_error_in_the_body(db, client_for, manager):
    response = client_for(manager).get("/analytics/", {"period": "year", "month": "0001-01"}, HTTP_HX_REQUEST="true")
    assert response.status_code == 400
    html = response.content.decode()
    assert html.lstrip().startswith('<div id="dashboard-body"') and 'role="alert"' in html


@pytest.mark.parametrize(
    ("params", "field"),
    [
        ({"start": "9999-01-01", "end": "9999-12-31"}, "start"),
        ({"start": "2026-01-01", "end": "9999-12-31"}, "end"),
        ({"start": "0001-01-01", "end": "0001-01-31"}, "start"),
        ({"from": "9999-01-01", "to": "9999-12-31"}, "from"),
        ({"start": "1999-12-01", "end": "1999-12-31"}, "start"),
    ],
)
def test_the_api_answers_400_naming_the_parameter_out_of_range(db, api, params, field):
    response = api.get(API, params)
    assert response.status_code == 400
    body = response.json()
    assert field in body["errors"] and body["code"] == "out_of_range"


def test_the_first_and_last_allowed_months_work_with_their_comparisons(db, client_for, manager, api):
    today = timezone.localdate()
    last = dt.date(today.year + 5, today.month, 1)
    client = client_for(manager)
    for kind in ("month", "quarter", "year"):
        assert client.get("/analytics/", {"period": kind, "month": "2000-01"}).status_code == 200
    assert client.get("/analytics/", {"period": "month", "month": f"{last:%Y-%m}"}).status_code == 200
    response = api.get(API, {"start": "2000-01-01", "end": "2000-01-31", "compare": "true"})
    assert response.status_code == 200
    assert response.json()["comparison"]["year_on_year"]["start"] == "1999-01-01"


def test_one_rule_for_page_and_api():
    # the page's parser and the API's parser refuse the same day with the same code
    with pytest.raises(ApplicationError) as page_error:
        period_from_query({"period": "custom", "from": "2026-01-01", "to": "9999-12-31"})
    with pytest.raises(ApplicationError) as api_error:
        period_from_api({"start": "2026-01-01", "end": "9999-12-31"})
    assert page_error.value.code == api_error.value.code
    assert (page_error.value.field, api_error.value.field) == ("to", "end")


# --------------------------------------------------------------------------- any day range (issue 12)


@pytest.fixture
def november_days(db):
    """Cases expiring 5 Nov (renewed), 12 Nov (lost), 18 Nov (renewed), 25 Nov (lost).

    10-20 Nov (11 days): cohort 2 (12th lost, 18th renewed) -> renewal rate 1/2.
    The 11 days before it, 30 Oct - 9 Nov: the 5th, renewed -> 1/1.
    """
    for day, stage in ((5, Stage.RENEWED), (12, Stage.LOST), (18, Stage.RENEWED), (25, Stage.LOST)):
        make_case(due=dt.date(2026, 11, day), stage=stage)
    rollups_refresh(full=True)


def test_a_custom_period_is_any_day_range_on_the_page(november_days, client_for, manager):
    client = client_for(manager)
    response = client.get("/analytics/", {"period": "custom", "from": "2026-11-10", "to": "2026-11-20"})
    assert response.status_code == 200
    html = response.content.decode()
    assert 'data-period="2026-11-10 – 2026-11-20"' in html
    renewal_tile = html.split('data-kpi="renewal_rate"')[1].split('data-kpi="premium_retention"')[0]
    assert "50.0%" in renewal_tile
    assert "vs 100.0%" in renewal_tile  # the 11 days before: 30 Oct - 9 Nov
    assert 'value="2026-11-10"' in html and 'value="2026-11-20"' in html


def test_the_kpis_export_of_a_day_range_counts_those_days_only(november_days, client_for, manager):
    csv_text = (
        client_for(manager)
        .get("/analytics/export/kpis.csv", {"period": "custom", "from": "2026-11-10", "to": "2026-11-20"})
        .content.decode()
    )
    renewal_row = next(line for line in csv_text.splitlines() if line.startswith("renewal_rate,"))
    assert renewal_row.startswith("renewal_rate,Renewal rate,0.5,1.0,")


def test_custom_months_keep_working(november_days, client_for, manager):
    response = client_for(manager).get("/analytics/", {"period": "custom", "from": "2026-10", "to": "2026-11"})
    assert response.status_code == 200
    assert 'data-period="2026-10 – 2026-11"' in response.content.decode()


def test_the_previous_period_of_a_day_range_is_the_same_length_right_before_it():
    period = Period(dt.date(2026, 11, 10), dt.date(2026, 11, 20), "custom")
    assert period.previous() == Period(dt.date(2026, 10, 30), dt.date(2026, 11, 9), "custom")
    assert period.year_on_year() == Period(dt.date(2025, 11, 10), dt.date(2025, 11, 20), "custom")
    leap = Period(dt.date(2028, 2, 29), dt.date(2028, 3, 5), "custom")
    assert leap.year_on_year().start == dt.date(2027, 2, 28)


def test_the_api_takes_from_and_to_as_well_as_start_and_end(november_days, api):
    by_start = api.get(API, {"start": "2026-11-10", "end": "2026-11-20"}).json()
    by_from = api.get(API, {"from": "2026-11-10", "to": "2026-11-20"}).json()
    assert by_start == by_from
    assert (by_from["cohort"], by_from["renewal_rate"]) == (2, 0.5)


@pytest.mark.parametrize(
    ("params", "field"),
    [
        ({"period": "custom", "from": "2026-11-20", "to": "2026-11-10"}, "to"),
        ({"period": "custom", "from": "2020-01-01", "to": "2026-11-10"}, "to"),
        ({"period": "custom", "from": "10/11/2026", "to": "2026-11-20"}, "from"),
        ({"period": "custom", "to": "2026-11-20"}, "from"),
        ({"period": "month", "month": "2026-13"}, "month"),
        ({"period": "decade", "month": "2026-11"}, "period"),
    ],
)
def test_a_bad_period_on_the_page_is_a_400_naming_the_field(db, client_for, manager, params, field):
    with pytest.raises(ApplicationError) as error:
        period_from_query(params)
    assert error.value.field == field
    assert client_for(manager).get("/analytics/", params).status_code == 400


def test_the_api_refuses_two_different_starts(db, api):
    response = api.get(API, {"start": "2026-11-01", "from": "2026-11-02", "end": "2026-11-30"})
    assert response.status_code == 400 and "from" in response.json()["errors"]


# --------------------------------------------------------------------------- the opening period (issue 12)


@pytest.fixture
def decided_in_november(db):
    make_case(due=dt.date(2026, 11, 10), stage=Stage.RENEWED)
    make_case(due=dt.date(2026, 11, 20), stage=Stage.LOST)
    make_case(due=dt.date(2026, 12, 20), stage=Stage.OPEN)
    rollups_refresh(full=True)


def test_on_the_2nd_of_a_month_the_dashboard_opens_on_the_latest_month_with_decided_cases(
    decided_in_november, client_for, manager
):
    with time_machine.travel(dt.datetime(2026, 12, 2, 9, 0, tzinfo=dt.timezone(dt.timedelta(hours=8)))):
        response = client_for(manager).get("/analytics/")
    assert response.status_code == 200
    html = response.content.decode()
    assert 'data-period="2026-11"' in html
    assert "Showing November 2026, the latest month with decided cases." in html
    # the current month is one click away
    assert "period=month&amp;month=2026-12" in html
    # and the tiles are not dashes: 1 renewed of 2 decided
    assert "50.0%" in html


def test_an_explicit_month_is_shown_as_asked(decided_in_november, client_for, manager):
    with time_machine.travel(dt.datetime(2026, 12, 2, 9, 0, tzinfo=dt.timezone(dt.timedelta(hours=8)))):
        html = client_for(manager).get("/analytics/", {"period": "month", "month": "2026-12"}).content.decode()
    assert 'data-period="2026-12"' in html and "the latest month with decided cases" not in html


def test_when_this_month_has_decided_cases_the_dashboard_opens_on_it(decided_in_november, client_for, manager):
    with time_machine.travel(dt.datetime(2026, 11, 25, 9, 0, tzinfo=dt.timezone(dt.timedelta(hours=8)))):
        html = client_for(manager).get("/analytics/").content.decode()
    assert 'data-period="2026-11"' in html and "the latest month with decided cases" not in html


def test_an_empty_desk_opens_on_the_current_month(db, client_for, manager):
    with time_machine.travel(dt.datetime(2026, 12, 2, 9, 0, tzinfo=dt.timezone(dt.timedelta(hours=8)))):
        html = client_for(manager).get("/analytics/").content.decode()
    assert 'data-period="2026-12"' in html


# --------------------------------------------------------------------------- year on year (issue 12)


@pytest.fixture
def a_year_apart(book):
    """``book`` (November 2026: NPS 25 over 4 answers, 2 complaints, 3 policies in force on 30 Nov)
    plus November 2025: answers 10, 3, 3 -> NPS 100 × (1 − 2) / 3 = −33.3; 3 complaints.

    In force on 30 Nov 2025: the book's 8 November policies (15 Nov 2025 - 15 Nov 2026) and the
    October case's (3 Oct 2025 - 3 Oct 2026) = 9 -> 3 × 1000 / 9 = 333.3 complaints per 1000.
    """
    for score in (10, 3, 3):
        make_response(score=score, responded=at(dt.date(2025, 11, 20)))
    for day in (3, 4, 5):
        make_complaint(received=at(dt.date(2025, 11, day)))
    rollups_refresh(full=True)
    return book


@pytest.mark.parametrize(
    ("params", "month_aligned"),
    [({"start": "2026-11-01", "end": "2026-11-30"}, True), ({"start": "2026-11-01", "end": "2026-11-29"}, False)],
)
def test_the_api_compares_year_on_year(a_year_apart, api, params, month_aligned):
    body = api.get(API, {**params, "compare": "true"}).json()
    year_before = body["comparison"]["year_on_year"]
    assert year_before["start"] == "2025-11-01"
    assert year_before["nps"] == pytest.approx(-100 / 3)
    assert year_before["nps_responses"] == 3
    assert year_before["complaints"] == 3
    if month_aligned:
        assert year_before["policies_in_force"] == 9
        assert year_before["complaint_rate_per_1000"] == pytest.approx(3000 / 9)
        assert body["comparison"]["previous_period"]["start"] == "2026-10-01"
        assert body["comparison"]["previous_period"]["end"] == "2026-10-31"
    assert body["nps"] == 25.0


def test_the_api_keeps_exactly_its_keys_without_compare(a_year_apart, api):
    body = api.get(API, {"start": "2026-11-01", "end": "2026-11-30"}).json()
    assert "comparison" not in body


def test_the_api_refuses_a_bad_compare_flag(db, api):
    response = api.get(API, {"start": "2026-11-01", "end": "2026-11-30", "compare": "maybe"})
    assert response.status_code == 400 and "compare" in response.json()["errors"]


def test_nps_and_complaint_rate_tiles_show_year_on_year(a_year_apart, client_for, manager):
    html = client_for(manager).get("/analytics/", {"period": "month", "month": "2026-11"}).content.decode()
    nps_tile = html.split('data-kpi="nps"')[1].split('data-kpi="complaint_rate_per_1000"')[0]
    # NPS 25 against −33 a year earlier: +58
    assert "+58" in nps_tile and "-33" in nps_tile and "2025-11" in nps_tile
    rate_tile = html.split('data-kpi="complaint_rate_per_1000"')[1].split('data-kpi="median_days_to_resolve"')[0]
    # 666.67 against 333.33 a year earlier: +333.33
    assert "+333.33" in rate_tile and "333.33" in rate_tile


def test_the_kpis_export_has_the_year_on_year_figures(a_year_apart, client_for, manager):
    csv_text = client_for(manager).get("/analytics/export/kpis.csv?period=month&month=2026-11").content.decode()
    header, *rows = csv_text.splitlines()
    assert "year_on_year" in header.split(",")
    nps_row = next(row for row in rows if row.startswith("nps,"))
    assert str(round(-100 / 3, 10))[:8] in nps_row


def test_a_day_range_fills_the_region_table_and_leaderboard_from_the_raw_rows(
    db, specialist, other_specialist, client_for, manager
):
    # given three November cases, the first outside the 10-20 November range
    make_case(due=dt.date(2026, 11, 5), stage=Stage.RENEWED, assignee=specialist, region="Zhejiang")
    make_case(due=dt.date(2026, 11, 12), stage=Stage.LOST, assignee=other_specialist, cycle_days=10)
    make_case(
        due=dt.date(2026, 11, 18),
        stage=Stage.RENEWED,
        assignee=specialist,
        premium=Decimal("1000"),
        successor_premium=Decimal("1200"),
        cycle_days=30,
    )
    rollups_refresh(full=True)
    days = Period(dt.date(2026, 11, 10), dt.date(2026, 11, 20), "custom")
    # then the tables count those days only: Guangdong 1 renewed of 2 decided
    regions = selectors.region_table(days, Filters())
    assert [(r["region"], r["cohort"], r["decided"], r["renewal_rate"]) for r in regions] == [("Guangdong", 2, 2, 0.5)]
    board = {r["username"]: r for r in selectors.specialist_leaderboard(days, Filters())}
    assert (board["spec"]["cases_closed"], board["spec"]["renewal_rate"]) == (1, 1.0)
    assert board["spec"]["premium_retained"] == Decimal("1200") and board["spec"]["median_cycle_days"] == 30
    assert (board["spec2"]["cases_closed"], board["spec2"]["renewal_rate"]) == (1, 0.0)
    # and the page shows the same, with the premium grouped
    html = client_for(manager).get("/analytics/", {"period": "custom", "from": "2026-11-10", "to": "2026-11-20"})
    assert "1,200.00" in html.content.decode()


def test_the_raw_dashboard_figures_agree_with_the_rollups_on_whole_months(book):
    november = Period(dt.date(2026, 11, 1), dt.date(2026, 11, 30), "month")
    from_rollups = selectors.dashboard_reader(november, Filters()).dashboard_figures(november)
    assert selectors.dashboard_figures_raw(november, Filters()) == from_rollups
