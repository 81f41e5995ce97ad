"""Outbox leases: claim due rows with a lease token, renew, start a send, give rows back.

Every later write of a claimed row is conditional on its token (notifications.services.dispatch
runs the sends; docs/reminders.md).
"""

import datetime as dt
import logging
import uuid

from django.db import connection, transaction
from django.db.models import F
from django.utils import timezone

from notifications import conf
from notifications.models import MESSAGE_CHANNELS, OutboundMessage
from notifications.services.daily_cap import customer_day_claim, customer_days_claim

logger = logging.getLogger(__name__)

MessageStatus = OutboundMessage.Status


def messages_claim(
    *,
    lease_token: uuid.UUID,
    now: dt.datetime | None = None,
    limit: int | None = None,
    due_by: dt.datetime | None = None,
) -> list[int]:
    """Claim up to ``limit`` due email/SMS rows for the worker holding ``lease_token`` (a fresh
    token per claim) and return their ids.

    Due = scheduled and next_attempt_at passed (by ``due_by``, default now), or sending whose lease
    expired (the worker died mid-send: the row is sent again with the same idempotency key). SKIP
    LOCKED lets parallel workers claim disjoint batches; the lease is written as next_attempt_at so
    one index serves. Every later write of the row is conditional on the token (see
    message_lease_renew), so a worker whose lease was taken over cannot send or record the row.
    """
    now = now or timezone.now()
    due_by = min(due_by, now) if due_by is not None else now
    limit = limit or conf.batch_size()
    lease_until = now + dt.timedelta(seconds=conf.lease_seconds())
    with transaction.atomic():
        ids = list(
            OutboundMessage.objects.select_for_update(skip_locked=True)
            .filter(
                status__in=OutboundMessage.UNSENT_STATUSES, channel__in=MESSAGE_CHANNELS, next_attempt_at__lte=due_by
            )
            .order_by("next_attempt_at")
            .values_list("id", flat=True)[:limit]
        )
        if ids:
            OutboundMessage.objects.filter(id__in=ids).update(
                status=MessageStatus.SENDING,
                lease_until=lease_until,
                lease_token=lease_token,
                next_attempt_at=lease_until,
                attempts=F("attempts") + 1,
                updated_at=now,
            )
    return ids


def message_claim_one(*, message_id: int, now: dt.datetime | None = None) -> uuid.UUID | None:
    """Claim one specific due row (for "send now"); returns the lease token to pass to
    message_dispatch, or None if another worker has it or it is not due."""
    now = now or timezone.now()
    lease_until = now + dt.timedelta(seconds=conf.lease_seconds())
    lease_token = uuid.uuid4()
    with transaction.atomic():
        claimed = OutboundMessage.objects.filter(
            pk=message_id,
            status__in=OutboundMessage.UNSENT_STATUSES,
            channel__in=MESSAGE_CHANNELS,
            next_attempt_at__lte=now,
        ).update(
            status=MessageStatus.SENDING,
            lease_until=lease_until,
            lease_token=lease_token,
            next_attempt_at=lease_until,
            attempts=F("attempts") + 1,
            updated_at=now,
        )
    return lease_token if claimed else None


def message_lease_renew(*, message_id: int, lease_token: uuid.UUID, now: dt.datetime | None = None) -> bool:
    """Re-assert ownership right before the send: one conditional UPDATE that renews the lease
    only while the row is still sending under this worker's token. False (0 rows) means another
    worker re-claimed the row after this worker's lease expired, or it was sent, skipped or
    released meanwhile: the caller must not send it. A concurrent claim locks the row first (and
    sets its own token) or sees the renewed lease and leaves the row alone."""
    with transaction.atomic():
        return _renew_lease(message_id=message_id, lease_token=lease_token, now=now or timezone.now())


def _renew_lease(*, message_id: int, lease_token: uuid.UUID, now: dt.datetime) -> bool:
    lease_until = now + dt.timedelta(seconds=conf.lease_seconds())
    renewed = OutboundMessage.objects.filter(
        pk=message_id, status=MessageStatus.SENDING, lease_token=lease_token
    ).update(lease_until=lease_until, next_attempt_at=lease_until, updated_at=now)
    return renewed == 1


@transaction.atomic
def message_send_start(
    *,
    message_id: int,
    lease_token: uuid.UUID,
    customer_id: int,
    day: dt.date,
    exempt: bool,
    now: dt.datetime | None = None,
) -> str:
    """Right before the provider call, in one transaction: renew the lease (see message_lease_renew)
    and claim the customer's local ``day`` for this message (daily_cap.customer_day_claim). Returns
    "ok", "lease_lost", or "capped" when another message holds the day. An ``exempt`` message (the
    statutory notice) claims the day when it is free and goes out either way."""
    now = now or timezone.now()
    if not _renew_lease(message_id=message_id, lease_token=lease_token, now=now):
        return "lease_lost"
    claimed = customer_day_claim(customer_id=customer_id, day=day, message_id=message_id, now=now)
    return "ok" if claimed or exempt else "capped"


_RENEW_LEASES_SQL = """
    UPDATE notifications_outboundmessage SET lease_until = %s, next_attempt_at = %s, updated_at = %s
    WHERE id = ANY(%s) AND status = 'sending' AND lease_token = %s::uuid
    RETURNING id
"""


@transaction.atomic
def messages_send_start(
    *, rows: list[tuple[int, int, dt.date, bool]], lease_token: uuid.UUID, now: dt.datetime | None = None
) -> dict[int, str]:
    """message_send_start for a chunk, in one transaction: ``rows`` are (message id, customer id,
    local day, exempt); returns {message id: "ok" | "lease_lost" | "capped"}. One UPDATE renews the
    leases still held under ``lease_token``, one INSERT claims the customers' days
    (daily_cap.customer_days_claim)."""
    now = now or timezone.now()
    if not rows:
        return {}
    lease_until = now + dt.timedelta(seconds=conf.lease_seconds())
    ids = [row[0] for row in rows]
    if connection.vendor == "postgresql":
        with connection.cursor() as cursor:
            cursor.execute(_RENEW_LEASES_SQL, [lease_until, lease_until, now, ids, str(lease_token)])
            renewed = {row[0] for row in cursor.fetchall()}
    else:
        renewed = {
            message_id for message_id in ids if _renew_lease(message_id=message_id, lease_token=lease_token, now=now)
        }
    held = customer_days_claim(
        claims=[
            (customer_id, day, message_id) for message_id, customer_id, day, _exempt in rows if message_id in renewed
        ],
        now=now,
    )
    return {
        message_id: "lease_lost" if message_id not in renewed else ("ok" if message_id in held or exempt else "capped")
        for message_id, _customer_id, _day, exempt in rows
    }


@transaction.atomic
def messages_release(*, ids: list[int], lease_token: uuid.UUID, now: dt.datetime | None = None) -> int:
    """Give claimed rows this worker did not get to back to the queue, due at once, without
    counting the attempt (only rows still held under ``lease_token``)."""
    now = now or timezone.now()
    return OutboundMessage.objects.filter(id__in=ids, status=MessageStatus.SENDING, lease_token=lease_token).update(
        status=MessageStatus.SCHEDULED,
        next_attempt_at=now,
        lease_until=None,
        lease_token=None,
        attempts=F("attempts") - 1,
        updated_at=now,
    )


# The run's clock (monotonic; replaced in tests to play a slow provider without sleeping).
