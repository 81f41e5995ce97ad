"""Case, complaint and survey actions: role rules, version conflicts, error shapes."""

from decimal import Decimal

import pytest

from customers.models import Complaint, SurveyResponse
from renewals import services
from renewals.limits import NOTE_MAX_LENGTH
from renewals.models import CaseEvent, Policy, RenewalCase
from tests.customers.factories import CustomerFactory, log_complaint
from tests.renewals.factories import PolicyFactory, RenewalCaseFactory

pytestmark = pytest.mark.django_db


@pytest.fixture
def my_case(specialist):
    return RenewalCaseFactory(assignee=specialist)


def post(client, path, data=None):
    return client.post(path, data or {}, format="json")


# --- cases -----------------------------------------------------------------------------------


def test_assigned_specialist_logs_a_contact_and_the_case_moves_to_contacted(api, specialist, my_case):
    response = post(api(specialist), f"/api/v1/cases/{my_case.pk}/contact/", {"channel": "phone", "reached": True})
    assert response.status_code == 200
    assert response.json()["stage"] == "contacted"
    assert response.json()["version"] == 2


def test_another_specialist_cannot_act_on_the_case(api, other_specialist, my_case):
    response = post(
        api(other_specialist), f"/api/v1/cases/{my_case.pk}/contact/", {"channel": "phone", "reached": True}
    )
    assert response.status_code == 403
    assert response.json()["code"] == "permission_denied"


@pytest.mark.parametrize("action", ["contact", "quote", "renew", "lose", "not-offered", "assign"])
def test_support_reads_cases_but_cannot_act(api, support, my_case, action):
    assert api(support).get(f"/api/v1/cases/{my_case.pk}/").status_code == 200
    assert post(api(support), f"/api/v1/cases/{my_case.pk}/{action}/").status_code == 403


def test_a_stale_version_answers_409_and_changes_nothing(api, specialist, my_case):
    client = api(specialist)
    post(client, f"/api/v1/cases/{my_case.pk}/contact/", {"channel": "phone", "reached": False, "version": 1})

    response = post(client, f"/api/v1/cases/{my_case.pk}/contact/", {"channel": "email", "reached": True, "version": 1})

    assert response.status_code == 409
    body = response.json()
    assert (body["status"], body["code"]) == (409, "conflict")
    assert "changed by" in body["errors"]["version"][0]
    assert RenewalCase.objects.get(pk=my_case.pk).stage == "open"


def test_missing_fields_answer_400_with_each_field_named(api, specialist, my_case):
    response = post(api(specialist), f"/api/v1/cases/{my_case.pk}/contact/", {"channel": "fax"})
    assert response.status_code == 400
    body = response.json()
    assert set(body["errors"]) == {"channel", "reached"}
    assert body["message"] == "Invalid input."


def test_quote_answers_the_breakdown_then_renew_uses_the_quoted_premium(api, specialist, my_case):
    client = api(specialist)
    quote = post(client, f"/api/v1/cases/{my_case.pk}/quote/", {"discount_percent": "0"})
    assert quote.status_code == 200
    body = quote.json()
    assert body["approval_status"] == "not_required"
    assert body["breakdown"][0]["code"] == "expiring"
    assert Decimal(body["breakdown"][-1]["amount"]) == Decimal(body["premium"])

    renewed = post(client, f"/api/v1/cases/{my_case.pk}/renew/", {"version": body["case_version"]})

    assert renewed.status_code == 200
    assert renewed.json()["stage"] == "renewed"
    successor = Policy.objects.get(number=renewed.json()["successor_policy"])
    assert successor.premium == Decimal(body["premium"])


def test_renewing_twice_answers_409(api, manager, my_case):
    client = api(manager)
    post(client, f"/api/v1/cases/{my_case.pk}/quote/")
    post(client, f"/api/v1/cases/{my_case.pk}/renew/", {"premium": "2999.99"})
    response = post(client, f"/api/v1/cases/{my_case.pk}/renew/")
    assert response.status_code == 409
    assert response.json()["code"] == "already_closed"


def test_lose_needs_a_known_reason(api, specialist, my_case):
    client = api(specialist)
    bad = post(client, f"/api/v1/cases/{my_case.pk}/lose/", {"reason": "underwriting"})
    assert bad.status_code == 400
    assert "reason" in bad.json()["errors"]

    good = post(client, f"/api/v1/cases/{my_case.pk}/lose/", {"reason": "price", "note": "Cheaper elsewhere"})

    assert good.status_code == 200
    assert (good.json()["stage"], good.json()["lost_reason"]) == ("lost", "price")


def test_not_offered_with_a_reason(api, manager, my_case):
    response = post(api(manager), f"/api/v1/cases/{my_case.pk}/not-offered/", {"reason": "underwriting"})
    assert response.status_code == 200
    assert response.json()["stage"] == "not_offered"


def test_only_managers_assign(api, manager, specialist, other_specialist, my_case):
    assert post(api(specialist), f"/api/v1/cases/{my_case.pk}/assign/", {"assignee": "spec2"}).status_code == 403
    response = post(api(manager), f"/api/v1/cases/{my_case.pk}/assign/", {"assignee": "spec2"})
    assert response.status_code == 200
    assert response.json()["assignee"] == "spec2"
    unknown = post(api(manager), f"/api/v1/cases/{my_case.pk}/assign/", {"assignee": "nobody"})
    assert unknown.status_code == 400
    assert "assignee" in unknown.json()["errors"]


def test_action_on_an_unknown_case_is_404(api, manager):
    assert post(api(manager), "/api/v1/cases/999999/contact/", {"channel": "phone", "reached": True}).status_code == 404


# --- complaints ------------------------------------------------------------------------------


def test_support_logs_a_complaint(api, support):
    customer = CustomerFactory()
    response = post(
        api(support),
        "/api/v1/complaints/",
        {"customer": customer.pk, "received_via": "phone", "category": "price", "description": "Too dear"},
    )
    assert response.status_code == 201
    body = response.json()
    assert (body["status"], body["category"], body["severity"]) == ("new", "price", "normal")
    assert body["sla_due_at"]


def test_specialists_cannot_log_or_work_complaints(api, specialist):
    complaint = log_complaint()
    assert post(api(specialist), "/api/v1/complaints/", {}).status_code == 403
    assert post(api(specialist), f"/api/v1/complaints/{complaint.pk}/acknowledge/").status_code == 403
    assert api(specialist).get(f"/api/v1/complaints/{complaint.pk}/").status_code == 200


def test_complaint_lifecycle_through_the_api(api, manager):
    complaint = log_complaint()
    client = api(manager)
    assert post(client, f"/api/v1/complaints/{complaint.pk}/acknowledge/").json()["status"] == "acknowledged"
    resolved = post(
        client,
        f"/api/v1/complaints/{complaint.pk}/resolve/",
        {"resolution": "Refunded the difference", "upheld": True, "root_cause": "pricing error"},
    ).json()
    assert (resolved["status"], resolved["upheld"]) == ("resolved", True)
    assert post(client, f"/api/v1/complaints/{complaint.pk}/close/").json()["status"] == "closed"
    assert post(client, f"/api/v1/complaints/{complaint.pk}/reopen/").json()["status"] == "in_progress"


def test_an_impossible_complaint_transition_is_409(api, support):
    complaint = log_complaint()
    response = post(api(support), f"/api/v1/complaints/{complaint.pk}/close/")
    assert response.status_code == 409
    assert response.json()["code"] == "invalid_transition"
    assert Complaint.objects.get(pk=complaint.pk).status == "new"


def test_resolve_names_missing_fields(api, support):
    complaint = log_complaint()
    response = post(api(support), f"/api/v1/complaints/{complaint.pk}/resolve/", {})
    assert response.status_code == 400
    assert set(response.json()["errors"]) == {"resolution", "upheld", "root_cause"}


# --- survey responses ------------------------------------------------------------------------


def test_support_records_a_phone_nps_answer(api, support):
    customer = CustomerFactory()
    response = post(
        api(support), "/api/v1/survey-responses/", {"customer": customer.pk, "score": 9, "channel": "phone"}
    )
    assert response.status_code == 201
    assert response.json()["score"] == 9
    assert SurveyResponse.objects.get().recorded_by.username == "helpdesk"


def test_survey_score_outside_0_to_10_is_400(api, support):
    customer = CustomerFactory()
    response = post(
        api(support), "/api/v1/survey-responses/", {"customer": customer.pk, "score": 11, "channel": "phone"}
    )
    assert response.status_code == 400
    assert "score" in response.json()["errors"]


def test_survey_case_of_another_customer_is_400(api, support):
    case = RenewalCaseFactory()
    response = post(
        api(support),
        "/api/v1/survey-responses/",
        {"customer": CustomerFactory().pk, "case": case.pk, "score": 5, "channel": "phone"},
    )
    assert response.status_code == 400
    assert "case" in response.json()["errors"]


def test_specialists_cannot_record_survey_answers(api, specialist):
    response = post(api(specialist), "/api/v1/survey-responses/", {"customer": CustomerFactory().pk, "score": 5})
    assert response.status_code == 403


def test_writes_are_throttled(api, specialist, my_case, settings):
    from core.api_base import WriteThrottle

    WriteThrottle.THROTTLE_RATES = {**WriteThrottle.THROTTLE_RATES, "writes": "3/min"}
    try:
        client = api(specialist)
        codes = [
            post(client, f"/api/v1/cases/{my_case.pk}/contact/", {"channel": "phone", "reached": False}).status_code
            for _ in range(4)
        ]
    finally:
        WriteThrottle.THROTTLE_RATES = {
            **WriteThrottle.THROTTLE_RATES,
            "writes": settings.REST_FRAMEWORK["DEFAULT_THROTTLE_RATES"]["writes"],
        }
    assert codes == [200, 200, 200, 429]
    assert api(specialist).get("/api/v1/cases/").status_code == 200  # reads are not throttled


# --- renewing at a premium (the rule: renewals.services.renewal_premium) -------------------------
@pytest.fixture
def quoted_case(specialist):
    case = RenewalCaseFactory(assignee=specialist, policy=PolicyFactory(premium=Decimal("3000.00")))
    services.quote_prepare(case_id=case.pk, actor=specialist)
    return RenewalCase.objects.select_related("current_quote").get(pk=case.pk)


def renewal_written(case):
    return Policy.objects.filter(previous_policy=case.policy).exists() or (
        RenewalCase.objects.get(pk=case.pk).version != case.version
    )


def test_api_refuses_a_specialist_premium_away_from_the_quote(api, specialist, quoted_case):
    response = api(specialist).post(
        f"/api/v1/cases/{quoted_case.pk}/renew/", {"premium": "999999999999.99"}, format="json"
    )
    assert response.status_code == 403
    assert "premium" in response.json()["errors"]
    assert not renewal_written(quoted_case)


def test_api_manager_override_within_bounds_is_audited(api, manager, quoted_case):
    response = api(manager).post(f"/api/v1/cases/{quoted_case.pk}/renew/", {"premium": "3500.00"}, format="json")
    assert response.status_code == 200
    assert Policy.objects.get(previous_policy=quoted_case.policy).premium == Decimal("3500.00")
    assert CaseEvent.objects.filter(case=quoted_case, kind="premium_override", actor=manager).exists()


def test_api_manager_override_out_of_bounds_answers_400(api, manager, quoted_case):
    response = api(manager).post(f"/api/v1/cases/{quoted_case.pk}/renew/", {"premium": "99999.00"}, format="json")
    assert response.status_code == 400
    assert "premium" in response.json()["errors"]
    assert not renewal_written(quoted_case)


def test_the_api_uses_the_same_note_limit(api, specialist, my_case):
    response = api(specialist).post(
        f"/api/v1/cases/{my_case.pk}/contact/",
        {"channel": "phone", "reached": True, "note": "x" * (NOTE_MAX_LENGTH + 1)},
        format="json",
    )
    assert response.status_code == 400
    assert "note" in response.json()["errors"]
