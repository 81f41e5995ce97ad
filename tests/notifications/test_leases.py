"""Leases: a row is sent by at most one worker, even when a slow run's lease expires and another
run claims the row again; a run gives back what it cannot send within its lease."""

import datetime as dt
import uuid

import pytest

from notifications import conf
from notifications.backends.sms import HttpSmsBackend
from notifications.models import OutboundMessage
from notifications.services import dispatch as services
from tests.notifications.test_dispatch import MORNING, make_message

pytestmark = pytest.mark.django_db
M = OutboundMessage
AFTER_THE_LEASE = MORNING + dt.timedelta(seconds=conf.lease_seconds() + 1)


def test_a_worker_whose_expired_lease_was_taken_over_does_not_send_the_row(sms_gateway):
    # given worker A claimed the row and its lease expired while it was busy with other rows
    message = make_message()
    worker_a, worker_b = uuid.uuid4(), uuid.uuid4()
    assert services.messages_claim(lease_token=worker_a, now=MORNING) == [message.pk]
    # and worker B claimed the row again after the lease expired
    assert services.messages_claim(lease_token=worker_b, now=AFTER_THE_LEASE) == [message.pk]
    # when A gets to the row, then B sends it, then A tries once more
    first_try_of_a = services.message_dispatch(message_id=message.pk, lease_token=worker_a, now=AFTER_THE_LEASE)
    send_of_b = services.message_dispatch(message_id=message.pk, lease_token=worker_b, now=AFTER_THE_LEASE)
    second_try_of_a = services.message_dispatch(message_id=message.pk, lease_token=worker_a, now=AFTER_THE_LEASE)
    # then only B sent it: the gateway received exactly one message
    assert (first_try_of_a, send_of_b, second_try_of_a) == ("lease_lost", "sent", "gone")
    assert len(sms_gateway.requests) == 1
    message.refresh_from_db()
    assert (message.status, message.provider_message_id, message.lease_token) == (
        M.Status.SENT,
        f"gw-{message.pk}",
        None,
    )


def test_a_row_taken_over_between_the_checks_and_the_send_is_not_sent_twice(sms_gateway, monkeypatch):
    # given three due messages, in this order, that run A claims in one batch
    first, second, third = (make_message(at=MORNING - dt.timedelta(minutes=m)) for m in (3, 2, 1))
    real_render = services.message_render
    run_b = {}

    def render_while_run_b_takes_over(*, message):
        # A has checked the second row and is rendering it when its lease expires and run B
        # claims and sends everything still sending (the second and third rows)
        if message.pk == second.pk and "started" not in run_b:
            run_b["started"] = True
            run_b.update(services.messages_dispatch_due(now=AFTER_THE_LEASE))
        return real_render(message=message)

    monkeypatch.setattr(services, "message_render", render_while_run_b_takes_over)
    # when run A works through its batch
    totals_a = services.messages_dispatch_due(now=MORNING)
    # then A sent the first row only; it skipped the second at the lease renewal right before the
    # send and the third at its first read; B sent the other two
    assert totals_a == {"sent": 1, "lease_lost": 1, "gone": 1}
    assert run_b == {"started": True, "sent": 2}
    # and the gateway received each message exactly once
    references = sorted(request["body"]["reference"] for request in sms_gateway.requests)
    assert references == sorted(str(m.pk) for m in (first, second, third))
    assert set(M.objects.values_list("status", flat=True)) == {M.Status.SENT}


def test_a_worker_cannot_record_a_failure_or_a_deferral_on_a_row_it_no_longer_holds():
    # given a row claimed by A, then re-claimed by B after A's lease expired
    message = make_message()
    worker_a, worker_b = uuid.uuid4(), uuid.uuid4()
    services.messages_claim(lease_token=worker_a, now=MORNING)
    services.messages_claim(lease_token=worker_b, now=AFTER_THE_LEASE)
    # when A reports a failure, a deferral, a skip and a renewal
    failure = services.message_record_failure(message_id=message.pk, lease_token=worker_a, error="x", temporary=True)
    deferred = services.message_defer(message_id=message.pk, lease_token=worker_a, until=MORNING, reason="quiet_hours")
    skipped = services.message_skip(message_id=message.pk, lease_token=worker_a, reason=M.SkipReason.OPTED_OUT)
    renewed = services.message_lease_renew(message_id=message.pk, lease_token=worker_a, now=AFTER_THE_LEASE)
    # then nothing changed: the row is still B's
    assert (failure, deferred, skipped, renewed) == ("gone", 0, 0, False)
    message.refresh_from_db()
    assert (message.status, message.lease_token, message.error) == (M.Status.SENDING, worker_b, "")


class FakeClock:
    """The run's monotonic clock, moved on by the slow provider instead of sleeping."""

    def __init__(self):
        self.seconds = 1000.0

    def __call__(self):
        return self.seconds


def test_a_slow_provider_never_keeps_a_batch_past_half_its_lease_nor_the_run_past_its_budget(sms_gateway, monkeypatch):
    # given five due messages (one batch) and a gateway that takes 100 s per message
    messages = [make_message() for _ in range(5)]
    clock = FakeClock()
    monkeypatch.setattr(services, "_clock", clock)
    real_send = HttpSmsBackend.send

    def slow_send(self, outgoing):
        clock.seconds += 100
        return real_send(self, outgoing)

    monkeypatch.setattr(HttpSmsBackend, "send", slow_send)
    # when a run with the 300 s lease and a 120 s budget works through them
    totals = services.messages_dispatch_due(now=MORNING, budget_seconds=120)
    # then it sends only within half the lease of the claim (two messages, 200 s), gives the other
    # three back due at once without counting an attempt, and claims no further batch
    assert totals == {"sent": 2, "released": 3}
    assert len(sms_gateway.requests) == 2
    rows = M.objects.filter(pk__in=[m.pk for m in messages], status=M.Status.SCHEDULED)
    assert rows.count() == 3
    assert {(r.attempts, r.next_attempt_at, r.lease_token) for r in rows} == {(0, MORNING, None)}
    # and the next run can claim them straight away
    assert len(services.messages_claim(lease_token=uuid.uuid4(), now=MORNING)) == 3


def test_the_dispatch_task_time_limit_covers_a_whole_run_and_the_lease_covers_a_send():
    from notifications.tasks import dispatch_messages

    longest_run = conf.dispatch_budget_seconds() + conf.batch_window_seconds() + conf.longest_send_seconds()
    assert dispatch_messages.soft_time_limit > longest_run
    assert dispatch_messages.time_limit > dispatch_messages.soft_time_limit
    # a row's lease is renewed right before its send and must outlast the slowest send
    assert conf.lease_seconds() > conf.longest_send_seconds()
    assert conf.batch_window_seconds() < conf.lease_seconds()


def test_a_run_stopped_by_the_task_time_limit_releases_the_rows_it_had_not_started(sms_gateway, monkeypatch):
    from celery.exceptions import SoftTimeLimitExceeded

    # given three due messages, in this order, and a run whose soft time limit fires on the second
    first, second, third = (make_message(at=MORNING - dt.timedelta(minutes=m)) for m in (3, 2, 1))
    real_render = services.message_render

    def render(*, message):
        if message.pk == second.pk:
            raise SoftTimeLimitExceeded()
        return real_render(message=message)

    monkeypatch.setattr(services, "message_render", render)
    # when the run is interrupted
    with pytest.raises(SoftTimeLimitExceeded):
        services.messages_dispatch_due(now=MORNING)
    # then the first is sent, the interrupted one keeps its lease, and the third is due again at once
    statuses = dict(M.objects.values_list("pk", "status"))
    assert statuses == {first.pk: M.Status.SENT, second.pk: M.Status.SENDING, third.pk: M.Status.SCHEDULED}
    assert len(sms_gateway.requests) == 1
