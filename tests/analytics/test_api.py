"""GET /api/v1/kpis/: keys, validation and permissions."""

import pytest
from rest_framework.authtoken.models import Token
from rest_framework.test import APIClient

from analytics.selectors import API_KEYS
from analytics.selectors.addons import ADDON_API_KEYS
from analytics.selectors.competitors import COMPETITOR_API_KEYS
from analytics.team.selectors import TEAM_KPI_KEYS

URL = "/api/v1/kpis/"


@pytest.fixture
def api(manager):
    client = APIClient()
    token, _ = Token.objects.get_or_create(user=manager)
    client.credentials(HTTP_AUTHORIZATION=f"Token {token.key}")
    return client


def test_manager_gets_exactly_the_listed_keys(book, api):
    response = api.get(URL, {"start": "2026-11-01", "end": "2026-11-30"})
    assert response.status_code == 200
    body = response.json()
    # issues 17, 15, 13, 14
    assert list(body) == [*API_KEYS, *ADDON_API_KEYS, *TEAM_KPI_KEYS, "reactivation_rate", *COMPETITOR_API_KEYS]
    assert body["cohort"] == 7 and body["renewal_rate"] == pytest.approx(0.6)
    assert set(body["funnel"]) == {"contacted", "quoted", "renewed"}


def test_no_data_is_null(book, api):
    body = api.get(URL, {"start": "2026-08-01", "end": "2026-08-31"}).json()
    assert body["renewal_rate"] is None and body["nps"] is None and body["median_days_to_resolve"] is None


def test_filters_by_codes_and_username(book, api, specialist):
    body = api.get(
        URL, {"start": "2026-11-01", "end": "2026-11-30", "line": "auto", "specialist": specialist.username}
    ).json()
    assert body["cohort"] == 4


@pytest.mark.parametrize(
    ("params", "field"),
    [
        ({"end": "2026-11-30"}, "start"),
        ({"start": "2026-11-01"}, "end"),
        ({"start": "2026-13-01", "end": "2026-11-30"}, "start"),
        ({"start": "2026-11-01", "end": "30/11/2026"}, "end"),
        ({"start": "2026-11-30", "end": "2026-11-01"}, "end"),
        ({"start": "2026-11-01", "end": "2026-11-30", "line": "boat"}, "line"),
        ({"start": "2026-11-01", "end": "2026-11-30", "region": "Atlantis"}, "region"),
        ({"start": "2026-11-01", "end": "2026-11-30", "segment": "gold"}, "segment"),
        ({"start": "2026-11-01", "end": "2026-11-30", "channel": "pigeon"}, "channel"),
        ({"start": "2026-11-01", "end": "2026-11-30", "specialist": "nobody"}, "specialist"),
    ],
)
def test_bad_parameters_answer_400_naming_the_parameter(db, api, params, field):
    response = api.get(URL, params)
    assert response.status_code == 400
    assert field in response.json()["errors"]


@pytest.mark.parametrize("role_user", ["specialist", "support"])
def test_only_managers_may_read_kpis(db, request, role_user):
    user = request.getfixturevalue(role_user)
    client = APIClient()
    client.force_authenticate(user)
    assert client.get(URL, {"start": "2026-11-01", "end": "2026-11-30"}).status_code == 403


def test_anonymous_is_refused(db):
    assert APIClient().get(URL, {"start": "2026-11-01", "end": "2026-11-30"}).status_code in (401, 403)


def test_session_login_works_for_managers(book, client_for, manager):
    response = client_for(manager).get(URL, {"start": "2026-11-01", "end": "2026-11-30"})
    assert response.status_code == 200


def test_query_count_is_constant(book, api, django_assert_max_num_queries):
    # constant: the add-on figures add one query each, the competitor figures two (issue 14)
    with django_assert_max_num_queries(19):
        assert api.get(URL, {"start": "2026-01-01", "end": "2026-12-31", "region": "Guangdong"}).status_code == 200
