import pytest

from tests.conftest import make_user

pytestmark = pytest.mark.django_db


def test_healthz_reports_database_and_broker_ok(client):
    response = client.get("/healthz")
    assert response.status_code == 200
    assert response.json() == {"database": "ok", "broker": "ok"}


def test_healthz_answers_503_naming_the_broker_when_it_is_down(client, settings):
    settings.CELERY_BROKER_URL = "redis://127.0.0.1:1/0"
    response = client.get("/healthz")
    assert response.status_code == 503
    assert response.json() == {"database": "ok", "broker": "down"}


@pytest.mark.parametrize(
    ("role_fixture", "home"),
    [("specialist", "/cases/"), ("manager", "/analytics/"), ("support", "/complaints/")],
)
def test_each_role_lands_on_its_home_page(request, client_for, role_fixture, home):
    user = request.getfixturevalue(role_fixture)
    response = client_for(user).get("/")
    assert response.status_code == 302
    assert response["Location"] == home


def test_anonymous_visitor_is_sent_to_login(client):
    response = client.get("/")
    assert response.status_code == 302
    assert response["Location"].startswith("/accounts/login/?next=")


def test_login_page_renders_in_simplified_chinese(client):
    response = client.get("/accounts/login/", HTTP_ACCEPT_LANGUAGE="zh-hans")
    assert response.status_code == 200
    assert "登录" in response.content.decode()


@pytest.mark.parametrize(
    ("role_fixture", "forbidden"),
    [("specialist", "/analytics/"), ("support", "/cases/"), ("support", "/analytics/"), ("specialist", "/admin/")],
)
def test_a_role_is_refused_pages_of_other_roles(request, client_for, role_fixture, forbidden):
    user = request.getfixturevalue(role_fixture)
    response = client_for(user).get(forbidden)
    if forbidden == "/admin/":
        # the admin is for staff accounts only: non-staff users are sent to its login
        assert response.status_code == 302 and "/admin/login/" in response["Location"]
    else:
        assert response.status_code == 403
        assert "You are not allowed to do this" in response.content.decode()


def test_user_without_a_role_sees_an_explanation(client):
    client.force_login(make_user("newcomer"))
    response = client.get("/")
    assert response.status_code == 403
    assert "no role yet" in response.content.decode()


def test_unknown_page_answers_404_with_the_layout(client, manager):
    client.force_login(manager)
    response = client.get("/no-such-page/")
    assert response.status_code == 404
    assert "Page not found" in response.content.decode()
