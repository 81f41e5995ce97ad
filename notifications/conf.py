"""Reminder settings, read from config/settings.py at call time (so tests can override them)."""

from django.conf import settings


def _value(name: str, default: str) -> str:
    return str(getattr(settings, name, default))


def _int(name: str, default: int) -> int:
    return int(getattr(settings, name, default))


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


def batch_window_seconds() -> float:
    """A claimed batch is sent within this time of its claim (half the lease); the rows not
    reached by then go back to the queue, so a slow provider never lets a lease run out."""
    return lease_seconds() / 2


def dispatch_budget_seconds() -> int:
    """The periodic dispatch run claims no new batch after this long (it runs every minute)."""
    return 120


def email_timeout_seconds() -> int:
    """Socket timeout of each SMTP operation (EMAIL_TIMEOUT; never wait forever)."""
    return int(getattr(settings, "EMAIL_TIMEOUT", None) or 30)


def sms_timeout_seconds() -> int:
    """Timeout of the SMS gateway request."""
    return 10


def longest_send_seconds() -> int:
    """Upper bound of one send: an SMTP (re)connect and message are a handful of socket operations,
    each bounded by EMAIL_TIMEOUT; the SMS gateway call by its own timeout. The lease must be
    comfortably longer (a row's lease is renewed right before its send)."""
    return max(6 * email_timeout_seconds(), 2 * sms_timeout_seconds())


def quiet_hours() -> tuple[int, int]:
    """SMS quiet hours as (start hour, end hour) in the customer's local time."""
    return _int("SMS_QUIET_START_HOUR", 21), _int("SMS_QUIET_END_HOUR", 8)


def offer_link_max_age_days() -> int:
    return _int("OFFER_LINK_MAX_AGE_DAYS", 90)


def unsubscribe_link_max_age_days() -> int:
    return _int("UNSUBSCRIBE_LINK_MAX_AGE_DAYS", 365)


def public_link_rate() -> int:
    """Requests per minute per client address on the public offer/unsubscribe pages."""
    rate = settings.REST_FRAMEWORK["DEFAULT_THROTTLE_RATES"]["public_links"]
    return int(str(rate).split("/")[0])
