"""One delivery test with a real Celery worker consuming from the real Redis broker."""

import time

import pytest
from celery.contrib.testing.worker import start_worker
from django.core import mail

from config.celery import app
from notifications.models import OutboundMessage
from notifications.tasks import dispatch_messages
from tests.customers.factories import CustomerFactory
from tests.notifications.factories import OutboundMessageFactory, step
from tests.renewals.factories import PolicyFactory, RenewalCaseFactory

M = OutboundMessage


@pytest.mark.delivery
@pytest.mark.django_db(transaction=True)
def test_worker_dispatches_a_planned_message_from_the_queue():
    # given a planned notice email, committed, and a worker listening on Redis
    case = RenewalCaseFactory(policy=PolicyFactory(customer=CustomerFactory(preferred_language="en")))
    message = OutboundMessageFactory(case=case, step=step("auto", -45, "email"))
    with start_worker(app, pool="solo", concurrency=1, perform_ping_check=False, shutdown_timeout=10):
        # when the periodic task is enqueued through the broker
        dispatch_messages.delay()
        deadline = time.monotonic() + 30
        while time.monotonic() < deadline:
            message.refresh_from_db()
            if message.status == M.Status.SENT:
                break
            time.sleep(0.2)
    # then the worker sent it through Django's email backend
    assert message.status == M.Status.SENT
    assert len(mail.outbox) == 1
    assert mail.outbox[0].to == [case.customer.email]
    assert mail.outbox[0].extra_headers["X-Idempotency-Key"] == str(message.pk)
