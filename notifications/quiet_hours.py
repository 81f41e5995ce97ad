"""When a customer may get an SMS or a renewal call: their time zone, the quiet hours (SMS and calls
each have their own), the next morning (pure reads)."""

import datetime as dt
import zoneinfo

from django.conf import settings
from django.utils.translation import gettext as _

from customers.models import Customer
from customers.regions import default_time_zone
from notifications import conf


def customer_zone(customer: Customer) -> zoneinfo.ZoneInfo:
    """The customer's time zone; when they have none, their region's (``customers.regions``), else
    the site's TIME_ZONE (also for an unknown name)."""
    try:
        return zoneinfo.ZoneInfo(customer.time_zone or default_time_zone(customer.region) or settings.TIME_ZONE)
    except (zoneinfo.ZoneInfoNotFoundError, ValueError):
        return zoneinfo.ZoneInfo(settings.TIME_ZONE)


# The daily cap defers a message to this hour of the next day (later if it falls in the quiet hours).
MORNING_HOUR = 8


def is_quiet_hour(hour: int, *, start: int, end: int) -> bool:
    """Whether ``hour`` (local) is inside the window [start, end). Both shapes: across midnight
    when start > end (21–8), inside one day when start < end (12–14); start == end means none."""
    if start < end:
        return start <= hour < end
    if start > end:
        return hour >= start or hour < end
    return False


def quiet_window_end(local: dt.datetime, *, start: int, end: int) -> dt.datetime | None:
    """When ``local`` (aware, in the customer's zone) is inside the window, the time it ends; else None."""
    if not is_quiet_hour(local.hour, start=start, end=end):
        return None
    # Inside the window: it ends at END:00 today, unless it wraps past midnight and we are before it.
    end_day = local.date() + dt.timedelta(days=1) if start > end and local.hour >= start else local.date()
    return dt.datetime.combine(end_day, dt.time(end), tzinfo=local.tzinfo)


def quiet_hours_end(*, now: dt.datetime, zone) -> dt.datetime | None:
    """When ``now`` is inside the quiet hours in ``zone``, the time they end; else None."""
    start, end = conf.quiet_hours()
    return quiet_window_end(now.astimezone(zone), start=start, end=end)


def next_morning(*, now: dt.datetime, zone) -> dt.datetime:
    """The next day's first sending time: the end of the quiet hours when they run across midnight
    (08:00 with 21–8), else MORNING_HOUR, moved to the end of the quiet hours if it falls inside."""
    start, end = conf.quiet_hours()
    next_day = now.astimezone(zone).date() + dt.timedelta(days=1)
    hour = end if start > end else MORNING_HOUR
    morning = dt.datetime.combine(next_day, dt.time(hour), tzinfo=zone)
    return quiet_window_end(morning, start=start, end=end) or morning


def call_quiet_hours_end(*, now: dt.datetime, zone) -> dt.datetime | None:
    """When ``now`` is inside the renewal-call quiet hours in ``zone`` (their own, not SMS's), the
    time they end; else None."""
    start, end = conf.call_quiet_hours()
    return quiet_window_end(now.astimezone(zone), start=start, end=end)


def call_quiet_window_note() -> str:
    """The call quiet hours as shown on the settings page ("none" when start == end)."""
    start, end = conf.call_quiet_hours()
    if start == end:
        return _("none")
    return f"{start:02d}:00–{end:02d}:00"


def quiet_window_note() -> str:
    """The quiet hours as shown on the settings page, e.g. "21:00–08:00" ("none" when start == end)."""
    start, end = conf.quiet_hours()
    if start == end:
        return _("none")
    return f"{start:02d}:00–{end:02d}:00"
