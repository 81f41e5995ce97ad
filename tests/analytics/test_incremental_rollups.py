"""The incremental refresh moves exactly the rollup cells a changed row was and is in: afterwards
every rollup row (at every grain) equals a full rebuild's, and a KPI equals the hand-counted one."""

import datetime as dt
from decimal import Decimal

import pytest
import time_machine
from django.db import connection
from django.utils import timezone

from analytics import selectors
from analytics.models import CaseFact, CaseRollup, PolicyFact
from analytics.params import Filters, Period, month_end
from analytics.services import CELL_DIMS, FULL_GRAIN, TABLES, rollups_refresh
from customers.models import Complaint
from renewals.models import LostReason, RenewalCase, Stage
from tests.analytics.factories import at, make_case, make_complaint, make_response
from tests.renewals.factories import PolicyFactory

JAN, FEB, MAR = dt.date(2026, 1, 1), dt.date(2026, 2, 1), dt.date(2026, 3, 1)


def _month(month):
    return Period(month, month_end(month), "month")


def _snapshot() -> dict:
    """Every row of every rollup table (key → measures) and every fact row."""
    tables = {}
    with connection.cursor() as cursor:
        for table in TABLES:
            key = ["grain", "month", *CELL_DIMS, *table.key_columns]
            cursor.execute(
                f"SELECT {', '.join(key)}, {', '.join(table.metric_columns)} FROM {table.model._meta.db_table}"
            )
            rows = {}
            for row in cursor.fetchall():
                assert row[: len(key)] not in rows, "a cell appears twice"
                rows[row[: len(key)]] = row[len(key) :]
            tables[table.model.__name__] = rows
        for model in (CaseFact, PolicyFact):
            cursor.execute(f"SELECT * FROM {model._meta.db_table} ORDER BY id")
            tables[model.__name__] = cursor.fetchall()
    return tables


def _assert_equals_full_rebuild():
    incremental = _snapshot()
    rollups_refresh(full=True)
    rebuilt = _snapshot()
    for name, rows in rebuilt.items():
        assert incremental[name] == rows, name
    assert any(incremental["CaseRollup"]), "the comparison must compare something"


def _later(hours=2):
    # Past the watermark overlap (15 minutes) of the last refresh.
    return time_machine.travel(timezone.now() + dt.timedelta(hours=hours))


@pytest.fixture
def three_months(db, specialist, other_specialist):
    cases = {
        "jan_open": make_case(due=JAN.replace(day=10), assignee=specialist, region="Guangdong"),
        "jan_lost": make_case(
            due=JAN.replace(day=31), stage=Stage.LOST, reason="price", assignee=specialist, line_code="health"
        ),
        "feb_open": make_case(due=FEB.replace(day=1), assignee=other_specialist, region="Zhejiang", segment="vip"),
        "feb_renewed": make_case(
            due=FEB.replace(day=14),
            stage=Stage.RENEWED,
            premium=Decimal("1000"),
            successor_premium=Decimal("1200"),
            assignee=specialist,
            contact_after_days=3,
            quoted=True,
        ),
        "mar_quoted": make_case(
            due=MAR.replace(day=20), stage=Stage.QUOTED, assignee=other_specialist, channel="agent", quoted=True
        ),
        "mar_open": make_case(due=MAR.replace(day=31), assignee=specialist, channel="broker"),
    }
    make_response(score=9, responded=at(FEB.replace(day=20)), case=cases["feb_renewed"])
    make_complaint(received=at(MAR.replace(day=2)), case=cases["mar_quoted"])
    rollups_refresh(full=True)
    with _later(1):
        # An hour on, the periodic refresh looks again at the rows written within its overlap.
        rollups_refresh()
    return cases


def test_incremental_refresh_of_several_months_and_dimensions_equals_a_full_rebuild(
    three_months, specialist, other_specialist
):
    cases = three_months
    with _later():
        now = timezone.now()
        # Jan: the open case renews (a successor policy), Feb: the open VIP case is lost,
        # Mar: the quoted case is reassigned; a customer moves region; a new case, answer and a
        # resolved complaint arrive.
        jan = cases["jan_open"]
        successor = PolicyFactory(
            customer=jan.customer,
            line=jan.line,
            previous_policy=jan.policy,
            premium=Decimal("1500"),
            start_date=jan.due_date,
            end_date=jan.due_date + dt.timedelta(days=365),
        )
        RenewalCase.objects.filter(pk=jan.pk).update(
            stage=Stage.RENEWED, successor_policy=successor, closed_at=now, first_contact_at=now, updated_at=now
        )
        RenewalCase.objects.filter(pk=cases["feb_open"].pk).update(
            stage=Stage.LOST, lost_reason=LostReason.objects.get(code="service"), closed_at=now, updated_at=now
        )
        RenewalCase.objects.filter(pk=cases["mar_quoted"].pk).update(assignee=specialist, updated_at=now)
        customer = cases["jan_lost"].customer
        customer.region = "Sichuan"
        customer.save()
        make_case(due=FEB.replace(day=28), stage=Stage.LAPSED, assignee=other_specialist)
        make_response(score=3, responded=at(MAR.replace(day=5)), case=cases["mar_open"])
        Complaint.objects.filter(case=cases["mar_quoted"]).update(
            status=Complaint.Status.RESOLVED, resolved_at=now, resolution="Done", updated_at=now
        )
        result = rollups_refresh()
    assert not result.rebuilt
    assert result.changed["CaseFact"] == 5  # four changed cases (one through its customer) and the new one
    # Hand-counted: specialist "spec" in February has the renewed case (1000 → 1200) and nothing else
    # decided; in January the renewed one (1000 → 1500) and the lost one: renewal rate 1/2.
    spec = Filters(assignee_id=specialist.pk, specialist=specialist.username)
    jan_figures = selectors.kpi_figures(_month(JAN), spec)
    assert (jan_figures["renewed"], jan_figures["lost"], jan_figures["renewal_rate"]) == (1, 1, 0.5)
    assert jan_figures["premium_retention"] == pytest.approx(1500 / 2000)
    feb_other = selectors.kpi_figures(_month(FEB), Filters(assignee_id=other_specialist.pk, specialist="spec2"))
    assert (feb_other["lost"], feb_other["lapsed"], feb_other["decided"]) == (1, 1, 2)
    assert feb_other["lost_reasons"] == {"service": 1.0}
    assert selectors.kpi_figures(_month(JAN), Filters(region="Sichuan"))["lost"] == 1
    assert selectors.kpi_figures(_month(MAR), Filters())["nps_responses"] == 1
    _assert_equals_full_rebuild()


def test_a_case_that_moves_month_and_specialist_leaves_its_old_cells(three_months, specialist, other_specialist):
    case = three_months["feb_renewed"]
    old = {"month": FEB, "assignee": specialist.pk}
    assert CaseRollup.objects.filter(grain=FULL_GRAIN, stage=Stage.RENEWED, month=FEB, assignee=specialist).exists()
    with _later():
        RenewalCase.objects.filter(pk=case.pk).update(
            due_date=MAR.replace(day=3), assignee=other_specialist, updated_at=timezone.now()
        )
        result = rollups_refresh()
    assert not result.rebuilt
    # The old cells lost it: no renewed case left in February for "spec" at any grain that has
    # the assignee, and February as a whole has no renewal.
    assert not CaseRollup.objects.filter(stage=Stage.RENEWED, month=old["month"], assignee_id=old["assignee"]).exists()
    spec = Filters(assignee_id=specialist.pk, specialist=specialist.username)
    assert selectors.kpi_figures(_month(FEB), spec)["renewed"] == 0
    assert selectors.kpi_figures(_month(FEB), Filters())["renewed"] == 0
    # The new ones gained it (with its premiums), and the successor policy follows its new specialist.
    other = Filters(assignee_id=other_specialist.pk, specialist=other_specialist.username)
    march = selectors.kpi_figures(_month(MAR), other)
    assert (march["renewed"], march["decided"], march["premium_retention"]) == (1, 1, 1.2)
    assert PolicyFact.objects.get(pk=case.successor_policy_id).assignee_id == other_specialist.pk
    _assert_equals_full_rebuild()


def test_an_unchanged_book_moves_nothing(three_months):
    before = _snapshot()
    with _later():
        result = rollups_refresh()
    assert not result.rebuilt and result.months == 0
    assert result.changed["CaseFact"] == 0
    assert _snapshot() == before


def test_rollups_out_of_step_with_their_facts_are_rebuilt(three_months):
    # A fact that disagrees with the rollups (say, edited by hand) would drive a cell negative:
    # the refresh notices and rebuilds instead of storing a wrong figure.
    case = three_months["mar_open"]
    CaseFact.objects.filter(pk=case.pk).update(stage=Stage.LOST)
    with _later():
        RenewalCase.objects.filter(pk=case.pk).update(updated_at=timezone.now())
        result = rollups_refresh()
    assert result.rebuilt
    assert CaseFact.objects.get(pk=case.pk).stage == Stage.OPEN
    _assert_equals_full_rebuild()
