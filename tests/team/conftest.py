"""A small worked book for the Team page (issue 15), with every figure worked out by hand.

Today is 2026-12-10. November 2026 (the period), cases expiring 25 November, opened 30 days before:
- spec (Li Na): A1 renewed 1000 → 1100 after 20 days, first contact after 2 days, two contacts
  logged (one by phone), a quote, an SMS and an e-mail sent, a promoter (10); A2 lost after 30 days,
  first contact after 4 days, one phone contact, a complaint.
- spec2 (Wang Fang): B1 renewed 2000 → 2000 after 10 days, first contact after 1 day, one e-mail
  contact logged, a quote, a call task done, a letter, a detractor (6); B2 still open.
October 2026 (previous period): spec2 renewed one case after 25 days.
November 2025 (a year earlier): spec renewed one after 40 days, spec2 one after 30 days.
spec was away from Monday 9 to Friday 13 November 2026 (switched on the 9th, off the 16th).
"""

import datetime as dt
from decimal import Decimal

import pytest
import time_machine
from django.utils import timezone

from analytics.services import rollups_refresh
from analytics.team.services import team_rollups_refresh
from notifications.models import OutboundMessage, ReminderStep
from renewals.models import CaseEvent, Quote, Stage
from renewals.services import specialist_profile_save
from tests.analytics.factories import at, make_case, make_complaint, make_response

TODAY = dt.datetime(2026, 12, 10, 12, 0, tzinfo=dt.timezone(dt.timedelta(hours=8)))


def contact(case, actor, channel):
    return CaseEvent.objects.create(
        case=case, kind=CaseEvent.Kind.CONTACT, actor=actor, payload={"channel": channel, "reached": True}
    )


def quote(case, actor):
    return Quote.objects.create(
        case=case,
        expiring_premium=case.expiring_premium,
        base_rate_factor=Decimal("1"),
        claims_factor=Decimal("1"),
        loyalty_factor=Decimal("1"),
        premium=case.expiring_premium,
        created_by=actor,
    )


def sent(case, channel, done_by=None):
    step = ReminderStep.objects.filter(line=case.line).order_by("pk").first()
    now = timezone.now()
    return OutboundMessage.objects.create(
        case=case,
        customer=case.customer,
        line=case.line,
        step=step,
        channel=channel,
        status=OutboundMessage.Status.SENT,
        due_date=case.due_date,
        scheduled_for=now,
        next_attempt_at=now,
        sent_at=now,
        done_by=done_by,
    )


@pytest.fixture
def team_book(db, specialist, other_specialist, manager):
    nov = dt.date(2026, 11, 25)
    common = {"due": nov, "opened_days_before_due": 30}
    a1 = make_case(
        stage=Stage.RENEWED,
        premium=Decimal("1000"),
        successor_premium=Decimal("1100"),
        assignee=specialist,
        contact_after_days=2,
        cycle_days=20,
        **common,
    )
    a2 = make_case(stage=Stage.LOST, assignee=specialist, contact_after_days=4, cycle_days=30, **common)
    b1 = make_case(
        stage=Stage.RENEWED,
        premium=Decimal("2000"),
        successor_premium=Decimal("2000"),
        assignee=other_specialist,
        contact_after_days=1,
        cycle_days=10,
        **common,
    )
    b2 = make_case(stage=Stage.OPEN, assignee=other_specialist, **common)
    contact(a1, specialist, "phone")
    contact(a1, specialist, "email")
    quote(a1, specialist)
    sent(a1, "sms")
    sent(a1, "email")
    contact(a2, specialist, "phone")
    contact(b1, other_specialist, "email")
    quote(b1, other_specialist)
    sent(b1, "call", done_by=other_specialist)
    sent(b1, "letter")
    make_response(score=10, responded=at(dt.date(2026, 11, 20)), case=a1)
    make_response(score=6, responded=at(dt.date(2026, 11, 20)), case=b1)
    make_complaint(received=at(dt.date(2026, 11, 12)), case=a2)
    make_case(
        due=dt.date(2026, 10, 20),
        opened_days_before_due=30,
        stage=Stage.RENEWED,
        assignee=other_specialist,
        cycle_days=25,
    )
    for assignee, days in ((specialist, 40), (other_specialist, 30)):
        make_case(
            due=dt.date(2025, 11, 25),
            opened_days_before_due=45,
            stage=Stage.RENEWED,
            assignee=assignee,
            cycle_days=days,
        )
    for day, away in ((dt.date(2026, 11, 9), True), (dt.date(2026, 11, 16), False)):
        with time_machine.travel(at(day, 9), tick=False):
            specialist_profile_save(actor=manager, user_id=specialist.pk, line_ids=[], regions=[], away=away)
    with time_machine.travel(TODAY, tick=False):
        rollups_refresh(full=True)
        team_rollups_refresh()
    return {"a1": a1, "a2": a2, "b1": b1, "b2": b2}


@pytest.fixture
def today():
    with time_machine.travel(TODAY, tick=False):
        yield TODAY.date()
