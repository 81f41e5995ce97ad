"""The API's schema, docs and root are for the desk's staff only, like every other API path."""

import pytest

from tests.conftest import make_user

pytestmark = pytest.mark.django_db


@pytest.mark.parametrize("path", ["/api/schema/", "/api/v1/"])
def test_anonymous_visitors_get_no_schema_and_no_root(client, path):
    assert client.get(path).status_code in (401, 403)


def test_anonymous_visitors_are_sent_to_log_in_from_the_docs(client):
    response = client.get("/api/docs/")
    assert response.status_code == 302
    assert response["Location"].startswith("/accounts/login/")


@pytest.mark.parametrize("path", ["/api/schema/", "/api/v1/", "/api/docs/"])
def test_a_user_with_no_role_is_refused(client, path):
    client.force_login(make_user("nobody"))
    assert client.get(path).status_code == 403


def test_a_script_with_a_token_reads_the_schema(client, specialist):
    from rest_framework.authtoken.models import Token

    token = Token.objects.create(user=specialist)
    response = client.get("/api/schema/", HTTP_AUTHORIZATION=f"Token {token.key}")
    assert response.status_code == 200
    assert b"openapi" in response.content
