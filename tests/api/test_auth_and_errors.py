import pytest
from django.contrib.auth.models import User
from rest_framework.authtoken.models import Token

from tests.conftest import make_user

pytestmark = pytest.mark.django_db
GOOD_LOGIN = {"username": "apiuser", "password": "pw-for-tests-only"}


def test_token_endpoint_answers_the_users_token_for_good_credentials(api):
    user = make_user("apiuser", "specialist")
    response = api().post(
        "/api/v1/auth/token/", {"username": "apiuser", "password": "pw-for-tests-only"}, format="json"
    )
    assert response.status_code == 200
    assert response.json() == {"token": Token.objects.get(user=user).key}


def test_token_endpoint_refuses_bad_credentials_in_the_error_shape(api):
    make_user("apiuser", "specialist")
    response = api().post("/api/v1/auth/token/", {"username": "apiuser", "password": "wrong"}, format="json")
    assert response.status_code == 400
    body = response.json()
    assert body["status"] == 400
    assert body["code"] == "invalid"
    assert body["errors"] == {"non_field_errors": ["Unable to log in with these credentials."]}


def test_token_endpoint_names_missing_fields(api):
    response = api().post("/api/v1/auth/token/", {}, format="json")
    assert response.status_code == 400
    assert set(response.json()["errors"]) == {"username", "password"}


def test_token_endpoint_is_throttled(api, settings):
    # Different usernames, so django-axes' per-username lockout does not answer first.
    client = api()
    statuses = [
        client.post("/api/v1/auth/token/", {"username": f"x{i}", "password": "y"}, format="json").status_code
        for i in range(11)
    ]
    assert statuses[:10] == [400] * 10
    assert statuses[10] == 429
    throttled = client.post("/api/v1/auth/token/", {"username": "z", "password": "y"}, format="json").json()
    assert throttled["status"] == 429
    assert throttled["code"] == "throttled"


def test_token_header_authenticates_api_requests(api, specialist):
    assert api(specialist).get("/api/v1/lines/").status_code == 200


def test_browser_session_authenticates_api_requests(client_for, specialist):
    assert client_for(specialist).get("/api/v1/lines/").status_code == 200


def test_anonymous_api_request_is_401_in_the_error_shape(api):
    response = api().get("/api/v1/customers/")
    assert response.status_code == 401
    assert response.json()["code"] == "not_authenticated"
    assert response.json()["errors"] == {}


def test_user_without_a_role_is_403(api):
    nobody = User.objects.create_user("nobody", password="pw-for-tests-only")
    response = api(nobody).get("/api/v1/customers/")
    assert response.status_code == 403
    assert response.json()["code"] == "permission_denied"


def test_unknown_object_is_404_in_the_error_shape(api, manager):
    response = api(manager).get("/api/v1/customers/999999/")
    assert response.status_code == 404
    body = response.json()
    assert (body["status"], body["code"], body["errors"]) == (404, "not_found", {})
    assert body["message"]


def test_repeated_failures_for_one_username_are_locked_out_by_axes(api):
    make_user("apiuser", "specialist")
    client = api()
    for _ in range(5):
        client.post("/api/v1/auth/token/", {"username": "apiuser", "password": "wrong"}, format="json")
    response = client.post(
        "/api/v1/auth/token/", {"username": "apiuser", "password": "pw-for-tests-only"}, format="json"
    )
    assert response.status_code == 429
    assert response.json()["code"] == "throttled"


def test_profile_page_shows_the_token_and_rotates_it(client_for, specialist):
    client = client_for(specialist)
    page = client.get("/accounts/profile/")
    assert page.status_code == 200
    old = Token.objects.get(user=specialist).key
    assert old in page.content.decode()

    response = client.post("/accounts/profile/")

    assert response.status_code == 302
    new = Token.objects.get(user=specialist).key
    assert new != old
    assert new in client.get("/accounts/profile/").content.decode()


def test_profile_page_needs_login(client):
    assert client.get("/accounts/profile/").status_code == 302


def test_schema_and_swagger_ui_are_served_locally(client, manager):
    client.force_login(manager)
    schema = client.get("/api/schema/")
    assert schema.status_code == 200
    docs = client.get("/api/docs/")
    assert docs.status_code == 200
    html = docs.content.decode()
    assert "swagger-ui-bundle.js" in html
    assert "http://" not in html.replace("http://testserver", "")
    assert "https://" not in html
    assert "<script>" not in html  # the init script is a separate file (CSP without unsafe-inline)
    script = client.get("/api/docs/?script=")
    assert script.status_code == 200
    assert "SwaggerUIBundle" in script.content.decode()
