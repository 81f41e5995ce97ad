"""Win-back campaigns: the target and its preview, the start (unreachable members at once), and
outcomes matched to new policies, lost cases and silence."""

import datetime as dt
from decimal import Decimal

import pytest
from django.utils import timezone

from campaigns import selectors, services
from campaigns.models import Campaign, CampaignMember, CampaignMessage
from core.errors import ApplicationError
from customers.models import Customer
from renewals.models import LostReason, RenewalCase, Stage
from tests.customers.factories import CustomerFactory
from tests.renewals.factories import PolicyFactory, RenewalCaseFactory, line

pytestmark = pytest.mark.django_db
START = dt.date(2026, 6, 1)
END = dt.date(2026, 6, 30)
Outcome = CampaignMember.Outcome
Stage_ = Customer.LifecycleStage


def lapsed_customer(*, region="Guangdong", premium="3000.00", ended=dt.date(2026, 3, 31), **contact):
    customer = CustomerFactory(region=region, lifecycle_stage=Stage_.LAPSED, **contact)
    PolicyFactory(
        customer=customer, start_date=ended - dt.timedelta(days=364), end_date=ended, premium=Decimal(premium)
    )
    return customer


def create(manager, **overrides):
    kwargs = {
        "name": "Come back",
        "actor": manager,
        "starts_on": START,
        "ends_on": END,
        "stages": [Stage_.LAPSED, Stage_.DORMANT],
        "steps": [{"offset_days": 0, "channel": "sms", "body": "We miss you"}],
    }
    kwargs.update(overrides)
    return services.campaign_create(**kwargs)


def test_the_preview_counts_the_target_by_stage_and_region_and_the_unreachable(manager):
    # given three lapsed customers (one opted out of marketing, one with no phone and no e-mail
    # consent), a dormant one in Beijing, and an active customer outside the target
    lapsed_customer()
    lapsed_customer(marketing_opt_out=True)
    lapsed_customer(consent_sms=False, email="")
    dormant = CustomerFactory(region="Beijing", lifecycle_stage=Stage_.DORMANT)
    PolicyFactory(customer=dormant, start_date=dt.date(2023, 1, 1), end_date=dt.date(2023, 12, 31))
    CustomerFactory(lifecycle_stage=Stage_.ACTIVE)
    # when the manager previews the campaign
    preview = services.campaign_preview(create(manager), on_date=START)
    # then
    assert preview["total"] == 4
    assert preview["unreachable"] == 2 and preview["reachable"] == 2
    assert {row["stage"]: row["count"] for row in preview["by_stage"]} == {"lapsed": 3, "dormant": 1}
    assert {row["region"]: row["count"] for row in preview["by_region"]} == {"Guangdong": 3, "Beijing": 1}


def test_filters_on_premium_months_since_and_lost_reason(manager):
    cheap = lapsed_customer(premium="800.00")
    dear = lapsed_customer(premium="9000.00")
    long_ago = lapsed_customer(ended=dt.date(2025, 1, 31))
    price = LostReason.objects.filter(kind=LostReason.Kind.LOST).first()
    lost_on_price = lapsed_customer()
    case = RenewalCaseFactory(policy=lost_on_price.policies.get())
    RenewalCase.objects.filter(pk=case.pk).update(stage=Stage.LOST, lost_reason=price, closed_at=timezone.now())

    def target(**filters):
        return set(services.campaign_target(create(manager, **filters), on_date=START).values_list("id", flat=True))

    assert target(min_last_premium=Decimal("1000")) == {dear.pk, long_ago.pk, lost_on_price.pk}
    assert target(max_last_premium=Decimal("1000")) == {cheap.pk}
    assert target(min_months_since=12) == {long_ago.pk}
    assert target(max_months_since=3) == {cheap.pk, dear.pk, lost_on_price.pk}
    assert target(lost_reason_ids=[price.pk]) == {lost_on_price.pk}
    assert target(line_ids=[line("health").pk]) == set()


def test_bad_campaigns_are_refused_with_the_field_named(manager):
    for overrides, field in (
        ({"name": " "}, "name"),
        ({"ends_on": START - dt.timedelta(days=1)}, "ends_on"),
        ({"stages": ["sleeping"]}, "stages"),
        ({"steps": [{"offset_days": 400, "channel": "sms", "body": "x"}]}, "steps"),
        ({"steps": [{"offset_days": 1, "channel": "fax", "body": "x"}]}, "steps"),
        ({"offer_discount_percent": Decimal("80")}, "offer_discount_percent"),
    ):
        with pytest.raises(ApplicationError) as refused:
            create(manager, **overrides)
        assert refused.value.field == field, overrides


def test_start_then_outcomes_are_matched_day_by_day(manager):
    comes_back = lapsed_customer()
    says_no = lapsed_customer()
    silent = lapsed_customer()
    unreachable = lapsed_customer(consent_sms=False, consent_email=False)
    campaign = create(
        manager,
        steps=[
            {"offset_days": 0, "channel": "sms", "body": "Hi"},
            {"offset_days": 10, "channel": "email", "body": "Again"},
        ],
    )
    # when it starts, every target customer is a member; the unreachable one has that outcome at once
    assert services.campaign_start(campaign_id=campaign.pk, actor=manager, on_date=START) == 4
    outcome = lambda customer: CampaignMember.objects.get(campaign=campaign, customer=customer).outcome  # noqa: E731
    assert outcome(unreachable) == Outcome.UNREACHABLE
    services.campaigns_run_due(on_date=START)
    # a new policy from an import on 12 June, a lost case on 14 June
    new_policy = PolicyFactory(
        customer=comes_back, start_date=dt.date(2026, 6, 12), end_date=dt.date(2027, 6, 11), premium=Decimal("2500.00")
    )
    case = RenewalCaseFactory(policy=says_no.policies.get())
    RenewalCase.objects.filter(pk=case.pk).update(
        stage=Stage.LOST,
        lost_reason=LostReason.objects.filter(kind="lost").first(),
        closed_at=dt.datetime(2026, 6, 14, 10, tzinfo=dt.UTC),
    )
    services.campaigns_run_due(on_date=dt.date(2026, 6, 15))
    member = CampaignMember.objects.get(campaign=campaign, customer=comes_back)
    assert (member.outcome, member.policy_id, member.premium, member.outcome_on) == (
        Outcome.REACTIVATED,
        new_policy.pk,
        Decimal("2500.00"),
        dt.date(2026, 6, 12),
    )
    assert outcome(says_no) == Outcome.DECLINED and outcome(silent) == Outcome.PENDING
    # messages: day 0 to the three reachable, day 10 to those still waiting (silent only by then)
    assert CampaignMessage.objects.filter(step__offset_days=0).count() == 3
    assert list(CampaignMessage.objects.filter(step__offset_days=10).values_list("member__customer", flat=True)) == [
        silent.pk
    ]
    # after the window: no response, and the campaign is finished
    services.campaigns_run_due(on_date=END + dt.timedelta(days=1))
    assert outcome(silent) == Outcome.NO_RESPONSE
    campaign.refresh_from_db()
    assert campaign.status == Campaign.Status.FINISHED
    figures = selectors.campaign_outcomes(campaign=campaign)
    assert figures["reached"] == 3 and figures["reactivated"] == 1
    assert figures["rate"] == pytest.approx(1 / 3)
    assert figures["premium"] == Decimal("2500.00")


def test_an_empty_target_cannot_start(manager):
    campaign = create(manager, regions=["Tibet"])
    with pytest.raises(ApplicationError):
        services.campaign_start(campaign_id=campaign.pk, actor=manager, on_date=START)
    campaign.refresh_from_db()
    assert campaign.status == Campaign.Status.DRAFT


def test_a_campaign_with_a_holdout_sends_the_holdout_nothing(manager):
    customers = [lapsed_customer() for _ in range(20)]
    campaign = create(manager, with_holdout=True)
    services.campaign_start(campaign_id=campaign.pk, actor=manager, on_date=START)
    services.campaigns_run_due(on_date=START)
    members = CampaignMember.objects.filter(campaign=campaign).select_related("arm")
    holdout = [member for member in members if member.arm.is_holdout]
    assert len(holdout) == 2 and len(members) == len(customers)
    messaged = set(CampaignMessage.objects.values_list("member_id", flat=True))
    assert messaged == {member.pk for member in members if not member.arm.is_holdout}


def test_reactivation_rate_in_the_kpi_api(manager, client_for):
    # given a finished campaign: 1 of 3 reached customers came back, 1 unreachable
    comes_back = lapsed_customer()
    lapsed_customer()
    lapsed_customer()
    lapsed_customer(consent_sms=False, consent_email=False)
    campaign = create(manager)
    services.campaign_start(campaign_id=campaign.pk, actor=manager, on_date=START)
    PolicyFactory(customer=comes_back, start_date=dt.date(2026, 6, 5), end_date=dt.date(2027, 6, 4))
    services.campaigns_run_due(on_date=END + dt.timedelta(days=1))
    # when the June KPIs are read
    body = client_for(manager).get("/api/v1/kpis/", {"start": "2026-06-01", "end": "2026-06-30"}).json()
    # then 1 / 3 (the unreachable member is not in the denominator)
    assert body["reactivation_rate"] == pytest.approx(1 / 3)
    assert (
        client_for(manager)
        .get("/api/v1/kpis/", {"start": "2026-05-01", "end": "2026-05-31"})
        .json()["reactivation_rate"]
        is None
    )
