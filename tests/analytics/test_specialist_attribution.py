"""Policies count for the specialist whose case produced them (issue 12).

A renewal policy starting in the period has no renewal case of its own yet; it belongs to the
specialist who won it, through the predecessor case whose ``successor_policy`` it is. The figures
below are worked out by hand on a small book, not through the code under test.
"""

import datetime as dt
from decimal import Decimal

import pytest
import time_machine
from django.utils import timezone

from analytics import selectors
from analytics.params import Filters, Period
from analytics.services import rollups_refresh
from renewals.models import RenewalCase, Stage
from tests.analytics.factories import at, make_case, make_complaint
from tests.renewals.factories import PolicyFactory

OCTOBER = Period(dt.date(2026, 10, 1), dt.date(2026, 10, 31), "month")


@pytest.fixture
def small_book(db, specialist, other_specialist):
    """Specialist A (``specialist``) and B (``other_specialist``), October 2026:

    - a1 (A): policy P1 (1000) expires 15 Oct, renewed -> S1 (1200) from 15 Oct, no case of its own.
    - b1 (B): policy P2 (2000) expires 20 Oct, renewed -> S2 (2500) from 20 Oct; one complaint on b1
      received 22 Oct.
    - b2 (B): policy P3 (3000) runs 20 Nov 2025 - 20 Nov 2026, its case is open.
    - N1: new business (800) from 5 Oct, no case.

    In force on 31 Oct: S1, S2, P3, N1 (P1 and P2 ended in October).
    By hand: A -> S1 = 1 policy in force, renewal premium 1200 of 1200 starting;
             B -> S2, P3 = 2 in force, renewal premium 2500 of 2500 starting, 1 complaint -> 500 per 1000;
             everyone -> 4 in force, renewal premium (1200 + 2500) of (1200 + 2500 + 800).
    """
    a1 = make_case(
        due=dt.date(2026, 10, 15),
        stage=Stage.RENEWED,
        premium=Decimal("1000"),
        successor_premium=Decimal("1200"),
        assignee=specialist,
    )
    b1 = make_case(
        due=dt.date(2026, 10, 20),
        stage=Stage.RENEWED,
        premium=Decimal("2000"),
        successor_premium=Decimal("2500"),
        assignee=other_specialist,
    )
    make_case(due=dt.date(2026, 11, 20), stage=Stage.OPEN, premium=Decimal("3000"), assignee=other_specialist)
    PolicyFactory(start_date=dt.date(2026, 10, 5), end_date=dt.date(2027, 10, 5), premium=Decimal("800"))
    make_complaint(received=at(dt.date(2026, 10, 22)), case=b1)
    rollups_refresh(full=True)
    return {"a1": a1, "b1": b1}


def _for(user) -> Filters:
    return Filters(assignee_id=user.pk, specialist=user.username)


@pytest.mark.parametrize("use_rollups", [True, False], ids=["rollups", "raw"])
def test_renewal_policies_count_for_the_specialist_who_renewed_them(
    small_book, specialist, other_specialist, use_rollups
):
    everyone = selectors.kpi_figures(OCTOBER, Filters(), use_rollups=use_rollups)
    mine = selectors.kpi_figures(OCTOBER, _for(specialist), use_rollups=use_rollups)
    theirs = selectors.kpi_figures(OCTOBER, _for(other_specialist), use_rollups=use_rollups)

    assert everyone["policies_in_force"] == 4
    assert everyone["renewal_premium_share"] == pytest.approx(3700 / 4500)
    assert mine["policies_in_force"] == 1
    assert mine["renewal_premium_share"] == pytest.approx(1200 / 1200)
    assert theirs["policies_in_force"] == 2
    assert theirs["renewal_premium_share"] == pytest.approx(2500 / 2500)
    assert theirs["complaints"] == 1
    assert theirs["complaint_rate_per_1000"] == pytest.approx(1 * 1000 / 2)


@pytest.mark.parametrize("use_rollups", [True, False], ids=["rollups", "raw"])
def test_a_renewal_policy_with_its_own_case_counts_for_the_specialist_who_renewed_it(
    db, specialist, other_specialist, use_rollups
):
    # given A renewed P4 into S4 (1 Dec 2025 - 1 Dec 2026), and S4's own renewal case is now B's
    renewed = make_case(due=dt.date(2025, 12, 1), stage=Stage.RENEWED, assignee=specialist)
    successor = renewed.successor_policy
    RenewalCase.objects.create(
        policy=successor,
        customer=successor.customer,
        line=successor.line,
        expiring_premium=successor.premium,
        due_date=successor.end_date,
        stage=Stage.OPEN,
        assignee=other_specialist,
        opened_at=at(dt.date(2026, 10, 2)),
    )
    rollups_refresh(full=True)
    # when October's policies in force are read per specialist
    mine = selectors.kpi_figures(OCTOBER, _for(specialist), use_rollups=use_rollups)
    theirs = selectors.kpi_figures(OCTOBER, _for(other_specialist), use_rollups=use_rollups)
    # then S4 (the only policy in force on 31 October) is A's, who won it
    assert (mine["policies_in_force"], theirs["policies_in_force"]) == (1, 0)


def test_reassigning_the_case_that_produced_a_policy_refreshes_its_months(db, specialist, other_specialist):
    # given A renewed a policy expiring 30 September into S (from 30 September: a month in which
    # the expiring policy neither starts nor leaves force), and a recent full rebuild
    case = make_case(due=dt.date(2026, 9, 30), stage=Stage.RENEWED, assignee=specialist)
    later = timezone.now() + dt.timedelta(hours=1)
    with time_machine.travel(later):
        rollups_refresh(full=True)
    assert selectors.kpi_figures(OCTOBER, _for(specialist), use_rollups=True)["policies_in_force"] == 1
    # when, an hour after that, the case is reassigned to B and the rollups refresh incrementally
    with time_machine.travel(later + dt.timedelta(hours=1)):
        RenewalCase.objects.filter(pk=case.pk).update(assignee=other_specialist, updated_at=timezone.now())
        assert not rollups_refresh().rebuilt
    # then S moves to B in the rollups too
    mine = selectors.kpi_figures(OCTOBER, _for(specialist), use_rollups=True)
    theirs = selectors.kpi_figures(OCTOBER, _for(other_specialist), use_rollups=True)
    assert (mine["policies_in_force"], theirs["policies_in_force"]) == (0, 1)
