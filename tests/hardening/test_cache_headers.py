"""Pages and API answers with personal data are never kept by a browser or proxy cache."""

import pytest

from tests.renewals.factories import RenewalCaseFactory

pytestmark = pytest.mark.django_db


def _no_store(response) -> bool:
    return "no-store" in response.get("Cache-Control", "")


def test_staff_pages_and_api_answers_say_no_store(client_for, specialist):
    case = RenewalCaseFactory(assignee=specialist)
    client = client_for(specialist)
    for path in [
        "/cases/",
        f"/cases/{case.pk}/",
        f"/customers/{case.customer_id}/",
        "/accounts/profile/",
        "/api/v1/cases/",
        f"/api/v1/cases/{case.pk}/",
    ]:
        response = client.get(path)
        assert response.status_code == 200, path
        assert _no_store(response), path


def test_the_customers_offer_page_says_no_store(client, specialist):
    from notifications.links import offer_token

    case = RenewalCaseFactory(assignee=specialist)
    response = client.get(f"/offer/{offer_token(case.pk)}/")
    assert response.status_code == 200
    assert _no_store(response)
