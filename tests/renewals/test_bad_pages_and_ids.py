"""Page numbers and ids that name nothing: 400 or 404 with a clear message, never 500, nothing written."""

import pytest

from renewals.models import LineOfInsurance, LostReason, PricingRule, SettingsChange, SpecialistProfile
from tests.renewals.factories import RenewalCaseFactory, line

pytestmark = pytest.mark.django_db
HUGE = "99999999999999999999"


# --- page numbers ---------------------------------------------------------------------------
@pytest.mark.parametrize("page", [HUGE, "100001", "-5000000000000000000000", "abc"])
def test_queue_pages_past_the_end_or_bigint_never_answer_500(client_for, specialist, manager, page):
    RenewalCaseFactory(assignee=specialist)
    for user in (specialist, manager):  # my queue and the team queue
        response = client_for(user).get("/cases/", {"page": page})
        assert response.status_code in (200, 404)


def test_a_page_just_past_the_last_answers_404(client_for, specialist):
    RenewalCaseFactory(assignee=specialist)
    client = client_for(specialist)
    assert client.get("/cases/", {"page": "1"}).status_code == 200
    assert client.get("/cases/", {"page": "2"}).status_code == 404


def test_approvals_page_ignores_a_huge_page_number(client_for, manager):
    assert client_for(manager).get("/cases/approvals/", {"page": HUGE}).status_code == 200


# --- ids in manager forms -------------------------------------------------------------------
def audit_count():
    return SettingsChange.objects.count()


LINE_VALUES = {
    "code": "pet",
    "name": "Pet",
    "name_zh_hans": "",
    "renewal_window_days": "60",
    "grace_days": "15",
    "notice_lead_days": "30",
    "term_months": "12",
    "active": "on",
}


@pytest.mark.parametrize(("line_id", "status"), [("abc", 400), (HUGE, 400), ("99999", 404), ("", 400)])
def test_bogus_line_id_on_the_lines_page_is_refused_and_adds_no_line(client_for, manager, line_id, status):
    lines_before, audit_before = LineOfInsurance.objects.count(), audit_count()
    response = client_for(manager).post("/settings/lines/", {"line_id": line_id, **LINE_VALUES})
    assert response.status_code == status
    assert "No such line" in response.content.decode()
    assert (LineOfInsurance.objects.count(), audit_count()) == (lines_before, audit_before)


@pytest.mark.parametrize(("reason_id", "status"), [("abc", 400), (HUGE, 400), ("99999", 404)])
def test_bogus_reason_id_is_refused_and_adds_no_reason(client_for, manager, reason_id, status):
    before, audit_before = LostReason.objects.count(), audit_count()
    response = client_for(manager).post(
        "/settings/reasons/",
        {"reason_id": reason_id, "new-code": "moved", "new-name": "Moved", "new-kind": "lost", "new-sort_order": "1"},
    )
    assert response.status_code == status
    assert "No such reason" in response.content.decode()
    assert (LostReason.objects.count(), audit_count()) == (before, audit_before)


@pytest.mark.parametrize(("line_id", "status"), [("99999", 404), ("abc", 400), (HUGE, 400)])
def test_bogus_line_id_on_the_pricing_page_is_refused(client_for, manager, line_id, status):
    before = list(PricingRule.objects.values_list("line_id", "base_rate_change_percent"))
    response = client_for(manager).post("/settings/pricing/", {"line_id": line_id, "base_rate_change_percent": "5"})
    assert response.status_code == status
    assert list(PricingRule.objects.values_list("line_id", "base_rate_change_percent")) == before
    assert audit_count() == 0


@pytest.mark.parametrize("field", ["lines", "user_id"])
def test_ids_past_bigint_on_the_specialists_page_are_refused(client_for, manager, specialist, field):
    data = {"user_id": str(specialist.pk), "lines": [str(line("auto").pk)], "regions": "Anhui", field: HUGE}
    response = client_for(manager).post("/settings/specialists/", data)
    assert response.status_code == 400
    assert not SpecialistProfile.objects.filter(user=specialist, regions__contains=["Anhui"]).exists()
    assert audit_count() == 0


@pytest.mark.parametrize("path", ["", "renew/", "contact/", "reopen/", "quote/preview/", "referrals/1/resolve/"])
def test_case_routes_with_an_unknown_or_huge_id_answer_404(client_for, manager, path):
    client = client_for(manager)
    for case_id in ("99999999", HUGE):
        method = client.get if path in ("", "quote/preview/") else client.post
        assert method(f"/cases/{case_id}/{path}").status_code == 404
