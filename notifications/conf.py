"""Reminder settings, read from config/settings.py at call time (so tests can override them).

The values and their defaults are written once, in config/settings.py; this module only names
them and derives the dispatch timings that follow from them.
"""

from django.conf import settings


def sms_webhook_secret() -> str:
    """Shared secret the SMS gateway signs its delivery callbacks with (HMAC-SHA256)."""
    return settings.SMS_WEBHOOK_SECRET


def max_attempts() -> int:
    """Send attempts before a message is marked failed."""
    return settings.REMINDER_MAX_ATTEMPTS


def retry_base_seconds() -> int:
    """First retry delay; doubles after each temporary failure (60 s, 2 min, 4 min, ...)."""
    return settings.REMINDER_RETRY_BASE_SECONDS


def lease_seconds() -> int:
    """How long a claimed row stays with its worker before another may resend it."""
    return settings.REMINDER_LEASE_SECONDS


def batch_size() -> int:
    """Rows claimed per batch by dispatch."""
    return settings.REMINDER_DISPATCH_BATCH


def batch_window_seconds() -> float:
    """A claimed batch is sent within this time of its claim (half the lease); the rows not
    reached by then go back to the queue, so a slow provider never lets a lease run out."""
    return lease_seconds() / 2


def dispatch_budget_seconds() -> int:
    """The periodic dispatch run claims no new batch after this long (it runs every minute)."""
    return settings.REMINDER_DISPATCH_BUDGET_SECONDS


def email_timeout_seconds() -> int:
    """Socket timeout of each SMTP operation (EMAIL_TIMEOUT; never wait forever)."""
    return settings.EMAIL_TIMEOUT


def sms_timeout_seconds() -> int:
    """Timeout of the SMS gateway request."""
    return settings.SMS_GATEWAY_TIMEOUT_SECONDS


def longest_send_seconds() -> int:
    """Upper bound of one send: an SMTP (re)connect and message are a handful of socket operations,
    each bounded by EMAIL_TIMEOUT; the SMS gateway call by its own timeout. The lease must be
    comfortably longer (a row's lease is renewed right before its send)."""
    return max(6 * email_timeout_seconds(), 2 * sms_timeout_seconds())


def quiet_hours() -> tuple[int, int]:
    """SMS quiet hours as (start hour, end hour) in the customer's local time."""
    return settings.SMS_QUIET_START_HOUR, settings.SMS_QUIET_END_HOUR


def call_quiet_hours() -> tuple[int, int]:
    """Renewal call quiet hours as (start hour, end hour) in the customer's local time."""
    return settings.CALL_QUIET_START_HOUR, settings.CALL_QUIET_END_HOUR


def call_refusal_days() -> int:
    """Days a customer who refused calls is left out of the call to-dos."""
    return settings.CALL_REFUSAL_DAYS


def offer_link_max_age_days() -> int:
    return settings.OFFER_LINK_MAX_AGE_DAYS


def unsubscribe_link_max_age_days() -> int:
    return settings.UNSUBSCRIBE_LINK_MAX_AGE_DAYS
