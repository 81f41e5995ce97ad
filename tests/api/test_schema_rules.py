"""The schema's rules, one class at a time and fast (the schemathesis run checks them all, slowly):
blank text columns answer null, list parameters refuse what the schema refuses with a 400 naming
the parameter, and every API filterset is built on the one base that does so."""

import pytest
from django.urls import get_resolver

from core.api import ApiFilterSet
from customers.models import SurveyResponse
from tests.customers.factories import CustomerFactory
from tests.notifications.factories import OutboundMessageFactory
from tests.renewals.factories import PolicyFactory

pytestmark = pytest.mark.django_db


def assert_refused(response, parameter):
    assert response.status_code == 400, response.content
    body = response.json()
    assert body["status"] == 400
    assert body["code"] == "invalid"
    assert list(body["errors"]) == [parameter]


def test_a_customer_without_email_answers_null_not_blank(api, support):
    customer = CustomerFactory(email="")

    listed = api(support).get("/api/v1/customers/").json()["results"]
    detail = api(support).get(f"/api/v1/customers/{customer.pk}/").json()

    assert [row["email"] for row in listed] == [None]
    assert detail["email"] is None


def test_a_message_not_skipped_answers_a_null_skip_reason(api, specialist):
    message = OutboundMessageFactory()

    detail = api(specialist).get(f"/api/v1/messages/{message.pk}/").json()

    assert detail["skip_reason"] is None


@pytest.mark.parametrize("value", ["null", "0", "201", "5.0", "+5", " 5", "5_0"])
def test_a_page_size_that_is_not_a_whole_number_from_1_to_200_is_refused(api, support, value):
    assert_refused(api(support).get("/api/v1/customers/", {"page_size": value}), "page_size")


def test_a_page_size_in_range_is_used(api, support):
    CustomerFactory.create_batch(3)

    response = api(support).get("/api/v1/customers/", {"page_size": "2"})

    assert len(response.json()["results"]) == 2


@pytest.mark.parametrize(
    ("path", "parameter", "value"),
    [
        ("/api/v1/customers/", "kind", ""),
        ("/api/v1/cases/", "stage", ""),
        ("/api/v1/complaints/", "received_before", ""),
        ("/api/v1/complaints/", "received_before", "yesterday"),
        ("/api/v1/policies/", "customer", ""),
        ("/api/v1/policies/", "end_after", "12/31/2026"),
        ("/api/v1/lines/", "active", ""),
        ("/api/v1/lines/", "active", "maybe"),
        ("/api/v1/messages/", "case", "abc"),
    ],
)
def test_a_filter_value_outside_its_schema_is_refused_naming_the_parameter(api, manager, path, parameter, value):
    assert_refused(api(manager).get(path, {parameter: value}), parameter)


def test_an_empty_free_text_filter_is_accepted(api, manager):
    assert api(manager).get("/api/v1/customers/", {"region": ""}).status_code == 200


def test_a_filter_by_an_id_that_matches_nothing_finds_nothing(api, manager):
    PolicyFactory()

    response = api(manager).get("/api/v1/policies/", {"customer": "999999"})

    assert response.status_code == 200
    assert response.json()["results"] == []


def test_a_form_body_is_not_read(api, support):
    """Bodies are JSON only, as the schema says (415, or 400 when a middleware already read the form)."""
    customer = CustomerFactory()
    body = {"customer": customer.pk, "score": 9, "channel": "phone"}

    response = api(support).post("/api/v1/survey-responses/", body, format="multipart")

    assert response.status_code in (400, 415), response.content
    assert not SurveyResponse.objects.filter(customer=customer).exists()


def _api_viewsets():
    for pattern in get_resolver().url_patterns:
        for view in _callbacks(pattern):
            cls = getattr(view, "cls", None)
            if cls is not None and getattr(cls, "filterset_class", None) is not None:
                yield cls


def _callbacks(pattern):
    if hasattr(pattern, "url_patterns"):
        for inner in pattern.url_patterns:
            yield from _callbacks(inner)
    elif hasattr(pattern, "callback"):
        yield pattern.callback


def test_every_api_filterset_is_built_on_the_strict_base():
    viewsets = set(_api_viewsets())

    assert viewsets, "no API viewset with a filterset was found"
    assert [cls.__name__ for cls in viewsets if not issubclass(cls.filterset_class, ApiFilterSet)] == []


def test_text_inputs_take_json_strings_only(api, manager, support):
    """The schema says ``type: string``; DRF's text fields would store ``0`` as "0". Refused alike in
    a model serializer's text column (the add-on catalogue) and a declared input (a complaint)."""
    addon = {
        "code": "auto-tyre",
        "line": "auto",
        "kind": "rider",
        "name": 150,
        "pricing": "fixed",
        "amount": "150.00",
        "active_from": "2026-01-01",
    }
    assert_refused(api(manager).post("/api/v1/addons/", addon, format="json"), "name")
    complaint = {"customer": CustomerFactory().pk, "received_via": "phone", "category": "price", "description": 7}
    assert_refused(api(support).post("/api/v1/complaints/", complaint, format="json"), "description")

    addon["name"] = "Tyre rider"
    assert api(manager).post("/api/v1/addons/", addon, format="json").status_code == 201
