"""Dispatch in chunks: rows read, started and recorded together, sent over a few kept-open
connections, with every guarantee of the one-row path (leases, consent, the daily cap)."""

import datetime as dt
import re
import uuid

import pytest
from aiosmtpd.controller import Controller
from django.test import override_settings

from notifications.models import CustomerDayClaim, OutboundMessage
from notifications.services import dispatch as services
from tests.customers.factories import CustomerFactory
from tests.notifications.conftest import _free_port
from tests.notifications.factories import OutboundMessageFactory, step
from tests.notifications.test_dispatch import MORNING, make_message
from tests.renewals.factories import PolicyFactory, RenewalCaseFactory

pytestmark = pytest.mark.django_db
M = OutboundMessage
AFTER_THE_LEASE = MORNING + dt.timedelta(seconds=301)


def email_reminder(*, at=MORNING, customer=None):
    """A plain e-mail reminder (the property line's 30-day step: not the notice)."""
    customer = customer or CustomerFactory()
    case = RenewalCaseFactory(
        policy=PolicyFactory(end_date=dt.date(2026, 12, 31), customer=customer, line__code="property")
    )
    return OutboundMessageFactory(
        case=case, step=step("property", -30, "email"), scheduled_for=at, next_attempt_at=at, address=customer.email
    )


def test_recording_a_chunk_leaves_alone_the_rows_whose_lease_was_taken_over(sms_gateway):
    # given two rows claimed by worker A, checked and rendered, and the second re-claimed by B
    kept, stolen = make_message(at=MORNING - dt.timedelta(minutes=2)), make_message()
    worker_a, worker_b = uuid.uuid4(), uuid.uuid4()
    assert services.messages_claim(lease_token=worker_a, now=MORNING) == [kept.pk, stolen.pk]
    loaded = services._load_messages([kept.pk, stolen.pk])
    ready = [
        services._prepare(loaded[pk], lease_token=worker_a, now=MORNING, notice_day=set())
        for pk in (kept.pk, stolen.pk)
    ]
    M.objects.filter(pk=stolen.pk).update(next_attempt_at=MORNING)
    assert services.messages_claim(lease_token=worker_b, now=MORNING) == [stolen.pk]
    # when A records both as sent in one go
    recorded = services.messages_record_sent(
        rows=[(r, f"gw-{r.message.pk}", MORNING) for r in ready], lease_token=worker_a
    )
    # then only the row A still holds is recorded; B's row is untouched and has no timeline entry
    assert recorded == 1
    kept.refresh_from_db()
    stolen.refresh_from_db()
    assert (kept.status, kept.provider_message_id, kept.lease_token) == (M.Status.SENT, f"gw-{kept.pk}", None)
    assert (stolen.status, stolen.lease_token, stolen.provider_message_id) == (M.Status.SENDING, worker_b, "")
    assert kept.case.events.filter(kind="reminder").count() == 1
    assert stolen.case.events.filter(kind="reminder").count() == 0


class PeerSink:
    """An SMTP server that records, per message, the client connection (its peer) and Message-ID."""

    def __init__(self):
        self.messages = []

    async def handle_DATA(self, server, session, envelope):  # noqa: N802
        found = re.search(rb"^Message-ID:\s*(\S+)", envelope.original_content, re.MULTILINE | re.IGNORECASE)
        self.messages.append((session.peer, found.group(1).decode(), envelope.rcpt_tos))
        return "250 OK"


@pytest.fixture
def peer_smtp():
    sink = PeerSink()
    port = _free_port()
    controller = Controller(sink, hostname="127.0.0.1", port=port)
    controller.start()
    with override_settings(
        EMAIL_BACKEND="django.core.mail.backends.smtp.EmailBackend",
        EMAIL_HOST="127.0.0.1",
        EMAIL_PORT=port,
        EMAIL_HOST_USER="",
        EMAIL_HOST_PASSWORD="",
        EMAIL_USE_TLS=False,
        EMAIL_USE_SSL=False,
    ):
        yield sink
    controller.stop()


@override_settings(REMINDER_DISPATCH_CONNECTIONS=2, REMINDER_DISPATCH_CHUNK=8)
def test_connections_kept_open_across_a_batch_carry_one_message_per_row(peer_smtp):
    # given 30 due e-mail reminders to 30 customers
    messages = [email_reminder(at=MORNING - dt.timedelta(seconds=30 - i)) for i in range(30)]
    # when one run sends them (chunks of 1, 1, 2, 4, 8, 8, 6 rows over two connections)
    totals = services.messages_dispatch_due(now=MORNING)
    # then each row arrived exactly once, to its customer, with the Message-ID of its row
    assert totals == {"sent": 30}
    expected = {f"<outbox-{m.pk}@example.com>": [m.customer.email] for m in messages}
    got = {message_id: rcpt for _peer, message_id, rcpt in peer_smtp.messages}
    assert len(peer_smtp.messages) == 30
    assert got == expected
    # over at most two SMTP connections, kept open for the whole run
    assert len({peer for peer, _id, _rcpt in peer_smtp.messages}) <= 2
    assert set(M.objects.values_list("status", flat=True)) == {M.Status.SENT}


def test_consent_withdrawn_between_the_claim_and_the_send_is_respected(sms_gateway, monkeypatch):
    # given three due SMS reminders, and the second customer withdraws SMS consent right after
    # the run claimed its batch
    first, second, third = (make_message(at=MORNING - dt.timedelta(minutes=m)) for m in (3, 2, 1))
    real_claim = services.messages_claim

    def claim_then_withdraw(**kwargs):
        ids = real_claim(**kwargs)
        if ids:
            type(second.customer).objects.filter(pk=second.customer_id).update(consent_sms=False)
        return ids

    monkeypatch.setattr(services, "messages_claim", claim_then_withdraw)
    # when the run sends the batch
    totals = services.messages_dispatch_due(now=MORNING)
    # then the second is skipped as opted out and never reaches the gateway
    assert totals == {"sent": 2, "skipped": 1}
    assert sorted(r["body"]["reference"] for r in sms_gateway.requests) == sorted([str(first.pk), str(third.pk)])
    second.refresh_from_db()
    assert (second.status, second.skip_reason) == (M.Status.SKIPPED, M.SkipReason.OPTED_OUT)


def test_two_reminders_of_one_customer_in_one_chunk_send_one_and_defer_the_other(sms_gateway):
    # given two customers' reminders first, then two of a third customer: the third chunk (two
    # rows, after chunks of one and one) holds both of the third customer's
    make_message(at=MORNING - dt.timedelta(minutes=4))
    make_message(at=MORNING - dt.timedelta(minutes=3))
    customer = CustomerFactory()
    pair = [make_message(customer=customer, at=MORNING - dt.timedelta(minutes=m)) for m in (2, 1)]
    # when one run sends them
    totals = services.messages_dispatch_due(now=MORNING)
    # then the customer got one SMS; the other waits for the next morning under the daily cap
    assert totals == {"sent": 3, "deferred": 1}
    assert sum(1 for r in sms_gateway.requests if r["body"]["to"] == customer.phone) == 1
    states = sorted(M.objects.filter(pk__in=[m.pk for m in pair]).values_list("status", "defer_reason"))
    assert states == [(M.Status.SCHEDULED, M.DeferReason.DAILY_CAP), (M.Status.SENT, "")]
    assert CustomerDayClaim.objects.filter(customer=customer).count() == 1


def test_a_send_that_cannot_start_within_its_lease_goes_back_without_counting_an_attempt(sms_gateway, monkeypatch):
    # given a due row, and a run whose clock reads the run start, the claim, the batch window and the
    # lease renewal at 0 s, then past the lease minus the longest send when the send would start (and
    # past the batch window, so the row is not tried again in this batch)
    message = make_message()
    late = max(
        services.conf.lease_seconds() - services.conf.longest_send_seconds() + 1, services.conf.batch_window_seconds()
    )
    readings = iter([0.0, 0.0, 0.0, 0.0])
    monkeypatch.setattr(services, "_clock", lambda: next(readings, late))
    # when one batch is worked through
    totals = services.messages_dispatch_due(now=MORNING, max_batches=1)
    # then nothing was sent; the row is due again at once, its attempt and day claim given back
    assert totals == {"released": 1}
    assert sms_gateway.requests == []
    message.refresh_from_db()
    assert (message.status, message.attempts, message.lease_token) == (M.Status.SCHEDULED, 0, None)
    assert not CustomerDayClaim.objects.filter(message_id=message.pk).exists()


@override_settings(EMAIL_TIMEOUT=1)
def test_no_send_starts_after_the_batch_window_even_with_lease_to_spare(sms_gateway, monkeypatch):
    # given short sends (1 s SMTP timeout: the lease minus the longest send is well past the window)
    # and a run whose clock is 1 s past the batch window when the send would start
    message = make_message()
    window = services.conf.batch_window_seconds()
    assert services.conf.lease_seconds() - services.conf.longest_send_seconds() > window + 1
    readings = iter([0.0, 0.0, 0.0, 0.0])
    monkeypatch.setattr(services, "_clock", lambda: next(readings, window + 1))
    # when one batch is worked through
    totals = services.messages_dispatch_due(now=MORNING, max_batches=1)
    # then the send did not start (the task's time limits count on the last send starting in the
    # window); the row is due again at once
    assert totals == {"released": 1}
    assert sms_gateway.requests == []
    message.refresh_from_db()
    assert (message.status, message.attempts) == (M.Status.SCHEDULED, 0)


def test_the_sms_backend_keeps_one_connection_across_sends():
    from bench.sinks import SinkProcess
    from notifications.backends import Outgoing
    from notifications.backends.sms import HttpSmsBackend

    # given the keep-alive gateway of the bench, in its own process
    with SinkProcess("gateway") as gateway:
        backend = HttpSmsBackend(url=gateway.url, token="t")
        # when 20 messages go out, one of them twice (same key)
        ids = [backend.send(Outgoing(str(n), "sms", "+8613800000000", "", f"text {n}")) for n in range(20)]
        connection = backend._connection
        again = backend.send(Outgoing("7", "sms", "+8613800000000", "", "text 7"))
        stats = gateway.stats()
        backend.close()
    # then they went over one connection, and the repeat was answered, not sent twice
    assert ids == [f"gw-{n}" for n in range(20)] and again == "gw-7"
    assert connection is not None
    assert (stats["accepted"], stats["suppressed"]) == (20, 1)
