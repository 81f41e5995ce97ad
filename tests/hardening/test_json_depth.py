"""A deeply nested JSON body answers 400 on every JSON endpoint (not a RecursionError and 500)."""

import pytest

from core.middleware import MAX_JSON_DEPTH, json_depth
from customers.models import Complaint

pytestmark = pytest.mark.django_db


def test_json_depth_counts_nesting_and_skips_strings():
    assert json_depth(b'{"a": [1, {"b": []}]}') == 4
    assert json_depth(b'{"note": "[[[[{{{{"}') == 1
    assert json_depth(b'"plain"') == 0
    assert json_depth(b'{"q": "a \\" [[[ "}') == 1


@pytest.mark.parametrize("shape", ["array", "object"])
def test_a_5000_deep_body_answers_400_and_logs_nothing(client_for, support, shape):
    body = "[" * 5000 + "]" * 5000 if shape == "array" else '{"a":' * 5000 + "1" + "}" * 5000
    response = client_for(support).post("/api/v1/complaints/", body, content_type="application/json")
    assert response.status_code == 400
    assert response.json()["code"] == "invalid"
    assert Complaint.objects.count() == 0


def test_a_body_at_the_limit_reaches_the_endpoint(client_for, support):
    body = "[" * MAX_JSON_DEPTH + "]" * MAX_JSON_DEPTH
    response = client_for(support).post("/api/v1/complaints/", body, content_type="application/json")
    # the endpoint itself answers: a list is not a complaint, a field error, not the depth rule
    assert response.status_code == 400
    assert "nested" not in response.json()["message"]


def test_the_sms_webhook_refuses_deep_json_before_parsing(client):
    body = "[" * 5000 + "]" * 5000
    response = client.post("/notifications/webhooks/sms/", body, content_type="application/json")
    assert response.status_code == 400
