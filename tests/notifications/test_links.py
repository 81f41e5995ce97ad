"""Signed customer links: renewal offer and unsubscribe — valid, expired, tampered, replayed."""

import datetime as dt
from decimal import Decimal
from urllib.parse import urlsplit

import pytest
import time_machine
from django.core import signing

from notifications.links import OFFER_SALT, offer_url, read_offer_token, unsubscribe_url
from notifications.models import ConsentChange, OutboundMessage
from renewals import services as renewal_services
from renewals.models import Policy, Stage
from tests.conftest import make_user
from tests.customers.factories import CustomerFactory
from tests.notifications.factories import OutboundMessageFactory
from tests.renewals.factories import PolicyFactory, RenewalCaseFactory

pytestmark = pytest.mark.django_db
M = OutboundMessage


def path_of(url: str) -> str:
    return urlsplit(url).path


@pytest.fixture
def quoted_case():
    specialist = make_user("spec-links", "specialist")
    customer = CustomerFactory(preferred_language="en", name="Ada Lovelace")
    case = RenewalCaseFactory(policy=PolicyFactory(customer=customer, premium=Decimal("3000.00")), assignee=specialist)
    renewal_services.quote_prepare(case_id=case.pk, actor=specialist, discount_percent=Decimal("0"))
    case.refresh_from_db()
    return case


def test_offer_link_carries_only_the_case_id(quoted_case):
    url = offer_url(quoted_case)
    token = url.rstrip("/").rsplit("/", 1)[1]
    assert signing.loads(token, salt=OFFER_SALT) == {"c": quoted_case.pk}
    assert quoted_case.customer.name not in url
    assert read_offer_token(token) == quoted_case.pk


def test_offer_page_shows_the_approved_terms_in_the_customers_language(client, quoted_case):
    response = client.get(path_of(offer_url(quoted_case)))
    assert response.status_code == 200
    text = response.content.decode()
    assert "Your renewal offer, Ada Lovelace" in text
    assert f"CNY {quoted_case.current_quote.premium:,}" in text
    assert "Confirm renewal" in text


def test_chinese_customer_sees_the_offer_in_chinese(client, quoted_case):
    type(quoted_case.customer).objects.filter(pk=quoted_case.customer_id).update(preferred_language="zh-hans")
    response = client.get(path_of(offer_url(quoted_case)))
    assert response.status_code == 200
    assert '<html lang="zh-hans">' in response.content.decode()


def test_confirming_renews_once_however_often_it_is_clicked(client, quoted_case):
    # when the customer clicks "Confirm renewal" twice (a replayed form post)
    path = path_of(offer_url(quoted_case))
    first = client.post(path)
    second = client.post(path)
    # then the case is renewed once, by the customer (no staff actor), and both answers are friendly
    assert first.status_code == second.status_code == 200
    assert "Your renewal is confirmed" in second.content.decode()
    quoted_case.refresh_from_db()
    assert quoted_case.stage == Stage.RENEWED
    assert quoted_case.closed_by_id is None
    assert Policy.objects.filter(previous_policy=quoted_case.policy).count() == 1


def test_offer_without_an_approved_quote_cannot_be_confirmed(client):
    case = RenewalCaseFactory(policy=PolicyFactory(customer=CustomerFactory(preferred_language="en")))
    response = client.post(path_of(offer_url(case)))
    assert response.status_code == 200
    assert "being prepared" in response.content.decode()
    case.refresh_from_db()
    assert case.stage == Stage.OPEN


def test_expired_offer_link_gets_a_friendly_page(client, quoted_case):
    path = path_of(offer_url(quoted_case))
    with time_machine.travel(dt.datetime.now(dt.UTC) + dt.timedelta(days=91)):
        response = client.get(path)
    assert response.status_code == 400
    assert "This link has expired" in response.content.decode()


@pytest.mark.parametrize("mangle", [lambda t: t[:-2] + "xx", lambda t: "x" + t, lambda t: "garbage"])
def test_tampered_offer_link_gets_a_friendly_page(client, quoted_case, mangle):
    token = offer_url(quoted_case).rstrip("/").rsplit("/", 1)[1]
    response = client.get(f"/offer/{mangle(token)}/")
    assert response.status_code == 400
    assert "This link is not valid" in response.content.decode()


def test_a_link_for_one_purpose_does_not_open_another(client, quoted_case):
    token = unsubscribe_url(quoted_case.customer, "sms").rstrip("/").rsplit("/", 1)[1]
    response = client.get(f"/offer/{token}/")
    assert response.status_code == 400


def test_unsubscribe_records_the_customers_own_consent_change_and_skips_unsent_messages(client):
    # given an English-speaking customer with a planned SMS
    message = OutboundMessageFactory()
    customer = message.customer
    type(customer).objects.filter(pk=customer.pk).update(preferred_language="en")
    path = path_of(unsubscribe_url(customer, "sms"))
    # when they open the link and confirm, twice (replayed)
    assert "Stop reminders by SMS?" in client.get(path).content.decode()
    client.post(path)
    replay = client.post(path)
    # then SMS consent is off, audited once, and the planned SMS is skipped as opted out
    assert replay.status_code == 200
    assert "You are unsubscribed" in replay.content.decode()
    customer.refresh_from_db()
    assert customer.consent_sms is False
    assert customer.consent_email is True
    assert ConsentChange.objects.filter(customer=customer, channel="sms", allowed=False).count() == 1
    message.refresh_from_db()
    assert message.status == M.Status.SKIPPED
    assert message.skip_reason == M.SkipReason.OPTED_OUT


def test_expired_and_tampered_unsubscribe_links_get_friendly_pages(client):
    customer = CustomerFactory()
    path = path_of(unsubscribe_url(customer, "email"))
    with time_machine.travel(dt.datetime.now(dt.UTC) + dt.timedelta(days=400)):
        assert client.post(path).status_code == 400
    assert client.get(path[:-3] + "zz/").status_code == 400
    customer.refresh_from_db()
    assert customer.consent_email is True


def test_public_links_are_rate_limited(client, quoted_case):
    # the clock stands still so all requests fall in one one-minute window
    with time_machine.travel(dt.datetime.now(dt.UTC).replace(second=5), tick=False):
        path = path_of(offer_url(quoted_case))
        statuses = [client.get(path).status_code for _ in range(31)]
    assert statuses[:30] == [200] * 30
    assert statuses[30] == 429
