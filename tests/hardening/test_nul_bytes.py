"""A NUL byte in any text parameter answers 400 with a clear message and writes nothing.

PostgreSQL cannot hold a NUL in text, so before the rule each of these reached the database and
answered 500 (issue 11). The requests are the ones the pages and scripts really send.
"""

import pytest

from renewals.models import SpecialistProfile

pytestmark = pytest.mark.django_db

NUL_MESSAGE = "NUL character"


@pytest.mark.parametrize(
    "role, method, path, data",
    [
        ("support", "post", "/customers/search/", {"q": "a\x00b"}),
        ("support", "post", "/complaints/new/customers/", {"q": "a\x00b"}),
        ("manager", "get", "/analytics/", {"line": "\x00"}),
        ("manager", "get", "/analytics/export/kpis.csv", {"line": "\x00"}),
        ("manager", "get", "/api/v1/kpis/", {"specialist": "\x00"}),
        ("specialist", "get", "/cases/", {"q": "\x00"}),
        ("manager", "get", "/api/v1/customers/", {"search": "x\x00"}),
    ],
    ids=["customer-search", "complaint-form-search", "dashboard", "export", "kpi-api", "queue", "api-list"],
)
def test_a_nul_byte_in_a_parameter_answers_400(client_for, request, role, method, path, data):
    client = client_for(request.getfixturevalue(role))
    response = getattr(client, method)(path, data)
    assert response.status_code == 400
    assert NUL_MESSAGE in response.content.decode()


def test_a_nul_byte_in_a_parameter_name_answers_400(client_for, manager):
    response = client_for(manager).get("/analytics/", {"li\x00ne": "auto"})
    assert response.status_code == 400


def test_a_nul_byte_in_a_settings_form_saves_nothing(client_for, manager, specialist):
    # given a specialist's profile as it is
    before = list(SpecialistProfile.objects.filter(user=specialist).values())
    # when a manager posts the specialists form with a NUL in the regions field
    response = client_for(manager).post(
        "/settings/specialists/", {"user_id": specialist.pk, "regions": "\x00", "lines": ["1"]}
    )
    # then it is refused and nothing changed
    assert response.status_code == 400
    assert list(SpecialistProfile.objects.filter(user=specialist).values()) == before


def test_the_api_answers_in_its_error_shape_naming_the_parameter(client_for, manager):
    response = client_for(manager).get("/api/v1/kpis/", {"specialist": "\x00"})
    body = response.json()
    assert body["status"] == 400
    assert "specialist" in body["errors"]
