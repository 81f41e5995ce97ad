"""Who sees what: the Team page, the queue panel, the team API and the new KPI keys."""

import pytest
from django.contrib.auth.models import Group
from rest_framework.authtoken.models import Token
from rest_framework.test import APIClient

from tests.conftest import make_user

TEAM_URL = "/analytics/team/"
API_URL = "/api/v1/team/"
NOV = {"period": "month", "month": "2026-11"}
# Session, user, roles, then the report's fixed reads (see analytics/team/selectors.py TeamReport).
TEAM_PAGE_QUERIES = 18


def api_for(user):
    client = APIClient(HTTP_HOST="localhost")
    token, _created = Token.objects.get_or_create(user=user)
    client.credentials(HTTP_AUTHORIZATION=f"Token {token.key}")
    return client


def test_manager_sees_the_team_page_in_a_fixed_number_of_queries(
    team_book, today, client_for, manager, django_assert_max_num_queries
):
    client = client_for(manager)
    with django_assert_max_num_queries(TEAM_PAGE_QUERIES):
        response = client.get(TEAM_URL, NOV)
    assert response.status_code == 200
    page = response.content.decode()
    assert "Li Na" in page and "Wang Fang" in page
    assert 'id="target-state"' in page and "Target reached" in page
    assert 'id="chart-processing"' in page and 'id="chart-capacity"' in page and "data-spark" in page
    # More specialists do not mean more queries.
    for n in range(5):
        make_user(f"extra{n}", "specialist")
    with django_assert_max_num_queries(TEAM_PAGE_QUERIES):
        assert client.get(TEAM_URL, NOV).status_code == 200


@pytest.mark.parametrize("role_user", ["specialist", "support"])
def test_others_cannot_open_the_team_page_or_its_exports(team_book, today, client_for, request, role_user):
    client = client_for(request.getfixturevalue(role_user))
    assert client.get(TEAM_URL, NOV).status_code == 403
    assert client.get("/analytics/team/export/scorecard.csv", NOV).status_code == 403
    assert client.post("/analytics/team/rebalance/").status_code == 403
    assert client.get("/analytics/team/settings/").status_code == 403


def test_export_has_each_specialists_parts(team_book, today, client_for, manager):
    response = client_for(manager).get("/analytics/team/export/scorecard.csv", NOV)
    assert response.status_code == 200
    text = response.content.decode()
    header, *rows = text.strip().splitlines()
    assert "processing_time_days_team_median" in header and "composite" in header
    assert {row.split(",")[0] for row in rows} == {"spec", "spec2"}
    assert client_for(manager).get("/analytics/team/export/nothing.csv", NOV).status_code == 404
    assert client_for(manager).get("/analytics/team/export/lines.xlsx", NOV).status_code == 200


def test_bad_period_is_a_400_not_a_500(team_book, today, client_for, manager):
    client = client_for(manager)
    assert client.get(TEAM_URL, {"month": "9999-12"}).status_code == 400
    assert client.get(TEAM_URL, {"period": "weekly"}).status_code == 400
    assert client.get(TEAM_URL, {"month": "2026-11\x00"}).status_code == 400


def test_specialist_panel_shows_own_figures_and_no_other_name(
    team_book, today, client_for, specialist, django_assert_max_num_queries
):
    client = client_for(specialist)
    with django_assert_max_num_queries(TEAM_PAGE_QUERIES):
        response = client.get("/analytics/team/panel/")
    assert response.status_code == 200
    page = response.content.decode()
    assert 'id="my-performance"' in page
    assert "Wang" not in page and "spec2" not in page and "Li Na" not in page
    assert "25.0" in page  # own days to decision (20 and 30) against the median 17.5
    assert "17.5" in page


def test_support_gets_no_panel(team_book, today, client_for, support):
    assert client_for(support).get("/analytics/team/panel/").status_code == 403


def test_team_api_manager_and_specialist(team_book, today, manager, specialist, support):
    body = api_for(manager).get(API_URL, NOV).json()
    assert {row["username"] for row in body["scorecard"]} == {"spec", "spec2"}
    assert body["team"]["processing_time_days"] == pytest.approx(20.0)
    assert body["team"]["cost_per_renewal"] == "5.28"
    assert body["comparison"]["processing_time_days"]["vs_year_ago"] == pytest.approx(-15 / 35)
    mine = api_for(specialist).get(API_URL, NOV)
    assert mine.status_code == 200
    data = mine.json()
    assert data["me"]["username"] == "spec"
    assert "scorecard" not in data and "team" not in data and "capacity" not in data
    assert "spec2" not in mine.content.decode() and "Wang" not in mine.content.decode()
    assert api_for(support).get(API_URL, NOV).status_code == 403


def test_team_api_rejects_bad_input(team_book, today, manager):
    api = api_for(manager)
    assert api.get(API_URL, {"month": "2026-13"}).status_code == 400
    assert api.get(API_URL, {"line": "nope"}).json()["errors"] == {"line": ["Unknown code."]}
    assert api.get(API_URL, {"specialist": "spec2"}).status_code == 400
    assert api.get(API_URL, {"period": "custom"}).status_code == 400
    assert api.get(API_URL, {"month": ""}).json()["errors"] == {"month": ["Give a value, or leave the parameter out."]}


def test_kpi_api_has_the_four_new_keys(team_book, today, manager):
    body = api_for(manager).get("/api/v1/kpis/", {"start": "2026-11-01", "end": "2026-11-30", "compare": "true"}).json()
    assert body["processing_time_days"] == pytest.approx(20.0)
    assert body["touches_per_case"] == pytest.approx(2.5)
    assert body["manual_share"] == pytest.approx(0.7)
    assert body["cost_per_renewal"] == "5.28"
    assert body["comparison"]["year_on_year"]["processing_time_days"] == pytest.approx(35.0)


def test_a_user_without_a_role_is_refused(team_book, today, client_for):
    nobody = make_user("nobody")
    assert not Group.objects.filter(user=nobody).exists()
    assert client_for(nobody).get("/analytics/team/panel/").status_code == 403
    assert api_for(nobody).get(API_URL).status_code == 403
