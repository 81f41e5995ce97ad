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

# Claims the free days and returns the messages holding their day: newly (RETURNING) or already (a
# claim of an earlier attempt, committed before this statement's snapshot; a concurrent claim of the
# same day by another message makes ON CONFLICT wait for it, then skip).
_CLAIM_DAYS_SQL = """
    WITH wanted AS (
        SELECT * FROM unnest(%s::bigint[], %s::date[], %s::bigint[]) AS c(customer_id, day, message_id)
    ),
    claimed AS (
        INSERT INTO notifications_customerdayclaim (customer_id, day, message_id, created_at)
        SELECT customer_id, day, message_id, %s FROM wanted
        ORDER BY customer_id, day, message_id
        ON CONFLICT (customer_id, day) DO NOTHING
        RETURNING message_id
    )
    SELECT message_id FROM claimed
    UNION
    SELECT k.message_id FROM notifications_customerdayclaim k
    JOIN wanted w ON k.customer_id = w.customer_id AND k.day = w.day AND k.message_id = w.message_id
"""
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
    return message_id in customer_days_claim(claims=[(customer_id, day, message_id)], now=now)


def customer_days_claim(*, claims: list[tuple[int, dt.date, int]], now: dt.datetime) -> set[int]:
    """customer_day_claim for many messages at once (``claims``: customer id, day, message id):
    the ids of the messages that hold their customer's day. Two messages of one customer and day
    in ``claims``: one of them gets it. One statement: an INSERT in customer and day order (two
    workers claiming overlapping days wait for each other in the same order, never in a cycle)."""
    if not claims:
        return set()
    if connection.vendor != "postgresql":
        return {
            message_id
            for customer_id, day, message_id in claims
            if _customer_day_claim_portable(customer_id=customer_id, day=day, message_id=message_id, now=now)
        }
    columns = [[c[0] for c in claims], [c[1] for c in claims], [c[2] for c in claims]]
    with connection.cursor() as cursor:
        cursor.execute(_CLAIM_DAYS_SQL, [*columns, now])
        return {row[0] for row in cursor.fetchall()}


def _customer_day_claim_portable(*, customer_id: int, day: dt.date, message_id: int, now: dt.datetime) -> bool:
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


_NOTICES_OF_CUSTOMERS_SQL = """
    SELECT rc.customer_id, m.status, m.next_attempt_at, m.sent_at
    FROM renewals_renewalcase rc
    CROSS JOIN LATERAL (
        SELECT o.status, o.next_attempt_at, o.sent_at FROM notifications_outboundmessage o
        WHERE o.case_id = rc.id AND o.is_notice AND o.channel IN ('email', 'sms')
    ) m
    WHERE rc.customer_id = ANY(%s) AND m.status IN ('scheduled', 'sending', 'sent')
"""


def notices_that_day(*, customers: list[tuple[int, object]], now: dt.datetime) -> set[int]:
    """notice_that_day for many customers at once (``customers``: customer id, zone): the ids of
    those whose statutory notice is sent, being sent, or due on their local day of ``now``. One
    query for all, through the customers' cases and the one-notice-per-case index (each case has
    at most one notice row); the day of each decided in its customer's zone, as notice_that_day does."""
    if not customers:
        return set()
    zones = dict(customers)
    if connection.vendor == "postgresql":
        with connection.cursor() as cursor:
            cursor.execute(_NOTICES_OF_CUSTOMERS_SQL, [list(zones)])
            rows = cursor.fetchall()
    else:
        rows = OutboundMessage.objects.filter(
            case__customer_id__in=list(zones),
            is_notice=True,
            channel__in=MESSAGE_CHANNELS,
            status__in=(MessageStatus.SCHEDULED, MessageStatus.SENDING, MessageStatus.SENT),
        ).values_list("case__customer_id", "status", "next_attempt_at", "sent_at")
    found = set()
    for customer_id, status, next_attempt_at, sent_at in rows:
        zone = zones[customer_id]
        today = now.astimezone(zone).date()
        midnight = dt.datetime.combine(today, dt.time.min, tzinfo=zone)
        next_midnight = dt.datetime.combine(today + dt.timedelta(days=1), dt.time.min, tzinfo=zone)
        if (
            status == MessageStatus.SENDING
            or (status == MessageStatus.SCHEDULED and next_attempt_at < next_midnight)
            or (status == MessageStatus.SENT and sent_at is not None and midnight <= sent_at < next_midnight)
        ):
            found.add(customer_id)
    return found
