"""Reminders benchmark: planning the outbox for every open case, and dispatch throughput.

Everything runs inside one transaction that is rolled back at the end, so the modules after this
one see the book as b10/b20 left it. Steps:

1. Make every active policy an open case (set-based, only for policies without a case) so the
   planning run covers the whole book: 1,000,000 open cases at full scale.
2. Plan with a catch-up window wide enough that every step of every open case is due: the
   heaviest possible planning run (several rows per case), timed. Target: < 60 s at 1M.
3. Dispatch throughput, one worker (this process): plain reminders to a local SMTP sink (aiosmtpd)
   and SMS to a local HTTP gateway, each sink in its own process (bench/sinks.py), in messages per
   second; and the reference measured right after on the same sink: a bare loop sending the same
   messages, pre-rendered, over one connection (smtplib; http.client with keep-alive).
   Targets: >= 500 messages/s and >= 50 % of the bare loop, per channel.
"""

import datetime as dt
import http.client
import json
import smtplib
import time
import zoneinfo

from django.conf import settings
from django.core.mail import EmailMessage
from django.db import connection, transaction
from django.test import override_settings

from bench.common import Report, stopwatch
from bench.sinks import SinkProcess

TARGET_PLAN_SECONDS_PER_MILLION = 60.0
DISPATCH_SAMPLE = 5_000  # messages per channel for the throughput figures
TARGET_MESSAGES_PER_SECOND = 500
TARGET_SHARE_OF_BARE_LOOP = 0.5


class _Rollback(Exception):
    pass


def _open_cases_for_every_policy() -> int:
    with connection.cursor() as cursor:
        cursor.execute(
            """
            INSERT INTO renewals_renewalcase (
                policy_id, customer_id, line_id, expiring_premium, due_date, stage, opened_at, priority,
                churn_reasons, outcome_note, has_open_complaint, version, updated_at
            )
            SELECT p.id, p.customer_id, p.line_id, p.premium, p.end_date, 'open', now(), 0, '[]'::jsonb, '',
                   false, 1, now()
            FROM renewals_policy p
            WHERE p.status = 'active'
              AND NOT EXISTS (SELECT 1 FROM renewals_renewalcase c WHERE c.policy_id = p.id)
            ON CONFLICT DO NOTHING
            """
        )
        added = cursor.rowcount
        cursor.execute("SELECT count(*) FROM renewals_renewalcase WHERE stage IN ('open', 'contacted', 'quoted')")
        open_cases = cursor.fetchone()[0]
        cursor.execute("ANALYZE renewals_renewalcase")
    return added, open_cases


def _bare_email_loop(port: int, ids: list[int]) -> float:
    """Seconds smtplib takes to send the rows' recorded messages (built beforehand, untimed) over
    one connection: the same headers, subject and body dispatch sent."""
    from notifications.models import OutboundMessage

    prepared = []
    for row in OutboundMessage.objects.filter(pk__in=ids).only("pk", "address", "subject", "body"):
        message = EmailMessage(
            subject=row.subject,
            body=row.body,
            from_email=settings.DEFAULT_FROM_EMAIL,
            to=[row.address],
            headers={"Message-ID": f"<bare-{row.pk}@bench.local>", "X-Idempotency-Key": f"bare-{row.pk}"},
        )
        prepared.append((row.address, message.message().as_bytes(linesep="\r\n")))
    started = time.perf_counter()
    with smtplib.SMTP("127.0.0.1", port, timeout=30) as client:
        for to, data in prepared:
            client.sendmail(settings.DEFAULT_FROM_EMAIL, [to], data)
    return time.perf_counter() - started


def _bare_sms_loop(port: int, ids: list[int]) -> float:
    """Seconds http.client takes to POST the rows' recorded texts over one keep-alive connection."""
    from notifications.models import OutboundMessage

    prepared = []
    for row in OutboundMessage.objects.filter(pk__in=ids).only("pk", "address", "body"):
        key = f"bare-{row.pk}"
        payload = json.dumps({"to": row.address, "text": row.body, "reference": key}).encode()
        headers = {"Content-Type": "application/json", "Authorization": "Bearer bench", "Idempotency-Key": key}
        prepared.append((payload, headers))
    started = time.perf_counter()
    client = http.client.HTTPConnection("127.0.0.1", port, timeout=30)
    for payload, headers in prepared:
        client.request("POST", "/messages", body=payload, headers=headers)
        response = client.getresponse()
        response.read()
        assert response.status == 200, response.status
    client.close()
    return time.perf_counter() - started


def _make_only_sample_due(channel: str, *, due_at: dt.datetime, far: dt.datetime) -> list[int]:
    """Leave DISPATCH_SAMPLE scheduled plain reminders of ``channel`` due (distinct customers with
    no day claimed yet: the daily cap; no notice: its PDF is issued by prepare_notice_documents
    before dispatch, see b60_documents), push every other unsent row into the future; returns the
    due ids. Too few such reminders (the seeded schedule has few e-mail reminders besides the
    notice): campaign messages of the channel to other consenting customers make up the sample."""
    from bench.b32_dispatch_crash import CONSENTING_CUSTOMERS_SQL, campaign_messages_insert
    from notifications.models import OutboundMessage as M

    M.objects.filter(status=M.Status.SCHEDULED).update(next_attempt_at=far)
    with connection.cursor() as cursor:
        cursor.execute(
            """
            UPDATE notifications_outboundmessage SET next_attempt_at = %s
            WHERE id IN (
                SELECT DISTINCT ON (m.customer_id) m.id FROM notifications_outboundmessage m
                WHERE m.status = 'scheduled' AND m.channel = %s AND m.kind = 'reminder' AND NOT m.is_notice
                  AND NOT EXISTS (SELECT 1 FROM notifications_customerdayclaim k WHERE k.customer_id = m.customer_id)
                ORDER BY m.customer_id, m.id LIMIT %s
            )
            RETURNING id
            """,
            [due_at, channel, DISPATCH_SAMPLE],
        )
        ids = [row[0] for row in cursor.fetchall()]
        if len(ids) < DISPATCH_SAMPLE:
            cursor.execute(CONSENTING_CUSTOMERS_SQL, [due_at, DISPATCH_SAMPLE - len(ids)])
            customers = [customer_id for customer_id, _zone in cursor.fetchall()]
            ids += campaign_messages_insert(customers, now=due_at, channels=(channel,))
    return ids


def run(report: Report) -> None:
    from notifications import services
    from notifications.models import OutboundMessage

    try:
        with transaction.atomic():
            added, open_cases = _open_cases_for_every_policy()
            report.note(f"b30_notifications: {added:,} cases opened for the run (rolled back afterwards).")
            with connection.cursor() as cursor:
                cursor.execute("SELECT max(due_date) FROM renewals_renewalcase")
                latest_due = cursor.fetchone()[0] or dt.date.today()
            # A normal run: today's due steps across the whole open book (scan + the due rows).
            with stopwatch() as elapsed:
                daily = services.reminders_plan(on_date=dt.date.today())
            report.add(
                "reminders",
                f"daily planning run over {open_cases:,} open cases",
                f"{elapsed():.1f} s ({daily:,} rows)",
            )
            # The heaviest run: a long catch-up after an outage (every step still worth sending comes
            # due at once; pre-expiry reminders of already expired policies are not), plus the notices.
            on_date = latest_due + dt.timedelta(days=16)
            with stopwatch() as elapsed:
                planned = services.reminders_plan(on_date=on_date, catch_up_days=800)
            seconds = elapsed()
            target = max(5.0, TARGET_PLAN_SECONDS_PER_MILLION * open_cases / 1_000_000)
            report.add(
                "reminders",
                f"plan a long catch-up over all {open_cases:,} open cases",
                f"{seconds:.1f} s ({planned:,} rows, {planned / max(seconds, 1e-9):,.0f} rows/s)",
                f"< {target:.0f} s (60 s per 1M open cases)",
                seconds < target,
            )
            with stopwatch() as elapsed:
                again = services.reminders_plan(on_date=on_date, catch_up_days=800)
            report.add(
                "reminders", "plan again (idempotent)", f"{elapsed():.1f} s, {again:,} new rows", "0 new", again == 0
            )
            with connection.cursor() as cursor:
                cursor.execute("ANALYZE notifications_outboundmessage")

            zone = zoneinfo.ZoneInfo(settings.TIME_ZONE)
            now = dt.datetime.combine(dt.date.today(), dt.time(10, 0), tzinfo=zone)
            far = now + dt.timedelta(days=3650)
            with (
                SinkProcess("smtp") as smtp,
                SinkProcess("gateway") as gateway,
                override_settings(
                    EMAIL_BACKEND="django.core.mail.backends.smtp.EmailBackend",
                    EMAIL_HOST="127.0.0.1",
                    EMAIL_PORT=smtp.port,
                    EMAIL_USE_TLS=False,
                    EMAIL_USE_SSL=False,
                    EMAIL_HOST_USER="",
                    EMAIL_HOST_PASSWORD="",
                    SMS_BACKEND="http",
                    SMS_GATEWAY_URL=gateway.url,
                    SMS_GATEWAY_TOKEN="bench",  # noqa: S106 (a local test gateway)
                ),
            ):
                for label, channel, sink, bare_loop in (
                    ("email to a local SMTP sink", "email", smtp, _bare_email_loop),
                    ("SMS to a local HTTP gateway", "sms", gateway, _bare_sms_loop),
                ):
                    ids = _make_only_sample_due(channel, due_at=now, far=far)
                    before = sink.stats()["received"]
                    with stopwatch() as elapsed:
                        totals = services.messages_dispatch_due(now=now, max_batches=10_000)
                    seconds = elapsed()
                    sent = totals.get("sent", 0)
                    received = sink.stats()["received"] - before
                    rate = sent / max(seconds, 1e-9)
                    sent_ids = list(
                        OutboundMessage.objects.filter(pk__in=ids, status="sent").values_list("pk", flat=True)
                    )
                    bare_seconds = bare_loop(sink.port, sent_ids)
                    bare_rate = len(sent_ids) / max(bare_seconds, 1e-9)
                    report.add(
                        "reminders",
                        f"dispatch throughput, 1 worker: {label}",
                        f"{rate:,.0f} messages/s ({sent:,} sent of {len(ids):,} due, {received:,} received, "
                        f"{seconds:.1f} s; {totals})",
                        f">= {TARGET_MESSAGES_PER_SECOND} messages/s",
                        rate >= TARGET_MESSAGES_PER_SECOND and received == sent == len(ids),
                    )
                    share = rate / max(bare_rate, 1e-9)
                    report.add(
                        "reminders",
                        f"dispatch {channel} vs a bare loop on the same sink (one connection, "
                        f"{len(sent_ids):,} pre-rendered messages: {bare_rate:,.0f} messages/s)",
                        f"{share:.0%} of the bare loop",
                        f">= {TARGET_SHARE_OF_BARE_LOOP:.0%} of bare loop",
                        share >= TARGET_SHARE_OF_BARE_LOOP,
                    )
            report.note(f"b30_notifications: outbox held {OutboundMessage.objects.count():,} rows during the run.")
            raise _Rollback
    except _Rollback:
        pass
