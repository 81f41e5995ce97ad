"""Campaign messages and call tasks in the outbox: handed over by a higher app (campaigns), sent by
the same dispatch as reminders (consent, marketing opt-out, quiet hours, the daily cap, leases,
the row id as the idempotency key).

Notifications does not import campaigns: the caller passes a queryset of its own rows, and each
outbox row keeps the caller's id in ``campaign_message_id``. Handing over is idempotent through the
partial unique index on that column (``outbox_one_per_campaign_message``) and ON CONFLICT DO NOTHING.
"""

import datetime as dt
from decimal import Decimal

from django.db import connection, transaction
from django.db.models import QuerySet
from django.utils import timezone

from notifications.models import CUSTOMER_CHANNEL_COLUMNS, OutboundMessage

MessageStatus = OutboundMessage.Status

# "WHERE TRUE": SQLite reads ON CONFLICT after a bare SELECT … FROM as a join clause without it.
_ENQUEUE_SQL = """
    INSERT INTO notifications_outboundmessage (
        kind, case_id, customer_id, line_id, step_id, channel, is_notice, status, skip_reason,
        defer_reason, due_date, scheduled_for, next_attempt_at, attempts, provider_message_id,
        error, address, content_hash, subject, body, link, delivery_status, created_at, updated_at,
        campaign_message_id, assignee_id, offer_percent
    )
    SELECT 'campaign', NULL, p.customer_id, NULL, NULL, %s, %s,
           CASE WHEN p.reason = '' THEN 'scheduled' ELSE 'skipped' END, p.reason,
           '', %s, %s, %s, 0, '', '', p.address, '', %s, %s, '', '', %s, %s, p.source_id, p.assignee_id, %s
    FROM (
        SELECT r.source_id, r.customer_id, r.assignee_id, COALESCE(cu.{address}, '') AS address,
               CASE WHEN cu.marketing_opt_out OR NOT cu.{consent} THEN 'opted_out'
                    WHEN COALESCE(cu.{address}, '') = '' THEN 'no_address' ELSE '' END AS reason
        FROM ({recipients}) r
        JOIN customers_customer cu ON cu.id = r.customer_id
    ) p
    WHERE TRUE
    ON CONFLICT DO NOTHING
"""


@transaction.atomic
def campaign_messages_enqueue(
    *,
    recipients: QuerySet,
    channel: str,
    subject: str,
    body: str,
    due_date: dt.date,
    send_from: dt.datetime,
    now: dt.datetime | None = None,
    offer_percent: Decimal | None = None,
) -> int:
    """Put one campaign step's messages (or call tasks) in the outbox in one INSERT … SELECT.

    ``recipients``: a values() queryset with the columns ``source_id`` (the caller's id, kept as
    ``campaign_message_id``), ``customer_id`` and ``assignee_id`` (the call task's specialist, or
    NULL). Rows without consent for the channel, with a marketing opt-out (a campaign is marketing)
    or without an address are inserted as skipped with the reason; dispatch checks again at sending.
    ``send_from``: when dispatch may pick the rows up. ``offer_percent``: a call task's offer, kept as
    data (the call list says it in the viewer's language). Returns how many rows were added; handing the
    same recipients over again adds none."""
    if channel not in CUSTOMER_CHANNEL_COLUMNS:
        raise ValueError(f"unknown channel {channel!r}")
    now = now or timezone.now()
    consent, address = CUSTOMER_CHANNEL_COLUMNS[channel]
    select, params = recipients.query.sql_with_params()
    sql = _ENQUEUE_SQL.format(recipients=select, consent=consent, address=address)
    head = [channel, False, due_date, send_from, send_from, subject[:200], body, now, now, offer_percent]
    with connection.cursor() as cursor:
        cursor.execute(sql, [*head, *params])
        return max(cursor.rowcount, 0)


@transaction.atomic
def campaign_messages_skip(*, source_ids: QuerySet, reason: str = OutboundMessage.SkipReason.OUTCOME_KNOWN) -> int:
    """Skip the unsent campaign rows of these campaign message ids (``source_ids``: a values_list
    queryset of ids), e.g. once the customer came back or the campaign ended. A row a worker is
    sending right now keeps its lease and is sent (the customer gets it once, not twice)."""
    return OutboundMessage.objects.filter(
        kind=OutboundMessage.Kind.CAMPAIGN, status=MessageStatus.SCHEDULED, campaign_message_id__in=source_ids
    ).update(status=MessageStatus.SKIPPED, skip_reason=reason, updated_at=timezone.now())
