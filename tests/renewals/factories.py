import datetime as dt
from decimal import Decimal

import factory

from renewals.models import LineOfInsurance, Policy, RenewalCase, Stage
from tests.customers.factories import CustomerFactory


def line(code="auto") -> LineOfInsurance:
    """The seeded line of insurance (created by migration)."""
    return LineOfInsurance.objects.get(code=code)


class PolicyFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = Policy

    number = factory.Sequence(lambda n: f"P{n:09d}")
    customer = factory.SubFactory(CustomerFactory)
    line = factory.LazyFunction(line)
    product = "Standard cover"
    start_date = factory.LazyAttribute(lambda o: o.end_date - dt.timedelta(days=365))
    end_date = dt.date(2026, 12, 31)
    premium = Decimal("3000.00")
    sum_insured = Decimal("200000.00")
    channel = Policy.Channel.DIRECT


class RenewalCaseFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = RenewalCase

    policy = factory.SubFactory(PolicyFactory)
    customer = factory.LazyAttribute(lambda o: o.policy.customer)
    line = factory.LazyAttribute(lambda o: o.policy.line)
    expiring_premium = factory.LazyAttribute(lambda o: o.policy.premium)
    due_date = factory.LazyAttribute(lambda o: o.policy.end_date)
    stage = Stage.OPEN


def vip_auto_case(assignee) -> RenewalCase:
    """Auto, premium 3,000.00 expiring 2026-12-31, vehicle 5 years old, a VIP customer: every seeded
    auto add-on is open to it (the add-on tests price on it by hand)."""
    policy = PolicyFactory(
        premium=Decimal("3000.00"),
        end_date=dt.date(2026, 12, 31),
        attributes={"vehicle_age": 5},
        customer=CustomerFactory(segment="vip"),
    )
    return RenewalCaseFactory(assignee=assignee, policy=policy)


# The case page's query budget, whatever the case carries (asserted in tests/renewals/test_views.py
# with 1 and 25 events): the page's own reads, + the case's competitor quotes, + the competitor list
# and the 12-month price curve on a cold cache (cached after), + the notice rules in force for the
# case (its deadline).
CASE_PAGE_QUERIES = 20
