"""Reminder settings: read from django.conf.settings when set there, else from the environment.

config/settings.py is owned by the foundation; until it lists these, they are read here with
their defaults written inline (documented in docs/reminders.md).
"""

import os

from django.conf import settings


def _value(name: str, default: str) -> str:
    value = getattr(settings, name, None)
    if value is None:
        value = os.environ.get(name, default)
    return str(value)


def _int(name: str, default: int) -> int:
    raw = _value(name, str(default))
    try:
        return int(raw)
    except ValueError as exc:
        raise ValueError(f"{name} must be an integer, got {raw!r}") from exc


def sms_webhook_secret() -> str:
    """Shared secret the SMS gateway signs its delivery callbacks with (HMAC-SHA256)."""
    return _value("SMS_WEBHOOK_SECRET", "")


def max_attempts() -> int:
    """Send attempts before a message is marked failed."""
    return _int("REMINDER_MAX_ATTEMPTS", 5)


def retry_base_seconds() -> int:
    """First retry delay; doubles after each temporary failure (60 s, 2 min, 4 min, ...)."""
    return _int("REMINDER_RETRY_BASE_SECONDS", 60)


def lease_seconds() -> int:
    """How long a claimed row stays with its worker before another may resend it."""
    return _int("REMINDER_LEASE_SECONDS", 300)


def batch_size() -> int:
    """Rows claimed per batch by dispatch."""
    return _int("REMINDER_DISPATCH_BATCH", 200)


def quiet_hours() -> tuple[int, int]:
    """SMS quiet hours as (start hour, end hour) in the customer's local time."""
    return _int("SMS_QUIET_START_HOUR", 21), _int("SMS_QUIET_END_HOUR", 8)


def offer_link_max_age_days() -> int:
    return _int("OFFER_LINK_MAX_AGE_DAYS", 90)


def unsubscribe_link_max_age_days() -> int:
    return _int("UNSUBSCRIBE_LINK_MAX_AGE_DAYS", 365)


def public_link_rate() -> int:
    """Requests per minute per client address on the public offer/unsubscribe pages."""
    rate = _value("THROTTLE_PUBLIC_LINKS", "") or settings.REST_FRAMEWORK.get("DEFAULT_THROTTLE_RATES", {}).get(
        "public_links", "30/min"
    )
    return int(str(rate).split("/")[0])
