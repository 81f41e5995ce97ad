"""The SMS gateway URL: https outside DEBUG (plain http only to this machine), never another scheme."""

import pytest
from django.core.exceptions import ImproperlyConfigured
from django.test import override_settings

from notifications.backends.sms import HttpSmsBackend


@pytest.mark.parametrize(
    "url",
    [
        "http://sms.example.com/send",  # plain text over the network, with the bearer token
        "file:///etc/passwd",
        "ftp://sms.example.com/send",
        "sms.example.com/send",
        "https:///send",
    ],
)
@override_settings(DEBUG=False)
def test_a_gateway_url_that_is_not_https_is_refused_at_start_up(url):
    with pytest.raises(ImproperlyConfigured, match="SMS_GATEWAY_URL"):
        HttpSmsBackend(url=url, token="t")


@pytest.mark.parametrize(
    "url",
    ["https://sms.example.com/send", "http://127.0.0.1:8099/messages", "http://localhost/sms", "http://[::1]:80/"],
)
@override_settings(DEBUG=False)
def test_https_or_this_machine_is_accepted(url):
    assert HttpSmsBackend(url=url, token="t").url == url


@override_settings(DEBUG=True)
def test_with_debug_on_plain_http_is_accepted_but_other_schemes_are_not():
    assert HttpSmsBackend(url="http://sms.example.com/send", token="t")
    with pytest.raises(ImproperlyConfigured):
        HttpSmsBackend(url="file:///etc/passwd", token="t")


@pytest.mark.django_db
@override_settings(
    DEBUG=False, SMS_BACKEND="http", SMS_GATEWAY_URL="http://sms.example.com/send", SMS_GATEWAY_TOKEN="t"
)
def test_dispatch_with_a_refused_gateway_url_sends_nothing_and_keeps_the_message():
    from notifications import services
    from notifications.models import OutboundMessage
    from tests.notifications.test_dispatch import MORNING, make_message

    message = make_message()
    assert services.messages_dispatch_due(now=MORNING) == {"retry": 1}
    message.refresh_from_db()
    assert (message.status, message.error) == (OutboundMessage.Status.SCHEDULED, "internal error: ImproperlyConfigured")
