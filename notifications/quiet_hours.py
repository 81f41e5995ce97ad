"""When a customer may get an SMS: their time zone, the quiet hours, the next morning (pure reads)."""

import datetime as dt
import zoneinfo

from django.conf import settings

from customers.models import Customer
from notifications import conf


def customer_zone(customer: Customer) -> zoneinfo.ZoneInfo:
    """The customer's time zone; the site's TIME_ZONE when they have none (or an unknown one)."""
    try:
        return zoneinfo.ZoneInfo(customer.time_zone or settings.TIME_ZONE)
    except (zoneinfo.ZoneInfoNotFoundError, ValueError):
        return zoneinfo.ZoneInfo(settings.TIME_ZONE)


def quiet_hours_end(*, now: dt.datetime, zone) -> dt.datetime | None:
    """When ``now`` is inside the quiet hours in ``zone``, the time they end; else None."""
    start, end = conf.quiet_hours()
    local = now.astimezone(zone)
    if local.hour >= start:
        return dt.datetime.combine(local.date() + dt.timedelta(days=1), dt.time(end), tzinfo=zone)
    if local.hour < end:
        return dt.datetime.combine(local.date(), dt.time(end), tzinfo=zone)
    return None


def next_morning(*, now: dt.datetime, zone) -> dt.datetime:
    """The end of the quiet hours on the day after ``now`` in ``zone``."""
    _start, end = conf.quiet_hours()
    local = now.astimezone(zone)
    return dt.datetime.combine(local.date() + dt.timedelta(days=1), dt.time(end), tzinfo=zone)


def quiet_window_note() -> str:
    """The quiet hours as shown on the settings page, e.g. "21:00–08:00"."""
    start, end = conf.quiet_hours()
    return f"{start:02d}:00–{end:02d}:00"
