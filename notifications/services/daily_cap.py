"""The one-message-a-day cap and the notice's day: what dispatch asks right before a send.

The cap is a row per customer and local day (``CustomerDayClaim``, unique), inserted in the
transaction that renews the message's lease right before the provider call, so it holds across any
number of dispatch workers. A plain reminder also gives way to the customer's statutory notice on
the notice's day.
"""

import datetime as dt

from django.db import connection
from django.db.models import Q

from notifications.models import MESSAGE_CHANNELS, CustomerDayClaim, OutboundMessage

MessageStatus = OutboundMessage.Status

_CLAIM_DAY_SQL = """
    INSERT INTO notifications_customerdayclaim (customer_id, day, message_id, created_at)
    VALUES (%s, %s, %s, %s)
    ON CONFLICT (customer_id, day) DO NOTHING
"""


def customer_day_claim(*, customer_id: int, day: dt.date, message_id: int, now: dt.datetime) -> bool:
    """Claim the customer's local ``day`` for the message; True when it is this message's (newly, or
    already: a row sent again after an expired lease or a retry finds its own claim). Must run in
    the caller's transaction: a concurrent claim of the same day waits for it, then finds it taken.
    The claim stays with a sent message; a recorded failure gives it back (message_record_failure)."""
    with connection.cursor() as cursor:
        cursor.execute(_CLAIM_DAY_SQL, [customer_id, day, message_id, now])
        if cursor.rowcount == 1:
            return True
    holder = CustomerDayClaim.objects.filter(customer_id=customer_id, day=day).values_list("message_id", flat=True)
    return holder.first() == message_id


def notice_that_day(*, customer_id: int, now: dt.datetime, zone) -> bool:
    """Whether the customer's statutory notice (any of their cases) is sent, being sent, or due on
    the local day of ``now`` (a notice waiting for a printed letter does not count). Read through
    the customer's cases and the one-notice-per-case index."""
    today = now.astimezone(zone).date()
    midnight = dt.datetime.combine(today, dt.time.min, tzinfo=zone)
    next_midnight = dt.datetime.combine(today + dt.timedelta(days=1), dt.time.min, tzinfo=zone)
    that_day = (
        Q(status=MessageStatus.SENDING)
        | Q(status=MessageStatus.SCHEDULED, next_attempt_at__lt=next_midnight)
        | Q(status=MessageStatus.SENT, sent_at__gte=midnight, sent_at__lt=next_midnight)
    )
    return OutboundMessage.objects.filter(
        that_day, case__customer_id=customer_id, is_notice=True, channel__in=MESSAGE_CHANNELS
    ).exists()
