"""Crash and race, measured: two dispatch processes, one killed with SIGKILL mid-batch and restarted.

20,000 due messages (e-mail and SMS, one per customer: the daily cap) are committed to the bench
database; two worker processes (the way tests/notifications/test_daily_cap_workers.py starts its
two: ``python -c`` with Django set up, "ready", then "go" on stdin) run the periodic task's dispatch
loop (messages_dispatch_due, ten batches a run) against an SMTP sink and an SMS gateway, each in its
own process (bench/sinks.py). Once a third of the messages reached the sinks, one worker gets
SIGKILL (between claiming a batch and recording it, at that rate); it is started again. The sinks
count what arrived:

- 0 lost: every row sent, every e-mail row's Message-ID and every SMS row's key at its sink;
- no repeat at the SMS gateway: it accepted each key once (the repeats it suppressed thanks to the
  idempotency key are counted and shown);
- at most the e-mails in flight at the kill repeat (sent or being sent by the killed worker, not yet
  recorded: each e-mail is recorded right after its send and a send holds one of
  notifications.services.dispatch.send_connections() permits until then, so at most that many),
  each with the same Message-ID;
- the time to drain after the kill (the killed worker's leases must expire first).

The workers run with the project's settings from the environment, with a 60 s lease
(REMINDER_LEASE_SECONDS) and a 5 s EMAIL_TIMEOUT (so the lease covers the longest send), and the
customers' time zone set to one where it is midday now (SMS quiet hours would defer the SMS at
night). Everything the module made is deleted at the end and the customers' zones restored.
"""

import datetime as dt
import json
import os
import signal
import subprocess
import sys
import time

from django.db import connection, transaction
from django.db.models import Count
from django.utils import timezone

from bench.common import Report
from bench.sinks import ROOT, SinkProcess

MESSAGES = 20_000
KILL_AFTER_SHARE = 1 / 3
LEASE_SECONDS = 60
DRAIN_TARGET_SECONDS = 2 * LEASE_SECONDS + 60
WORKER = """
import json, sys, time
import django
django.setup()
from notifications.models import OutboundMessage
from notifications.services import messages_dispatch_due
first, last = int(sys.argv[1]), int(sys.argv[2])
print("ready", flush=True)
sys.stdin.readline()
while True:
    totals = messages_dispatch_due(max_batches=10)
    print(json.dumps(totals), flush=True)
    if not totals:
        unsent = OutboundMessage.objects.filter(pk__gte=first, pk__lte=last, status__in=("scheduled", "sending"))
        if not unsent.exists():
            break
        time.sleep(0.5)
"""


def _midday_zone() -> str:
    """An Etc/GMT zone where it is about noon now."""
    offset = 12 - timezone.now().astimezone(dt.UTC).hour  # hours east of UTC
    offset = max(-12, min(14, offset if offset <= 12 else offset - 24))
    return f"Etc/GMT{-offset:+d}"


CONSENTING_CUSTOMERS_SQL = """
    SELECT c.id, c.time_zone FROM customers_customer c
    WHERE c.consent_email AND c.consent_sms AND c.email <> '' AND c.phone <> '' AND NOT c.marketing_opt_out
      AND NOT EXISTS (SELECT 1 FROM notifications_customerdayclaim k WHERE k.customer_id = c.id)
      AND NOT EXISTS (SELECT 1 FROM notifications_outboundmessage o WHERE o.customer_id = c.id
                      AND o.status IN ('scheduled', 'sending') AND o.next_attempt_at <= %s)
      AND NOT EXISTS (
        SELECT 1 FROM notifications_outboundmessage m JOIN renewals_renewalcase rc ON rc.id = m.case_id
        WHERE rc.customer_id = c.id AND m.is_notice AND m.status IN ('scheduled', 'sending', 'sent'))
    ORDER BY c.id LIMIT %s
"""


def campaign_messages_insert(customer_ids: list[int], *, now, channels=("email", "sms")) -> list[int]:
    """One campaign message due ``now`` per customer (channels in turn), committed with the caller's
    transaction; returns the new ids. Campaign messages have no case: the text is in the row."""
    with connection.cursor() as cursor:
        cursor.execute(
            """
            INSERT INTO notifications_outboundmessage (
                kind, customer_id, channel, is_notice, status, skip_reason, defer_reason, due_date, scheduled_for,
                next_attempt_at, attempts, provider_message_id, error, address, content_hash, subject, body, link,
                delivery_status, created_at, updated_at)
            SELECT 'campaign', c.id, (%s::text[])[1 + (n %% %s)], false, 'scheduled', '', '',
                   %s::date, %s, %s, 0, '', '', '', '', 'Our offer for you, {{ customer_name }}',
                   'Hello {{ customer_name }}, this is message ' || n || ' of the bench.', '', '', %s, %s
            FROM unnest(%s::bigint[]) WITH ORDINALITY AS c(id, n)
            RETURNING id
            """,
            [list(channels), len(channels), now.date(), now, now, now, now, customer_ids],
        )
        return sorted(row[0] for row in cursor.fetchall())


def _make_messages(zone: str) -> tuple[list[int], list[tuple[int, str]]]:
    """MESSAGES campaign messages due now, to distinct customers who consent, with an address, no
    marketing opt-out and nothing else due or claimed that day; alternating e-mail and SMS. Returns
    (ids, the customers' previous zones)."""
    now = timezone.now()
    with transaction.atomic(), connection.cursor() as cursor:
        cursor.execute(CONSENTING_CUSTOMERS_SQL, [now, MESSAGES])
        customers = cursor.fetchall()
        ids = [c for c, _zone in customers]
        cursor.execute("UPDATE customers_customer SET time_zone = %s WHERE id = ANY(%s)", [zone, ids])
        made = campaign_messages_insert(ids, now=now)
        cursor.execute("ANALYZE notifications_outboundmessage")
    return made, customers


def _clean_up(first: int, last: int, customers: list[tuple[int, str]]) -> None:
    with transaction.atomic(), connection.cursor() as cursor:
        cursor.execute("DELETE FROM notifications_customerdayclaim WHERE message_id BETWEEN %s AND %s", [first, last])
        cursor.execute(
            "DELETE FROM notifications_outboundmessage WHERE id BETWEEN %s AND %s AND kind = 'campaign'", [first, last]
        )
        cursor.execute(
            """UPDATE customers_customer c SET time_zone = v.zone
               FROM unnest(%s::bigint[], %s::text[]) AS v(id, zone) WHERE c.id = v.id""",
            [[c for c, _z in customers], [z for _c, z in customers]],
        )


def _start_worker(env: dict, first: int, last: int) -> subprocess.Popen:
    worker = subprocess.Popen(
        [sys.executable, "-c", WORKER, str(first), str(last)],
        env=env,
        cwd=ROOT,
        stdin=subprocess.PIPE,
        stdout=subprocess.PIPE,
        stderr=subprocess.DEVNULL,
        text=True,
    )
    assert worker.stdout.readline().strip() == "ready"
    return worker


def _go(worker: subprocess.Popen) -> None:
    worker.stdin.write("go\n")
    worker.stdin.flush()


def run(report: Report) -> None:
    from notifications.models import OutboundMessage
    from notifications.services.dispatch import chunk_rows, send_connections

    zone = _midday_zone()
    ids, customers = _make_messages(zone)
    first, last = ids[0], ids[-1]
    rows = OutboundMessage.objects.filter(pk__gte=first, pk__lte=last, kind="campaign")
    emails = rows.filter(channel="email").count()
    texts = rows.filter(channel="sms").count()
    try:
        with SinkProcess("smtp") as smtp, SinkProcess("gateway") as gateway:
            env = dict(os.environ)
            env.update(
                DJANGO_SETTINGS_MODULE="config.settings",
                DATABASE_URL=os.environ["DATABASE_URL"],
                EMAIL_URL=f"smtp://127.0.0.1:{smtp.port}",
                EMAIL_TIMEOUT="5",
                SMS_BACKEND="http",
                SMS_GATEWAY_URL=gateway.url,
                SMS_GATEWAY_TOKEN="bench",  # noqa: S106 (a local test gateway)
                REMINDER_LEASE_SECONDS=str(LEASE_SECONDS),
            )
            workers = [_start_worker(env, first, last) for _ in range(2)]
            started = time.monotonic()
            for worker in workers:
                _go(worker)
            # Kill the first worker once a third of the messages arrived (it is mid-batch then).
            while smtp.stats()["received"] + gateway.stats()["received"] < MESSAGES * KILL_AFTER_SHARE:
                time.sleep(0.02)
                if time.monotonic() - started > 600:
                    raise RuntimeError("crash bench: dispatch did not get going")
            os.kill(workers[0].pid, signal.SIGKILL)
            killed_at = time.monotonic()
            at_kill = smtp.stats()["received"] + gateway.stats()["received"]
            workers[0].wait()
            workers[0] = _start_worker(env, first, last)
            _go(workers[0])
            # Drained: every row sent (or otherwise done).
            while rows.filter(status__in=("scheduled", "sending")).exists():
                time.sleep(0.2)
                if time.monotonic() - killed_at > 900:
                    break
            drained = time.monotonic() - killed_at
            total = time.monotonic() - started
            for worker in workers:
                try:
                    worker.communicate(timeout=120)
                except subprocess.TimeoutExpired:
                    worker.kill()
            mail, sms = smtp.stats(), gateway.stats()
        statuses = dict(rows.values_list("status").annotate(n=Count("id")))
        reclaimed = rows.filter(attempts__gte=2).count()
        sent = statuses.get("sent", 0)
        lost = MESSAGES - sent
        report.add(
            "reminders",
            f"crash bench: {len(ids):,} due ({emails:,} e-mail, {texts:,} SMS), 2 dispatch processes, one SIGKILLed "
            f"after {at_kill:,} arrived and restarted ({send_connections()} connections, chunk {chunk_rows()})",
            f"{lost} lost; {sent:,} sent; at the sinks {mail['distinct']:,} e-mail Message-IDs, "
            f"{sms['accepted']:,} SMS keys accepted ({statuses})",
            "0 lost",
            lost == 0 and mail["distinct"] == emails and sms["accepted"] == texts,
        )
        report.add(
            "reminders",
            "crash bench: repeats at the SMS gateway (it honours the idempotency key)",
            f"0 SMS sent twice; {sms['suppressed']} repeated requests suppressed by the key "
            f"({reclaimed:,} rows of the killed worker claimed again after its lease)",
            "0 repeats",
            sms["accepted"] == texts and sms["distinct"] == texts,
        )
        repeated = mail["repeats"]
        report.add(
            "reminders",
            "crash bench: e-mails repeated (in flight at the kill: sent, not yet recorded)",
            f"{repeated} repeated, each with the Message-ID of its first copy ({mail['received']:,} received "
            f"for {mail['distinct']:,} ids = rows)",
            f"<= in flight (the connections: {send_connections()})",
            repeated <= send_connections() and mail["distinct"] == emails,
        )
        report.add(
            "reminders",
            f"crash bench: time to drain after the kill (lease {LEASE_SECONDS} s)",
            f"{drained:.1f} s ({total:.1f} s for all {MESSAGES:,}, {MESSAGES / total:,.0f} messages/s with 2 workers)",
            f"< {DRAIN_TARGET_SECONDS} s",
            drained < DRAIN_TARGET_SECONDS,
        )
        report.note(f"b32_dispatch_crash: customers' zone {zone}; SMS gateway {json.dumps(sms)[:200]}")
    finally:
        _clean_up(first, last, customers)
