"""The demo's lifecycle history, a finished win-back campaign and a running cadence experiment.

Called once from ``seed_demo`` after the book and its derived figures exist. Deterministic for a
given book (its own seeded generator); a re-seed replaces what an earlier run made.
"""

import datetime as dt
import random
from decimal import Decimal

from django.contrib.auth.models import User
from django.db import transaction
from django.utils import timezone

from campaigns import services
from campaigns.models import Campaign, CampaignMember, CampaignMessage, Enrolment, Experiment
from campaigns.services.lifecycle import months_before
from customers.models import Customer
from demo.history import CALLS_DONE_SHARE, _SilentBackends
from notifications.models import Channel, OutboundMessage, ReminderStep
from notifications.services import call_task_complete, message_claim_one, message_dispatch
from renewals.models import LineOfInsurance, Policy

WIN_BACK_NAME = "Spring win-back 2026 / 春季召回"
CADENCE_NAME = "Auto: shorter reminder cadence / 车险：精简提醒"
# Came back within the campaign window: messaged customers and the hold-out (a real desk sees a
# few points of lift, and some customers return on their own).
REACTIVATION_MESSAGED = 0.11
REACTIVATION_HOLDOUT = 0.03
LIFECYCLE_MONTHS = 6


def _manager() -> User:
    return User.objects.filter(groups__name="manager").order_by("id").first()


def _lifecycle_history(today: dt.date) -> int:
    """A refresh at each of the last months' ends, so the flows chart has months to show."""
    changed = 0
    for back in range(LIFECYCLE_MONTHS, 0, -1):
        month_end = months_before(today, back - 1).replace(day=1) - dt.timedelta(days=1)
        changed += services.lifecycle_refresh(on_date=month_end)
    return changed + services.lifecycle_refresh(on_date=today)


def _win_back(today: dt.date, manager: User, rng: random.Random) -> Campaign:
    starts_on = today - dt.timedelta(days=75)
    ends_on = today - dt.timedelta(days=15)
    campaign = services.campaign_create(
        name=WIN_BACK_NAME,
        actor=manager,
        starts_on=starts_on,
        ends_on=ends_on,
        stages=[Customer.LifecycleStage.LAPSED, Customer.LifecycleStage.DORMANT],
        offer_discount_percent=Decimal("8.00"),
        steps=[
            {"offset_days": 0, "channel": "sms", "body": "好久不见！续保即享 8% 回归优惠。"},
            {"offset_days": 7, "channel": "call", "body": "问候客户，了解离开原因，介绍回归优惠。"},
            {
                "offset_days": 14,
                "channel": "email",
                "body": "Dear {{ customer_name }}, we would love to have you back: 8 % off your new policy.",
            },
        ],
        with_holdout=True,
    )
    # A small desk's campaign: the manager set a low minimum so the figures show (with wide intervals).
    Experiment.objects.filter(campaign=campaign).update(min_sample_per_arm=25)
    services.campaign_start(campaign_id=campaign.pk, actor=manager, on_date=starts_on)
    _run_day(campaign, starts_on, rng)
    line = LineOfInsurance.objects.order_by("sort_order", "id").first()
    members = (
        CampaignMember.objects.filter(campaign=campaign, reachable=True)
        .select_related("arm", "customer")
        .order_by("id")
    )
    new_policies = []
    for member in members:
        chance = REACTIVATION_HOLDOUT if member.arm is not None and member.arm.is_holdout else REACTIVATION_MESSAGED
        if rng.random() >= chance:
            continue
        start = starts_on + dt.timedelta(days=rng.randint(3, 55))
        new_policies.append(
            Policy(
                number=f"WB{campaign.pk:03d}{member.pk:08d}",
                customer=member.customer,
                line=line,
                product="Standard cover",
                start_date=start,
                end_date=start.replace(year=start.year + 1) - dt.timedelta(days=1),
                premium=Decimal(rng.randrange(180_000, 650_000)) / 100,
                sum_insured=Decimal("200000.00"),
                channel=Policy.Channel.DIRECT,
            )
        )
    Policy.objects.bulk_create(new_policies)
    for day in (7, 14):
        _run_day(campaign, starts_on + dt.timedelta(days=day), rng)
    _run_day(campaign, ends_on + dt.timedelta(days=1), rng)
    return campaign


def _run_day(campaign: Campaign, day: dt.date, rng: random.Random) -> None:
    """The night's run of ``day`` (03:30), then mid-morning: the day's campaign messages dispatched
    through the demo's silent backend and most call tasks done by their specialist."""
    zone = timezone.get_current_timezone()
    night = timezone.make_aware(dt.datetime.combine(day, dt.time(3, 30)), zone)
    mid_morning = timezone.make_aware(dt.datetime.combine(day, dt.time(10, 0)), zone)
    services.campaign_run(campaign_id=campaign.pk, on_date=day, now=night)
    backends = _SilentBackends()
    due = OutboundMessage.objects.filter(
        kind=OutboundMessage.Kind.CAMPAIGN, status=OutboundMessage.Status.SCHEDULED, next_attempt_at__lte=mid_morning
    ).select_related("assignee")
    sent_today: set[int] = set()
    for message in due.order_by("id"):
        if message.channel == Channel.CALL:
            if message.assignee_id and rng.random() < CALLS_DONE_SHARE:
                call_task_complete(message_id=message.pk, actor=message.assignee, now=mid_morning)
            continue
        token = message_claim_one(message_id=message.pk, now=mid_morning)
        if token is not None:
            message_dispatch(
                message_id=message.pk, lease_token=token, now=mid_morning, sent_today=sent_today, backends=backends
            )


def _cadence_experiment(today: dt.date, manager: User) -> Experiment:
    auto = LineOfInsurance.objects.get(code="auto")
    short = list(
        ReminderStep.objects.filter(line=auto, removed_at__isnull=True, is_notice=False, offset_days__gte=-14)
        .exclude(channel="call")
        .values_list("id", flat=True)
    )
    experiment = services.experiment_create(
        name=CADENCE_NAME,
        actor=manager,
        line_id=auto.pk,
        arms=[
            {"code": "current", "name": "今日节奏 / Today's cadence", "step_ids": None},
            {"code": "short", "name": "精简节奏 / Shorter cadence", "step_ids": short},
        ],
        min_sample_per_arm=20,
        baseline_rate_percent=75.0,
        min_effect_points=5.0,
    )
    started = timezone.now() - dt.timedelta(days=200)
    services.experiment_start(experiment_id=experiment.pk, actor=manager, now=started)
    services.experiment_enrol_cases(experiment_id=experiment.pk, include_closed=True)
    return experiment


def _forget_earlier_run() -> None:
    """An earlier seed's demo campaign and experiment (arms are protected, so children go first)."""
    experiments = Experiment.objects.filter(name__in=[WIN_BACK_NAME, CADENCE_NAME])
    experiments.update(winner=None)
    Enrolment.objects.filter(experiment__in=experiments).delete()
    OutboundMessage.objects.filter(
        kind=OutboundMessage.Kind.CAMPAIGN,
        campaign_message_id__in=CampaignMessage.objects.filter(member__campaign__name=WIN_BACK_NAME).values("id"),
    ).delete()
    CampaignMember.objects.filter(campaign__name=WIN_BACK_NAME).delete()
    experiments.delete()
    Campaign.objects.filter(name=WIN_BACK_NAME).delete()


@transaction.atomic
def campaigns_demo_seed(*, today: dt.date | None = None, seed: int = 13) -> dict:
    """Lifecycle stages with six months of history, the finished win-back campaign (with a 10 %
    hold-out) and the running auto cadence experiment. Returns what it made, for the command's line."""
    today = today or timezone.localdate()
    manager = _manager()
    _forget_earlier_run()
    changed = _lifecycle_history(today)
    # Demo data, meant to be reproducible: not a secret.
    campaign = _win_back(today, manager, random.Random(seed))  # nosec B311
    experiment = _cadence_experiment(today, manager)
    return {
        "lifecycle_changes": changed,
        "campaign_members": CampaignMember.objects.filter(campaign=campaign).count(),
        "reactivated": CampaignMember.objects.filter(campaign=campaign, outcome="reactivated").count(),
        "enrolled": experiment.enrolments.count(),
    }


def campaigns_demo_line(*, today: dt.date | None = None) -> str:
    made = campaigns_demo_seed(today=today)
    return (
        f"campaigns: {made['lifecycle_changes']:,} lifecycle changes, win-back campaign with "
        f"{made['campaign_members']:,} members ({made['reactivated']:,} reactivated), "
        f"{made['enrolled']:,} cases in the cadence experiment"
    )
