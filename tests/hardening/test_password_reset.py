"""The password reset page is throttled and never says whether an address belongs to a user."""

import pytest
from django.core import mail

from tests.conftest import make_user

pytestmark = pytest.mark.django_db


def test_a_known_and_an_unknown_address_get_the_same_answer(client):
    make_user("manager9", "manager", email="lead@example.com")
    known = client.post("/accounts/password_reset/", {"email": "lead@example.com"})
    unknown = client.post("/accounts/password_reset/", {"email": "nobody@example.com"})
    assert known.status_code == unknown.status_code == 302
    assert known["Location"] == unknown["Location"] == "/accounts/password_reset/done/"
    # only the real user gets a link
    assert len(mail.outbox) == 1
    assert mail.outbox[0].to == ["lead@example.com"]
    assert "/accounts/reset/" in mail.outbox[0].body


def test_requests_past_the_rate_from_one_address_are_refused(client, settings):
    settings.THROTTLE_PASSWORD_RESET = "3/h"
    answers = [client.post("/accounts/password_reset/", {"email": f"u{n}@example.com"}).status_code for n in range(4)]
    assert answers == [302, 302, 302, 429]


def test_one_mailbox_is_not_flooded_from_many_addresses(client, settings):
    settings.THROTTLE_PASSWORD_RESET = "2/h"
    make_user("manager9", "manager", email="lead@example.com")
    for n in range(4):
        response = client.post("/accounts/password_reset/", {"email": "Lead@Example.com"}, REMOTE_ADDR=f"192.0.2.{n}")
        assert response.status_code == 302
    assert len(mail.outbox) == 2


def test_the_login_page_links_to_the_reset(client):
    assert "/accounts/password_reset/" in client.get("/accounts/login/").content.decode()
