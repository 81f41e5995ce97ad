"""The statutory notice reaches every customer: each line's ordered notice channels (email, then SMS,
then a printed letter recorded by a manager), and a reminder yields to the notice on its day."""

import datetime as dt

import pytest
from django.db import DatabaseError, transaction
from django.utils import timezone

from notifications import services
from notifications.models import NoticeProof, OutboundMessage
from renewals.models import CaseEvent
from tests.customers.factories import CustomerFactory
from tests.notifications.factories import OutboundMessageFactory, step
from tests.notifications.test_dispatch import MORNING, SHANGHAI, make_message
from tests.renewals.factories import PolicyFactory, RenewalCaseFactory

pytestmark = pytest.mark.django_db
MessageStatus = OutboundMessage.Status


def notice_for(customer, *, at=MORNING):
    return make_message(channel="email", offset=-45, customer=customer, at=at)


# --- dispatch picks the first channel the customer can receive ------------------------------


def test_a_customer_without_email_gets_the_notice_by_sms_with_its_proof(sms_gateway):
    # given a notice planned by email for a customer who has no email address
    customer = CustomerFactory(email="", preferred_language="en")
    notice = notice_for(customer)
    # when dispatch runs
    assert services.messages_dispatch_due(now=MORNING) == {"sent": 1}
    # then the gateway got the notice text on the customer's phone
    assert [request["body"]["to"] for request in sms_gateway.requests] == [customer.phone]
    assert sms_gateway.requests[0]["body"]["text"].startswith("Renewal notice:")
    # and the proof names the SMS channel and the phone
    notice.refresh_from_db()
    assert (notice.status, notice.channel) == (MessageStatus.SENT, "sms")
    proof = NoticeProof.objects.get(case=notice.case)
    assert (proof.channel, proof.address) == ("sms", customer.phone)


def test_a_customer_who_opted_out_of_email_gets_the_notice_in_chinese_by_sms(sms_gateway):
    customer = CustomerFactory(consent_email=False, preferred_language="zh-hans")
    notice_for(customer)
    assert services.messages_dispatch_due(now=MORNING) == {"sent": 1}
    assert sms_gateway.requests[0]["body"]["text"].startswith("续保通知")


def test_a_marketing_opt_out_never_blocks_the_notice(smtp_server):
    customer = CustomerFactory(marketing_opt_out=True)
    notice_for(customer)
    assert services.messages_dispatch_due(now=MORNING) == {"sent": 1}
    assert smtp_server.messages[0].rcpt_tos == [customer.email]


def test_a_customer_with_neither_email_nor_sms_waits_for_a_printed_letter(sms_gateway, smtp_server):
    # given a customer who can get neither email nor SMS
    customer = CustomerFactory(email="", consent_sms=False)
    notice = notice_for(customer)
    # when dispatch runs (twice)
    first = services.messages_dispatch_due(now=MORNING)
    second = services.messages_dispatch_due(now=MORNING + dt.timedelta(minutes=1))
    # then nothing is sent electronically and the notice waits for a person to post a letter
    assert (first, second) == ({"letter": 1}, {})
    assert sms_gateway.requests == [] and smtp_server.messages == []
    notice.refresh_from_db()
    assert (notice.status, notice.channel) == (MessageStatus.SCHEDULED, "letter")
    assert not NoticeProof.objects.exists()


def test_planning_no_longer_skips_the_notice_of_a_customer_without_email():
    from notifications.services import reminders_plan

    due = dt.date(2026, 12, 31)
    case = RenewalCaseFactory(policy=PolicyFactory(end_date=due, customer=CustomerFactory(email="")))
    reminders_plan(on_date=due - dt.timedelta(days=40))
    notice = OutboundMessage.objects.get(case=case, is_notice=True)
    assert (notice.status, notice.skip_reason) == (MessageStatus.SCHEDULED, "")


def test_unsubscribing_from_email_leaves_the_notice_to_go_by_sms(sms_gateway):
    customer = CustomerFactory(preferred_language="en")
    notice = notice_for(customer)
    services.customer_consent_withdraw(customer_id=customer.pk, channel="email")
    notice.refresh_from_db()
    assert notice.status == MessageStatus.SCHEDULED
    assert services.messages_dispatch_due(now=MORNING) == {"sent": 1}
    assert sms_gateway.requests[0]["body"]["to"] == customer.phone


# --- the watchlist: which channel, send now, a manager's letter ------------------------------


def watch_case(customer, *, days_to_expiry=44):
    """An open auto case whose notice deadline (expiry − 45 days) has passed."""
    return RenewalCaseFactory(
        policy=PolicyFactory(end_date=timezone.localdate() + dt.timedelta(days=days_to_expiry), customer=customer)
    )


def row_of(page: str, name: str) -> str:
    """The table row of the watchlist page that names ``name``."""
    return next(row for row in page.split("<tr") if name in row)


def test_the_watchlist_shows_which_channel_the_notice_will_use(client_for, manager, django_assert_max_num_queries):
    by_email = watch_case(CustomerFactory(name="Email Person"))
    by_sms = watch_case(CustomerFactory(name="Sms Person", email=""))
    by_letter = watch_case(CustomerFactory(name="Letter Person", email="", phone=""))
    client = client_for(manager)
    with django_assert_max_num_queries(9):
        response = client.get("/notifications/watchlist/")
    text = response.content.decode()
    assert 'data-notice-channel="email"' in row_of(text, by_email.customer.name)
    assert 'data-notice-channel="sms"' in row_of(text, by_sms.customer.name)
    letter_row = row_of(text, by_letter.customer.name)
    assert 'data-notice-channel="letter"' in letter_row and "Printed letter" in letter_row
    assert f"/notifications/cases/{by_letter.pk}/notice-proof/" in letter_row
    assert "Send now" not in letter_row


def test_send_now_uses_the_same_channel_choice(client_for, manager, sms_gateway, django_capture_on_commit_callbacks):
    from notifications.tasks import send_message

    case = watch_case(CustomerFactory(email="", preferred_language="en"))
    with django_capture_on_commit_callbacks(execute=False):
        response = client_for(manager).post(f"/notifications/cases/{case.pk}/send-notice/")
    assert response.status_code == 302
    notice = OutboundMessage.objects.get(case=case, is_notice=True)
    assert (notice.channel, notice.status) == ("sms", MessageStatus.SCHEDULED)
    # (the send happens at 10:00 Shanghai, outside the SMS quiet hours)
    import time_machine

    with time_machine.travel(timezone.now().astimezone(SHANGHAI).replace(hour=10), tick=False):
        OutboundMessage.objects.filter(pk=notice.pk).update(next_attempt_at=timezone.now())
        assert send_message(notice.pk) == "sent"
    assert sms_gateway.requests[0]["body"]["to"] == case.customer.phone


def test_send_now_for_a_customer_who_can_only_get_a_letter_says_to_record_it(client_for, manager):
    case = watch_case(CustomerFactory(email="", phone=""))
    response = client_for(manager).post(f"/notifications/cases/{case.pk}/send-notice/", follow=True)
    assert "printed letter" in response.content.decode()
    assert not OutboundMessage.objects.filter(case=case, status=MessageStatus.SENDING).exists()


def test_a_manager_records_a_posted_letter_as_the_notice_proof(client_for, manager):
    # given a case whose customer can only get a printed letter
    case = watch_case(CustomerFactory(email="", phone=""))
    posted_on = timezone.localdate() - dt.timedelta(days=1)
    client = client_for(manager)
    assert client.get(f"/notifications/cases/{case.pk}/notice-proof/").status_code == 200
    # when the manager records its posting
    response = client.post(
        f"/notifications/cases/{case.pk}/notice-proof/",
        {"posted_on": posted_on.isoformat(), "note": "Sent by registered post, receipt RR123456789CN"},
    )
    # then the proof is kept with the posting date, the channel and who recorded it
    assert response.status_code == 302
    proof = NoticeProof.objects.get(case=case)
    assert (proof.channel, proof.posted_on, proof.recorded_by) == ("letter", posted_on, manager)
    assert proof.note == "Sent by registered post, receipt RR123456789CN"
    assert proof.deadline == case.due_date - dt.timedelta(days=45)
    assert proof.on_time is (posted_on <= proof.deadline)
    # and the notice row is sent by letter, on the timeline, and the case leaves the watchlist
    notice = OutboundMessage.objects.get(case=case, is_notice=True)
    assert (notice.status, notice.channel, notice.done_by) == (MessageStatus.SENT, "letter", manager)
    assert CaseEvent.objects.filter(case=case, kind="reminder", payload__channel="letter").exists()
    assert case.customer.name not in client.get("/notifications/watchlist/").content.decode()
    # and the proof stays immutable in the database
    with pytest.raises(DatabaseError), transaction.atomic():
        NoticeProof.objects.filter(pk=proof.pk).update(note="changed")


@pytest.mark.parametrize(
    ("posted_on", "error"),
    [
        (lambda today: today + dt.timedelta(days=1), "cannot be in the future"),
        (lambda today: dt.date(1999, 12, 31), "too long ago"),
        (lambda today: "yesterday", "Enter a valid date"),
    ],
)
def test_a_letter_posted_on_an_impossible_date_is_refused(client_for, manager, posted_on, error):
    case = watch_case(CustomerFactory(email="", phone=""))
    value = posted_on(timezone.localdate())
    response = client_for(manager).post(
        f"/notifications/cases/{case.pk}/notice-proof/",
        {"posted_on": value.isoformat() if isinstance(value, dt.date) else value, "note": ""},
    )
    assert response.status_code == 400
    assert error in response.content.decode()
    assert not NoticeProof.objects.exists()


def test_a_second_proof_for_the_same_notice_is_refused(client_for, manager, smtp_server):
    customer = CustomerFactory()
    notice = notice_for(customer, at=timezone.now())
    services.messages_dispatch_due(now=timezone.now())
    response = client_for(manager).post(
        f"/notifications/cases/{notice.case_id}/notice-proof/",
        {"posted_on": timezone.localdate().isoformat(), "note": ""},
    )
    assert response.status_code == 400
    assert "already" in response.content.decode()
    assert NoticeProof.objects.get().channel == "email"


def test_only_managers_record_a_letter(client_for, specialist):
    case = watch_case(CustomerFactory(email="", phone=""))
    response = client_for(specialist).post(
        f"/notifications/cases/{case.pk}/notice-proof/", {"posted_on": timezone.localdate().isoformat()}
    )
    assert response.status_code == 403
    assert not NoticeProof.objects.exists()


# --- a reminder yields to the notice on its day ----------------------------------------------


def test_a_reminder_due_with_the_notice_waits_for_the_next_morning(smtp_server, sms_gateway):
    # given one customer's notice (email) and a reminder SMS of another policy, both due now
    customer = CustomerFactory()
    notice = notice_for(customer)
    reminder = make_message(customer=customer, at=MORNING - dt.timedelta(minutes=5))  # the reminder is older
    # when dispatch runs
    assert services.messages_dispatch_due(now=MORNING) == {"sent": 1, "deferred": 1}
    # then only the notice went out; the reminder waits for tomorrow morning
    notice.refresh_from_db()
    reminder.refresh_from_db()
    assert notice.status == MessageStatus.SENT
    assert (reminder.status, reminder.defer_reason) == (MessageStatus.SCHEDULED, "notice_day")
    assert reminder.next_attempt_at == dt.datetime(2026, 12, 2, 8, 0, tzinfo=SHANGHAI)
    assert sms_gateway.requests == []


def test_a_reminder_after_the_notice_was_sent_that_day_waits(smtp_server, sms_gateway):
    customer = CustomerFactory()
    notice_for(customer, at=MORNING.replace(hour=9))
    assert services.messages_dispatch_due(now=MORNING.replace(hour=9)) == {"sent": 1}
    reminder = make_message(customer=customer, at=MORNING.replace(hour=11))
    assert services.messages_dispatch_due(now=MORNING.replace(hour=11)) == {"deferred": 1}
    reminder.refresh_from_db()
    assert reminder.defer_reason == "notice_day"
    # and the next morning it goes
    assert services.messages_dispatch_due(now=dt.datetime(2026, 12, 2, 8, 0, tzinfo=SHANGHAI)) == {"sent": 1}


def test_a_reminder_waits_when_the_notice_is_due_later_that_day(sms_gateway):
    customer = CustomerFactory()
    notice_for(customer, at=MORNING.replace(hour=15))
    reminder = make_message(customer=customer, at=MORNING)
    assert services.messages_dispatch_due(now=MORNING) == {"deferred": 1}
    reminder.refresh_from_db()
    assert reminder.defer_reason == "notice_day"


def test_a_reminder_goes_when_the_notice_is_due_another_day(sms_gateway):
    customer = CustomerFactory()
    notice_for(customer, at=MORNING + dt.timedelta(days=1))
    make_message(customer=customer, at=MORNING)
    assert services.messages_dispatch_due(now=MORNING) == {"sent": 1}


def test_a_notice_waiting_for_a_letter_does_not_hold_reminders_back(sms_gateway):
    customer = CustomerFactory(email="")
    OutboundMessageFactory(
        case=watch_case(customer), step=step("auto", -45, "email"), channel="letter", next_attempt_at=MORNING
    )
    make_message(customer=customer, at=MORNING)
    assert services.messages_dispatch_due(now=MORNING) == {"sent": 1}


def test_the_migration_makes_notices_skipped_for_want_of_an_email_due_again():
    import importlib

    from django.apps import apps

    migration = importlib.import_module("notifications.migrations.0007_seed_notice_channels")
    # given notices that the old planning skipped: one still owed, one of a case since lost
    owed = OutboundMessageFactory(case=watch_case(CustomerFactory(email="")), step=step("auto", -45, "email"))
    closed_case = watch_case(CustomerFactory(email=""))
    closed = OutboundMessageFactory(case=closed_case, step=step("auto", -45, "email"))
    type(closed_case).objects.filter(pk=closed_case.pk).update(stage="lapsed")
    OutboundMessage.objects.update(status=MessageStatus.SKIPPED, skip_reason="no_address")
    # when the migration runs
    migration.reopen_stuck_notices(apps, None)
    # then the owed one is due again (dispatch will send it by SMS) and the closed one stays skipped
    owed.refresh_from_db()
    closed.refresh_from_db()
    assert (owed.status, owed.skip_reason) == (MessageStatus.SCHEDULED, "")
    assert (closed.status, closed.skip_reason) == (MessageStatus.SKIPPED, "no_address")
