"""The one rate limiter honours the period it is given ("3/h" is three an hour, not a minute)."""

import datetime as dt

import pytest
import time_machine

from core.ratelimit import parse_rate, rate_limited


@pytest.mark.parametrize(
    "rate, expected",
    [("30/min", (30, 60)), ("100/h", (100, 3600)), ("5/day", (5, 86400)), ("2/s", (2, 1)), ("7/hour", (7, 3600))],
)
def test_rates_are_read_with_their_period(rate, expected):
    assert parse_rate(rate) == expected


@pytest.mark.parametrize("rate", ["", "abc", "5", "5/x", "/h"])
def test_a_malformed_rate_is_refused_loudly(rate):
    with pytest.raises(ValueError):
        parse_rate(rate)


def test_three_an_hour_allows_three_then_refuses_until_the_hour_is_over():
    with time_machine.travel(dt.datetime(2026, 12, 1, 10, 0, 5, tzinfo=dt.UTC), tick=False) as clock:
        assert [rate_limited(bucket="t", key="k", rate="3/h") for _ in range(4)] == [False, False, False, True]
        clock.shift(dt.timedelta(minutes=30))
        assert rate_limited(bucket="t", key="k", rate="3/h") is True
        clock.shift(dt.timedelta(minutes=31))
        assert rate_limited(bucket="t", key="k", rate="3/h") is False


def test_keys_are_counted_apart():
    with time_machine.travel(dt.datetime(2026, 12, 1, 10, 0, 5, tzinfo=dt.UTC), tick=False):
        assert [rate_limited(bucket="t", key="a", rate="1/h"), rate_limited(bucket="t", key="b", rate="1/h")] == [
            False,
            False,
        ]
