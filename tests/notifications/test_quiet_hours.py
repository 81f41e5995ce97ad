"""SMS quiet hours in both shapes (across midnight, e.g. 21–8, and inside one day, e.g. 12–14),
checked against a brute-force walk through the day minute by minute."""

import datetime as dt
import zoneinfo

import pytest
from django.test import override_settings
from hypothesis import example, given, settings
from hypothesis import strategies as st

from notifications.quiet_hours import next_morning, quiet_hours_end

ZONES = [zoneinfo.ZoneInfo("Asia/Shanghai"), zoneinfo.ZoneInfo("UTC")]
HOURS = st.integers(min_value=0, max_value=23)


def quiet_by_hand(hour: int, start: int, end: int) -> bool:
    """The configured window read literally: from START:00 up to END:00, wrapping past midnight
    when START is later than END; START == END means no quiet hours."""
    if start < end:
        return start <= hour < end
    if start > end:
        return hour >= start or hour < end
    return False


def brute_force_end(local: dt.datetime, start: int, end: int) -> dt.datetime | None:
    """Walk forward a minute at a time until the first minute outside the window (None if ``local``
    is outside it already)."""
    if not quiet_by_hand(local.hour, start, end):
        return None
    moment = local.replace(second=0, microsecond=0)
    for _ in range(48 * 60):
        moment += dt.timedelta(minutes=1)
        if not quiet_by_hand(moment.hour, start, end):
            return moment
    raise AssertionError("the window never ends")


@settings(max_examples=800, deadline=None)
@given(
    start=HOURS,
    end=HOURS,
    minute_of_day=st.integers(min_value=0, max_value=24 * 60 - 1),
    seconds=st.integers(min_value=0, max_value=59),
    zone=st.sampled_from(ZONES),
)
@example(start=12, end=14, minute_of_day=13 * 60, seconds=0, zone=ZONES[0])  # lunchtime quiet hours
@example(start=12, end=14, minute_of_day=22 * 60, seconds=0, zone=ZONES[0])  # the evening is free then
@example(start=21, end=8, minute_of_day=23 * 60, seconds=0, zone=ZONES[0])  # across midnight
@example(start=21, end=8, minute_of_day=7 * 60 + 59, seconds=59, zone=ZONES[0])
@example(start=8, end=8, minute_of_day=3 * 60, seconds=0, zone=ZONES[0])  # no quiet hours
def test_quiet_hours_end_agrees_with_a_minute_by_minute_walk(start, end, minute_of_day, seconds, zone):
    local = dt.datetime(2026, 12, 1, tzinfo=zone) + dt.timedelta(minutes=minute_of_day, seconds=seconds)
    with override_settings(SMS_QUIET_START_HOUR=start, SMS_QUIET_END_HOUR=end):
        found = quiet_hours_end(now=local.astimezone(dt.UTC), zone=zone)
    expected = brute_force_end(local, start, end)
    assert found == expected


@settings(max_examples=300, deadline=None)
@given(start=HOURS, end=HOURS, hour=HOURS, zone=st.sampled_from(ZONES))
def test_the_next_morning_is_the_next_day_and_outside_the_quiet_hours(start, end, hour, zone):
    local = dt.datetime(2026, 12, 1, hour, 30, tzinfo=zone)
    with override_settings(SMS_QUIET_START_HOUR=start, SMS_QUIET_END_HOUR=end):
        morning = next_morning(now=local, zone=zone).astimezone(zone)
    assert morning.date() == dt.date(2026, 12, 2)
    assert not quiet_by_hand(morning.hour, start, end)
    assert morning.minute == 0


@pytest.mark.parametrize(
    ("start", "end", "expected"),
    [(21, 8, dt.time(8)), (12, 14, dt.time(8)), (6, 9, dt.time(9)), (0, 0, dt.time(8))],
)
def test_the_next_morning_by_hand(start, end, expected):
    zone = ZONES[0]
    with override_settings(SMS_QUIET_START_HOUR=start, SMS_QUIET_END_HOUR=end):
        morning = next_morning(now=dt.datetime(2026, 12, 1, 15, 0, tzinfo=zone), zone=zone)
    assert morning == dt.datetime.combine(dt.date(2026, 12, 2), expected, tzinfo=zone)


@pytest.mark.django_db
@override_settings(SMS_QUIET_START_HOUR=12, SMS_QUIET_END_HOUR=14)
def test_lunchtime_quiet_hours_let_morning_sms_through_and_hold_lunchtime_ones_until_two():
    from notifications import services
    from notifications.models import OutboundMessage
    from tests.notifications.test_dispatch import MORNING, make_message

    # given an SMS due at 10:00 and another customer's due at 12:30 (Shanghai)
    morning = make_message(at=MORNING)
    lunch_time = MORNING.replace(hour=12, minute=30)
    lunch = make_message(at=lunch_time)
    # when dispatch runs at 10:00, then at 12:30
    assert services.messages_dispatch_due(now=MORNING) == {"sent": 1}
    assert services.messages_dispatch_due(now=lunch_time) == {"deferred": 1}
    # then the morning one went out and the lunchtime one waits until 14:00 the same day
    morning.refresh_from_db()
    lunch.refresh_from_db()
    assert morning.status == OutboundMessage.Status.SENT
    assert (lunch.status, lunch.next_attempt_at) == (OutboundMessage.Status.SCHEDULED, MORNING.replace(hour=14))


@pytest.mark.django_db
def test_a_customer_without_a_zone_gets_the_regions_then_the_sites():
    from customers.models import Customer
    from notifications.quiet_hours import customer_zone

    # Hong Kong has its own zone; an unknown region falls back to TIME_ZONE; a set zone wins.
    assert str(customer_zone(Customer(region="Hong Kong", time_zone=""))) == "Asia/Hong_Kong"
    assert str(customer_zone(Customer(region="Atlantis", time_zone=""))) == "Asia/Shanghai"
    assert str(customer_zone(Customer(region="Hong Kong", time_zone="Europe/Berlin"))) == "Europe/Berlin"
    assert str(customer_zone(Customer(region="Hong Kong", time_zone="Not/AZone"))) == "Asia/Shanghai"
