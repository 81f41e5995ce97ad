"""The offer and unsubscribe pages' rate limit honours the period of THROTTLE_PUBLIC_LINKS ("3/h" is
three an hour, not a minute); core.ratelimit is tested in tests/hardening/test_rate_limit.py."""

import datetime as dt
from urllib.parse import urlsplit

import pytest
import time_machine

from notifications.links import unsubscribe_url
from tests.customers.factories import CustomerFactory

# Five seconds past the hour, so the whole hour lies ahead in one window.
TOP_OF_THE_HOUR = dt.datetime(2026, 11, 30, 10, 0, 5, tzinfo=dt.UTC)


def _allow_three_per_hour(settings):
    rates = {**settings.REST_FRAMEWORK["DEFAULT_THROTTLE_RATES"], "public_links": "3/h"}
    settings.REST_FRAMEWORK = {**settings.REST_FRAMEWORK, "DEFAULT_THROTTLE_RATES": rates}


@pytest.mark.django_db
def test_three_per_hour_allows_three_in_the_hour_refuses_the_fourth_and_allows_again_after_it(client, settings):
    # given a limit of 3 requests an hour and a customer's unsubscribe link
    _allow_three_per_hour(settings)
    with time_machine.travel(TOP_OF_THE_HOUR, tick=False) as traveller:
        path = urlsplit(unsubscribe_url(CustomerFactory(preferred_language="en"), "email")).path
        # when the page is opened four times, again late in the same hour, and 61 minutes later
        first_four = [client.get(path).status_code for _ in range(4)]
        traveller.move_to(TOP_OF_THE_HOUR + dt.timedelta(minutes=59))
        late_in_the_hour = client.get(path).status_code
        traveller.move_to(TOP_OF_THE_HOUR + dt.timedelta(minutes=61))
        an_hour_later = client.get(path).status_code
    # then the fourth is refused, the refusal lasts the hour (not a minute), and the next hour is open
    assert first_four == [200, 200, 200, 429]
    assert late_in_the_hour == 429
    assert an_hour_later == 200
