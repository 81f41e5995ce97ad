"""Dispatch: claim due rows under a lease, send each, record the provider's answer.

Rows are claimed with SELECT … FOR UPDATE SKIP LOCKED and a lease token; every later write of a
row is conditional on that token, and the network send happens between two short transactions,
never inside one.

A run works through a claimed batch in chunks (docs/reminders.md, "Dispatch at provider speed"):
each chunk is read in one query with its customers, cases and steps, checked and rendered in
memory, its leases renewed and its customers' days claimed in one transaction right before the
sends, sent over a few kept-open provider connections side by side (SenderPool), and each send
recorded as soon as it ends (_Recorder: the dispatching thread records the answers that came back
between its other work, so at most one e-mail per connection is sent and not yet recorded).
Chunks start at one row and grow with what the run has got through (1, 1, 2, 4, … up to
chunk_rows()), so a failing or slow provider is found out on a few rows, not on a whole chunk in
flight.
"""

import datetime as dt
import logging
import queue
import threading
import time
import uuid
import zoneinfo
from dataclasses import dataclass

from celery.exceptions import SoftTimeLimitExceeded
from django.conf import settings
from django.db import connection, transaction
from django.db.models import F
from django.utils import timezone, translation
from django.utils.translation import gettext as _

from documents.fonts import FontMissing
from documents.services import notice_document_current
from notifications import conf
from notifications.backends import Backends, Outgoing, PermanentFailure, SenderPool, TemporaryFailure, get_backend
from notifications.links import notice_document_url, survey_link
from notifications.models import MESSAGE_CHANNELS, Channel, CustomerDayClaim, NoticeProof, OutboundMessage
from notifications.notice_channels import channel_address
from notifications.quiet_hours import customer_zone, next_morning, quiet_hours_end
from notifications.rendering import TemplateRenderError, content_hash, message_render, templates_read_once
from notifications.services._shared import record_case_event
from notifications.services.daily_cap import customer_day_claim, customer_days_claim, notice_that_day, notices_that_day
from notifications.services.notice_routing import LETTER, notice_route
from renewals.models import OPEN_STAGES, CaseEvent, RenewalCase, Stage

logger = logging.getLogger(__name__)

MessageStatus = OutboundMessage.Status


def send_connections() -> int:
    """Provider connections one dispatch run keeps open per channel and uses side by side
    (REMINDER_DISPATCH_CONNECTIONS, default 4)."""
    return int(getattr(settings, "REMINDER_DISPATCH_CONNECTIONS", 4))


def chunk_rows() -> int:
    """The most rows of a batch in flight at once (REMINDER_DISPATCH_CHUNK, default 64)."""
    return int(getattr(settings, "REMINDER_DISPATCH_CHUNK", 64))


def dispatch_reference_time(*, on_date: dt.date | None, now: dt.datetime | None = None) -> dt.datetime:
    """What ``dispatch_messages --date`` sends: everything due up to the end of that day (23:59:59
    in TIME_ZONE), or up to now when that is earlier (nothing is sent before it is due)."""
    now = now or timezone.now()
    if on_date is None:
        return now
    end_of_day = dt.datetime.combine(on_date, dt.time(23, 59, 59), tzinfo=zoneinfo.ZoneInfo(settings.TIME_ZONE))
    return min(end_of_day, now)


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
_clock = time.monotonic


def messages_dispatch_due(
    *,
    now: dt.datetime | None = None,
    max_batches: int = 10,
    due_by: dt.datetime | None = None,
    budget_seconds: float | None = None,
) -> dict[str, int]:
    """Claim and send due messages, batch after batch, until none is due or ``max_batches``.

    A run cannot send a row outside its lease: the leases of a chunk are renewed right before its
    sends (messages_send_start) and a send does not start later than the lease minus the longest
    send after that; a batch's chunks start within conf.batch_window_seconds() (half the lease) of
    its claim and the rows not reached by then are released for the next run, and with
    ``budget_seconds`` no new batch is claimed once the run has used that much time (the periodic
    task; see tasks.py for how its time limit follows from these numbers). ``due_by``: send only
    what was due by then.
    """
    totals: dict[str, int] = {}
    pool = SenderPool(send_connections())
    recorder = _Recorder(pool.size)
    started = _clock()
    window = conf.batch_window_seconds()
    through = 0  # rows this run got through: the next chunk is at most as long (slow start)

    def count():
        for outcome in recorder.take_outcomes():
            totals[outcome] = totals.get(outcome, 0) + 1

    try:
        for _batch in range(max_batches):
            if budget_seconds is not None and _clock() - started >= budget_seconds:
                break
            lease_token = uuid.uuid4()
            claimed_at = _clock()
            remaining = messages_claim(lease_token=lease_token, now=now, due_by=due_by)
            if not remaining:
                break
            flying: list[_Sending] = []  # the chunks with the provider, oldest first (at most two)
            try:
                with templates_read_once():
                    while remaining and _clock() - claimed_at < window:
                        size = min(chunk_rows(), max(1, through), len(remaining))
                        chunk = remaining[:size]
                        del remaining[:size]
                        through += size
                        sending = _dispatch_chunk(
                            ids=chunk,
                            lease_token=lease_token,
                            now=now,
                            pool=pool,
                            recorder=recorder,
                            give_back=remaining,
                            send_by=claimed_at + window,
                        )
                        if sending is not None:
                            flying.append(sending)
                        # At full speed the next chunk is read, checked and started while this one is
                        # with the provider (at most two chunks in flight); in slow start one at a time.
                        keep = 1 if sending is not None and size >= chunk_rows() else 0
                        while len(flying) > keep:
                            flying.pop(0).finish()
                        count()
            except BaseException:
                # Interrupted (the task's soft time limit) or failed: no new send starts; the sends in
                # flight end and are recorded, what was not started goes back.
                recorder.stop.set()
                raise
            finally:
                try:
                    while flying:
                        flying.pop(0).finish()
                finally:
                    count()
                    # The batch ran out of its window (a slow provider) or the run was interrupted:
                    # what was not started goes back, due at once.
                    if remaining:
                        released = _release_quietly(ids=remaining, lease_token=lease_token, now=now)
                        totals["released"] = totals.get("released", 0) + released
    finally:
        recorder.stop.set()  # a sender waiting for a permit gives up (only after a failure)
        pool.close()
    return totals


def _load_messages(ids: list[int]) -> dict[int, OutboundMessage]:
    """The rows with everything their checks and texts read, in one query."""
    rows = OutboundMessage.objects.select_related(
        "case__policy", "case__current_quote", "customer", "line", "step"
    ).filter(pk__in=ids)
    return {message.pk: message for message in rows}


@dataclass
class _Ready:
    """A checked, rendered row waiting for its send."""

    message: OutboundMessage
    outgoing: Outgoing
    address: str
    subject: str
    body: str
    zone: zoneinfo.ZoneInfo
    day: dt.date
    document_sha256: str | None


def _dispatch_chunk(
    *,
    ids: list[int],
    lease_token: uuid.UUID,
    now,
    pool: SenderPool,
    recorder: "_Recorder",
    give_back: list[int],
    send_by: float,
) -> "_Sending | None":
    """Check, render and start the rows ``ids`` of a batch and hand the ones to send to the pool;
    the outcomes go to ``recorder``; returns the sends (None if nothing is sent). Between rows the
    sends of the previous chunk that have ended are recorded (recorder.drain), so a sent e-mail is
    recorded right after its send, not after its chunk. Rows not started when the run is
    interrupted are put at the front of ``give_back``; no send starts after ``send_by`` (the batch
    window, on the run's clock)."""
    given_now = now
    now = now or timezone.now()
    messages = _load_messages(ids)
    recorder.drain()
    outcomes = recorder.outcomes
    # Customers whose statutory notice is that day (a plain reminder gives way to it): one query.
    plain = [m for m in messages.values() if not m.is_notice and m.status == MessageStatus.SENDING]
    notice_day = notices_that_day(customers=[(m.customer_id, customer_zone(m.customer)) for m in plain], now=now)
    ready: list[_Ready] = []
    for index, message_id in enumerate(ids):
        message = messages.get(message_id)
        if message is None or message.status != MessageStatus.SENDING:
            outcomes.append("gone")
            continue
        if message.lease_token != lease_token:
            outcomes.append("lease_lost")
            continue
        try:
            prepared = _prepare(message, lease_token=lease_token, now=now, notice_day=notice_day)
        except SoftTimeLimitExceeded:
            # Out of time: this row keeps its lease (sent again with the same key once it expires);
            # the rows checked but not started and the rest of the chunk go back.
            give_back[:0] = [r.message.pk for r in ready] + ids[index + 1 :]
            raise
        except Exception as exc:  # one bad row must not stop the batch; it is retried with backoff
            logger.exception("dispatch of outbox row %s crashed", message_id)
            outcomes.append(
                message_record_failure(
                    message_id=message_id,
                    lease_token=lease_token,
                    error=f"internal error: {type(exc).__name__}",
                    temporary=True,
                    now=now,
                )
            )
            continue
        if isinstance(prepared, str):
            outcomes.append(prepared)
        else:
            ready.append(prepared)
        recorder.drain()
    if not ready:
        return None
    started = messages_send_start(
        rows=[(r.message.pk, r.message.customer_id, r.day, r.message.is_notice) for r in ready],
        lease_token=lease_token,
        now=given_now,
    )
    to_send = []
    for r in ready:
        state = started[r.message.pk]
        if state == "lease_lost":
            logger.info("outbox row %s: lease taken over by another worker; not sending it", r.message.pk)
            outcomes.append("lease_lost")
        elif state == "capped":
            message_defer(
                message_id=r.message.pk,
                lease_token=lease_token,
                until=next_morning(now=now, zone=r.zone),
                reason=OutboundMessage.DeferReason.DAILY_CAP,
            )
            outcomes.append("deferred")
        else:
            to_send.append(r)
    recorder.drain()
    if not to_send:
        return None
    return _Sending(
        to_send,
        lease_token=lease_token,
        now=now,
        given_now=given_now,
        pool=pool,
        recorder=recorder,
        give_back=give_back,
        send_by=send_by,
    )


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


class _Sending:
    """A chunk's sends, side by side over the pool's connections, each recorded right after it
    ends (_Recorder); ``finish()`` waits until all of them are. A send not started by the end of
    the batch window, nor within the lease minus the longest send of the renewal, is not started at
    all (given back): so every send ends inside its lease, and the run's last send starts within
    the window, as in tasks.py's time limits. If the run is interrupted while sends are in flight,
    no new one starts, and those in flight end and are recorded."""

    def __init__(
        self,
        rows: list[_Ready],
        *,
        lease_token: uuid.UUID,
        now,
        given_now,
        pool: SenderPool,
        recorder: _Recorder,
        give_back: list[int],
        send_by: float,
    ):
        self.lease_token = lease_token
        self.now = now
        self.given_now = given_now
        self.recorder = recorder
        self.give_back = give_back
        self.start_by = min(_clock() + conf.lease_seconds() - conf.longest_send_seconds(), send_by)
        self.pending = len(rows)
        for ready in rows:
            pool.submit(self._send, ready)

    def _send(self, backend_for, ready: _Ready) -> None:
        held = False
        try:
            if ready.outgoing.channel == Channel.EMAIL:
                # Wait until fewer than `connections` e-mails are sent and not yet recorded.
                while not (held := self.recorder.permits.acquire(timeout=0.2)):
                    if self.recorder.stop.is_set():
                        break
            result = self._result(backend_for, ready)
        except BaseException as exc:  # never leave the dispatching thread waiting for this row
            result = ("temporary", f"internal error: {type(exc).__name__}")
        self.recorder.done.put((self, ready, result, held))

    def _result(self, backend_for, ready: _Ready) -> tuple:
        if self.recorder.stop.is_set() or _clock() > self.start_by:
            return ("unsent", "")
        try:
            provider_id = backend_for(ready.outgoing.channel).send(ready.outgoing)
        except TemporaryFailure as exc:
            return ("temporary", str(exc))
        except PermanentFailure as exc:
            return ("permanent", str(exc))
        except Exception as exc:  # a backend bug is one row's failure, retried with backoff
            logger.exception("send of outbox row %s crashed", ready.message.pk)
            return ("temporary", f"internal error: {type(exc).__name__}")
        return ("sent", provider_id, self.given_now or timezone.now())

    def finish(self) -> None:
        try:
            while self.pending > 0:
                self.recorder.drain(block=True)
        except BaseException:
            # Interrupted (the task's soft time limit): no new send starts; those in flight are recorded.
            self.recorder.stop.set()
            while self.pending > 0:
                self.recorder.drain(block=True)
            raise


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


def messages_record_sent(*, rows: list[tuple["_Ready", str, dt.datetime]], lease_token: uuid.UUID) -> int:
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


def _release_quietly(*, ids: list[int], lease_token: uuid.UUID, now) -> int:
    try:
        return messages_release(ids=ids, lease_token=lease_token, now=now)
    except Exception:  # the lease expires anyway; never hide the exception that got us here
        logger.exception("could not release %s claimed outbox rows", len(ids))
        return 0


def message_dispatch(
    *,
    message_id: int,
    lease_token: uuid.UUID,
    now: dt.datetime | None = None,
    sent_today: set[int] | None = None,
    backends: Backends | None = None,
) -> str:
    """Send one row claimed under ``lease_token`` and record the outcome; returns the outcome name
    ("lease_lost" when another worker holds the row now: nothing is sent or written; "letter" when
    a statutory notice can only be given as a printed letter, which a manager records).

    Not one transaction on purpose: the provider call must not hold a database transaction.
    The checks and the result are each written by their own atomic service, each conditional on
    the lease token; the lease is renewed, and the customer's day claimed, right before the send.
    ``sent_today``: customers this caller already sent to today (a shortcut before the claim).
    The batch path (messages_dispatch_due) makes the same checks (_prepare) chunk by chunk.
    """
    given_now = now
    now = now or timezone.now()
    message = _load_messages([message_id]).get(message_id)
    if message is None or message.status != MessageStatus.SENDING:
        return "gone"
    if message.lease_token != lease_token:
        return "lease_lost"
    owned = {"message_id": message_id, "lease_token": lease_token}
    prepared = _prepare(message, lease_token=lease_token, now=now, notice_day=None, sent_today=sent_today)
    if isinstance(prepared, str):
        return prepared
    started = message_send_start(
        **owned,
        customer_id=message.customer_id,
        day=prepared.day,
        exempt=message.is_notice,
        now=given_now,
    )
    if started == "lease_lost":
        logger.info("outbox row %s: lease taken over by another worker; not sending it", message_id)
        return "lease_lost"
    if started == "capped":
        message_defer(
            **owned, until=next_morning(now=now, zone=prepared.zone), reason=OutboundMessage.DeferReason.DAILY_CAP
        )
        return "deferred"
    try:
        backend = backends.get(message.channel) if backends is not None else get_backend(message.channel)
        provider_id = backend.send(prepared.outgoing)
    except TemporaryFailure as exc:
        return message_record_failure(**owned, error=str(exc), temporary=True, now=now)
    except PermanentFailure as exc:
        return message_record_failure(**owned, error=str(exc), temporary=False, now=now)
    recorded = message_record_sent(
        **owned,
        provider_message_id=provider_id,
        address=prepared.address,
        subject=prepared.subject,
        body=prepared.body,
        sent_at=given_now or timezone.now(),
        link=message.link,
        document_sha256=prepared.document_sha256 or "",
    )
    if sent_today is not None:
        sent_today.add(message.customer_id)
    return "sent" if recorded is not None else "lease_lost"


def _prepare(
    message: OutboundMessage,
    *,
    lease_token: uuid.UUID,
    now: dt.datetime,
    notice_day: set[int] | None,
    sent_today: set[int] | None = None,
) -> "_Ready | str":
    """Every check before a send, in order, and the rendered text: an outcome name when the row is
    skipped, deferred or failed (written here, conditional on the lease), else the row ready to go.
    ``notice_day``: the customers whose notice is that day, read for a whole chunk (None: ask)."""
    owned = {"message_id": message.pk, "lease_token": lease_token}
    if message.attempts > conf.max_attempts():
        # Claimed again and again without an answer (a worker dying mid-send each time).
        return message_record_failure(**owned, error="no answer after the last attempt", temporary=False, now=now)
    customer = message.customer
    # A case not offered is owed its (non-renewal) notice; every other reminder of a closed case stops.
    owed_notice = message.is_notice and message.case.stage == Stage.NOT_OFFERED
    if message.kind == OutboundMessage.Kind.REMINDER and message.case.stage not in OPEN_STAGES and not owed_notice:
        message_skip(**owned, reason=OutboundMessage.SkipReason.CASE_CLOSED)
        return "skipped"
    if message.is_notice:
        routed = notice_route(message, owned=owned)
        if routed == LETTER:
            return "letter"
        if routed is not None:
            message_skip(**owned, reason=routed)
            return "skipped"
    elif not customer.consents_to(message.channel if message.channel != "call" else "phone") or (
        # A campaign message is marketing: a marketing opt-out refuses it whatever the channel consent.
        message.kind == OutboundMessage.Kind.CAMPAIGN and customer.marketing_opt_out
    ):
        message_skip(**owned, reason=OutboundMessage.SkipReason.OPTED_OUT)
        return "skipped"
    address = channel_address(customer, message.channel)
    if not address:
        message_skip(**owned, reason=OutboundMessage.SkipReason.NO_ADDRESS)
        return "skipped"
    zone = customer_zone(customer)
    if message.channel == Channel.SMS:
        quiet_end = quiet_hours_end(now=now, zone=zone)
        if quiet_end is not None:
            message_defer(**owned, until=quiet_end, reason=OutboundMessage.DeferReason.QUIET_HOURS)
            return "deferred"
    if not message.is_notice:
        on_notice_day = (
            customer.pk in notice_day
            if notice_day is not None
            else notice_that_day(customer_id=customer.pk, now=now, zone=zone)
        )
        if on_notice_day:
            # The notice is exempt from the cap; a plain reminder gives way to it.
            message_defer(
                **owned, until=next_morning(now=now, zone=zone), reason=OutboundMessage.DeferReason.NOTICE_DAY
            )
            return "deferred"
        if sent_today is not None and customer.pk in sent_today:
            message_defer(**owned, until=next_morning(now=now, zone=zone), reason=OutboundMessage.DeferReason.DAILY_CAP)
            return "deferred"
    if message.kind == OutboundMessage.Kind.SURVEY and message.survey_invitation_id:
        # Signed now, so the link's validity starts when the customer gets it.
        message.link = survey_link(message.survey_invitation_id)
    try:
        subject, body = message_render(message=message)
    except TemplateRenderError as exc:
        message_record_failure(**owned, error=f"template: {exc}", temporary=False, now=now)
        return "failed"
    document = _notice_document(message) if message.is_notice else None
    attachments = ()
    if document is not None and message.channel == Channel.EMAIL:
        attachments = ((f"renewal-notice-{message.case_id}.pdf", bytes(document.content), "application/pdf"),)
    if document is not None and message.channel == Channel.SMS:
        # A text message cannot carry the PDF: it carries the signed link to it.
        with translation.override(customer.preferred_language or settings.LANGUAGE_CODE):
            label = (
                _("Your non-renewal notice (PDF): %(link)s")
                if message.case.stage == Stage.NOT_OFFERED
                else _("Your renewal notice (PDF): %(link)s")
            )
            body += "\n" + label % {"link": notice_document_url(message.case_id)}
    outgoing = Outgoing(
        idempotency_key=message.idempotency_key,
        channel=message.channel,
        to=address,
        subject=subject,
        body=body,
        attachments=attachments,
    )
    return _Ready(
        message=message,
        outgoing=outgoing,
        address=address,
        subject=subject,
        body=body,
        zone=zone,
        day=now.astimezone(zone).date(),
        document_sha256=document.sha256 if document is not None else None,
    )


def _notice_document(message):
    """The case's statutory notice PDF (issued now if the day's batch has not): the e-mail carries
    it and the proof names its hash. Without a CJK font the notice still goes out, without it."""
    try:
        return notice_document_current(case_id=message.case_id)
    except FontMissing:
        logger.warning("notice of case %s sent without its PDF: no CJK font on this machine", message.case_id)
        return None


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
