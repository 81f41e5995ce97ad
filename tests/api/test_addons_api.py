"""The add-on catalogue and add-ons on quotes, cases and policies through the API."""

from decimal import Decimal

import pytest

from renewals import services
from renewals.models import RenewalCase, SettingsChange
from tests.renewals.factories import vip_auto_case

pytestmark = pytest.mark.django_db
D = Decimal


@pytest.fixture
def case(specialist):
    """Auto, premium 3,000, vehicle 5 years old, a VIP customer (tests.renewals.factories)."""
    return vip_auto_case(specialist)


# --- the catalogue through the API, audited ----------------------------------------------------
def test_managers_add_to_the_catalogue_and_others_only_read(api, manager, specialist, support):
    body = {
        "code": "auto-tyre",
        "line": "auto",
        "kind": "rider",
        "name": "Tyre rider",
        "name_zh_hans": "轮胎险",
        "pricing": "fixed",
        "amount": "150.00",
        "active_from": "2026-01-01",
    }
    assert api(specialist).post("/api/v1/addons/", body, format="json").status_code == 403
    created = api(manager).post("/api/v1/addons/", body, format="json")
    assert created.status_code == 201, created.json()
    assert SettingsChange.objects.filter(area="addon", object_repr="auto-tyre").exists()
    codes = [a["code"] for a in api(support).get("/api/v1/addons/?kind=rider").json()["results"]]
    assert "auto-tyre" in codes and "auto-road-assist" not in codes
    too_big = api(manager).patch("/api/v1/addons/auto-tyre/", {"pricing": "share", "amount": "150.00"}, format="json")
    assert too_big.status_code == 400 and "amount" in too_big.json()["errors"]
    assert api(manager).delete("/api/v1/addons/auto-tyre/").status_code == 405


def test_the_quote_action_takes_addons_and_cases_and_policies_show_them(api, specialist, case):
    response = api(specialist).post(f"/api/v1/cases/{case.pk}/quote/", {"addons": ["auto-glass"]}, format="json")
    assert response.status_code == 200, response.json()
    assert response.json()["addons"] == [{"code": "auto-glass", "premium": "320.00"}]
    assert response.json()["premium"] == "3410.00"
    assert api(specialist).get(f"/api/v1/cases/{case.pk}/").json()["addons"] == ["auto-glass"]
    bad = api(specialist).post(f"/api/v1/cases/{case.pk}/quote/", {"addons": ["health-dental"]}, format="json")
    assert bad.status_code == 400 and "addons" in bad.json()["errors"]
    services.case_mark_renewed(case_id=case.pk, actor=specialist)
    successor = RenewalCase.objects.get(pk=case.pk).successor_policy
    assert api(specialist).get(f"/api/v1/policies/{successor.pk}/").json()["addons"] == ["auto-glass"]
