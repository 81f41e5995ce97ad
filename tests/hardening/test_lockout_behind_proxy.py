"""Behind trusted proxies the login lockout keys on the client's address, not the proxy's."""

import pytest

from tests.conftest import make_user

pytestmark = pytest.mark.django_db

PROXY = "10.0.0.5"


def _login(client, password, client_ip):
    return client.post(
        "/accounts/login/",
        {"username": "manager9", "password": password},
        REMOTE_ADDR=PROXY,
        HTTP_X_FORWARDED_FOR=client_ip,
    )


def test_an_attacker_behind_the_proxy_cannot_lock_the_manager_out_for_everyone(client, settings):
    settings.TRUSTED_PROXY_COUNT = 1
    make_user("manager9", "manager")
    # given an attacker who fails five times from their own address, through the proxy
    for _ in range(settings.AXES_FAILURE_LIMIT):
        _login(client, "wrong", "203.0.113.9")
    assert _login(client, "pw-for-tests-only", "203.0.113.9").status_code == 429
    # then the manager, at another address behind the same proxy, still logs in
    client.logout()
    response = _login(client, "pw-for-tests-only", "198.51.100.7")
    assert response.status_code == 302
    assert client.session["_auth_user_id"]


def test_without_trusted_proxies_the_header_is_ignored(client, settings):
    settings.TRUSTED_PROXY_COUNT = 0
    make_user("manager9", "manager")
    # a client forging X-Forwarded-For on each attempt is still counted at its connection address
    for n in range(settings.AXES_FAILURE_LIMIT):
        _login(client, "wrong", f"192.0.2.{n}")
    assert _login(client, "pw-for-tests-only", "192.0.2.200").status_code == 429
