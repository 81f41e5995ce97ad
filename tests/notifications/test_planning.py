"""Planning the outbox: set-based, idempotent, respecting consent, addresses and closed cases."""

import datetime as dt

import pytest
from django.utils import timezone

from notifications.models import OutboundMessage
from notifications.services import reminders_plan
from renewals.models import Stage
from tests.customers.factories import CustomerFactory
from tests.renewals.factories import PolicyFactory, RenewalCaseFactory, line

pytestmark = pytest.mark.django_db
DUE = dt.date(2026, 12, 31)
M = OutboundMessage


def rows(case):
    return {(m.step.offset_days, m.channel): m for m in M.objects.filter(case=case).select_related("step")}


def test_planning_twice_plans_nothing_new():
    # given an open auto case 30 days before expiry
    case = RenewalCaseFactory(policy=PolicyFactory(end_date=DUE))
    on_date = DUE - dt.timedelta(days=30)
    # when planning runs twice
    first = reminders_plan(on_date=on_date)
    second = reminders_plan(on_date=on_date)
    # then the notice (T-45, still owed) and the T-30 SMS are planned once, and nothing the second time
    assert first == 2
    assert second == 0
    planned = rows(case)
    assert set(planned) == {(-45, "email"), (-30, "sms")}
    assert planned[(-45, "email")].is_notice
    assert all(m.status == M.Status.SCHEDULED for m in planned.values())


def test_each_line_plans_its_own_schedule():
    health = RenewalCaseFactory(policy=PolicyFactory(end_date=DUE, line=line("health")))
    prop = RenewalCaseFactory(policy=PolicyFactory(end_date=DUE, line=line("property")))
    reminders_plan(on_date=DUE + dt.timedelta(days=15))
    assert (15, "sms") in rows(health)  # the grace-period SMS
    assert rows(prop) == {} or all(k[0] >= -3 for k in rows(prop))  # property has no step after expiry
    reminders_plan(on_date=DUE - dt.timedelta(days=3))
    assert (-3, "call") in rows(prop)


def test_stale_steps_of_a_late_case_are_not_sent_all_at_once_but_the_notice_is():
    case = RenewalCaseFactory(policy=PolicyFactory(end_date=DUE))
    reminders_plan(on_date=DUE - dt.timedelta(days=10))
    assert set(rows(case)) == {(-45, "email")}


def test_a_missed_pre_expiry_reminder_is_not_sent_after_the_policy_expired():
    # given an auto case whose T-1 SMS was due yesterday and whose policy expired today
    case = RenewalCaseFactory(policy=PolicyFactory(end_date=DUE))
    # when planning catches up the day after the T-1 step's date
    reminders_plan(on_date=DUE + dt.timedelta(days=1), catch_up_days=3)
    # then no "expires tomorrow" SMS goes out for a policy that has already expired
    assert (-1, "sms") not in rows(case)
    # while a missed step whose expiry is still ahead is caught up
    later = RenewalCaseFactory(policy=PolicyFactory(end_date=DUE + dt.timedelta(days=5)))
    reminders_plan(on_date=DUE + dt.timedelta(days=5) - dt.timedelta(days=12), catch_up_days=3)
    assert (-14, "sms") in rows(later)


def test_closed_case_plans_nothing_and_its_unsent_rows_are_skipped():
    # given one closed case and one open case with planned rows
    closed = RenewalCaseFactory(policy=PolicyFactory(end_date=DUE), stage=Stage.LAPSED)
    open_case = RenewalCaseFactory(policy=PolicyFactory(end_date=DUE))
    on_date = DUE - dt.timedelta(days=30)
    reminders_plan(on_date=on_date)
    assert rows(closed) == {}
    # when the open case closes without the signal reaching us and planning runs again
    type(open_case).objects.filter(pk=open_case.pk).update(stage=Stage.LAPSED, closed_at=timezone.now())
    reminders_plan(on_date=on_date)
    # then its unsent rows are skipped with the reason
    for message in rows(open_case).values():
        assert message.status == M.Status.SKIPPED
        assert message.skip_reason == M.SkipReason.CASE_CLOSED


def test_opted_out_channel_is_skipped_with_reason_and_others_still_planned():
    customer = CustomerFactory(consent_sms=False)
    case = RenewalCaseFactory(policy=PolicyFactory(end_date=DUE, customer=customer))
    reminders_plan(on_date=DUE - dt.timedelta(days=30))
    planned = rows(case)
    assert planned[(-30, "sms")].status == M.Status.SKIPPED
    assert planned[(-30, "sms")].skip_reason == M.SkipReason.OPTED_OUT
    assert planned[(-45, "email")].status == M.Status.SCHEDULED


def test_missing_address_is_skipped_with_reason():
    # (issue 12: the notice is no longer skipped here; dispatch gives it by another of the line's
    # notice channels, see test_notice_channels.py)
    customer = CustomerFactory(phone="")
    case = RenewalCaseFactory(policy=PolicyFactory(end_date=DUE, customer=customer))
    reminders_plan(on_date=DUE - dt.timedelta(days=30))
    reminder = rows(case)[(-30, "sms")]
    assert reminder.status == M.Status.SKIPPED
    assert reminder.skip_reason == M.SkipReason.NO_ADDRESS


def test_inactive_step_is_not_planned():
    from notifications.models import ReminderStep

    ReminderStep.objects.filter(line__code="auto", offset_days=-30).update(active=False)
    case = RenewalCaseFactory(policy=PolicyFactory(end_date=DUE))
    reminders_plan(on_date=DUE - dt.timedelta(days=30))
    assert set(rows(case)) == {(-45, "email")}


def test_plan_reminders_command_takes_a_date(capsys):
    from django.core.management import call_command

    RenewalCaseFactory(policy=PolicyFactory(end_date=DUE))
    call_command("plan_reminders", "--date", "2026-12-01")
    assert "planned 2 message(s) for 2026-12-01" in capsys.readouterr().out


def test_plan_task_calls_the_service():
    from notifications.tasks import plan_reminders

    RenewalCaseFactory(policy=PolicyFactory(end_date=DUE))
    assert plan_reminders("2026-12-01") == 2
