"""Lifecycle stages derived from policies, cases and complaints, with their history; both the
one-statement PostgreSQL form and the batched portable form give the same answers."""

import datetime as dt

import pytest

from campaigns.models import LifecycleChange, LineLifecycleSetting
from campaigns.services import lifecycle_refresh, lifecycle_setting_set
from core.errors import ApplicationError
from customers.models import Customer
from tests.campaigns.factories import policy_chain
from tests.customers.factories import CustomerFactory, log_complaint
from tests.renewals.factories import PolicyFactory, RenewalCaseFactory, line

pytestmark = pytest.mark.django_db
ON = dt.date(2026, 6, 15)
Stage = Customer.LifecycleStage


def stage_of(customer) -> str:
    return Customer.objects.values_list("lifecycle_stage", flat=True).get(pk=customer.pk)


@pytest.fixture
def book():
    """One customer per stage (and the cases that must not be mistaken for one)."""
    people = {
        name: CustomerFactory(name=name)
        for name in (
            "new",
            "active",
            "renewing",
            "at_risk_score",
            "at_risk_complaint",
            "lapsed",
            "dormant",
            "health_dormant",
            "won_back",
            "second_line",
            "nothing",
        )
    }
    PolicyFactory(customer=people["new"], start_date=dt.date(2026, 1, 1), end_date=dt.date(2026, 12, 31))
    policy_chain(people["active"], first_start=dt.date(2024, 1, 1), terms=3)
    renewing = policy_chain(people["renewing"], first_start=dt.date(2024, 7, 1), terms=2)[-1]
    RenewalCaseFactory(policy=renewing, churn_risk=10)
    scored = policy_chain(people["at_risk_score"], first_start=dt.date(2024, 7, 1), terms=2)[-1]
    RenewalCaseFactory(policy=scored, churn_risk=80)
    complained = policy_chain(people["at_risk_complaint"], first_start=dt.date(2024, 7, 1), terms=2)[-1]
    RenewalCaseFactory(policy=complained, churn_risk=5)
    log_complaint(people["at_risk_complaint"])
    # Ended 2½ months ago on auto (dormant after the default 12 months): lapsed.
    policy_chain(people["lapsed"], first_start=dt.date(2024, 4, 1), terms=2)
    # Ended 18 months ago: dormant.
    PolicyFactory(customer=people["dormant"], start_date=dt.date(2024, 1, 1), end_date=dt.date(2024, 12, 31))
    # Health is set to dormant after 2 months: ended 2½ months ago is dormant there.
    LineLifecycleSetting.objects.create(line=line("health"), dormant_after_months=2)
    PolicyFactory(
        customer=people["health_dormant"],
        line=line("health"),
        start_date=dt.date(2025, 4, 1),
        end_date=dt.date(2026, 3, 31),
    )
    # Lapsed in mid-2025, came back with a new policy in February.
    PolicyFactory(customer=people["won_back"], start_date=dt.date(2024, 7, 1), end_date=dt.date(2025, 6, 30))
    PolicyFactory(customer=people["won_back"], start_date=dt.date(2026, 2, 1), end_date=dt.date(2027, 1, 31))
    # A long-standing auto customer who added a health policy this year is active, not won back.
    policy_chain(people["second_line"], first_start=dt.date(2023, 1, 1), terms=4)
    PolicyFactory(
        customer=people["second_line"],
        line=line("health"),
        start_date=dt.date(2026, 3, 1),
        end_date=dt.date(2027, 2, 28),
    )
    return people


EXPECTED = {
    "new": Stage.NEW,
    "active": Stage.ACTIVE,
    "renewing": Stage.RENEWING,
    "at_risk_score": Stage.AT_RISK,
    "at_risk_complaint": Stage.AT_RISK,
    "lapsed": Stage.LAPSED,
    "dormant": Stage.DORMANT,
    "health_dormant": Stage.DORMANT,
    "won_back": Stage.WON_BACK,
    "second_line": Stage.ACTIVE,
    "nothing": "",
}


@pytest.mark.parametrize("set_based", [True, False], ids=["one-statement", "batched"])
def test_each_customer_gets_the_stage_its_policies_and_cases_say(book, set_based):
    # when the nightly refresh runs
    changed = lifecycle_refresh(on_date=ON, set_based=set_based)
    # then every customer is in the stage worked out by hand above
    assert {name: stage_of(customer) for name, customer in book.items()} == EXPECTED
    # and each derived customer has one history row from "" (the customer without policies none)
    assert changed == len(EXPECTED) - 1
    history = {row.customer_id: row for row in LifecycleChange.objects.all()}
    assert history[book["won_back"].pk].from_stage == ""
    assert history[book["won_back"].pk].to_stage == Stage.WON_BACK
    assert history[book["won_back"].pk].changed_on == ON
    assert book["nothing"].pk not in history


@pytest.mark.parametrize("set_based", [True, False], ids=["one-statement", "batched"])
def test_a_second_run_changes_nothing_and_a_later_one_records_the_move(book, set_based):
    lifecycle_refresh(on_date=ON, set_based=set_based)
    assert lifecycle_refresh(on_date=ON, set_based=set_based) == 0
    # when the new customer's only policy ends and the refresh runs in February
    later = dt.date(2027, 2, 1)
    lifecycle_refresh(on_date=later, set_based=set_based)
    # then they moved from new to lapsed on that day, and the history keeps both rows
    assert stage_of(book["new"]) == Stage.LAPSED
    rows = list(
        LifecycleChange.objects.filter(customer=book["new"])
        .order_by("changed_on")
        .values_list("from_stage", "to_stage", "changed_on")
    )
    assert rows == [("", Stage.NEW, ON), (Stage.NEW, Stage.LAPSED, later)]


def test_a_lines_dormant_months_are_validated():
    with pytest.raises(ApplicationError) as refused:
        lifecycle_setting_set(line_id=line("auto").pk, dormant_after_months=0)
    assert refused.value.field == "dormant_after_months"
    setting = lifecycle_setting_set(line_id=line("auto").pk, dormant_after_months=6)
    assert setting.dormant_after_months == 6
