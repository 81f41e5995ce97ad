"""A survey link is signed when its message is sent, so it lasts its full validity from then."""

import datetime as dt
import re
import zoneinfo

import pytest
import time_machine
from django.conf import settings

from notifications import services
from notifications.models import OutboundMessage
from renewals import services as renewal_services
from tests.conftest import make_user
from tests.customers.factories import CustomerFactory
from tests.renewals.factories import PolicyFactory, RenewalCaseFactory

pytestmark = pytest.mark.django_db
SHANGHAI = zoneinfo.ZoneInfo("Asia/Shanghai")
DECIDED = dt.datetime(2026, 3, 2, 10, 0, tzinfo=SHANGHAI)


def test_a_survey_sent_40_days_after_planning_carries_a_link_that_opens(
    client, smtp_server, django_capture_on_commit_callbacks
):
    assert settings.SURVEY_LINK_MAX_AGE_DAYS == 30
    # given a case lost on 2 March: its survey invitation is planned then (due after the survey delay)
    manager = make_user("boss-survey-links", "manager")
    case = RenewalCaseFactory(policy=PolicyFactory(customer=CustomerFactory(preferred_language="en")))
    with time_machine.travel(DECIDED, tick=False), django_capture_on_commit_callbacks(execute=True):
        renewal_services.case_mark_lost(case_id=case.pk, actor=manager, reason_code="price")
    survey = OutboundMessage.objects.get(case=case, kind=OutboundMessage.Kind.SURVEY)
    # when dispatch sends it 40 days later (a backlog, or a long survey delay)
    sending = DECIDED + dt.timedelta(days=40)
    with time_machine.travel(sending, tick=False):
        assert services.messages_dispatch_due() == {"sent": 1}
        # then the link in the e-mail the customer got opens the survey
        body = smtp_server.messages[0].original_content.decode()
        link = re.search(r"https?://[^\s/]+(/surveys/[^\s/]+/)", body)
        assert link is not None
        response = client.get(link.group(1))
        assert response.status_code == 200, response.content.decode()[:300]
    # and the outbox keeps the link that was sent
    survey.refresh_from_db()
    assert survey.link.endswith(link.group(1))
    # and that link lasts its 30 days from the sending, not from the planning
    with time_machine.travel(sending + dt.timedelta(days=29), tick=False):
        assert client.get(link.group(1)).status_code == 200
    with time_machine.travel(sending + dt.timedelta(days=31), tick=False):
        assert client.get(link.group(1)).status_code == 410
