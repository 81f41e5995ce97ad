"""Reminder writes: planning the outbox, dispatching it, call tasks, notices, consent, webhooks.

Every function is keyword-only. Planning is idempotent through the outbox's unique constraints
and ON CONFLICT DO NOTHING. Dispatch claims rows with SELECT … FOR UPDATE SKIP LOCKED and a lease;
the network send happens between two short transactions, never inside one.
"""

import datetime as dt
import logging
import re
import time
import uuid
import zoneinfo
from decimal import Decimal

from celery.exceptions import SoftTimeLimitExceeded
from django.conf import settings
from django.db import connection, transaction
from django.db.models import F
from django.utils import formats, timezone, translation
from django.utils.translation import gettext as _

from core.errors import ApplicationError
from customers.models import Customer
from notifications import conf
from notifications.backends import Backends, Outgoing, PermanentFailure, TemporaryFailure, get_backend
from notifications.links import offer_url, unsubscribe_url
from notifications.models import (
    Channel,
    ConsentChange,
    MessageTemplate,
    NoticeProof,
    OutboundMessage,
    ReminderStep,
)
from notifications.rendering import TemplateRenderError, content_hash, mask_policy_number, render_text
from renewals.models import OPEN_STAGES, RenewalCase, Stage

logger = logging.getLogger(__name__)

M = OutboundMessage
S = OutboundMessage.Status
# A non-notice step is still planned this many days after its date (planning outages, late opens);
# older steps are left out rather than sent all at once. Notices are planned until expiry.
STALE_DAYS = 3
# The planning run's sweep looks at cases closed this many days back (see _skip_rows_of_closed_cases).
SWEEP_DAYS = 7
MESSAGE_CHANNELS = (Channel.EMAIL.value, Channel.SMS.value)

# Per channel: (consent column, address column) on customers_customer.
_CHANNEL_COLUMNS = {
    "email": ("consent_email", "email"),
    "sms": ("consent_sms", "phone"),
    "call": ("consent_phone", "phone"),
}


def _record_case_event(*, case_id: int, payload: dict, actor=None, at: dt.datetime | None = None) -> None:
    from renewals.services import case_event_record

    case_event_record(case_id=case_id, kind="reminder", actor=actor, payload=payload, at=at)


# --- planning -------------------------------------------------------------------------------


def _plan_step_sql(channel: str) -> str:
    """One step's INSERT … SELECT (the SQLite demo; PostgreSQL plans all steps in one statement)."""
    consent, address = _CHANNEL_COLUMNS[channel]
    step_date = "date(c.due_date, %(offset_modifier)s)"
    stages = ", ".join(f"'{stage}'" for stage in OPEN_STAGES)
    reason = (
        f"CASE WHEN NOT cu.{consent} THEN 'opted_out' "
        f"WHEN COALESCE(cu.{address}, '') = '' THEN 'no_address' ELSE '' END"
    )
    return f"""
        INSERT INTO notifications_outboundmessage (
            kind, case_id, customer_id, line_id, step_id, channel, is_notice, status, skip_reason,
            defer_reason, due_date, scheduled_for, next_attempt_at, attempts, provider_message_id,
            error, address, content_hash, subject, body, link, delivery_status, created_at, updated_at
        )
        SELECT 'reminder', p.case_id, p.customer_id, p.line_id, %(step_id)s, %(channel)s, %(is_notice)s,
               CASE WHEN p.reason = '' THEN 'scheduled' ELSE 'skipped' END, p.reason,
               '', p.step_date, %(now)s, %(now)s, 0, '', '', p.address, '', '', '', '', '', %(now)s, %(now)s
        FROM (
            SELECT c.id AS case_id, c.customer_id, c.line_id, {step_date} AS step_date,
                   COALESCE(cu.{address}, '') AS address, {reason} AS reason
            FROM renewals_renewalcase c
            JOIN customers_customer cu ON cu.id = c.customer_id
            WHERE c.line_id = %(line_id)s
              AND c.stage IN ({stages})
              AND c.due_date >= %(due_from)s AND c.due_date <= %(due_to)s
        ) p
        WHERE TRUE
        ON CONFLICT DO NOTHING
    """


_INSERT_COLUMNS = """
    INSERT INTO notifications_outboundmessage (
        kind, case_id, customer_id, line_id, step_id, channel, is_notice, status, skip_reason,
        defer_reason, due_date, scheduled_for, next_attempt_at, attempts, provider_message_id,
        error, address, content_hash, subject, body, link, delivery_status, created_at, updated_at
    )
"""


def _plan_all_steps_sql_postgres(step_count: int) -> str:
    """One INSERT … SELECT for every step window at once (PostgreSQL): one pass over the open
    cases and one hash of the customers, instead of one per step."""
    stages = ", ".join(f"'{stage}'" for stage in OPEN_STAGES)
    windows = ", ".join(
        ["(%s::bigint, %s::bigint, %s::varchar, %s::boolean, %s::int, %s::date, %s::date)"] * step_count
    )
    return f"""
        {_INSERT_COLUMNS}
        SELECT 'reminder', p.case_id, p.customer_id, p.line_id, p.step_id, p.channel, p.is_notice,
               CASE WHEN p.reason = '' THEN 'scheduled' ELSE 'skipped' END, p.reason,
               '', p.step_date, %s, %s, 0, '', '', p.address, '', '', '', '', '', %s, %s
        FROM (
            SELECT q.*, CASE WHEN NOT q.consent THEN 'opted_out' WHEN q.address = '' THEN 'no_address' ELSE '' END
                        AS reason
            FROM (
                SELECT c.id AS case_id, c.customer_id, c.line_id, s.step_id, s.channel, s.is_notice,
                       c.due_date + s.offset_days AS step_date,
                       COALESCE(CASE WHEN s.channel = 'email' THEN cu.email ELSE cu.phone END, '') AS address,
                       CASE s.channel WHEN 'email' THEN cu.consent_email WHEN 'sms' THEN cu.consent_sms
                                      ELSE cu.consent_phone END AS consent
                FROM (VALUES {windows}) AS s(step_id, line_id, channel, is_notice, offset_days, due_from, due_to)
                JOIN renewals_renewalcase c
                  ON c.line_id = s.line_id AND c.due_date >= s.due_from AND c.due_date <= s.due_to
                JOIN customers_customer cu ON cu.id = c.customer_id
                WHERE c.stage IN ({stages})
            ) q
        ) p
        ON CONFLICT DO NOTHING
    """


def _step_windows(*, on_date: dt.date, catch_up_days: int) -> list[tuple]:
    """(step, earliest due date, latest due date) of every active step: a case is due for a step
    when its expiry falls in that range."""
    windows = []
    for step in ReminderStep.objects.filter(active=True, line__active=True).order_by("id"):
        latest_due = on_date - dt.timedelta(days=step.offset_days)
        if step.is_notice:
            # The notice is owed until expiry however late the case was opened.
            earliest_due = max(on_date + dt.timedelta(days=1), latest_due - dt.timedelta(days=366))
        else:
            earliest_due = latest_due - dt.timedelta(days=catch_up_days)
            if step.offset_days < 0:
                # A missed pre-expiry reminder ("expires in N days") is not sent once the policy expired.
                earliest_due = max(earliest_due, on_date + dt.timedelta(days=1))
        if earliest_due <= latest_due:
            windows.append((step, earliest_due, latest_due))
    return windows


def reminders_plan(*, on_date: dt.date, now: dt.datetime | None = None, catch_up_days: int = STALE_DAYS) -> int:
    """Insert the outbox rows of every active step due on ``on_date`` for open cases; returns
    how many rows were added. Idempotent: a second run adds nothing (the unique constraint and
    ON CONFLICT DO NOTHING). Rows without consent or address are inserted as skipped with the
    reason (visible on the case). Unsent reminder rows of recently closed cases are skipped.
    ``catch_up_days``: how far back a missed non-notice step is still planned (raise after an outage).
    """
    now = now or timezone.now()
    planned = 0
    with transaction.atomic():
        _skip_rows_of_closed_cases(now=now)
        windows = _step_windows(on_date=on_date, catch_up_days=catch_up_days)
        if not windows:
            return 0
        with connection.cursor() as cursor:
            if connection.vendor == "postgresql":
                params = []
                for step, earliest_due, latest_due in windows:
                    params += [step.pk, step.line_id, step.channel, step.is_notice, step.offset_days]
                    params += [earliest_due, latest_due]
                # The four timestamps come first in the statement text, the step windows after them.
                cursor.execute(_plan_all_steps_sql_postgres(len(windows)), [now, now, now, now] + params)
                return max(cursor.rowcount, 0)
            for step, earliest_due, latest_due in windows:
                cursor.execute(
                    _plan_step_sql(step.channel),
                    {
                        "step_id": step.pk,
                        "channel": step.channel,
                        "is_notice": step.is_notice,
                        "now": now,
                        "offset": step.offset_days,
                        "line_id": step.line_id,
                        "offset_modifier": f"{step.offset_days:+d} days",
                        "due_from": earliest_due,
                        "due_to": latest_due,
                    },
                )
                planned += max(cursor.rowcount, 0)
    return planned


def _skip_rows_of_closed_cases(*, now: dt.datetime) -> int:
    """Safety net behind the case_closed receiver (a signal lost to a crash between commit and
    receiver): unsent reminders of cases closed in the last SWEEP_DAYS are skipped. Bounded by the
    closed_at index, so it stays cheap however large the outbox grows."""
    recently_closed = RenewalCase.objects.filter(closed_at__gte=now - dt.timedelta(days=SWEEP_DAYS)).exclude(
        stage__in=OPEN_STAGES
    )
    return M.objects.filter(kind=M.Kind.REMINDER, status=S.SCHEDULED, case__in=recently_closed.values("id")).update(
        status=S.SKIPPED, skip_reason=M.SkipReason.CASE_CLOSED, updated_at=now
    )


@transaction.atomic
def case_messages_skip(*, case_id: int, reason: str = M.SkipReason.CASE_CLOSED) -> int:
    """Skip the case's unsent reminder rows (scheduled, or sending whose lease will expire)."""
    return M.objects.filter(case_id=case_id, kind=M.Kind.REMINDER, status__in=M.UNSENT_STATUSES).update(
        status=S.SKIPPED, skip_reason=reason, lease_until=None, updated_at=timezone.now()
    )


@transaction.atomic
def case_messages_unskip(*, case_id: int) -> int:
    """After a reopen: reminder rows skipped because the case closed, and not stale, are due again."""
    now = timezone.now()
    return M.objects.filter(
        case_id=case_id,
        kind=M.Kind.REMINDER,
        status=S.SKIPPED,
        skip_reason=M.SkipReason.CASE_CLOSED,
        due_date__gte=timezone.localdate() - dt.timedelta(days=STALE_DAYS),
    ).update(status=S.SCHEDULED, skip_reason="", next_attempt_at=now, updated_at=now)


@transaction.atomic
def survey_message_plan(*, case_id: int, invitation_id: int, link: str, send_after: dt.datetime) -> OutboundMessage:
    """Plan the survey invitation's message (idempotent per case): email when the customer can
    get email, else SMS; skipped with the reason when neither is allowed or known."""
    case = RenewalCase.objects.select_related("customer").get(pk=case_id)
    customer = case.customer
    channel, address, reason = _survey_channel(customer)
    message, _created = M.objects.get_or_create(
        case_id=case_id,
        kind=M.Kind.SURVEY,
        defaults={
            "customer_id": customer.pk,
            "line_id": case.line_id,
            "channel": channel,
            "status": S.SKIPPED if reason else S.SCHEDULED,
            "skip_reason": reason,
            "due_date": timezone.localdate(send_after),
            "scheduled_for": send_after,
            "next_attempt_at": send_after,
            "address": address,
            "link": link,
            "survey_invitation_id": invitation_id,
        },
    )
    return message


def _survey_channel(customer: Customer) -> tuple[str, str, str]:
    if customer.marketing_opt_out:
        return Channel.EMAIL, customer.email, M.SkipReason.OPTED_OUT
    for channel, consent, address in (
        (Channel.EMAIL, customer.consent_email, customer.email),
        (Channel.SMS, customer.consent_sms, customer.phone),
    ):
        if consent and address:
            return channel, address, ""
    if not (customer.consent_email or customer.consent_sms):
        return Channel.EMAIL, customer.email, M.SkipReason.OPTED_OUT
    return Channel.EMAIL, "", M.SkipReason.NO_ADDRESS


# --- dispatch -------------------------------------------------------------------------------


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
            M.objects.select_for_update(skip_locked=True)
            .filter(status__in=M.UNSENT_STATUSES, channel__in=MESSAGE_CHANNELS, next_attempt_at__lte=due_by)
            .order_by("next_attempt_at")
            .values_list("id", flat=True)[:limit]
        )
        if ids:
            M.objects.filter(id__in=ids).update(
                status=S.SENDING,
                lease_until=lease_until,
                lease_token=lease_token,
                next_attempt_at=lease_until,
                attempts=F("attempts") + 1,
                updated_at=now,
            )
    return ids


def message_lease_renew(*, message_id: int, lease_token: uuid.UUID, now: dt.datetime | None = None) -> bool:
    """Re-assert ownership right before the send: one conditional UPDATE that renews the lease
    only while the row is still sending under this worker's token. False (0 rows) means another
    worker re-claimed the row after this worker's lease expired, or it was sent, skipped or
    released meanwhile: the caller must not send it. A concurrent claim locks the row first (and
    sets its own token) or sees the renewed lease and leaves the row alone."""
    now = now or timezone.now()
    lease_until = now + dt.timedelta(seconds=conf.lease_seconds())
    with transaction.atomic():
        renewed = M.objects.filter(pk=message_id, status=S.SENDING, lease_token=lease_token).update(
            lease_until=lease_until, next_attempt_at=lease_until, updated_at=now
        )
    return renewed == 1


@transaction.atomic
def messages_release(*, ids: list[int], lease_token: uuid.UUID, now: dt.datetime | None = None) -> int:
    """Give claimed rows this worker did not get to back to the queue, due at once, without
    counting the attempt (only rows still held under ``lease_token``)."""
    now = now or timezone.now()
    return M.objects.filter(id__in=ids, status=S.SENDING, lease_token=lease_token).update(
        status=S.SCHEDULED,
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

    A run cannot send a row outside its lease: every send is preceded by message_lease_renew, a
    batch is sent within conf.batch_window_seconds() (half the lease) of its claim and the rows
    not reached by then are released for the next run, and with ``budget_seconds`` no new batch
    is claimed once the run has used that much time (the periodic task; see tasks.py for how its
    time limit follows from these numbers). ``due_by``: send only what was due by then.
    """
    totals: dict[str, int] = {}
    sent_today: set[int] = set()
    backends = Backends()
    started = _clock()
    window = conf.batch_window_seconds()
    try:
        for _batch in range(max_batches):
            if budget_seconds is not None and _clock() - started >= budget_seconds:
                break
            lease_token = uuid.uuid4()
            claimed_at = _clock()
            remaining = messages_claim(lease_token=lease_token, now=now, due_by=due_by)
            if not remaining:
                break
            try:
                while remaining and _clock() - claimed_at < window:
                    message_id = remaining.pop(0)
                    outcome = _dispatch_claimed(
                        message_id=message_id,
                        lease_token=lease_token,
                        now=now,
                        sent_today=sent_today,
                        backends=backends,
                    )
                    totals[outcome] = totals.get(outcome, 0) + 1
            finally:
                # The batch ran out of its window (a slow provider) or the run was interrupted (the
                # task's soft time limit): what was not started goes back, due at once.
                if remaining:
                    released = _release_quietly(ids=remaining, lease_token=lease_token, now=now)
                    totals["released"] = totals.get("released", 0) + released
    finally:
        backends.close()
    return totals


def _dispatch_claimed(*, message_id: int, lease_token: uuid.UUID, now, sent_today, backends) -> str:
    try:
        return message_dispatch(
            message_id=message_id, lease_token=lease_token, now=now, sent_today=sent_today, backends=backends
        )
    except SoftTimeLimitExceeded:
        # The task is out of time: stop the run (the batch's unstarted rows are released; this row
        # keeps its lease and is sent again with the same key once it expires).
        raise
    except Exception as exc:  # one bad row must not stop the batch; it is retried with backoff
        logger.exception("dispatch of outbox row %s crashed", message_id)
        return message_record_failure(
            message_id=message_id,
            lease_token=lease_token,
            error=f"internal error: {type(exc).__name__}",
            temporary=True,
            now=now,
        )


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
    ("lease_lost" when another worker holds the row now: nothing is sent or written).

    Not one transaction on purpose: the provider call must not hold a database transaction.
    The checks and the result are each written by their own atomic service, each conditional on
    the lease token; the lease is renewed right before the send.
    """
    given_now = now
    now = now or timezone.now()
    message = (
        M.objects.select_related("case__policy", "case__current_quote", "customer", "line", "step")
        .filter(pk=message_id)
        .first()
    )
    if message is None or message.status != S.SENDING:
        return "gone"
    if message.lease_token != lease_token:
        return "lease_lost"
    owned = {"message_id": message_id, "lease_token": lease_token}
    if message.attempts > conf.max_attempts():
        # Claimed again and again without an answer (a worker dying mid-send each time).
        return message_record_failure(**owned, error="no answer after the last attempt", temporary=False, now=now)
    customer = message.customer
    if message.kind == M.Kind.REMINDER and message.case.stage not in OPEN_STAGES:
        message_skip(**owned, reason=M.SkipReason.CASE_CLOSED)
        return "skipped"
    if not customer.consents_to(message.channel if message.channel != "call" else "phone"):
        message_skip(**owned, reason=M.SkipReason.OPTED_OUT)
        return "skipped"
    address = customer.email if message.channel == Channel.EMAIL else customer.phone
    if not address:
        message_skip(**owned, reason=M.SkipReason.NO_ADDRESS)
        return "skipped"
    zone = customer_zone(customer)
    if message.channel == Channel.SMS:
        quiet_end = quiet_hours_end(now=now, zone=zone)
        if quiet_end is not None:
            message_defer(**owned, until=quiet_end, reason=M.DeferReason.QUIET_HOURS)
            return "deferred"
    if not message.is_notice and _customer_had_message_today(message, now=now, zone=zone, sent_today=sent_today):
        message_defer(**owned, until=next_morning(now=now, zone=zone), reason=M.DeferReason.DAILY_CAP)
        return "deferred"
    try:
        subject, body = message_render(message=message)
    except TemplateRenderError as exc:
        message_record_failure(**owned, error=f"template: {exc}", temporary=False, now=now)
        return "failed"
    outgoing = Outgoing(
        idempotency_key=message.idempotency_key, channel=message.channel, to=address, subject=subject, body=body
    )
    if not message_lease_renew(**owned, now=given_now):
        logger.info("outbox row %s: lease taken over by another worker; not sending it", message_id)
        return "lease_lost"
    try:
        backend = backends.get(message.channel) if backends is not None else get_backend(message.channel)
        provider_id = backend.send(outgoing)
    except TemporaryFailure as exc:
        return message_record_failure(**owned, error=str(exc), temporary=True, now=now)
    except PermanentFailure as exc:
        return message_record_failure(**owned, error=str(exc), temporary=False, now=now)
    recorded = message_record_sent(
        **owned,
        provider_message_id=provider_id,
        address=address,
        subject=subject,
        body=body,
        sent_at=given_now or timezone.now(),
    )
    if sent_today is not None:
        sent_today.add(customer.pk)
    return "sent" if recorded is not None else "lease_lost"


def _customer_had_message_today(message, *, now, zone, sent_today) -> bool:
    if sent_today is not None and message.customer_id in sent_today:
        return True
    local_midnight = dt.datetime.combine(now.astimezone(zone).date(), dt.time.min, tzinfo=zone)
    return (
        M.objects.filter(
            customer_id=message.customer_id, channel__in=MESSAGE_CHANNELS, status=S.SENT, sent_at__gte=local_midnight
        )
        .exclude(pk=message.pk)
        .exists()
    )


def customer_zone(customer: Customer) -> zoneinfo.ZoneInfo:
    try:
        return zoneinfo.ZoneInfo(customer.time_zone or settings.TIME_ZONE)
    except (zoneinfo.ZoneInfoNotFoundError, ValueError):
        return zoneinfo.ZoneInfo(settings.TIME_ZONE)


def quiet_hours_end(*, now: dt.datetime, zone) -> dt.datetime | None:
    """When ``now`` is inside the quiet hours in ``zone``, the time they end; else None."""
    start, end = conf.quiet_hours()
    local = now.astimezone(zone)
    if local.hour >= start:
        return dt.datetime.combine(local.date() + dt.timedelta(days=1), dt.time(end), tzinfo=zone)
    if local.hour < end:
        return dt.datetime.combine(local.date(), dt.time(end), tzinfo=zone)
    return None


def next_morning(*, now: dt.datetime, zone) -> dt.datetime:
    _start, end = conf.quiet_hours()
    local = now.astimezone(zone)
    return dt.datetime.combine(local.date() + dt.timedelta(days=1), dt.time(end), tzinfo=zone)


def message_render(*, message: OutboundMessage) -> tuple[str, str]:
    """The message's subject and body in the customer's language (pure read + render)."""
    customer = message.customer
    language = customer.preferred_language or settings.LANGUAGE_CODE
    templates = MessageTemplate.objects.filter(channel=message.channel)
    if message.kind == M.Kind.SURVEY:
        templates = templates.filter(kind=MessageTemplate.Kind.SURVEY, step__isnull=True)
    else:
        templates = templates.filter(step_id=message.step_id)
    by_language = {t.language: t for t in templates}
    template = by_language.get(language) or by_language.get("en") or next(iter(by_language.values()), None)
    if template is None:
        raise TemplateRenderError(f"No template for {message.kind} {message.channel}.")
    context = message_context(message=message, language=template.language)
    return render_text(template.subject, context), render_text(template.body, context)


def message_context(*, message: OutboundMessage, language: str) -> dict[str, str]:
    case = message.case
    customer = message.customer
    line = message.line
    with translation.override(language):
        expiry = formats.date_format(case.due_date, "DATE_FORMAT")
    quote = case.current_quote
    premium = ""
    if quote is not None and quote.is_usable:
        premium = money(quote.premium)
    line_name = line.name_in(language)
    return {
        "customer_name": customer.name,
        "policy_number": mask_policy_number(case.policy.number),
        "line": line_name,
        "expiry_date": expiry,
        "quoted_premium": premium,
        "renewal_link": offer_url(case.pk) if message.kind == M.Kind.REMINDER else "",
        "unsubscribe_link": unsubscribe_url(customer.pk, message.channel)
        if message.channel in MESSAGE_CHANNELS
        else "",
        "survey_link": message.link,
    }


def money(amount: Decimal) -> str:
    return f"{settings.CURRENCY} {amount.quantize(Decimal('0.01')):,}"


@transaction.atomic
def message_skip(*, message_id: int, lease_token: uuid.UUID, reason: str) -> int:
    """Skip a row this worker claimed (and still holds) with the reason."""
    return M.objects.filter(pk=message_id, status=S.SENDING, lease_token=lease_token).update(
        status=S.SKIPPED, skip_reason=reason, lease_until=None, lease_token=None, updated_at=timezone.now()
    )


@transaction.atomic
def message_defer(*, message_id: int, lease_token: uuid.UUID, until: dt.datetime, reason: str) -> int:
    """Put a claimed row back for later without counting the attempt (deferred, not dropped)."""
    return M.objects.filter(pk=message_id, status=S.SENDING, lease_token=lease_token).update(
        status=S.SCHEDULED,
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
) -> OutboundMessage | None:
    """Mark the row sent, keep what was sent, and for the notice write its immutable proof.

    Only while the row is still held under ``lease_token``; None when it is not (the send outlived
    the lease and another worker took the row over: logged, as the provider got it twice)."""
    message = (
        M.objects.select_for_update(of=("self",))
        .select_related("line", "step")
        .filter(pk=message_id, lease_token=lease_token)
        .first()
    )
    if message is None:
        logger.error("outbox row %s was sent after its lease was taken over by another worker", message_id)
        return None
    if message.status == S.SENT:
        return message
    message.status = S.SENT
    message.sent_at = sent_at
    message.provider_message_id = provider_message_id[:200]
    message.address = address
    message.subject = subject[:200]
    message.body = body
    message.content_hash = content_hash(subject, body)
    message.error = ""
    message.lease_until = None
    message.lease_token = None
    message.updated_at = sent_at
    message.save()
    if message.is_notice and not NoticeProof.objects.filter(case_id=message.case_id).exists():
        case_due = RenewalCase.objects.values_list("due_date", flat=True).get(pk=message.case_id)
        NoticeProof.objects.create(
            case_id=message.case_id,
            message=message,
            sent_at=sent_at,
            channel=message.channel,
            address=address,
            content_hash=message.content_hash,
            deadline=message.line.notice_deadline(case_due),
        )
    _record_case_event(
        case_id=message.case_id,
        payload={
            "message_id": message.pk,
            "kind": message.kind,
            "channel": message.channel,
            "step": message.step.label if message.step_id else "",
            "status": S.SENT,
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
        M.objects.select_for_update(of=("self",))
        .select_related("step")
        .filter(pk=message_id, lease_token=lease_token)
        .first()
    )
    if message is None or message.status != S.SENDING:
        return "gone"
    message.error = error[:2000]
    message.lease_until = None
    message.lease_token = None
    message.updated_at = now
    if temporary and message.attempts < conf.max_attempts():
        delay = conf.retry_base_seconds() * 2 ** max(message.attempts - 1, 0)
        message.status = S.SCHEDULED
        message.next_attempt_at = now + dt.timedelta(seconds=delay)
        message.save()
        return "retry"
    message.status = S.FAILED
    message.save()
    _record_case_event(
        case_id=message.case_id,
        payload={
            "message_id": message.pk,
            "kind": message.kind,
            "channel": message.channel,
            "step": message.step.label if message.step_id else "",
            "status": S.FAILED,
            "error": message.error,
        },
    )
    return "failed"


# --- call tasks, notices, webhooks, consent -----------------------------------------------


@transaction.atomic
def call_task_complete(*, message_id: int, actor, now: dt.datetime | None = None) -> OutboundMessage:
    """The assignee (or a manager) did the reminder call: the to-do is done (at ``now``)."""
    from core.roles import Role, has_role

    message = M.objects.select_for_update(of=("self",)).select_related("case", "step").filter(pk=message_id).first()
    if message is None or message.channel != Channel.CALL:
        raise ApplicationError(_("Call task not found."), code="not_found", status=404)
    if message.case.assignee_id != actor.pk and not has_role(actor, Role.MANAGER):
        raise ApplicationError(_("This call task belongs to another specialist."), code="forbidden", status=403)
    if message.status != S.SCHEDULED:
        raise ApplicationError(_("This call task is already done."), code="already_done", status=409)
    now = now or timezone.now()
    message.status = S.SENT
    message.sent_at = now
    message.done_by = actor
    message.updated_at = now
    message.save()
    _record_case_event(
        case_id=message.case_id,
        actor=actor,
        payload={"message_id": message.pk, "channel": "call", "step": message.step.label, "status": "done"},
        at=now,
    )
    return message


@transaction.atomic
def notice_send_now(*, case_id: int, actor) -> OutboundMessage:
    """Make the case's statutory notice due now (planning it if it is not planned yet); the
    caller enqueues ``notifications.tasks.send_message`` after commit."""
    case = RenewalCase.objects.select_for_update().select_related("customer").get(pk=case_id)
    if case.stage not in OPEN_STAGES:
        raise ApplicationError(_("The case is closed."), code="already_closed")
    step = ReminderStep.objects.filter(line_id=case.line_id, is_notice=True).first()
    if step is None:
        raise ApplicationError(_("This line has no notice step."), code="no_notice_step")
    now = timezone.now()
    customer = case.customer
    consent, address_field = _CHANNEL_COLUMNS[step.channel]
    address = getattr(customer, address_field) or ""
    message, _created = M.objects.get_or_create(
        case=case,
        step=step,
        channel=step.channel,
        defaults={
            "customer_id": customer.pk,
            "line_id": case.line_id,
            "is_notice": True,
            "due_date": case.due_date + dt.timedelta(days=step.offset_days),
            "scheduled_for": now,
            "next_attempt_at": now,
            "address": address,
        },
    )
    if message.status == S.SENT:
        raise ApplicationError(_("The notice was already sent."), code="already_sent", status=409)
    if not getattr(customer, consent):
        raise ApplicationError(_("The customer opted out of this channel."), code="opted_out")
    if not address:
        raise ApplicationError(_("The customer has no address for this channel."), code="no_address")
    # A failed notice gets a fresh set of attempts: the manager asked for it explicitly.
    M.objects.filter(pk=message.pk).update(
        status=S.SCHEDULED, skip_reason="", attempts=0, next_attempt_at=now, lease_until=None, updated_at=now
    )
    message.refresh_from_db()
    return message


# The outbox row id the gateway echoes back as "reference": ASCII digits that fit a bigint.
_REFERENCE_RE = re.compile(r"[0-9]{1,18}")


@transaction.atomic
def delivery_status_record(*, status: str, reference: str = "", provider_id: str = "", error: str = "") -> int:
    """The SMS gateway reported delivered/failed for the message with this reference (our row id,
    sent as "reference") or provider id (the gateway's own "id"); returns the number of rows
    updated (0 for an unknown message). A reference that is not a row id, or a provider id longer
    than any we store, is refused (ApplicationError, 400)."""
    if status not in M.Delivery.values:
        raise ApplicationError(_("Unknown delivery status."), field="status")
    if reference and not _REFERENCE_RE.fullmatch(reference):
        raise ApplicationError(_("The reference must be a message number."), field="reference")
    if len(provider_id) > M._meta.get_field("provider_message_id").max_length:
        raise ApplicationError(_("The message id is too long."), field="id")
    if not (reference or provider_id):
        raise ApplicationError(_("The reference is missing."), field="reference", code="required")
    rows = M.objects.filter(channel=Channel.SMS)
    rows = rows.filter(pk=int(reference)) if reference else rows.filter(provider_message_id=provider_id)
    changes = {"delivery_status": status, "delivery_updated_at": timezone.now()}
    if status == M.Delivery.FAILED and error:
        changes["error"] = error[:2000]
    return rows.update(**changes)


@transaction.atomic
def customer_consent_withdraw(*, customer_id: int, channel: str) -> bool:
    """The customer stopped a channel through their unsubscribe link: consent off, an audit
    record, and their unsent messages on that channel skipped. Returns False if already off."""
    if channel not in ("email", "sms"):
        raise ApplicationError(_("Unknown channel."), field="channel")
    field = _CHANNEL_COLUMNS[channel][0]
    customer = Customer.objects.select_for_update().get(pk=customer_id)
    if not getattr(customer, field):
        return False
    setattr(customer, field, False)
    customer.save(update_fields=[field, "updated_at"])
    ConsentChange.objects.create(customer=customer, channel=channel, allowed=False, source="unsubscribe_link")
    M.objects.filter(customer_id=customer_id, channel=channel, status=S.SCHEDULED).update(
        status=S.SKIPPED, skip_reason=M.SkipReason.OPTED_OUT, updated_at=timezone.now()
    )
    return True


@transaction.atomic
def offer_confirm(*, case_id: int) -> RenewalCase:
    """The customer confirmed the renewal through the signed offer link, at the approved quote.

    Exactly once: the case row is locked and a case that is already renewed raises
    ApplicationError(code="already_closed") from renewals.services.case_mark_renewed.
    """
    from renewals.services import case_mark_renewed

    case = RenewalCase.objects.select_for_update(of=("self",)).select_related("current_quote").get(pk=case_id)
    if case.stage == Stage.RENEWED:
        raise ApplicationError(_("This renewal is already confirmed."), code="already_closed")
    quote = case.current_quote
    if quote is None or not quote.is_usable:
        raise ApplicationError(_("There is no approved offer to confirm yet."), code="no_offer")
    return case_mark_renewed(case_id=case_id, actor=None, premium=quote.premium)


# --- settings (managers) ------------------------------------------------------------------


def _validate_template(subject: str, body: str) -> None:
    from notifications.rendering import SAMPLE_CONTEXT

    for language_context in SAMPLE_CONTEXT.values():
        for field, source in (("subject", subject), ("body", body)):
            try:
                render_text(source, language_context)
            except TemplateRenderError as exc:
                raise ApplicationError(
                    _("The template does not render: %(error)s") % {"error": exc}, field=field, code="bad_template"
                ) from exc


@transaction.atomic
def message_template_update(*, template_id: int, subject: str, body: str, actor) -> MessageTemplate:
    """Save a template; one that fails to render with the sample context is refused."""
    _validate_template(subject, body)
    if not body.strip():
        raise ApplicationError(_("The body cannot be empty."), field="body", code="required")
    template = MessageTemplate.objects.select_for_update().get(pk=template_id)
    template.subject = subject
    template.body = body
    template.updated_by = actor
    template.save()
    return template


@transaction.atomic
def reminder_step_update(*, step_id: int, offset_days: int, active: bool, actor) -> ReminderStep:
    """Change a step's timing or switch it off (channel and notice flag stay: their templates and
    the compliance rule depend on them)."""
    step = ReminderStep.objects.select_for_update().select_related("line").get(pk=step_id)
    if not -366 <= offset_days <= 366:
        raise ApplicationError(_("The offset must be within a year of expiry."), field="offset_days")
    if step.is_notice:
        if offset_days > -step.line.notice_lead_days:
            raise ApplicationError(
                _("The notice must go out at least %(days)s days before expiry.")
                % {"days": step.line.notice_lead_days},
                field="offset_days",
            )
        if not active:
            raise ApplicationError(_("The statutory notice step cannot be switched off."), field="active")
    if (
        ReminderStep.objects.filter(line_id=step.line_id, offset_days=offset_days, channel=step.channel)
        .exclude(pk=step.pk)
        .exists()
    ):
        raise ApplicationError(_("This line already has that step."), field="offset_days", code="duplicate")
    step.offset_days = offset_days
    step.active = active
    step.save()
    return step


def quiet_window_note() -> str:
    start, end = conf.quiet_hours()
    return f"{start:02d}:00–{end:02d}:00"


def message_claim_one(*, message_id: int, now: dt.datetime | None = None) -> uuid.UUID | None:
    """Claim one specific due row (for "send now"); returns the lease token to pass to
    message_dispatch, or None if another worker has it or it is not due."""
    now = now or timezone.now()
    lease_until = now + dt.timedelta(seconds=conf.lease_seconds())
    lease_token = uuid.uuid4()
    with transaction.atomic():
        claimed = M.objects.filter(
            pk=message_id, status__in=M.UNSENT_STATUSES, channel__in=MESSAGE_CHANNELS, next_attempt_at__lte=now
        ).update(
            status=S.SENDING,
            lease_until=lease_until,
            lease_token=lease_token,
            next_attempt_at=lease_until,
            attempts=F("attempts") + 1,
            updated_at=now,
        )
    return lease_token if claimed else None
