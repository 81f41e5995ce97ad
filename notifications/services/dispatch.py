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
import time
import uuid
import zoneinfo
from dataclasses import dataclass

from celery.exceptions import SoftTimeLimitExceeded
from django.conf import settings
from django.utils import timezone, translation
from django.utils.translation import gettext as _

from documents.fonts import FontMissing
from documents.services import notice_document_current
from notifications import conf
from notifications.backends import Backends, Outgoing, PermanentFailure, SenderPool, TemporaryFailure, get_backend
from notifications.links import notice_document_url, survey_link
from notifications.models import Channel, OutboundMessage
from notifications.notice_channels import channel_address
from notifications.quiet_hours import customer_zone, next_morning, quiet_hours_end
from notifications.rendering import TemplateRenderError, message_render, templates_read_once
from notifications.services.daily_cap import notice_that_day, notices_that_day
from notifications.services.leases import (  # noqa: F401 - the lease services stay importable from here
    message_claim_one,
    message_lease_renew,
    message_send_start,
    messages_claim,
    messages_release,
    messages_send_start,
)
from notifications.services.notice_routing import LETTER, notice_route
from notifications.services.recording import (  # noqa: F401 - the recording services stay importable from here
    _record_results,
    _Recorder,
    message_defer,
    message_record_failure,
    message_record_sent,
    message_skip,
    messages_record_sent,
)
from renewals.models import OPEN_STAGES, Stage

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
