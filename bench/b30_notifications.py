"""Reminders benchmark: planning the outbox for every open case, and dispatch throughput.

Everything runs inside one transaction that is rolled back at the end, so the modules after this
one see the book as b10/b20 left it. Steps:

1. Make every active policy an open case (set-based, only for policies without a case) so the
   planning run covers the whole book: 1,000,000 open cases at full scale.
2. Plan with a catch-up window wide enough that every step of every open case is due: the
   heaviest possible planning run (several rows per case), timed. Target: < 60 s at 1M.
3. Dispatch throughput, one worker (this process): notices to a local SMTP sink (aiosmtpd) and
   SMS to a local HTTP gateway (http.server in a thread), in messages per second.
"""

import datetime as dt
import json
import socket
import threading
import zoneinfo
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer

from django.conf import settings
from django.db import connection, transaction
from django.test import override_settings

from bench.common import Report, stopwatch

TARGET_PLAN_SECONDS_PER_MILLION = 60.0
DISPATCH_SAMPLE = 500  # messages per channel for the throughput figures


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


def _free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return probe.getsockname()[1]


def _start_smtp_sink():
    from aiosmtpd.controller import Controller

    class Sink:
        received = 0

        async def handle_DATA(self, server, session, envelope):  # noqa: N802
            Sink.received += 1
            return "250 OK"

    controller = Controller(Sink(), hostname="127.0.0.1", port=_free_port())
    controller.start()
    return controller, Sink


def _start_gateway():
    class Handler(BaseHTTPRequestHandler):
        received = 0
        # Headers and body go out in two writes: without this, delayed ACKs add ~40 ms per request.
        disable_nagle_algorithm = True

        def do_POST(self):  # noqa: N802
            body = json.loads(self.rfile.read(int(self.headers.get("Content-Length", 0))) or b"{}")
            Handler.received += 1
            self.send_response(200)
            self.send_header("Content-Type", "application/json")
            self.end_headers()
            self.wfile.write(json.dumps({"id": f"gw-{body.get('reference')}"}).encode())

        def log_message(self, *args):
            pass

    server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
    threading.Thread(target=server.serve_forever, daemon=True).start()
    return server, Handler


def _make_only_sample_due(channel: str, *, due_at: dt.datetime, far: dt.datetime) -> int:
    """Leave DISPATCH_SAMPLE scheduled rows of ``channel`` due (distinct customers: the daily cap),
    push every other unsent row into the future."""
    from notifications.models import OutboundMessage as M

    M.objects.filter(status=M.Status.SCHEDULED).update(next_attempt_at=far)
    with connection.cursor() as cursor:
        cursor.execute(
            """
            UPDATE notifications_outboundmessage SET next_attempt_at = %s
            WHERE id IN (
                SELECT DISTINCT ON (customer_id) id FROM notifications_outboundmessage
                WHERE status = 'scheduled' AND channel = %s
                ORDER BY customer_id, id LIMIT %s
            )
            """,
            [due_at, channel, DISPATCH_SAMPLE],
        )
        return cursor.rowcount


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
            smtp, sink = _start_smtp_sink()
            gateway, handler = _start_gateway()
            try:
                with override_settings(
                    EMAIL_BACKEND="django.core.mail.backends.smtp.EmailBackend",
                    EMAIL_HOST="127.0.0.1",
                    EMAIL_PORT=smtp.port,
                    EMAIL_USE_TLS=False,
                    EMAIL_USE_SSL=False,
                    EMAIL_HOST_USER="",
                    EMAIL_HOST_PASSWORD="",
                    SMS_BACKEND="http",
                    SMS_GATEWAY_URL=f"http://127.0.0.1:{gateway.server_address[1]}/messages",
                    SMS_GATEWAY_TOKEN="bench",  # noqa: S106 (a local test gateway)
                ):
                    for label, channel, received in (
                        ("email to a local SMTP sink", "email", lambda: sink.received),
                        ("SMS to a local HTTP gateway", "sms", lambda: handler.received),
                    ):
                        due = _make_only_sample_due(channel, due_at=now, far=far)
                        before = received()
                        with stopwatch() as elapsed:
                            totals = services.messages_dispatch_due(now=now, max_batches=10_000)
                        seconds = elapsed()
                        sent = totals.get("sent", 0)
                        report.add(
                            "reminders",
                            f"dispatch throughput, 1 worker: {label}",
                            f"{sent / max(seconds, 1e-9):,.0f} messages/s ({sent} sent of {due} due, "
                            f"{received() - before} received, {seconds:.1f} s)",
                        )
            finally:
                smtp.stop()
                gateway.shutdown()
                gateway.server_close()
            report.note(f"b30_notifications: outbox held {OutboundMessage.objects.count():,} rows during the run.")
            raise _Rollback
    except _Rollback:
        pass
