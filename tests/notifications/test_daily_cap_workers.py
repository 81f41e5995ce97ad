"""The one-message-a-day cap across workers: two real dispatch processes against the test database."""

import datetime as dt
import os
import subprocess
import sys
from collections import Counter

import pytest
from django.conf import settings

from notifications.models import OutboundMessage
from tests.customers.factories import CustomerFactory
from tests.notifications.test_dispatch import MORNING, make_message

MessageStatus = OutboundMessage.Status
CUSTOMERS = 8
REMINDERS_EACH = 3

# A dispatch process: sets Django up, says "ready", waits for "go" on stdin (so both start
# together), then runs the dispatch service at the given time and prints its totals.
WORKER = """
import datetime as dt, json, sys
import django
django.setup()
from notifications.services import messages_dispatch_due
print("ready", flush=True)
sys.stdin.readline()
totals = messages_dispatch_due(now=dt.datetime.fromisoformat(sys.argv[1]))
print(json.dumps(totals), flush=True)
"""


def worker_env(gateway_url: str) -> dict:
    db = settings.DATABASES["default"]
    env = dict(os.environ)
    env.update(
        DJANGO_SETTINGS_MODULE="config.settings",
        DATABASE_URL=f"postgres://{db['USER']}@{db['HOST'] or '127.0.0.1'}:{db['PORT'] or 5432}/{db['NAME']}",
        SMS_BACKEND="http",
        SMS_GATEWAY_URL=gateway_url,
        SMS_GATEWAY_TOKEN="gw-token",
        # One batch holds one reminder of every customer: the two processes claim disjoint batches
        # and work through the same customers at the same time.
        REMINDER_DISPATCH_BATCH=str(CUSTOMERS),
    )
    return env


@pytest.mark.delivery
@pytest.mark.django_db(transaction=True)
def test_two_dispatch_processes_send_at_most_one_reminder_per_customer_per_day(sms_gateway):
    # given 8 customers with 3 due SMS reminders each (their own policies), interleaved in due order
    customers = [CustomerFactory() for _ in range(CUSTOMERS)]
    for round_number in range(REMINDERS_EACH):
        for index, customer in enumerate(customers):
            due = MORNING - dt.timedelta(minutes=60 - round_number * CUSTOMERS - index)
            make_message(customer=customer, at=due)
    # and a gateway that takes a moment per message, as a real one does
    sms_gateway.delay_seconds = 0.05
    from django.conf import settings as live

    env = worker_env(live.SMS_GATEWAY_URL)
    # when two dispatch processes start at the same moment
    workers = [
        subprocess.Popen(
            [sys.executable, "-c", WORKER, MORNING.isoformat()],
            env=env,
            cwd=settings.BASE_DIR,
            stdin=subprocess.PIPE,
            stdout=subprocess.PIPE,
            stderr=subprocess.PIPE,
            text=True,
        )
        for _ in range(2)
    ]
    try:
        for worker in workers:
            assert worker.stdout.readline().strip() == "ready", worker.stderr.read()
        for worker in workers:
            worker.stdin.write("go\n")
            worker.stdin.flush()
        outputs = [worker.communicate(timeout=120) for worker in workers]
    finally:
        for worker in workers:
            if worker.poll() is None:
                worker.kill()
    assert all(worker.returncode == 0 for worker in workers), [err for _out, err in outputs]
    # then each customer's phone got exactly one SMS that day
    per_phone = Counter(request["body"]["to"] for request in sms_gateway.requests)
    assert per_phone == {customer.phone: 1 for customer in customers}
    # and the outbox says the same: one sent per customer, the other two waiting for the next morning
    sent = Counter(OutboundMessage.objects.filter(status=MessageStatus.SENT).values_list("customer_id", flat=True))
    assert sent == {customer.pk: 1 for customer in customers}
    deferred = OutboundMessage.objects.filter(
        status=MessageStatus.SCHEDULED, defer_reason=OutboundMessage.DeferReason.DAILY_CAP
    )
    assert deferred.count() == CUSTOMERS * (REMINDERS_EACH - 1)
    assert {row.next_attempt_at for row in deferred} == {MORNING.replace(day=2, hour=8)}
