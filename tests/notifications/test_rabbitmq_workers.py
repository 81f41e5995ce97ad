"""The broker switch: two real Celery worker processes on RabbitMQ (CELERY_BROKER_URL=amqp://…)
share one queue of sends, and every message reaches the SMTP server exactly once.

Redis is the default broker and every other worker test uses it; this one shows that a deployment
that sets ``CELERY_BROKER_URL`` to RabbitMQ needs nothing else (docs/scaling.md)."""

import os
import re
import subprocess
import sys
import time
import uuid
from collections import Counter

import pytest
from django.conf import settings
from kombu import Connection

from notifications.models import OutboundMessage
from notifications.tasks import send_message
from tests.customers.factories import CustomerFactory
from tests.notifications.factories import OutboundMessageFactory, step
from tests.renewals.factories import PolicyFactory, RenewalCaseFactory

RABBITMQ_URL = os.environ.get("TEST_RABBITMQ_URL", "amqp://guest:guest@127.0.0.1:5672//")
MESSAGES = 24


def worker_env(smtp_port: int) -> dict:
    db = settings.DATABASES["default"]
    env = dict(os.environ)
    env.update(
        DJANGO_SETTINGS_MODULE="config.settings",
        DATABASE_URL=f"postgres://{db['USER']}@{db['HOST'] or '127.0.0.1'}:{db['PORT'] or 5432}/{db['NAME']}",
        CELERY_BROKER_URL=RABBITMQ_URL,
        EMAIL_URL=f"smtp://127.0.0.1:{smtp_port}",
    )
    return env


def start_worker(name: str, queue: str, env: dict) -> subprocess.Popen:
    command = [sys.executable, "-m", "celery", "-A", "config", "worker", "--pool", "solo", "-Q", queue]
    command += ["-n", f"{name}@%h", "--without-gossip", "--without-mingle", "--without-heartbeat", "-l", "INFO"]
    return subprocess.Popen(
        command,
        env=env,
        cwd=settings.BASE_DIR,
        stdout=subprocess.PIPE,
        stderr=subprocess.STDOUT,
        text=True,
    )


@pytest.mark.delivery
@pytest.mark.django_db(transaction=True)
def test_two_workers_on_rabbitmq_send_every_message_once(smtp_server):
    # given 24 statutory notices by e-mail, due now, each to its own customer
    messages = [
        OutboundMessageFactory(
            case=RenewalCaseFactory(policy=PolicyFactory(customer=CustomerFactory(preferred_language="en"))),
            step=step("auto", -45, "email"),
        )
        for _ in range(MESSAGES)
    ]
    queue = f"rd-test-{uuid.uuid4().hex[:12]}"
    env = worker_env(smtp_server.port)
    # and two worker processes consuming one RabbitMQ queue
    workers = [start_worker(name, queue, env) for name in ("first", "second")]
    logs = []
    try:
        # when one "send now" per message goes through RabbitMQ
        with Connection(RABBITMQ_URL) as connection:
            for message in messages:
                send_message.apply_async(args=[message.pk], queue=queue, connection=connection)
            deadline = time.monotonic() + 90
            while time.monotonic() < deadline:
                if OutboundMessage.objects.filter(status=OutboundMessage.Status.SENT).count() == MESSAGES:
                    break
                time.sleep(0.3)
            connection.default_channel.queue_delete(queue)
    finally:
        for worker in workers:
            worker.terminate()
        for worker in workers:
            try:
                logs.append(worker.communicate(timeout=30)[0])
            except subprocess.TimeoutExpired:
                worker.kill()
                logs.append(worker.communicate()[0])
    # then every message was sent, once, and the SMTP server got one e-mail per customer
    assert Counter(OutboundMessage.objects.values_list("status", flat=True)) == {OutboundMessage.Status.SENT: MESSAGES}
    recipients = Counter(address for envelope in smtp_server.messages for address in envelope.rcpt_tos)
    assert recipients == {message.case.customer.email: 1 for message in messages}
    # and both processes took sends from the queue
    done = [len(re.findall(r"Task notifications\.tasks\.send_message\[[^\]]+\] succeeded", log)) for log in logs]
    assert sum(done) == MESSAGES and min(done) >= 1, (done, logs)
    assert all("amqp://guest:**@127.0.0.1:5672//" in log for log in logs), logs
