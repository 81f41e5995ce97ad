import pytest

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
