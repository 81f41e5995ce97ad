"""Recording a claimed row's outcome: sent (one row or many in one statement), skipped, deferred,
failed. Each write is conditional on the row's lease token (docs/reminders.md).
"""

from __future__ import annotations

import datetime as dt
import logging
import queue
import threading
import uuid
from typing import TYPE_CHECKING

from django.db import connection, transaction
from django.db.models import F
from django.utils import timezone

from notifications import conf
from notifications.models import CustomerDayClaim, NoticeProof, OutboundMessage
from notifications.rendering import content_hash
from notifications.services._shared import record_case_event
from renewals.models import CaseEvent, RenewalCase

if TYPE_CHECKING:  # the dispatch run's row and chunk types (no import cycle at run time)
    from notifications.services.dispatch import _Ready, _Sending

logger = logging.getLogger(__name__)

MessageStatus = OutboundMessage.Status


# One statement, so one transaction and one round trip (the dispatching thread records a few rows
# at a time, many times a second). Its commit does not wait for the WAL flush: set_config(…, true)
# is SET LOCAL synchronous_commit TO OFF, for this transaction only (safe behind PgBouncer). A killed
# worker cannot lose a committed row; only a PostgreSQL crash can lose the last few hundred
# milliseconds of records, and those rows are then sent again with the same idempotency key and
# Message-ID once their lease expires (docs/reminders.md).
_RECORD_SENT_SQL = """
    WITH local AS MATERIALIZED (SELECT set_config('synchronous_commit', 'off', true)),
    sent AS (
        UPDATE notifications_outboundmessage AS m
        SET status = 'sent', sent_at = v.sent_at, provider_message_id = v.provider_message_id, address = v.address,
            subject = v.subject, body = v.body, content_hash = v.content_hash, link = COALESCE(v.link, m.link),
            error = '', lease_until = NULL, lease_token = NULL, updated_at = v.sent_at
        FROM unnest(%s::bigint[], %s::text[], %s::text[], %s::text[], %s::text[], %s::text[], %s::text[],
                    %s::timestamptz[], %s::text[])
             AS v(id, provider_message_id, address, subject, body, content_hash, link, sent_at, step_label),
             local
        WHERE m.id = v.id AND m.status = 'sending' AND m.lease_token = %s::uuid
        RETURNING m.id, m.case_id, m.kind, m.channel, m.is_notice, v.sent_at, v.step_label
    ),
    events AS (
        INSERT INTO renewals_caseevent (case_id, kind, actor_id, payload, created_at)
        SELECT case_id, 'reminder', NULL,
               jsonb_build_object('message_id', id, 'kind', kind, 'channel', channel, 'step', step_label,
                                  'status', 'sent', 'notice', is_notice),
               sent_at
        FROM sent WHERE case_id IS NOT NULL
    )
    SELECT id FROM sent
"""


def messages_record_sent(*, rows: list[tuple[_Ready, str, dt.datetime]], lease_token: uuid.UUID) -> int:
    """message_record_sent for plain rows (no notice: no proof) of one batch, in one transaction
    (the answers that came back together; one statement, synchronous_commit off, see _RECORD_SENT_SQL):
    one statement, guarded by ``lease_token``, marks the rows sent and adds their case timeline
    entries (a row whose lease was taken over is neither, and is logged: the provider got it twice).
    Returns how many rows were recorded."""
    values = []
    for ready, provider_id, sent_at in rows:
        message = ready.message
        values.append(
            (
                message.pk,
                provider_id[:200],
                ready.address,
                ready.subject[:200],
                ready.body,
                content_hash(ready.subject, ready.body),
                message.link,
                sent_at,
                message.step.label if message.step_id else "",
            )
        )
    if connection.vendor == "postgresql":
        with connection.cursor() as cursor:
            cursor.execute(
                _RECORD_SENT_SQL, [list(column) for column in zip(*values, strict=True)] + [str(lease_token)]
            )
            recorded = {row[0] for row in cursor.fetchall()}
    else:
        with transaction.atomic():
            recorded = _record_sent_portable(rows, values, lease_token)
    for ready, _provider_id, _sent_at in rows:
        if ready.message.pk not in recorded:
            logger.error("outbox row %s was sent after its lease was taken over by another worker", ready.message.pk)
    return len(recorded)


def _record_sent_portable(rows, values, lease_token: uuid.UUID) -> set[int]:
    recorded = set()
    for message_id, provider_id, address, subject, body, digest, link, sent_at, _label in values:
        changed = OutboundMessage.objects.filter(
            pk=message_id, status=MessageStatus.SENDING, lease_token=lease_token
        ).update(
            status=MessageStatus.SENT,
            sent_at=sent_at,
            provider_message_id=provider_id,
            address=address,
            subject=subject,
            body=body,
            content_hash=digest,
            link=link if link is not None else F("link"),
            error="",
            lease_until=None,
            lease_token=None,
            updated_at=sent_at,
        )
        if changed:
            recorded.add(message_id)
    CaseEvent.objects.bulk_create(
        CaseEvent(
            case_id=message.case_id,
            kind=CaseEvent.Kind.REMINDER,
            payload={
                "message_id": message.pk,
                "kind": message.kind,
                "channel": message.channel,
                "step": label,
                "status": MessageStatus.SENT,
                "notice": message.is_notice,
            },
            created_at=sent_at,
        )
        for (ready, _provider_id, sent_at), (*_, label) in zip(rows, values, strict=True)
        if (message := ready.message).pk in recorded and message.case_id is not None
    )
    return recorded


@transaction.atomic
def message_skip(*, message_id: int, lease_token: uuid.UUID, reason: str) -> int:
    """Skip a row this worker claimed (and still holds) with the reason."""
    return OutboundMessage.objects.filter(pk=message_id, status=MessageStatus.SENDING, lease_token=lease_token).update(
        status=MessageStatus.SKIPPED, skip_reason=reason, lease_until=None, lease_token=None, updated_at=timezone.now()
    )


@transaction.atomic
def message_defer(*, message_id: int, lease_token: uuid.UUID, until: dt.datetime, reason: str) -> int:
    """Put a claimed row back for later without counting the attempt (deferred, not dropped)."""
    return OutboundMessage.objects.filter(pk=message_id, status=MessageStatus.SENDING, lease_token=lease_token).update(
        status=MessageStatus.SCHEDULED,
        scheduled_for=until,
        next_attempt_at=until,
        defer_reason=reason,
        lease_until=None,
        lease_token=None,
        attempts=F("attempts") - 1,
        updated_at=timezone.now(),
    )


@transaction.atomic
def message_record_sent(
    *,
    message_id: int,
    lease_token: uuid.UUID,
    provider_message_id: str,
    address: str,
    subject: str,
    body: str,
    sent_at: dt.datetime,
    link: str | None = None,
    document_sha256: str = "",
) -> OutboundMessage | None:
    """Mark the row sent, keep what was sent, and for the notice write its immutable proof.

    Only while the row is still held under ``lease_token``; None when it is not (the send outlived
    the lease and another worker took the row over: logged, as the provider got it twice)."""
    message = (
        OutboundMessage.objects.select_for_update(of=("self",))
        .select_related("line", "step")
        .filter(pk=message_id, lease_token=lease_token)
        .first()
    )
    if message is None:
        logger.error("outbox row %s was sent after its lease was taken over by another worker", message_id)
        return None
    if message.status == MessageStatus.SENT:
        return message
    message.status = MessageStatus.SENT
    message.sent_at = sent_at
    message.provider_message_id = provider_message_id[:200]
    message.address = address
    message.subject = subject[:200]
    message.body = body
    message.content_hash = content_hash(subject, body)
    if link is not None:
        message.link = link
    message.error = ""
    message.lease_until = None
    message.lease_token = None
    message.updated_at = sent_at
    message.save()
    if message.is_notice and not NoticeProof.objects.filter(case_id=message.case_id).exists():
        case = RenewalCase.objects.select_related("customer", "line", "current_quote").get(pk=message.case_id)
        NoticeProof.objects.create(
            case_id=message.case_id,
            message=message,
            sent_at=sent_at,
            channel=message.channel,
            address=address,
            content_hash=message.content_hash,
            document_sha256=document_sha256,
            deadline=case.notice_deadline,
        )
    if message.case_id is not None:  # a campaign message may have no case (its log is the campaign's)
        record_case_event(
            case_id=message.case_id,
            payload={
                "message_id": message.pk,
                "kind": message.kind,
                "channel": message.channel,
                "step": message.step.label if message.step_id else "",
                "status": MessageStatus.SENT,
                "notice": message.is_notice,
            },
            at=sent_at,
        )
    return message


@transaction.atomic
def message_record_failure(
    *, message_id: int, lease_token: uuid.UUID, error: str, temporary: bool, now: dt.datetime | None = None
) -> str:
    """A temporary failure is retried with exponential backoff (the due time is in the row);
    after the last attempt, or on a permanent failure, the row is failed with the reason.
    Only while the row is still sending under ``lease_token`` ("gone" otherwise)."""
    now = now or timezone.now()
    message = (
        OutboundMessage.objects.select_for_update(of=("self",))
        .select_related("step")
        .filter(pk=message_id, lease_token=lease_token)
        .first()
    )
    if message is None or message.status != MessageStatus.SENDING:
        return "gone"
    # Nothing reached the customer: the day this message claimed is free again.
    CustomerDayClaim.objects.filter(customer_id=message.customer_id, message_id=message.pk).delete()
    message.error = error[:2000]
    message.lease_until = None
    message.lease_token = None
    message.updated_at = now
    if temporary and message.attempts < conf.max_attempts():
        delay = conf.retry_base_seconds() * 2 ** max(message.attempts - 1, 0)
        message.status = MessageStatus.SCHEDULED
        message.next_attempt_at = now + dt.timedelta(seconds=delay)
        message.save()
        return "retry"
    message.status = MessageStatus.FAILED
    message.save()
    if message.case_id is None:
        return "failed"
    record_case_event(
        case_id=message.case_id,
        payload={
            "message_id": message.pk,
            "kind": message.kind,
            "channel": message.channel,
            "step": message.step.label if message.step_id else "",
            "status": MessageStatus.FAILED,
            "error": message.error,
        },
    )
    return "failed"


def _record_results(rows: list[_Ready], results: list[tuple], *, lease_token, now, give_back: list[int]) -> list[str]:
    outcomes: list[str] = []
    plain_sent: list[tuple[_Ready, str, dt.datetime]] = []
    unsent: list[_Ready] = []
    for ready, result in zip(rows, results, strict=True):
        owned = {"message_id": ready.message.pk, "lease_token": lease_token}
        kind = result[0]
        if kind == "unsent":
            unsent.append(ready)
        elif kind in ("temporary", "permanent"):
            outcomes.append(message_record_failure(**owned, error=result[1], temporary=kind == "temporary", now=now))
        elif ready.message.is_notice:
            # The notice writes its proof: one row at a time (a handful a day per customer).
            recorded = message_record_sent(
                **owned,
                provider_message_id=result[1],
                address=ready.address,
                subject=ready.subject,
                body=ready.body,
                sent_at=result[2],
                link=ready.message.link,
                document_sha256=ready.document_sha256 or "",
            )
            outcomes.append("sent" if recorded is not None else "lease_lost")
        else:
            plain_sent.append((ready, result[1], result[2]))
    if plain_sent:
        recorded = messages_record_sent(rows=plain_sent, lease_token=lease_token)
        outcomes += ["sent"] * recorded + ["lease_lost"] * (len(plain_sent) - recorded)
    if unsent:
        with transaction.atomic():
            # Nothing reached these customers: their day claims go with the rows back to the queue.
            for ready in unsent:
                CustomerDayClaim.objects.filter(
                    customer_id=ready.message.customer_id, message_id=ready.message.pk
                ).delete()
        give_back[:0] = [ready.message.pk for ready in unsent]
    return outcomes


class _Recorder:
    """The ended sends of a run, recorded by the dispatching thread as they come in.

    A sender thread puts each send's result on ``done`` as soon as the provider answered; the
    dispatching thread takes them off between its other work (drain) and records them, a few at a
    time: one conditional UPDATE with their timeline entries per drain (messages_record_sent). An
    e-mail send holds one of ``size`` permits from before it starts until it is recorded, so at any
    moment at most ``size`` (the connections) e-mails are sent or being sent and not yet recorded:
    all a killed worker can repeat (docs/reminders.md). SMS holds none: the gateway honours the
    idempotency key.
    """

    def __init__(self, size: int):
        self.done: queue.SimpleQueue = queue.SimpleQueue()
        self.permits = threading.Semaphore(size)
        self.stop = threading.Event()  # set when the run is interrupted: no new send starts
        self.outcomes: list[str] = []
        # Between rows, record once this many answers wait (half the permits: the other senders go on
        # sending meanwhile); one at a time would spend the dispatching thread on transactions.
        self.group = max(1, size // 2)

    def take_outcomes(self) -> list[str]:
        outcomes, self.outcomes[:] = list(self.outcomes), []
        return outcomes

    def drain(self, *, block: bool = False) -> None:
        """Record the sends that have ended: with ``block``, wait for at least one; else only once
        ``group`` of them wait."""
        items = []
        if block:
            items.append(self.done.get())
        elif self.done.qsize() < self.group:
            return
        while True:
            try:
                items.append(self.done.get_nowait())
            except queue.Empty:
                break
        if not items:
            return
        by_chunk: dict[int, tuple[_Sending, list, list]] = {}
        for sending, ready, result, _held in items:
            sending.pending -= 1
            _chunk, rows, results = by_chunk.setdefault(id(sending), (sending, [], []))
            rows.append(ready)
            results.append(result)
        try:
            for sending, rows, results in by_chunk.values():
                self.outcomes += _record_results(
                    rows, results, lease_token=sending.lease_token, now=sending.now, give_back=sending.give_back
                )
        finally:
            for *_, held in items:
                if held:
                    self.permits.release()
