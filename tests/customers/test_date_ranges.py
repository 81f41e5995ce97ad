"""Times people and systems enter are checked against a sane range in the service, so the form, the
API and every page after them answer the same clear field error instead of storing a year the
desk cannot read back (issue 11: "values that break pages for everyone")."""

import datetime as dt
import importlib

import pytest
import time_machine
from django.apps import apps
from django.db import connection

from core.errors import ApplicationError, ErrorCode
from customers import services
from customers.errors import CustomersErrorCode
from customers.models import Complaint, SurveyFollowUp, SurveyResponse
from tests.customers.factories import CustomerFactory, category, log_complaint

pytestmark = pytest.mark.django_db
NOW = dt.datetime(2026, 11, 26, 2, 0, tzinfo=dt.UTC)
# A plain value (read in the site's Asia/Shanghai time zone) and one with an explicit offset.
ANCIENT = ["0001-01-01T00:00", "0001-01-01T00:00:00+08:00", "1999-12-31T23:59"]


def _complaint_form(customer, received_at):
    return {
        "customer": customer.pk,
        "received_via": "phone",
        "received_at": received_at,
        "category": category().pk,
        "severity": "normal",
        "description": "Premium went up.",
    }


def _pages_still_answer(client, customer, complaint=None):
    paths = ["/complaints/", f"/complaints/panel/customer/{customer.pk}/", "/complaints/follow-ups/"]
    if complaint is not None:
        paths.append(f"/complaints/{complaint.pk}/")
    for path in paths:
        assert client.get(path).status_code == 200, path


# --- the service -------------------------------------------------------------------------


@time_machine.travel(NOW, tick=False)
@pytest.mark.parametrize(
    "received_at",
    [dt.datetime(1, 1, 1, tzinfo=dt.timezone(dt.timedelta(hours=8))), dt.datetime(1999, 12, 31, 23, tzinfo=dt.UTC)],
)
def test_complaint_received_before_2000_is_refused_with_the_field_named(received_at):
    with pytest.raises(ApplicationError) as error:
        log_complaint(received_at=received_at)
    assert (error.value.field, error.value.code) == ("received_at", ErrorCode.OUT_OF_RANGE)
    assert "2000" in str(error.value.message)
    assert not Complaint.objects.exists()


@time_machine.travel(NOW, tick=False)
def test_first_moment_of_2000_and_now_are_both_accepted_and_the_future_keeps_its_own_error():
    assert log_complaint(received_at=dt.datetime(2000, 1, 1, tzinfo=dt.UTC)).received_at.year == 2000
    assert log_complaint(received_at=NOW).received_at == NOW
    with pytest.raises(ApplicationError) as error:
        log_complaint(received_at=NOW + dt.timedelta(seconds=1))
    assert error.value.code == CustomersErrorCode.FUTURE


@time_machine.travel(NOW, tick=False)
def test_survey_answer_given_before_2000_is_refused_with_the_field_named():
    customer = CustomerFactory()
    with pytest.raises(ApplicationError) as error:
        services.survey_response_record(
            customer_id=customer.pk, score=3, channel="phone", responded_at=dt.datetime(1, 1, 1, tzinfo=dt.UTC)
        )
    assert (error.value.field, error.value.code) == ("responded_at", ErrorCode.OUT_OF_RANGE)
    assert not SurveyResponse.objects.exists() and not SurveyFollowUp.objects.exists()


# --- the HTML forms ----------------------------------------------------------------------


@time_machine.travel(NOW, tick=False)
@pytest.mark.parametrize("received_at", ANCIENT)
def test_complaint_form_refuses_an_ancient_received_time_and_the_pages_keep_working(client, support, received_at):
    # given a support agent on the log form of a customer
    customer = CustomerFactory()
    client.force_login(support)
    # when the form is posted with a received time before 2000
    response = client.post(f"/complaints/new/?customer={customer.pk}", _complaint_form(customer, received_at))
    # then it answers 400 with the error on the field, and nothing is saved
    assert response.status_code == 400
    assert response.context["form"].errors["received_at"]
    assert "2000" in " ".join(response.context["form"].errors["received_at"])
    assert not Complaint.objects.exists()
    _pages_still_answer(client, customer)


@time_machine.travel(NOW, tick=False)
@pytest.mark.parametrize("responded_at", ANCIENT)
def test_phone_answer_form_refuses_an_ancient_answer_time(client, support, responded_at):
    customer = CustomerFactory()
    client.force_login(support)
    response = client.post(
        f"/complaints/surveys/record/?customer={customer.pk}",
        {"customer": customer.pk, "score": "2", "comment": "", "responded_at": responded_at, "channel": "phone"},
    )
    assert response.status_code == 400
    assert response.context["form"].errors["responded_at"]
    assert not SurveyResponse.objects.exists() and not SurveyFollowUp.objects.exists()
    _pages_still_answer(client, customer)


@time_machine.travel(NOW, tick=False)
def test_complaint_form_with_a_future_time_answers_400_on_the_field(client, support):
    customer = CustomerFactory()
    client.force_login(support)
    response = client.post("/complaints/new/", _complaint_form(customer, "2026-11-27T09:30"))
    assert response.status_code == 400
    assert "cannot be in the future" in " ".join(response.context["form"].errors["received_at"])
    assert not Complaint.objects.exists()


# --- the API -----------------------------------------------------------------------------


@time_machine.travel(NOW, tick=False)
@pytest.mark.parametrize("received_at", ANCIENT)
def test_api_refuses_an_ancient_received_time_and_the_list_keeps_working(api, support, received_at):
    customer = CustomerFactory()
    client = api(support)
    response = client.post(
        "/api/v1/complaints/",
        {
            "customer": customer.pk,
            "received_via": "phone",
            "received_at": received_at,
            "category": "price",
            "description": "Too dear",
        },
        format="json",
    )
    assert response.status_code == 400
    assert set(response.json()["errors"]) == {"received_at"}
    assert not Complaint.objects.exists()
    assert client.get("/api/v1/complaints/").status_code == 200


@time_machine.travel(NOW, tick=False)
@pytest.mark.parametrize("responded_at", ANCIENT)
def test_api_refuses_an_ancient_answer_time_and_the_list_keeps_working(api, support, responded_at):
    customer = CustomerFactory()
    client = api(support)
    response = client.post(
        "/api/v1/survey-responses/",
        {"customer": customer.pk, "score": 2, "channel": "phone", "responded_at": responded_at},
        format="json",
    )
    assert response.status_code == 400
    assert set(response.json()["errors"]) == {"responded_at"}
    assert not SurveyResponse.objects.exists() and not SurveyFollowUp.objects.exists()
    assert client.get("/api/v1/survey-responses/").status_code == 200


# --- rows stored before the rule: the data migration -------------------------------------


def test_the_migration_repairs_rows_stored_out_of_range(client, api, support):
    # given a complaint and a detractor answer stored with year-1 times (as the old code allowed)
    customer = CustomerFactory()
    complaint = log_complaint(customer=customer)
    answer = services.survey_response_record(customer_id=customer.pk, score=2, channel="phone")
    logged_at = complaint.created_at
    with connection.cursor() as cursor:
        cursor.execute(
            "UPDATE customers_complaint SET received_at = '0001-01-01 00:00+08', "
            "acknowledge_due_at = '0001-01-02 00:00+08', sla_due_at = '0001-01-16 00:00+08' WHERE id = %s",
            [complaint.pk],
        )
        cursor.execute(
            "UPDATE customers_surveyresponse SET responded_at = '0001-01-01 00:00+08' WHERE id = %s", [answer.pk]
        )
    # when the repair step runs
    migration = importlib.import_module("customers.migrations.0007_repair_out_of_range_times")
    migration.repair_times(apps, None)
    # then the complaint was received when it was logged, its SLA shifted with it, and pages answer
    complaint.refresh_from_db()
    assert complaint.received_at == logged_at
    assert complaint.acknowledge_due_at == logged_at + dt.timedelta(days=1)
    assert complaint.sla_due_at == logged_at + dt.timedelta(days=15)
    answer.refresh_from_db()
    assert answer.responded_at == answer.follow_up.created_at
    client.force_login(support)
    _pages_still_answer(client, customer, complaint)
    assert api(support).get("/api/v1/complaints/").status_code == 200
    assert api(support).get("/api/v1/survey-responses/").status_code == 200
