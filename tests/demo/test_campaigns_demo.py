"""The demo's win-back campaign goes through the real outbox: messages sent, call tasks done."""

import datetime as dt

import pytest

from campaigns.models import Campaign, CampaignMessage
from demo.campaigns import WIN_BACK_NAME, campaigns_demo_seed
from notifications.models import OutboundMessage
from tests.conftest import make_user
from tests.customers.factories import CustomerFactory
from tests.renewals.factories import PolicyFactory

pytestmark = pytest.mark.django_db
TODAY = dt.date(2026, 12, 1)
M = OutboundMessage


def test_the_demo_campaign_sends_its_messages_and_its_calls_are_worked(manager):
    make_user("demo-caller", "specialist")
    for index in range(30):
        customer = CustomerFactory(preferred_language="en" if index % 2 else "zh-hans")
        PolicyFactory(customer=customer, start_date=dt.date(2025, 4, 1), end_date=dt.date(2026, 3, 31))
    # twice: a re-seed replaces the earlier run's campaign and its outbox rows
    campaigns_demo_seed(today=TODAY)
    campaigns_demo_seed(today=TODAY)
    campaign = Campaign.objects.get(name=WIN_BACK_NAME)
    assert campaign.status == Campaign.Status.FINISHED
    rows = M.objects.filter(kind=M.Kind.CAMPAIGN)
    assert rows.count() == CampaignMessage.objects.filter(member__campaign=campaign).count() > 0
    assert rows.filter(channel="sms", status=M.Status.SENT).exists()
    assert rows.filter(channel="email", status=M.Status.SENT).exists()
    assert rows.filter(channel="call", status=M.Status.SENT, done_by__isnull=False).exists()
    assert not rows.filter(status__in=M.UNSENT_STATUSES).exists()  # nothing stale left for the worker
