"""Reads of the campaigns app: a customer's lifecycle, stage counts and flows, campaigns with their
outcome counts, experiments with their per-arm counts and series."""

import datetime as dt
from decimal import Decimal

from django.db import connection
from django.db.models import Count, Exists, OuterRef, Q, Subquery, Sum
from django.db.models.functions import TruncMonth
from django.utils.translation import gettext as _

from campaigns.models import (
    DEFAULT_DORMANT_MONTHS,
    Arm,
    Campaign,
    CampaignMember,
    CampaignMessage,
    Enrolment,
    Experiment,
    LifecycleChange,
    LineLifecycleSetting,
)
from campaigns.statistics import ArmCounts, ExperimentResult, analyse, cumulative_series, holdout_ratio
from customers.models import Customer
from notifications.models import OutboundMessage
from renewals.models import DECIDED_STAGES, Stage

LifecycleStage = Customer.LifecycleStage
# The customer page shows this many recent stage changes.
HISTORY_ROWS = 20
# …and this many of their campaigns.
CAMPAIGN_ROWS = 5
# The stage list pages by customer id, this many rows a page (keyset: no OFFSET, no full count).
LIST_PAGE = 50


def customer_lifecycle(*, customer_id: int) -> dict:
    customer = Customer.objects.only("id", "lifecycle_stage").get(pk=customer_id)
    history = list(
        LifecycleChange.objects.filter(customer_id=customer_id).order_by("-changed_on", "-id")[:HISTORY_ROWS]
    )
    # The customer's campaigns, newest first: a specialist on the phone sees the offer they may make.
    memberships = list(
        CampaignMember.objects.filter(customer_id=customer_id)
        .select_related("campaign")
        .order_by("-campaign__starts_on", "-id")[:CAMPAIGN_ROWS]
    )
    return {"customer": customer, "history": history, "memberships": memberships}


def lifecycle_settings() -> list[dict]:
    """Every line with its "dormant after" months (the default where it has no setting): two queries."""
    from renewals.models import LineOfInsurance

    months = dict(LineLifecycleSetting.objects.values_list("line_id", "dormant_after_months"))
    return [
        {"line": line, "months": months.get(line.pk, DEFAULT_DORMANT_MONTHS), "is_default": line.pk not in months}
        for line in LineOfInsurance.objects.order_by("sort_order", "code")
    ]


def stage_counts() -> list[dict]:
    """Customers per stage (one GROUP BY answered by the stage index)."""
    counts = dict(
        Customer.objects.order_by()
        .values("lifecycle_stage")
        .annotate(n=Count("id"))
        .values_list("lifecycle_stage", "n")
    )
    return [{"stage": value, "label": label, "count": counts.get(value, 0)} for value, label in LifecycleStage.choices]


def customers_in_stage(*, stage: str, before_id: int | None = None) -> tuple[list[Customer], int | None]:
    """One page of customers in ``stage``, newest id first; the id to continue from (or None)."""
    rows = Customer.objects.filter(lifecycle_stage=stage).order_by("-id")
    if before_id is not None:
        rows = rows.filter(id__lt=before_id)
    page = list(rows.only("id", "name", "region", "segment", "lifecycle_stage")[: LIST_PAGE + 1])
    next_id = page[LIST_PAGE - 1].pk if len(page) > LIST_PAGE else None
    return page[:LIST_PAGE], next_id


def lifecycle_flows(*, since: dt.date) -> dict:
    """Stage changes per month since ``since`` (first derivations, from "", left out): the chart
    of customers moving between stages. {"months": [...], "flows": {"lapsed→won_back": [...]}}."""
    rows = (
        LifecycleChange.objects.filter(changed_on__gte=since)
        .exclude(from_stage="")
        .annotate(month=TruncMonth("changed_on"))
        .values("month", "from_stage", "to_stage")
        .annotate(n=Count("id"))
        .order_by("month")
    )
    months: list[dt.date] = []
    flows: dict[tuple[str, str], dict[dt.date, int]] = {}
    for row in rows:
        if row["month"] not in months:
            months.append(row["month"])
        flows.setdefault((row["from_stage"], row["to_stage"]), {})[row["month"]] = row["n"]
    labels = dict(LifecycleStage.choices)
    return {
        "months": months,
        "flows": [
            {"label": f"{labels[a]} → {labels[b]}", "data": [by_month.get(month, 0) for month in months]}
            for (a, b), by_month in sorted(flows.items(), key=lambda item: -sum(item[1].values()))
        ],
    }


# --- campaigns ------------------------------------------------------------------------------


def campaign_list():
    return Campaign.objects.annotate(
        member_count=Count("members"),
        reactivated=Count("members", filter=Q(members__outcome=CampaignMember.Outcome.REACTIVATED)),
    ).order_by("-created_at", "-id")


def campaign_outcomes(*, campaign: Campaign) -> dict:
    """Members per outcome, the reactivation rate among those reached, premium won back."""
    counts = dict(
        CampaignMember.objects.filter(campaign=campaign)
        .values("outcome")
        .annotate(n=Count("id"))
        .values_list("outcome", "n")
    )
    premium = CampaignMember.objects.filter(campaign=campaign, outcome=CampaignMember.Outcome.REACTIVATED).aggregate(
        total=Sum("premium")
    )["total"] or Decimal("0")
    total = sum(counts.values())
    reached = total - counts.get(CampaignMember.Outcome.UNREACHABLE, 0)
    reactivated = counts.get(CampaignMember.Outcome.REACTIVATED, 0)
    return {
        "rows": [
            {"outcome": value, "label": label, "count": counts.get(value, 0)}
            for value, label in CampaignMember.Outcome.choices
        ],
        "total": total,
        "reached": reached,
        "reactivated": reactivated,
        "rate": reactivated / reached if reached else None,
        "premium": premium,
        "messages": CampaignMessage.objects.filter(member__campaign=campaign).count(),
    }


def campaign_step_counts(*, campaign: Campaign) -> list[dict]:
    """Per step: messages (or call tasks) planned, and how many of them the outbox sent (a call task:
    done), skipped (no consent, marketing opt-out, no address, outcome known), failed, or still
    waiting. One grouped query: the campaign's messages joined to their outbox rows on the outbox's
    own ``campaign_message_id`` (kind 'campaign', unique there), counted per step and status."""
    message, member, outbox = (model._meta.db_table for model in (CampaignMessage, CampaignMember, OutboundMessage))
    sql = f"""
        SELECT cm.step_id, o.status, COUNT(*)
        FROM {message} cm
        JOIN {member} m ON m.id = cm.member_id
        LEFT JOIN {outbox} o ON o.kind = %s AND o.campaign_message_id = cm.id
        WHERE m.campaign_id = %s
        GROUP BY cm.step_id, o.status
    """  # nosec B608 - table names from the models, values as parameters
    with connection.cursor() as cursor:
        cursor.execute(sql, [OutboundMessage.Kind.CAMPAIGN, campaign.pk])
        rows = [{"step_id": step_id, "outbox_status": status, "n": n} for step_id, status, n in cursor.fetchall()]
    counts: dict[int, dict[str, int]] = {}
    for row in rows:
        counts.setdefault(row["step_id"], {})[row["outbox_status"] or ""] = row["n"]
    Status = OutboundMessage.Status
    result = []
    for step in campaign.steps.all():
        by_status = counts.get(step.pk, {})
        result.append(
            {
                "step": step,
                "planned": sum(by_status.values()),
                "sent": by_status.get(Status.SENT, 0),
                "skipped": by_status.get(Status.SKIPPED, 0),
                "failed": by_status.get(Status.FAILED, 0),
                "waiting": by_status.get(Status.SCHEDULED, 0) + by_status.get(Status.SENDING, 0) + by_status.get("", 0),
            }
        )
    return result


# --- experiments ----------------------------------------------------------------------------


def experiment_list():
    return Experiment.objects.select_related("line", "campaign", "winner").annotate(enrolled=Count("enrolments"))


def _schedule_counts(experiment: Experiment, arms: list[Arm]) -> list[ArmCounts]:
    decided = Q(case__stage__in=DECIDED_STAGES)
    renewed = Q(case__stage=Stage.RENEWED)
    rows = {
        row["arm_id"]: row
        for row in Enrolment.objects.filter(experiment=experiment)
        .values("arm_id")
        .annotate(
            enrolled=Count("id"),
            decided=Count("id", filter=decided),
            successes=Count("id", filter=renewed),
            premium_expiring=Sum("case__expiring_premium", filter=decided),
            premium_retained=Sum("case__successor_policy__premium", filter=renewed),
        )
    }
    arm_of_case = Enrolment.objects.filter(experiment=experiment, case_id=OuterRef("case_id")).values("arm_id")[:1]
    messages = dict(
        OutboundMessage.objects.filter(
            case_id__in=Enrolment.objects.filter(experiment=experiment).values("case_id"),
            kind=OutboundMessage.Kind.REMINDER,
            status=OutboundMessage.Status.SENT,
        )
        .annotate(arm_id=Subquery(arm_of_case))
        .values("arm_id")
        .annotate(n=Count("id"))
        .values_list("arm_id", "n")
    )
    return [_arm_counts(arm, rows.get(arm.pk, {}), messages.get(arm.pk, 0)) for arm in arms]


def _campaign_counts(experiment: Experiment, arms: list[Arm]) -> list[ArmCounts]:
    members = CampaignMember.objects.filter(campaign_id=experiment.campaign_id, arm__isnull=False)
    rows = {
        row["arm_id"]: row
        for row in members.values("arm_id").annotate(
            enrolled=Count("id"),
            decided=Count("id", filter=~Q(outcome=CampaignMember.Outcome.PENDING)),
            successes=Count("id", filter=Q(outcome=CampaignMember.Outcome.REACTIVATED)),
            premium_retained=Sum("premium"),
        )
    }
    sent = OutboundMessage.objects.filter(
        pk=OuterRef("outbox_message_id"), status=OutboundMessage.Status.SENT, channel__in=["email", "sms"]
    )
    messages = dict(
        CampaignMessage.objects.filter(Exists(sent), member__in=members)
        .values("member__arm_id")
        .annotate(n=Count("id"))
        .values_list("member__arm_id", "n")
    )
    return [_arm_counts(arm, rows.get(arm.pk, {}), messages.get(arm.pk, 0)) for arm in arms]


def arm_label(arm: Arm) -> str:
    """The arm's name; the hold-out's in the reader's language (its stored name is the creator's)."""
    return str(_("Hold-out")) if arm.is_holdout else arm.name


def _arm_counts(arm: Arm, row: dict, messages: int) -> ArmCounts:
    return ArmCounts(
        arm_id=arm.pk,
        name=arm_label(arm),
        is_holdout=arm.is_holdout,
        enrolled=row.get("enrolled", 0),
        decided=row.get("decided", 0),
        successes=row.get("successes", 0),
        messages_sent=messages,
        premium_expiring=row.get("premium_expiring") or Decimal("0"),
        premium_retained=row.get("premium_retained") or Decimal("0"),
    )


def experiment_results(*, experiment: Experiment) -> ExperimentResult:
    """Per-arm figures (counts from SQL, statistics from campaigns.statistics)."""
    arms = list(experiment.arms.order_by("is_holdout", "id"))
    counts = (
        _schedule_counts(experiment, arms)
        if experiment.kind == Experiment.Kind.SCHEDULE
        else _campaign_counts(experiment, arms)
    )
    return analyse(
        counts,
        minimum=experiment.min_sample_per_arm,
        planned=experiment.planned_sample_per_arm,
        holdout_ratio=holdout_ratio(
            holdout_percent=experiment.holdout_percent, weights=[arm.weight for arm in arms if not arm.is_holdout]
        ),
    )


def experiment_series(*, experiment: Experiment) -> list[dict]:
    """Per arm, the running rate by month of decision with its 95 % interval (the page's chart)."""
    arms = list(experiment.arms.order_by("is_holdout", "id"))
    if experiment.kind == Experiment.Kind.SCHEDULE:
        rows = (
            Enrolment.objects.filter(experiment=experiment, case__stage__in=DECIDED_STAGES)
            .annotate(month=TruncMonth("case__closed_at"))
            .values("arm_id", "month")
            .annotate(decided=Count("id"), successes=Count("id", filter=Q(case__stage=Stage.RENEWED)))
            .order_by("month")
        )
    else:
        rows = (
            CampaignMember.objects.filter(campaign_id=experiment.campaign_id, arm__isnull=False)
            .exclude(outcome=CampaignMember.Outcome.PENDING)
            .annotate(month=TruncMonth("outcome_on"))
            .values("arm_id", "month")
            .annotate(decided=Count("id"), successes=Count("id", filter=Q(outcome=CampaignMember.Outcome.REACTIVATED)))
            .order_by("month")
        )
    by_arm: dict[int, list] = {}
    months = []
    for row in rows:
        if row["month"] is None:
            continue
        label = row["month"].strftime("%Y-%m")
        if label not in months:
            months.append(label)
        by_arm.setdefault(row["arm_id"], []).append((label, row["decided"], row["successes"]))
    return [
        {"arm": arm_label(arm), "is_holdout": arm.is_holdout, "points": cumulative_series(by_arm.get(arm.pk, []))}
        for arm in arms
    ]


# The keys campaigns adds to /api/v1/kpis/ (analytics.api.campaign_kpi_figures).
CAMPAIGN_KPI_KEYS = ("reactivation_rate",)


def reactivation_counts(*, start: dt.date, end: dt.date, region: str = "", segments: tuple[str, ...] = ()) -> dict:
    """Campaign members whose outcome was settled between ``start`` and ``end`` (inclusive) and who
    could be reached: how many came back (the KPI reactivation_rate's numerator and denominator)."""
    members = CampaignMember.objects.filter(outcome_on__gte=start, outcome_on__lte=end).exclude(
        outcome__in=[CampaignMember.Outcome.PENDING, CampaignMember.Outcome.UNREACHABLE]
    )
    if region:
        members = members.filter(region=region)
    if segments:
        members = members.filter(customer__segment__in=segments)
    return members.aggregate(
        reached=Count("id"), reactivated=Count("id", filter=Q(outcome=CampaignMember.Outcome.REACTIVATED))
    )


# The uplift model reads at most this many decided cases (about 100 bytes each in memory).
UPLIFT_MAX_ROWS = 200_000


def experiment_uplift(*, experiment: Experiment):
    """Per segment, the two-model uplift of a schedule experiment's reminders (None: not enough)."""
    from campaigns.uplift import UpliftRow, segment_uplift

    if experiment.kind != Experiment.Kind.SCHEDULE:
        return None
    rows = (
        Enrolment.objects.filter(experiment=experiment, case__stage__in=DECIDED_STAGES)
        .order_by("id")
        .values_list("case__customer__segment", "case__expiring_premium", "arm__is_holdout", "case__stage")[
            :UPLIFT_MAX_ROWS
        ]
    )
    labels = dict(Customer.Segment.choices)
    result = segment_uplift(
        [
            UpliftRow(segment, float(premium), not holdout, stage == Stage.RENEWED)
            for segment, premium, holdout, stage in rows
        ]
    )
    if result is None:
        return None
    return [{"segment": labels.get(item.segment, item.segment), "item": item} for item in result]
