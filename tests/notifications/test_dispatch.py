"""Dispatch: claiming with a lease, channel backends, retries, quiet hours, the daily cap, proofs."""

import contextlib
import datetime as dt
import hashlib
import hmac
import json
import socket
import threading
import time
import uuid
import zoneinfo
from email import message_from_bytes, policy

import pytest
from django.conf import settings
from django.db import DatabaseError, transaction
from django.test import override_settings
from django.utils import timezone

from notifications import services
from notifications.models import NoticeProof, OutboundMessage
from renewals.models import CaseEvent, Stage
from tests.customers.factories import CustomerFactory
from tests.notifications.factories import OutboundMessageFactory, step
from tests.renewals.factories import PolicyFactory, RenewalCaseFactory

pytestmark = pytest.mark.django_db
M = OutboundMessage
SHANGHAI = zoneinfo.ZoneInfo("Asia/Shanghai")
# 10:00 in Shanghai: outside the SMS quiet hours.
MORNING = dt.datetime(2026, 12, 1, 10, 0, tzinfo=SHANGHAI)


def make_message(*, channel="sms", offset=-30, customer=None, at=MORNING, **kwargs):
    customer = customer or CustomerFactory()
    case = RenewalCaseFactory(policy=PolicyFactory(end_date=dt.date(2026, 12, 31), customer=customer))
    return OutboundMessageFactory(
        case=case, step=step("auto", offset, channel), scheduled_for=at, next_attempt_at=at, **kwargs
    )


def dispatch(now):
    return services.messages_dispatch_due(now=now)


def test_real_smtp_server_receives_the_rendered_notice_and_proof_is_kept(smtp_server):
    # given the statutory notice of an English-speaking customer, planned for now
    customer = CustomerFactory(preferred_language="en", name="Ada Lovelace")
    message = make_message(channel="email", offset=-45, customer=customer)
    # when dispatch runs
    totals = dispatch(MORNING)
    # then the SMTP server received the rendered email, addressed to the customer
    assert totals == {"sent": 1}
    assert len(smtp_server.messages) == 1
    envelope = smtp_server.messages[0]
    assert envelope.rcpt_tos == [customer.email]
    email = message_from_bytes(envelope.original_content, policy=policy.default)
    body = email.get_body().get_content()
    assert "Renewal notice" in email["Subject"]
    assert "Dear Ada Lovelace" in body
    assert "/offer/" in body and "/unsubscribe/" in body
    assert message.case.policy.number not in body  # masked
    assert message.case.policy.number[-4:] in body
    # and the row, the immutable proof and the case timeline record it
    message.refresh_from_db()
    assert message.status == M.Status.SENT
    assert message.provider_message_id == email["Message-ID"]
    proof = NoticeProof.objects.get(case=message.case)
    assert proof.content_hash == message.content_hash == services.content_hash(message.subject, message.body)
    assert proof.address == customer.email
    assert proof.deadline == dt.date(2026, 11, 16)
    assert CaseEvent.objects.filter(case=message.case, kind="reminder", payload__status="sent").exists()


def test_notice_proof_cannot_be_changed_in_the_database(smtp_server):
    make_message(channel="email", offset=-45)
    dispatch(MORNING)
    proof = NoticeProof.objects.get()
    with pytest.raises(DatabaseError), transaction.atomic():
        NoticeProof.objects.filter(pk=proof.pk).update(address="someone-else@example.com")
    with pytest.raises(ValueError):
        proof.save()


def test_chinese_customer_gets_the_chinese_text(sms_gateway):
    make_message(customer=CustomerFactory(preferred_language="zh-hans", name="李娜"))
    dispatch(MORNING)
    text = sms_gateway.requests[0]["body"]["text"]
    assert text.startswith("李娜您好")
    assert "车险" in text


def test_http_gateway_gets_json_with_token_and_idempotency_key(sms_gateway):
    message = make_message()
    dispatch(MORNING)
    request = sms_gateway.requests[0]
    assert request["headers"]["Idempotency-Key"] == str(message.pk)
    assert request["headers"]["Authorization"] == "Bearer gw-token"
    assert request["body"]["to"] == message.customer.phone
    message.refresh_from_db()
    assert message.status == M.Status.SENT
    assert message.provider_message_id == f"gw-{message.pk}"


def test_gateway_503_is_retried_with_backoff_then_sent(sms_gateway):
    # given a gateway that fails once with 503
    sms_gateway.statuses = [503]
    message = make_message()
    # when dispatch runs: the row goes back with its next attempt a minute later
    assert dispatch(MORNING) == {"retry": 1}
    message.refresh_from_db()
    assert message.status == M.Status.SCHEDULED
    assert message.attempts == 1
    assert message.next_attempt_at == MORNING + dt.timedelta(seconds=60)
    assert "503" in message.error
    # and before that time nothing is sent; after it, the retry succeeds
    assert dispatch(MORNING + dt.timedelta(seconds=30)) == {}
    assert dispatch(MORNING + dt.timedelta(seconds=61)) == {"sent": 1}
    message.refresh_from_db()
    assert message.status == M.Status.SENT
    assert message.attempts == 2
    assert [r["headers"]["Idempotency-Key"] for r in sms_gateway.requests] == [str(message.pk)] * 2


@override_settings(REMINDER_MAX_ATTEMPTS=3)
def test_gateway_gives_up_after_the_last_try_with_the_reason(sms_gateway):
    sms_gateway.statuses = [503, 503, 503]
    message = make_message()
    now = MORNING
    outcomes = []
    for _ in range(3):
        outcomes.append(dispatch(now))
        now += dt.timedelta(hours=1)
    assert outcomes == [{"retry": 1}, {"retry": 1}, {"failed": 1}]
    message.refresh_from_db()
    assert message.status == M.Status.FAILED
    assert message.error == "gateway HTTP 503"
    assert len(sms_gateway.requests) == 3
    assert CaseEvent.objects.filter(case=message.case, kind="reminder", payload__status="failed").exists()
    assert dispatch(now) == {}


def test_permanent_gateway_error_fails_at_once(sms_gateway):
    sms_gateway.statuses = [400]
    message = make_message()
    assert dispatch(MORNING) == {"failed": 1}
    message.refresh_from_db()
    assert message.attempts == 1
    assert message.error == "gateway HTTP 400"


def test_expired_lease_is_sent_again_with_the_same_key(sms_gateway):
    # given a worker that claimed the row and reached the gateway, then died before recording
    message = make_message()
    assert services.messages_claim(lease_token=uuid.uuid4(), now=MORNING) == [message.pk]
    from notifications.backends import Outgoing, get_backend

    get_backend("sms").send(Outgoing(str(message.pk), "sms", message.customer.phone, "", "first try"))
    # when another dispatch runs before the lease expires, the row is left alone
    assert dispatch(MORNING + dt.timedelta(seconds=60)) == {}
    # and after it expired, the row is sent once more with the same idempotency key
    assert dispatch(MORNING + dt.timedelta(seconds=301)) == {"sent": 1}
    keys = [r["headers"]["Idempotency-Key"] for r in sms_gateway.requests]
    assert keys == [str(message.pk), str(message.pk)]
    message.refresh_from_db()
    assert message.status == M.Status.SENT
    assert message.attempts == 2


def test_two_claims_never_get_the_same_rows():
    first = [make_message() for _ in range(3)]
    claimed_a = services.messages_claim(lease_token=uuid.uuid4(), now=MORNING, limit=2)
    claimed_b = services.messages_claim(lease_token=uuid.uuid4(), now=MORNING, limit=2)
    assert len(claimed_a) == 2
    assert len(claimed_b) == 1
    assert set(claimed_a) | set(claimed_b) == {m.pk for m in first}


def test_sms_in_quiet_hours_is_deferred_to_the_morning_not_dropped():
    # given an SMS due at 22:00 in Shanghai (the site's zone, the customer has none)
    night = dt.datetime(2026, 12, 1, 22, 0, tzinfo=SHANGHAI)
    message = make_message(at=night)
    # when dispatch runs at night
    assert dispatch(night) == {"deferred": 1}
    # then it waits until 08:00 the next morning, without using up an attempt
    message.refresh_from_db()
    assert message.status == M.Status.SCHEDULED
    assert message.defer_reason == M.DeferReason.QUIET_HOURS
    assert message.next_attempt_at == dt.datetime(2026, 12, 2, 8, 0, tzinfo=SHANGHAI)
    assert message.attempts == 0
    assert dispatch(dt.datetime(2026, 12, 2, 8, 0, tzinfo=SHANGHAI)) == {"sent": 1}


def test_quiet_hours_follow_the_customers_time_zone():
    # 22:00 in Shanghai is 14:00 in London: a London customer gets the SMS now
    night = dt.datetime(2026, 12, 1, 22, 0, tzinfo=SHANGHAI)
    make_message(at=night, customer=CustomerFactory(time_zone="Europe/London"))
    assert dispatch(night) == {"sent": 1}


def test_at_most_one_message_per_customer_per_day_later_ones_deferred():
    # given two reminders of one customer's two policies, both due now
    customer = CustomerFactory()
    first = make_message(customer=customer)
    second = make_message(customer=customer)
    # when dispatch runs
    assert dispatch(MORNING) == {"sent": 1, "deferred": 1}
    # then the second waits for the next morning
    second.refresh_from_db()
    assert second.status == M.Status.SCHEDULED
    assert second.defer_reason == M.DeferReason.DAILY_CAP
    assert second.next_attempt_at == dt.datetime(2026, 12, 2, 8, 0, tzinfo=SHANGHAI)
    first.refresh_from_db()
    assert first.status == M.Status.SENT
    # and a later run on the same day still holds it back (the cap reads what was sent today)
    assert dispatch(MORNING + dt.timedelta(hours=2)) == {}


def test_statutory_notice_is_exempt_from_the_daily_cap(smtp_server):
    # given a customer who got a reminder at 09:00, before their notice was due (issue 12: a reminder
    # due together with the notice now yields to it, see test_notice_channels.py)
    customer = CustomerFactory()
    make_message(customer=customer, at=MORNING.replace(hour=9))
    assert dispatch(MORNING.replace(hour=9)) == {"sent": 1}
    # when the notice falls due later that day, it goes out all the same
    make_message(channel="email", offset=-45, customer=customer)
    assert dispatch(MORNING) == {"sent": 1}


def test_message_of_a_case_closed_after_planning_is_skipped():
    message = make_message()
    type(message.case).objects.filter(pk=message.case_id).update(stage=Stage.LAPSED)
    assert dispatch(MORNING) == {"skipped": 1}
    message.refresh_from_db()
    assert message.skip_reason == M.SkipReason.CASE_CLOSED


def test_customer_who_opted_out_after_planning_is_skipped():
    message = make_message()
    type(message.customer).objects.filter(pk=message.customer_id).update(consent_sms=False)
    assert dispatch(MORNING) == {"skipped": 1}
    message.refresh_from_db()
    assert message.skip_reason == M.SkipReason.OPTED_OUT


def test_call_steps_are_not_dispatched():
    make_message(channel="call", offset=-7)
    assert dispatch(MORNING) == {}


def test_dispatch_command_sends_what_is_due(capsys):
    from django.core.management import call_command

    make_message(at=timezone.now() - dt.timedelta(minutes=1))
    call_command("dispatch_messages")
    out = capsys.readouterr().out
    assert "sent 1" in out or "deferred 1" in out  # deferred only when run during quiet hours


def sign(body: bytes, secret: str = "hook-secret") -> str:
    return "sha256=" + hmac.new(secret.encode(), body, hashlib.sha256).hexdigest()


@override_settings(SMS_WEBHOOK_SECRET="hook-secret")
def test_signed_delivery_webhook_marks_delivered_and_failed(client, sms_gateway):
    message = make_message()
    dispatch(MORNING)
    message.refresh_from_db()
    body = json.dumps({"id": message.provider_message_id, "status": "delivered"}).encode()
    response = client.post(
        "/notifications/webhooks/sms/", body, content_type="application/json", headers={"X-Signature": sign(body)}
    )
    assert response.status_code == 200
    assert response.json() == {"updated": 1}
    message.refresh_from_db()
    assert message.delivery_status == M.Delivery.DELIVERED
    body = json.dumps({"reference": str(message.pk), "status": "failed", "error": "handset off"}).encode()
    client.post(
        "/notifications/webhooks/sms/", body, content_type="application/json", headers={"X-Signature": sign(body)}
    )
    message.refresh_from_db()
    assert message.delivery_status == M.Delivery.FAILED
    assert message.error == "handset off"


@override_settings(SMS_WEBHOOK_SECRET="hook-secret")
def test_webhook_with_a_bad_signature_is_refused(client):
    message = make_message()
    body = json.dumps({"reference": str(message.pk), "status": "delivered"}).encode()
    response = client.post(
        "/notifications/webhooks/sms/",
        body,
        content_type="application/json",
        headers={"X-Signature": sign(body, "wrong-secret")},
    )
    assert response.status_code == 403
    message.refresh_from_db()
    assert message.delivery_status == ""


def test_one_run_sends_several_emails_over_one_kept_open_smtp_connection(smtp_server):
    messages = [make_message(channel="email", offset=-45) for _ in range(3)]
    assert dispatch(MORNING) == {"sent": 3}
    assert sorted(e.rcpt_tos[0] for e in smtp_server.messages) == sorted(m.customer.email for m in messages)


def test_send_now_task_sends_one_due_message(smtp_server):
    from notifications.tasks import send_message

    message = make_message(channel="email", offset=-45, at=timezone.now())
    assert send_message(message.pk) == "sent"
    assert send_message(message.pk) == "not_due"  # already sent: nothing happens twice
    assert len(smtp_server.messages) == 1


@override_settings(SMS_WEBHOOK_SECRET="")
def test_webhook_is_off_without_a_secret(client):
    response = client.post("/notifications/webhooks/sms/", b"{}", content_type="application/json")
    assert response.status_code == 503


def test_admin_lists_the_outbox_read_only(admin_client):
    message = make_message()
    response = admin_client.get("/admin/notifications/outboundmessage/")
    assert response.status_code == 200
    assert str(message.pk) in response.content.decode()
    assert admin_client.get(f"/admin/notifications/outboundmessage/{message.pk}/delete/").status_code == 403


@override_settings(REMINDER_MAX_ATTEMPTS=2)
def test_a_row_whose_worker_keeps_dying_is_failed_after_the_last_attempt():
    message = make_message()
    now = MORNING
    for _ in range(2):  # two workers claim it and die without an answer
        assert services.messages_claim(lease_token=uuid.uuid4(), now=now) == [message.pk]
        now += dt.timedelta(minutes=6)
    assert dispatch(now) == {"failed": 1}
    message.refresh_from_db()
    assert message.status == M.Status.FAILED
    assert message.error == "no answer after the last attempt"


def test_an_unexpected_error_on_one_row_does_not_stop_the_batch(monkeypatch):
    from notifications.services import dispatch as services

    broken, fine = make_message(), make_message()
    real_render = services.message_render

    def render(*, message):
        if message.pk == broken.pk:
            raise KeyError("boom")
        return real_render(message=message)

    monkeypatch.setattr(services, "message_render", render)
    assert dispatch(MORNING) == {"retry": 1, "sent": 1}
    broken.refresh_from_db()
    fine.refresh_from_db()
    assert (broken.status, broken.error) == (M.Status.SCHEDULED, "internal error: KeyError")
    assert fine.status == M.Status.SENT


def test_send_now_retries_a_failed_notice_with_fresh_attempts(smtp_server):
    from notifications.tasks import send_message
    from tests.conftest import make_user

    message = make_message(channel="email", offset=-45, at=timezone.now())
    M.objects.filter(pk=message.pk).update(status=M.Status.FAILED, attempts=5, error="SMTP 550")
    manager = make_user("boss-send-now", "manager")
    again = services.notice_send_now(case_id=message.case_id, actor=manager)
    assert (again.pk, again.status, again.attempts) == (message.pk, M.Status.SCHEDULED, 0)
    assert send_message(message.pk) == "sent"


def test_dispatch_command_date_sends_what_was_due_by_the_end_of_that_day(capsys):
    from django.core.mail import outbox
    from django.core.management import call_command

    # given one notice due just before the end of a day two days ago and one just after it
    zone = zoneinfo.ZoneInfo(settings.TIME_ZONE)
    day = timezone.localdate() - dt.timedelta(days=2)
    end_of_day = dt.datetime.combine(day, dt.time(23, 59, 59), tzinfo=zone)
    on_the_day = make_message(channel="email", offset=-45, at=end_of_day - dt.timedelta(seconds=30))
    the_day_after = make_message(channel="email", offset=-45, at=end_of_day + dt.timedelta(seconds=31))
    # when dispatch runs for that day
    call_command("dispatch_messages", "--date", day.isoformat())
    # then only what was due by the end of that day is sent
    assert f"sent 1 (due by {end_of_day.isoformat()})" in capsys.readouterr().out
    assert [m.to for m in outbox] == [[on_the_day.customer.email]]
    the_day_after.refresh_from_db()
    assert the_day_after.status == M.Status.SCHEDULED
    # and a date in the future sends what is due now, nothing that is due later
    due_in_an_hour = make_message(channel="email", offset=-45, at=timezone.now() + dt.timedelta(hours=1))
    call_command("dispatch_messages", "--date", (timezone.localdate() + dt.timedelta(days=1)).isoformat())
    assert "sent 1" in capsys.readouterr().out
    the_day_after.refresh_from_db()
    due_in_an_hour.refresh_from_db()
    assert (the_day_after.status, due_in_an_hour.status) == (M.Status.SENT, M.Status.SCHEDULED)


@override_settings(SMS_WEBHOOK_SECRET="hook-secret")
@pytest.mark.parametrize(
    "payload",
    [
        {"reference": "9" * 40},  # beyond any row id (bigint)
        {"reference": "12a"},
        {"reference": "١٢٣"},  # Arabic-Indic digits: str.isdigit() says yes
        {"reference": "²"},
        {"reference": -5},
        {"reference": "1 OR 1=1"},
        {"id": "x" * 201},  # longer than any provider id we store
    ],
)
def test_webhook_answers_400_to_a_reference_that_is_not_a_message_number(client, payload):
    message = make_message()
    body = json.dumps({**payload, "status": "delivered"}).encode()
    response = client.post(
        "/notifications/webhooks/sms/", body, content_type="application/json", headers={"X-Signature": sign(body)}
    )
    assert response.status_code == 400
    message.refresh_from_db()
    assert message.delivery_status == ""


@override_settings(SMS_WEBHOOK_SECRET="hook-secret")
def test_webhook_accepts_a_numeric_reference_and_an_unknown_one_updates_nothing(client):
    message = make_message()
    for reference, updated in ((message.pk, 1), (10**17, 0)):
        body = json.dumps({"reference": reference, "status": "delivered"}).encode()
        response = client.post(
            "/notifications/webhooks/sms/", body, content_type="application/json", headers={"X-Signature": sign(body)}
        )
        assert (response.status_code, response.json()) == (200, {"updated": updated})
    message.refresh_from_db()
    assert message.delivery_status == M.Delivery.DELIVERED


@pytest.fixture
def silent_smtp_server():
    """A mail server that accepts connections and never answers (hung), hanging up after 4 s."""
    listener = socket.create_server(("127.0.0.1", 0))
    listener.settimeout(0.1)
    stop = threading.Event()

    def serve():
        open_connections = []
        while not stop.is_set():
            with contextlib.suppress(TimeoutError):
                connection, _address = listener.accept()
                open_connections.append((time.monotonic(), connection))
            for opened, connection in list(open_connections):
                if time.monotonic() - opened > 4:
                    connection.close()
                    open_connections.remove((opened, connection))
        for _opened, connection in open_connections:
            connection.close()

    thread = threading.Thread(target=serve, daemon=True)
    thread.start()
    with override_settings(
        EMAIL_BACKEND="django.core.mail.backends.smtp.EmailBackend",
        EMAIL_HOST="127.0.0.1",
        EMAIL_PORT=listener.getsockname()[1],
        EMAIL_HOST_USER="",
        EMAIL_HOST_PASSWORD="",
        EMAIL_USE_TLS=False,
        EMAIL_USE_SSL=False,
    ):
        yield
    stop.set()
    thread.join()
    listener.close()


def test_smtp_operations_are_bounded_by_email_timeout_by_default(smtp_server):
    # given the project's settings (the SMTP fixture does not override the timeout)
    from notifications.backends import Outgoing
    from notifications.backends.email import EmailBackend

    backend = EmailBackend()
    # when a message is sent over a kept-open connection
    backend.send(Outgoing("1", "email", "ada@example.com", "Subject", "Body"))
    # then every socket operation on it is bounded by EMAIL_TIMEOUT, 30 s unless configured
    assert settings.EMAIL_TIMEOUT == 30
    assert backend._connection.connection.sock.gettimeout() == 30
    backend.close()
    assert len(smtp_server.messages) == 1


@override_settings(EMAIL_TIMEOUT=1)
def test_a_mail_server_that_never_answers_is_a_temporary_failure_not_a_hang(silent_smtp_server):
    # given a notice due now and a mail server that accepts the connection and says nothing
    message = make_message(channel="email", offset=-45)
    # when dispatch runs
    started = time.monotonic()
    totals = dispatch(MORNING)
    # then it gives up after EMAIL_TIMEOUT and retries later instead of hanging the run
    assert time.monotonic() - started < 3
    assert totals == {"retry": 1}
    message.refresh_from_db()
    assert message.status == M.Status.SCHEDULED
    assert "timed out" in message.error.lower() or "timeout" in message.error.lower()
