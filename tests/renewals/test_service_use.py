"""Value-added services: recorded when used (support on the customer page), asked about in the NPS
survey (one optional question per service used), and their mean satisfaction in the KPI API."""

import datetime as dt
from decimal import Decimal
from urllib.parse import urlparse

import pytest
from django.utils import timezone

from customers.links import survey_url
from customers.models import SurveyInvitation, SurveyResponse
from renewals.models import AddOn, PolicyAddOn, ServiceRating, ServiceUse, Stage
from tests.customers.factories import CustomerFactory
from tests.renewals.factories import PolicyFactory, RenewalCaseFactory

pytestmark = pytest.mark.django_db


@pytest.fixture
def renewed(specialist):
    """A renewed auto case whose successor carries road assistance (a service) and glass (a rider)."""
    customer = CustomerFactory(preferred_language="en")
    policy = PolicyFactory(customer=customer, end_date=dt.date(2026, 10, 31))
    successor = PolicyFactory(
        customer=customer, previous_policy=policy, start_date=dt.date(2026, 11, 1), end_date=dt.date(2027, 10, 31)
    )
    for code in ("auto-road-assist", "auto-glass"):
        PolicyAddOn.objects.create(policy=successor, addon=AddOn.objects.get(code=code), premium=Decimal("0"))
    return RenewalCaseFactory(
        assignee=specialist, policy=policy, stage=Stage.RENEWED, successor_policy=successor, closed_at=timezone.now()
    )


def record(client, case, addon="auto-road-assist", used_on=None):
    return client.post(
        f"/customers/{case.customer_id}/services/",
        {
            "service-policy": str(case.successor_policy_id),
            "service-addon": addon,
            "service-used_on": (used_on or timezone.localdate() - dt.timedelta(days=3)).isoformat(),
        },
        follow=True,
    )


def test_support_records_a_service_the_customer_used(client_for, support, renewed):
    page = client_for(support).get(f"/customers/{renewed.customer_id}/").content.decode()
    assert 'name="service-addon" value="auto-road-assist"' in page
    assert 'name="service-addon" value="auto-glass"' not in page  # a rider is not "used"
    response = record(client_for(support), renewed)
    assert "Service use recorded." in response.content.decode()
    use = ServiceUse.objects.get()
    assert (use.policy_id, use.addon.code, use.recorded_by) == (
        renewed.successor_policy_id,
        "auto-road-assist",
        support,
    )


@pytest.mark.parametrize(
    "addon, days_ago, message",
    [
        ("auto-glass", 3, "The policy does not carry that service."),
        ("auto-inspection", 3, "The policy does not carry that service."),
        ("auto-road-assist", -1, "not in the future"),
        ("auto-road-assist", 3 * 366 + 1, "in the last three years"),
    ],
)
def test_a_service_use_that_cannot_be_is_refused(client_for, support, renewed, addon, days_ago, message):
    response = record(client_for(support), renewed, addon, timezone.localdate() - dt.timedelta(days=days_ago))
    assert message in response.content.decode()
    assert not ServiceUse.objects.exists()


def test_another_customers_policy_and_another_specialist_are_refused(client_for, other_specialist, support, renewed):
    other = CustomerFactory()
    response = client_for(support).post(
        f"/customers/{other.pk}/services/",
        {
            "service-policy": str(renewed.successor_policy_id),
            "service-addon": "auto-road-assist",
            "service-used_on": "2026-11-20",
        },
    )
    assert response.status_code == 404
    response = record(client_for(other_specialist), renewed)
    assert "specialist, support or a manager can record this." in response.content.decode()
    assert not ServiceUse.objects.exists()


def test_the_survey_asks_about_each_service_used_and_the_kpi_averages_the_answers(client, api, manager, renewed):
    ServiceUse.objects.create(
        policy=renewed.successor_policy,
        addon=AddOn.objects.get(code="auto-road-assist"),
        used_on=timezone.localdate() - dt.timedelta(days=10),
    )
    invitation = SurveyInvitation.objects.create(
        customer=renewed.customer, case=renewed, send_after=timezone.now() - dt.timedelta(days=1)
    )
    path = urlparse(survey_url(invitation)).path
    page = client.get(path).content.decode()
    assert "How satisfied were you with Road assistance?" in page
    key = f"service-{ServiceUse.objects.get().pk}"
    assert client.post(path, {"score": "9", f"extra-{key}": "11"}).status_code == 400  # out of range
    assert not SurveyResponse.objects.exists()
    client.post(path, {"score": "9", f"extra-{key}": "7"})
    assert SurveyResponse.objects.get().score == 9
    assert list(ServiceRating.objects.values_list("score", flat=True)) == [7]

    # A second answer for another customer's service use: mean (7 + 10) / 2 = 8.5 over 2 answers.
    response = SurveyResponse.objects.create(
        customer=CustomerFactory(), score=10, channel="phone", responded_at=timezone.now()
    )
    other_use = ServiceUse.objects.create(
        policy=PolicyFactory(), addon=AddOn.objects.get(code="auto-road-assist"), used_on=timezone.localdate()
    )
    ServiceRating.objects.create(service_use=other_use, response=response, score=10)
    today = timezone.localdate()
    body = api(manager).get(f"/api/v1/kpis/?start={today.replace(day=1)}&end={today}").json()
    assert body["service_satisfaction"] == 8.5 and body["service_satisfaction_responses"] == 2


def test_a_survey_without_services_used_asks_only_the_nps_question(client, renewed):
    invitation = SurveyInvitation.objects.create(
        customer=renewed.customer, case=renewed, send_after=timezone.now() - dt.timedelta(days=1)
    )
    page = client.get(urlparse(survey_url(invitation)).path).content.decode()
    assert "How satisfied were you" not in page
