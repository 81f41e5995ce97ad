"""Each set-based write has a PostgreSQL version and a portable one (the SQLite demo): both run the
same scenario here and must leave the same rows. The portable versions are ORM code (or, for
opening, SQL both databases accept), so they run on the PostgreSQL test database too."""

import datetime as dt
from decimal import Decimal

import pytest
from django.utils import timezone

from customers.models import Complaint, ComplaintCategory
from renewals.models import CaseEvent, LineOfInsurance, RenewalCase
from renewals.services import assignment, opening, priority
from tests.conftest import make_user
from tests.customers.factories import CustomerFactory
from tests.renewals.factories import PolicyFactory, RenewalCaseFactory

pytestmark = pytest.mark.django_db
TODAY = dt.date(2026, 11, 1)


def both(postgres, portable):
    return pytest.mark.parametrize(
        "write", [pytest.param(postgres, id="postgres"), pytest.param(portable, id="portable")]
    )


def open_complaint(customer):
    return Complaint.objects.create(
        customer=customer,
        received_via="phone",
        received_at=dt.datetime(2026, 10, 1, tzinfo=dt.UTC),
        category=ComplaintCategory.objects.first(),
        description="x",
        acknowledge_due_at=dt.datetime(2026, 10, 2, tzinfo=dt.UTC),
        sla_due_at=dt.datetime(2026, 10, 20, tzinfo=dt.UTC),
    )


@both(opening._open_postgres, opening._open_portable)
def test_opening_opens_due_policies_once_assigned_to_the_least_loaded(write, specialist, other_specialist):
    # given the first specialist already carries 10,000 of open premium
    RenewalCaseFactory(assignee=specialist, expiring_premium=Decimal("10000.00"))
    for day, premium in ((1, "4000.00"), (2, "3000.00"), (3, "5000.00")):
        PolicyFactory(end_date=dt.date(2026, 12, day), premium=Decimal(premium))
    PolicyFactory(end_date=dt.date(2026, 12, 1), status="cancelled")
    PolicyFactory(end_date=dt.date(2026, 9, 30))  # past expiry + 30 days grace
    lines = list(LineOfInsurance.objects.filter(active=True))
    # when
    new_ids = write(lines, TODAY, timezone.now())
    # then biggest first to whoever carries least: all three to the other specialist (0 → 12,000)
    new = RenewalCase.objects.filter(pk__in=new_ids)
    assert {c.expiring_premium: c.assignee_id for c in new} == {
        Decimal("5000.00"): other_specialist.pk,
        Decimal("4000.00"): other_specialist.pk,
        Decimal("3000.00"): other_specialist.pk,
    }
    # unscored: premium × 50 % (the unscored risk)
    assert {(c.stage, c.version, c.priority == c.expiring_premium / 2) for c in new} == {("open", 1, True)}
    assert write(lines, TODAY, timezone.now()) == []


@both(opening._open_postgres, opening._open_portable)
def test_opening_raises_the_priority_of_a_customer_with_an_open_complaint(write):
    customer = CustomerFactory()
    open_complaint(customer)
    PolicyFactory(customer=customer, end_date=dt.date(2026, 12, 1), premium=Decimal("1000.00"))
    write(list(LineOfInsurance.objects.filter(active=True)), TODAY, timezone.now())
    case = RenewalCase.objects.get()
    assert (
        case.has_open_complaint and case.priority == Decimal("750.00") and case.churn_reasons == []
    )  # 1000 × 0.5 × 1.5


@both(opening._opened_events_postgres, opening._opened_events_portable)
def test_opened_events_name_the_assignee(write, specialist):
    nameless = make_user("nameless", "specialist")
    cases = [RenewalCaseFactory(assignee=specialist), RenewalCaseFactory(assignee=nameless), RenewalCaseFactory()]
    write([c.pk for c in cases], timezone.now())
    payloads = [CaseEvent.objects.get(case=c, kind=CaseEvent.Kind.OPENED).payload for c in cases]
    assert payloads == [
        {"assignee_id": specialist.pk, "assignee": "Li Na"},
        {"assignee_id": nameless.pk, "assignee": "nameless"},
        {},
    ]


@both(assignment._case_rows_postgres, assignment._case_rows_portable)
def test_case_rows_for_assignment(write):
    case = RenewalCaseFactory(
        policy=PolicyFactory(customer=CustomerFactory(region="Beijing"), premium=Decimal("12.50"))
    )
    assert [tuple(row) for row in write([case.pk])] in (
        [(case.pk, case.line_id, "Beijing", Decimal("12.50"), "")],
        [(case.pk, case.line_id, "Beijing", Decimal("12.50"), None)],
    )


@both(assignment._write_assignments_postgres, assignment._write_assignments_portable)
@pytest.mark.parametrize("step", [0, 1])
def test_assignments_are_written_with_or_without_a_version_bump(write, step, specialist, other_specialist, manager):
    first, second = RenewalCaseFactory(), RenewalCaseFactory()
    now = timezone.now()
    write({first.pk: specialist.pk, second.pk: other_specialist.pk}, manager.pk, now, step)
    first.refresh_from_db()
    second.refresh_from_db()
    assert (first.assignee_id, second.assignee_id) == (specialist.pk, other_specialist.pk)
    assert {(c.version, c.updated_by_id, c.updated_at) for c in (first, second)} == {(1 + step, manager.pk, now)}


@both(priority._scores_write_postgres, priority._scores_write_portable)
def test_scores_set_risk_reasons_and_priority(write):
    calm = RenewalCaseFactory(expiring_premium=Decimal("3000.00"))
    upset = RenewalCaseFactory(expiring_premium=Decimal("3000.00"), has_open_complaint=True)
    assert write([(calm.pk, 80, ["price_up"]), (upset.pk, 80, [])]) == 2
    calm.refresh_from_db()
    upset.refresh_from_db()
    assert (calm.churn_risk, calm.churn_reasons, calm.priority) == (80, ["price_up"], Decimal("2400.00"))
    assert (upset.churn_risk, upset.churn_reasons, upset.priority) == (80, [], Decimal("3600.00"))
