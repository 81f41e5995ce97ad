"""Renewal calls: their own quiet hours (default 21:00–09:00, customer's time), separate from SMS,
and a customer who refused calls is left out of the call to-dos for CALL_REFUSAL_DAYS."""

import datetime as dt
import zoneinfo

import pytest
import time_machine
from django.test import override_settings

from core.errors import ApplicationError
from notifications.models import OutboundMessage
from notifications.quiet_hours import call_quiet_hours_end, quiet_hours_end
from notifications.selectors import call_tasks_due, campaign_call_tasks_due
from renewals import services as renewal_services
from renewals.models import CaseEvent
from tests.customers.factories import CustomerFactory
from tests.notifications.factories import OutboundMessageFactory, step
from tests.renewals.factories import PolicyFactory, RenewalCaseFactory

pytestmark = pytest.mark.django_db
SHANGHAI = zoneinfo.ZoneInfo("Asia/Shanghai")
DUE = dt.date(2026, 12, 10)


def _at(hour, minute=0):
    return dt.datetime(2026, 12, 5, hour, minute, tzinfo=SHANGHAI)


@pytest.mark.parametrize(
    ("hour", "call_until", "sms_until"),
    [
        (8, _at(9), None),  # 08:xx: SMS may go (its quiet hours end at 08:00), a call waits until 09:00
        (20, None, None),
        (21, _at(9) + dt.timedelta(days=1), _at(8) + dt.timedelta(days=1)),
        (9, None, None),
    ],
)
def test_calls_have_their_own_quiet_hours(hour, call_until, sms_until):
    now = _at(hour, 30)
    assert call_quiet_hours_end(now=now, zone=SHANGHAI) == call_until
    assert quiet_hours_end(now=now, zone=SHANGHAI) == sms_until


@override_settings(CALL_QUIET_START_HOUR=12, CALL_QUIET_END_HOUR=14)
def test_call_quiet_hours_are_settable():
    assert call_quiet_hours_end(now=_at(13), zone=SHANGHAI) == _at(14)
    assert call_quiet_hours_end(now=_at(8, 30), zone=SHANGHAI) is None


def _call_case(specialist, **customer):
    case = RenewalCaseFactory(
        policy=PolicyFactory(end_date=DUE, customer=CustomerFactory(**customer)), assignee=specialist
    )
    OutboundMessageFactory(case=case, step=step("auto", -7, "call"))
    return case


def test_the_call_list_says_when_the_customer_is_in_their_quiet_hours(specialist):
    # given a due call for a Shanghai customer and one for a Hong Kong customer (same offset), at 08:30
    case = _call_case(specialist, region="Zhejiang", time_zone="")
    now = _at(8, 30)
    tasks = call_tasks_due(user=specialist, today=now.date(), now=now)
    # then the call is listed with "not before 09:00"
    assert [task.case_id for task in tasks] == [case.pk]
    assert tasks[0].call_quiet_until_label == "09:00"
    # and at 10:00 nothing holds it
    later = call_tasks_due(user=specialist, today=now.date(), now=_at(10))
    assert later[0].call_quiet_until is None


def test_the_call_fragment_shows_the_quiet_hours(client_for, specialist):
    _call_case(specialist, region="Zhejiang")
    with time_machine.travel(_at(22), tick=False):
        text = client_for(specialist).get("/notifications/call-tasks/").content.decode()
    assert "do not call before 09:00" in text


def test_a_customer_who_refused_calls_is_not_called_again_for_six_months(specialist):
    # given a due call, and the customer refusing calls on another case of theirs on 2026-12-01
    case = _call_case(specialist)
    other = RenewalCaseFactory(policy=PolicyFactory(customer=case.customer), assignee=specialist)
    with time_machine.travel(dt.datetime(2026, 12, 1, 10, tzinfo=SHANGHAI), tick=False):
        renewal_services.case_log_contact(
            case_id=other.pk, actor=specialist, channel="phone", reached=True, refused_calls=True
        )
    assert CaseEvent.objects.get(case=other, kind="contact").payload["refused_calls"] is True
    # then the call is not on the list the next week, nor 181 days later; it is back after 182 days
    assert call_tasks_due(user=specialist, today=dt.date(2026, 12, 5), now=_at(10)) == []
    day_181 = dt.datetime(2027, 5, 31, 10, tzinfo=SHANGHAI)
    assert call_tasks_due(user=specialist, today=day_181.date(), now=day_181) == []
    day_183 = dt.datetime(2027, 6, 2, 10, tzinfo=SHANGHAI)
    assert [t.case_id for t in call_tasks_due(user=specialist, today=day_183.date(), now=day_183)] == [case.pk]


@override_settings(CALL_REFUSAL_DAYS=10)
def test_the_refusal_period_is_settable(specialist):
    case = _call_case(specialist)
    with time_machine.travel(dt.datetime(2026, 12, 1, 10, tzinfo=SHANGHAI), tick=False):
        renewal_services.case_log_contact(
            case_id=case.pk, actor=specialist, channel="phone", reached=True, refused_calls=True
        )
    assert call_tasks_due(user=specialist, today=dt.date(2026, 12, 5), now=_at(10)) == []
    later = dt.datetime(2026, 12, 12, 10, tzinfo=SHANGHAI)
    assert len(call_tasks_due(user=specialist, today=later.date(), now=later)) == 1


def test_refusing_by_email_is_refused_and_not_reaching_is_not_a_call_refusal(specialist):
    case = _call_case(specialist)
    # a refusal logged on an e-mail contact is refused naming the field, and nothing is logged
    with pytest.raises(ApplicationError) as refused:
        renewal_services.case_log_contact(
            case_id=case.pk, actor=specialist, channel="email", reached=True, refused_calls=True
        )
    assert (refused.value.field, refused.value.status) == ("refused_calls", 400)
    assert not CaseEvent.objects.filter(case=case, kind="contact").exists()
    renewal_services.case_log_contact(case_id=case.pk, actor=specialist, channel="phone", reached=False)
    assert len(call_tasks_due(user=specialist, today=dt.date(2026, 12, 5), now=_at(10))) == 1


def test_the_case_page_contact_form_posts_the_refusal(client_for, specialist):
    case = _call_case(specialist)
    response = client_for(specialist).post(
        f"/cases/{case.pk}/contact/",
        {"contact-version": case.version, "contact-channel": "phone", "contact-refused_calls": "on"},
    )
    assert response.status_code in (200, 302)
    event = CaseEvent.objects.get(case=case, kind="contact")
    assert event.payload.get("refused_calls") is True
    assert call_tasks_due(user=specialist, today=dt.date(2026, 12, 5), now=_at(10)) == []
    assert OutboundMessage.objects.filter(case=case, channel="call", status="scheduled").exists()


def test_the_api_records_the_refusal(api, specialist):
    case = _call_case(specialist)
    response = api(specialist).post(
        f"/api/v1/cases/{case.pk}/contact/", {"channel": "phone", "reached": True, "refused_calls": True}, format="json"
    )
    assert response.status_code == 200, response.content
    assert CaseEvent.objects.get(case=case, kind="contact").payload["refused_calls"] is True


@pytest.mark.parametrize("value", ["yes", 1, "true", "on", None])
def test_the_api_takes_only_a_json_boolean_for_the_refusal(api, specialist, value):
    case = _call_case(specialist)
    response = api(specialist).post(
        f"/api/v1/cases/{case.pk}/contact/",
        {"channel": "phone", "reached": True, "refused_calls": value},
        format="json",
    )
    assert response.status_code == 400, response.content
    assert "refused_calls" in response.json()["errors"]
    assert not CaseEvent.objects.filter(case=case, kind="contact").exists()


def test_the_api_refuses_a_refusal_on_another_channel(api, specialist):
    case = _call_case(specialist)
    response = api(specialist).post(
        f"/api/v1/cases/{case.pk}/contact/", {"channel": "email", "reached": True, "refused_calls": True}, format="json"
    )
    assert response.status_code == 400, response.content
    assert list(response.json()["errors"]) == ["refused_calls"]
    assert not CaseEvent.objects.filter(case=case, kind="contact").exists()
    assert len(call_tasks_due(user=specialist, today=dt.date(2026, 12, 5), now=_at(10))) == 1


def test_the_case_page_refuses_a_refusal_on_another_channel(client_for, specialist):
    case = _call_case(specialist)
    response = client_for(specialist).post(
        f"/cases/{case.pk}/contact/",
        {"contact-version": case.version, "contact-channel": "visit", "contact-refused_calls": "on"},
        HTTP_ACCEPT_LANGUAGE="zh-hans",
        follow=True,
    )
    # the page answers with the reason as its message (the action redirects back to the case)
    assert response.status_code == 200
    assert "只有电话联系才能记录客户拒绝再接听电话" in response.content.decode()
    assert not CaseEvent.objects.filter(case=case, kind="contact").exists()


def _campaign_call(specialist, customer, *, number):
    now = _at(10)
    return OutboundMessage.objects.create(
        kind=OutboundMessage.Kind.CAMPAIGN,
        campaign_message_id=number,
        customer=customer,
        assignee=specialist,
        channel="call",
        due_date=dt.date(2026, 12, 5),
        scheduled_for=now,
        next_attempt_at=now,
        address=customer.phone,
        body="Ask what made them leave.",
    )


def test_campaign_calls_leave_out_customers_who_refused_calls(specialist):
    # given campaign calls to two customers, one of whom refused calls on a phone contact 20 days ago
    refusing = _call_case(specialist)
    other = CustomerFactory()
    with time_machine.travel(dt.datetime(2026, 11, 15, 10, tzinfo=SHANGHAI), tick=False):
        renewal_services.case_log_contact(
            case_id=refusing.pk, actor=specialist, channel="phone", reached=True, refused_calls=True
        )
    _campaign_call(specialist, refusing.customer, number=1)
    kept = _campaign_call(specialist, other, number=2)
    # when the specialist's campaign calls are read on 2026-12-05, then only the other customer's shows
    assert [t.pk for t in campaign_call_tasks_due(user=specialist, today=dt.date(2026, 12, 5), now=_at(10))] == [
        kept.pk
    ]
    # and after the refusal period (182 days) the refusing customer is called again
    later = dt.datetime(2027, 5, 20, 10, tzinfo=SHANGHAI)
    assert len(campaign_call_tasks_due(user=specialist, today=later.date(), now=later)) == 2


def test_campaign_calls_say_when_the_customer_is_in_their_quiet_hours(client_for, specialist):
    customer = CustomerFactory(region="Zhejiang", time_zone="")
    _campaign_call(specialist, customer, number=3)
    tasks = campaign_call_tasks_due(user=specialist, today=dt.date(2026, 12, 5), now=_at(8, 30))
    assert tasks[0].call_quiet_until_label == "09:00"
    assert campaign_call_tasks_due(user=specialist, today=dt.date(2026, 12, 5), now=_at(10))[0].call_quiet_until is None
    # the queue's call panel says it
    with time_machine.travel(_at(22), tick=False):
        text = client_for(specialist).get("/notifications/call-tasks/").content.decode()
    assert "Campaign calls due" in text and "do not call before 09:00" in text
