"""Permissions per endpoint and role, filters, cursor pagination, query counts, field shapes."""

import datetime as dt

import pytest

from renewals.models import Stage
from tests.customers.factories import CustomerFactory, log_complaint
from tests.renewals.factories import PolicyFactory, RenewalCaseFactory, line

pytestmark = pytest.mark.django_db

READ_ENDPOINTS = [
    "/api/v1/customers/",
    "/api/v1/policies/",
    "/api/v1/lines/",
    "/api/v1/cases/",
    "/api/v1/complaints/",
    "/api/v1/survey-responses/",
    "/api/v1/messages/",
    "/api/v1/quotes/",
    "/api/v1/referrals/",
    "/api/v1/addons/",
    "/api/v1/campaigns/",
    "/api/v1/experiments/",
]


@pytest.mark.parametrize("path", READ_ENDPOINTS)
@pytest.mark.parametrize("role", ["specialist", "manager", "support"])
def test_every_role_can_list_every_resource(request, api, path, role):
    response = api(request.getfixturevalue(role)).get(path)
    assert response.status_code == 200
    assert set(response.json()) == {"next", "previous", "results"}


@pytest.mark.parametrize("path", READ_ENDPOINTS + ["/api/v1/imports/"])
def test_anonymous_gets_401_everywhere(api, path):
    assert api().get(path).status_code == 401


def test_customer_fields_are_exactly_the_documented_ones(api, manager):
    customer = CustomerFactory(external_ref="C-1", name="Li Na")
    body = api(manager).get(f"/api/v1/customers/{customer.pk}/").json()
    assert body == {
        "id": customer.pk,
        "external_ref": "C-1",
        "name": "Li Na",
        "kind": "individual",
        "phone": customer.phone,
        "email": customer.email,
        "region": "Guangdong",
        "segment": "standard",
        "preferred_channel": "sms",
        "preferred_language": "zh-hans",
        "consent_email": True,
        "consent_sms": True,
        "time_zone": "",
        "lifecycle_stage": None,  # until the first nightly lifecycle refresh
    }


def test_policy_shows_line_code_decimal_strings_and_previous_number(api, manager):
    old = PolicyFactory(number="OLD-1")
    new = PolicyFactory(number="NEW-1", previous_policy=old, customer=old.customer)
    body = api(manager).get(f"/api/v1/policies/{new.pk}/").json()
    assert body["line"] == "auto"
    assert body["premium"] == "3000.00"
    assert body["sum_insured"] == "200000.00"
    assert body["previous_policy"] == "OLD-1"
    assert body["customer"] == old.customer_id


def test_lines_are_looked_up_by_code(api, support):
    body = api(support).get("/api/v1/lines/property/").json()
    assert body == {
        "code": "property",
        "name": "Property",
        "renewal_window_days": 90,
        "grace_days": 30,
        "notice_lead_days": 60,
        "term_months": 12,
    }


def test_resources_are_read_only_where_they_come_from_import(api, manager):
    assert api(manager).post("/api/v1/customers/", {}, format="json").status_code == 405
    assert api(manager).post("/api/v1/policies/", {}, format="json").status_code == 405
    assert api(manager).post("/api/v1/messages/", {}, format="json").status_code == 405


def test_cursor_pagination_walks_every_row_once(api, manager):
    customers = CustomerFactory.create_batch(7)
    client = api(manager)
    seen, url = [], "/api/v1/customers/?page_size=3"
    while url:
        body = client.get(url).json()
        seen += [c["id"] for c in body["results"]]
        url = body["next"]
    assert seen == sorted((c.pk for c in customers), reverse=True)


def test_ordering_parameter_orders_the_list(api, manager):
    CustomerFactory(external_ref="B")
    CustomerFactory(external_ref="A")
    body = api(manager).get("/api/v1/customers/?ordering=external_ref").json()
    assert [c["external_ref"] for c in body["results"]] == ["A", "B"]


def test_case_filters(api, manager, specialist):
    auto = RenewalCaseFactory(policy__number="PA", assignee=specialist)
    health = RenewalCaseFactory(
        policy__number="PH", policy__line=line("health"), policy__end_date=dt.date(2027, 3, 1), stage=Stage.CONTACTED
    )
    client = api(manager)

    def ids(query):
        return [c["id"] for c in client.get(f"/api/v1/cases/?{query}").json()["results"]]

    assert ids("line=health") == [health.pk]
    assert ids("stage=contacted") == [health.pk]
    assert ids("assignee=spec") == [auto.pk]
    assert ids("due_after=2027-01-01") == [health.pk]
    assert ids("due_before=2027-01-01") == [auto.pk]
    assert ids("policy_number=PA") == [auto.pk]


def test_case_fields(api, support, specialist):
    case = RenewalCaseFactory(policy__number="P-9", assignee=specialist)
    body = api(support).get(f"/api/v1/cases/{case.pk}/").json()
    assert body == {
        "id": case.pk,
        "policy": "P-9",
        "customer": case.customer_id,
        "line": "auto",
        "stage": "open",
        "assignee": "spec",
        "opened_at": body["opened_at"],
        "due_date": "2026-12-31",
        "decision_date": None,
        "priority": "0.00",
        "churn_risk": None,
        "lost_reason": None,
        "successor_policy": None,
        "addons": [],
        "version": 1,
    }


def test_policy_and_message_filters(api, manager):
    PolicyFactory(number="X-1", channel="agent")
    PolicyFactory(number="X-2", channel="online")
    body = api(manager).get("/api/v1/policies/?channel=online").json()
    assert [p["number"] for p in body["results"]] == ["X-2"]
    assert api(manager).get("/api/v1/messages/?status=sent").status_code == 200


def test_a_bad_filter_value_is_a_400_naming_the_field(api, manager):
    response = api(manager).get("/api/v1/cases/?stage=nonsense")
    assert response.status_code == 400
    assert "stage" in response.json()["errors"]


def test_list_query_counts_stay_constant(api, manager, django_assert_max_num_queries):
    for _ in range(5):
        case = RenewalCaseFactory(assignee=manager)
        log_complaint(customer=case.customer, case_id=case.pk)
    client = api(manager)
    for path in READ_ENDPOINTS:
        with django_assert_max_num_queries(4):  # token + user groups + page (+ one spare)
            assert client.get(path).status_code == 200


def test_detail_query_counts_stay_constant(api, manager, django_assert_max_num_queries):
    case = RenewalCaseFactory(assignee=manager)
    complaint = log_complaint(customer=case.customer, case_id=case.pk)
    client = api(manager)
    for path in [
        f"/api/v1/customers/{case.customer_id}/",
        f"/api/v1/policies/{case.policy_id}/",
        f"/api/v1/cases/{case.pk}/",
        f"/api/v1/complaints/{complaint.pk}/",
        "/api/v1/lines/auto/",
    ]:
        with django_assert_max_num_queries(4):
            assert client.get(path).status_code == 200


def test_unknown_api_paths_answer_404_in_the_error_shape(api, manager):
    for path in ["/api/v1/nothing-here/", "/api/v1/cases/abc/", "/api/v1/lines/a.b/"]:
        response = api(manager).get(path)
        assert response.status_code == 404
        assert response.json()["code"] == "not_found"
