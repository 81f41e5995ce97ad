"""Each e-mail is recorded right after its send, not at the end of its chunk: what a killed worker
can send twice is bounded by the sends in flight (the connections), not by the chunks in flight.

A real SMTP server (aiosmtpd) looks into the database over its own connection while it receives."""

import asyncio
import datetime as dt
import re

import psycopg2
import pytest
from aiosmtpd.controller import Controller
from django.db import connection
from django.test import override_settings

from notifications.models import OutboundMessage
from notifications.services import dispatch as services
from tests.notifications.conftest import _free_port
from tests.notifications.test_dispatch import MORNING
from tests.notifications.test_dispatch_batches import email_reminder

pytestmark = pytest.mark.django_db(transaction=True)
M = OutboundMessage
MESSAGE_ID = re.compile(rb"^Message-ID:\s*<outbox-(\d+)@", re.MULTILINE | re.IGNORECASE)


class LookingSink:
    """An SMTP server that, for each message, reads the outbox from its own database connection:
    ``unrecorded`` is, at each arrival, how many of the rows received so far (this one included)
    are not marked sent yet. ``hold``: the row whose message is answered only once ``wait_for`` is
    seen sent in the database (or after ``patience`` seconds)."""

    def __init__(self, database: dict, *, hold: int | None = None, wait_for: int | None = None, patience=10.0):
        self.db = psycopg2.connect(
            dbname=database["NAME"],
            user=database["USER"],
            password=database["PASSWORD"],
            host=database["HOST"] or None,
            port=database["PORT"] or None,
        )
        self.db.autocommit = True
        self.hold, self.wait_for, self.patience = hold, wait_for, patience
        self.received: list[int] = []
        self.unrecorded: list[int] = []
        self.seen_while_held: bool | None = None

    def statuses(self, ids) -> dict[int, str]:
        with self.db.cursor() as cursor:
            cursor.execute("SELECT id, status FROM notifications_outboundmessage WHERE id = ANY(%s)", [list(ids)])
            return dict(cursor.fetchall())

    async def handle_DATA(self, server, session, envelope):  # noqa: N802
        row = int(MESSAGE_ID.search(envelope.original_content).group(1))
        self.received.append(row)
        statuses = self.statuses(self.received)
        self.unrecorded.append(sum(1 for pk in self.received if statuses[pk] != M.Status.SENT))
        if row == self.hold:
            # The sender of this row waits for the answer; meanwhile the row before it must be recorded.
            waited = 0.0
            while self.statuses([self.wait_for])[self.wait_for] != M.Status.SENT and waited < self.patience:
                await asyncio.sleep(0.02)
                waited += 0.02
            self.seen_while_held = waited < self.patience
        return "250 OK"


def smtp_settings(port: int):
    return override_settings(
        EMAIL_BACKEND="django.core.mail.backends.smtp.EmailBackend",
        EMAIL_HOST="127.0.0.1",
        EMAIL_PORT=port,
        EMAIL_HOST_USER="",
        EMAIL_HOST_PASSWORD="",
        EMAIL_USE_TLS=False,
        EMAIL_USE_SSL=False,
    )


def serve(sink):
    port = _free_port()
    controller = Controller(sink, hostname="127.0.0.1", port=port)
    controller.start()
    return controller, port


@override_settings(REMINDER_DISPATCH_CONNECTIONS=2, REMINDER_DISPATCH_CHUNK=64)
def test_an_email_is_recorded_before_the_next_email_of_its_chunk_is_answered():
    # given four due e-mails: slow start sends them in chunks of 1, 1 and 2 rows; the third chunk
    # holds the third and the fourth, sent side by side over two connections
    messages = [email_reminder(at=MORNING - dt.timedelta(seconds=4 - i)) for i in range(4)]
    third, fourth = messages[2], messages[3]
    # and an SMTP server that answers the fourth only once it sees the third marked sent
    sink = LookingSink(connection.settings_dict, hold=fourth.pk, wait_for=third.pk)
    controller, port = serve(sink)
    try:
        with smtp_settings(port):
            # when one run sends them
            totals = services.messages_dispatch_due(now=MORNING)
    finally:
        controller.stop()
        sink.db.close()
    # then the third was recorded sent while the fourth, of the same chunk, was still with the server
    # (recorded at the end of the chunk, it would only be after the fourth's answer: 10 s later)
    assert sink.seen_while_held is True
    assert totals == {"sent": 4}
    assert sorted(sink.received) == sorted(m.pk for m in messages)
    assert set(M.objects.values_list("status", flat=True)) == {M.Status.SENT}


@override_settings(REMINDER_DISPATCH_CONNECTIONS=3, REMINDER_DISPATCH_CHUNK=8)
def test_at_most_one_unrecorded_email_per_connection_at_any_time():
    # given 40 due e-mails (chunks of 1, 1, 2, 4, 8, 8, 8, 8: two chunks in flight at full speed)
    messages = [email_reminder(at=MORNING - dt.timedelta(seconds=40 - i)) for i in range(40)]
    sink = LookingSink(connection.settings_dict)
    controller, port = serve(sink)
    try:
        with smtp_settings(port):
            # when one run sends them over three connections
            totals = services.messages_dispatch_due(now=MORNING)
    finally:
        controller.stop()
        sink.db.close()
    # then each arrived once, and whenever one arrived, at most three of those that had arrived
    # (itself included) were not yet recorded sent: all a worker killed then could send again
    assert totals == {"sent": 40}
    assert sorted(sink.received) == sorted(m.pk for m in messages)
    assert len(sink.unrecorded) == 40
    assert max(sink.unrecorded) <= 3
