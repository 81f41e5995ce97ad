"""Win-back campaigns: the target over the book, the preview, the start (members in one INSERT …
SELECT), the daily run (messages due, outcomes matched), the finish.

Outcomes: ``unreachable`` at the start (no consent or no address, or a marketing opt-out);
``reactivated`` when a policy of the customer starts inside the window (from an import or a renewal,
matched by the daily run); ``declined`` when a case of theirs was lost inside the window;
``no_response`` for whoever is still waiting when the window ends.
"""

import datetime as dt
import zoneinfo
from decimal import Decimal

from django.conf import settings
from django.db import connection, transaction
from django.db.models import BooleanField, Count, Exists, ExpressionWrapper, F, OuterRef, Q, Subquery
from django.utils import timezone
from django.utils.translation import gettext as _

from campaigns.errors import CampaignsErrorCode
from campaigns.models import Campaign, CampaignMember, CampaignMessage, CampaignStep
from campaigns.services.lifecycle import months_before
from core.errors import ApplicationError, ConflictError, ErrorCode
from customers.models import Customer
from customers.regions import region_label
from notifications.models import OutboundMessage
from notifications.rendering import (
    CAMPAIGN_VARIABLES,
    SAMPLE_CONTEXT,
    TemplateRenderError,
    refuse_unknown_variables,
    render_text,
)
from renewals.models import LineOfInsurance, LostReason, Policy, RenewalCase, Stage

Outcome = CampaignMember.Outcome

# May we send this customer a marketing message at all (one channel with consent and an address)?
REACHABLE = Q(marketing_opt_out=False) & ((Q(consent_email=True) & ~Q(email="")) | (Q(consent_sms=True) & ~Q(phone="")))
# Preview lists at most this many regions (the rest are summed as "other").
PREVIEW_REGIONS = 12
# Member ids per UPDATE when callers are assigned (under SQLite's limit on bound parameters).
ASSIGN_BATCH = 500


def campaign_target(
    campaign: Campaign,
    *,
    on_date: dt.date | None = None,
    line_ids: list[int] | None = None,
    reason_ids: list[int] | None = None,
):
    """The customers the campaign's filters select (a queryset: SQL does the work). Each filter is
    applied only when set; the premium and lost-reason filters read the customer's latest policy and
    case through correlated subqueries on the customer indexes. ``line_ids``/``reason_ids`` stand in
    for the many-to-many filters of a campaign not saved yet (the builder's preview)."""
    on_date = on_date or timezone.localdate()
    customers = Customer.objects.all()
    if campaign.stages:
        customers = customers.filter(lifecycle_stage__in=campaign.stages)
    if campaign.regions:
        customers = customers.filter(region__in=campaign.regions)
    if campaign.segments:
        customers = customers.filter(segment__in=campaign.segments)
    if campaign.reachable_only:
        customers = customers.filter(REACHABLE)
    if line_ids is None:
        line_ids = list(campaign.lines.values_list("id", flat=True)) if campaign.pk else []
    if line_ids:
        customers = customers.filter(Exists(Policy.objects.filter(customer_id=OuterRef("pk"), line_id__in=line_ids)))
    latest_policy = Policy.objects.filter(customer_id=OuterRef("pk")).order_by("-end_date", "-id")
    if campaign.min_last_premium is not None or campaign.max_last_premium is not None:
        customers = customers.annotate(last_premium=Subquery(latest_policy.values("premium")[:1]))
        if campaign.min_last_premium is not None:
            customers = customers.filter(last_premium__gte=campaign.min_last_premium)
        if campaign.max_last_premium is not None:
            customers = customers.filter(last_premium__lte=campaign.max_last_premium)
    if campaign.min_months_since is not None or campaign.max_months_since is not None:
        customers = customers.annotate(last_end=Subquery(latest_policy.values("end_date")[:1]))
        if campaign.min_months_since is not None:
            customers = customers.filter(last_end__lte=months_before(on_date, campaign.min_months_since))
        if campaign.max_months_since is not None:
            customers = customers.filter(last_end__gte=months_before(on_date, campaign.max_months_since))
    if reason_ids is None:
        reason_ids = list(campaign.lost_reasons.values_list("id", flat=True)) if campaign.pk else []
    if reason_ids:
        latest_case = RenewalCase.objects.filter(customer_id=OuterRef("pk")).order_by("-due_date", "-id")
        customers = customers.annotate(last_reason=Subquery(latest_case.values("lost_reason_id")[:1])).filter(
            last_reason__in=reason_ids
        )
    return customers


def campaign_preview(campaign: Campaign, *, on_date: dt.date | None = None, **many) -> dict:
    """How many customers the target holds, by stage and by region, and how many are unreachable."""
    target = campaign_target(campaign, on_date=on_date, **many)
    totals = target.aggregate(total=Count("id"), unreachable=Count("id", filter=~REACHABLE))
    stage_labels = dict(Customer.LifecycleStage.choices)
    by_stage = [
        {"stage": row["lifecycle_stage"], "label": stage_labels.get(row["lifecycle_stage"], "—"), "count": row["n"]}
        for row in target.order_by().values("lifecycle_stage").annotate(n=Count("id")).order_by("-n")
    ]
    regions = list(target.order_by().values("region").annotate(n=Count("id")).order_by("-n", "region"))
    by_region = [{"region": row["region"], "label": region_label(row["region"]), "count": row["n"]} for row in regions]
    if len(by_region) > PREVIEW_REGIONS:
        other = sum(row["count"] for row in by_region[PREVIEW_REGIONS:])
        by_region = by_region[:PREVIEW_REGIONS] + [{"region": "", "label": _("Other regions"), "count": other}]
    return {
        "total": totals["total"],
        "unreachable": totals["unreachable"],
        "reachable": totals["total"] - totals["unreachable"],
        "by_stage": by_stage,
        "by_region": by_region,
    }


def _check_window(starts_on: dt.date, ends_on: dt.date) -> None:
    if ends_on < starts_on:
        raise ApplicationError(_("Ends on: must not be before the start."), field="ends_on", code=ErrorCode.INVALID)
    if (ends_on - starts_on).days > 366:
        raise ApplicationError(_("A campaign runs for a year at most."), field="ends_on", code=ErrorCode.OUT_OF_RANGE)


@transaction.atomic
def campaign_create(
    *,
    name: str,
    actor,
    starts_on: dt.date,
    ends_on: dt.date,
    stages: list[str] | None = None,
    line_ids: list[int] | None = None,
    regions: list[str] | None = None,
    segments: list[str] | None = None,
    lost_reason_ids: list[int] | None = None,
    min_last_premium: Decimal | None = None,
    max_last_premium: Decimal | None = None,
    min_months_since: int | None = None,
    max_months_since: int | None = None,
    reachable_only: bool = False,
    offer_discount_percent: Decimal = Decimal("0"),
    steps: list[dict] | None = None,
    with_holdout: bool = False,
) -> Campaign:
    """A draft campaign with its target and message steps (dicts of offset_days, channel, body).
    ``with_holdout``: run it as an experiment, a random 10 % of the target getting no message."""
    name = (name or "").strip()
    if not name:
        raise ApplicationError(_("Give the campaign a name."), field="name", code=ErrorCode.REQUIRED)
    _check_window(starts_on, ends_on)
    stages = list(dict.fromkeys(stages or []))
    if not set(stages) <= set(Customer.LifecycleStage.values):
        raise ApplicationError(_("Unknown lifecycle stage."), field="stages", code=ErrorCode.INVALID)
    segments = list(dict.fromkeys(segments or []))
    if not set(segments) <= set(Customer.Segment.values):
        raise ApplicationError(_("Unknown segment."), field="segments", code=ErrorCode.INVALID)
    # (An upper bound below the lower one selects nobody: the preview says 0; the builder's form
    # refuses it before it gets here.)
    if not Decimal("0") <= offer_discount_percent <= Decimal("50"):
        raise ApplicationError(
            _("Returning-customer discount (%): between 0 and 50."),
            field="offer_discount_percent",
            code=ErrorCode.OUT_OF_RANGE,
        )
    campaign = Campaign.objects.create(
        name=name[:120],
        starts_on=starts_on,
        ends_on=ends_on,
        stages=stages,
        regions=[str(region)[:64] for region in dict.fromkeys(regions or [])],
        segments=segments,
        min_last_premium=min_last_premium,
        max_last_premium=max_last_premium,
        min_months_since=min_months_since,
        max_months_since=max_months_since,
        reachable_only=reachable_only,
        offer_discount_percent=offer_discount_percent,
        created_by=actor,
    )
    if line_ids:
        lines = list(LineOfInsurance.objects.filter(id__in=line_ids))
        if len(lines) != len(set(line_ids)):
            raise ApplicationError(_("Unknown line."), field="lines", code=ErrorCode.INVALID)
        campaign.lines.set(lines)
    if lost_reason_ids:
        reasons = list(LostReason.objects.filter(id__in=lost_reason_ids))
        if len(reasons) != len(set(lost_reason_ids)):
            raise ApplicationError(_("Unknown lost reason."), field="lost_reasons", code=ErrorCode.INVALID)
        campaign.lost_reasons.set(reasons)
    seen = set()
    for step in steps or []:
        body = str(step.get("body") or "").strip()
        channel = step.get("channel")
        offset = step.get("offset_days")
        if channel not in CampaignStep.Channel.values or not isinstance(offset, int) or not 0 <= offset <= 365:
            raise ApplicationError(
                _("Each step needs a channel and a day from 0 to 365."), field="steps", code=ErrorCode.INVALID
            )
        if not body or len(body) > 1000:
            raise ApplicationError(
                _("Each step needs a message of at most 1,000 characters."), field="steps", code=ErrorCode.INVALID
            )
        if (offset, channel) in seen:
            raise ApplicationError(_("Two steps on the same day and channel."), field="steps", code=ErrorCode.INVALID)
        if channel != CampaignStep.Channel.CALL:
            # The text is rendered in notifications' sandbox when it is sent: refuse now what it would,
            # and a variable a campaign message does not have (it would come out empty).
            try:
                refuse_unknown_variables(body, CAMPAIGN_VARIABLES)
                render_text(body, SAMPLE_CONTEXT["en"], CAMPAIGN_VARIABLES)
            except TemplateRenderError as exc:
                raise ApplicationError(str(exc), field="steps", code=ErrorCode.INVALID) from None
        seen.add((offset, channel))
        CampaignStep.objects.create(campaign=campaign, offset_days=offset, channel=channel, body=body)
    if with_holdout:
        from campaigns.services.experiments import experiment_create

        experiment_create(
            name=campaign.name,
            actor=actor,
            campaign_id=campaign.pk,
            arms=[{"code": "campaign", "name": _("Campaign messages")}],
            baseline_rate_percent=5.0,
            min_effect_points=3.0,
        )
    return campaign


# "WHERE TRUE": SQLite reads ON CONFLICT after a bare SELECT … FROM as a join clause without it.
_INSERT_MEMBERS = """
    INSERT INTO campaigns_campaignmember
        (campaign_id, customer_id, stage_at_start, region, reachable, outcome, enrolled_on)
    SELECT %s, t.id, t.lifecycle_stage, t.region, t.c_reachable, %s, %s FROM ({select}) t
    WHERE TRUE
    ON CONFLICT DO NOTHING
"""


@transaction.atomic
def campaign_start(*, campaign_id: int, actor, on_date: dt.date | None = None) -> int:
    """Start a draft: every targeted customer becomes a member in one INSERT … SELECT (unreachable
    ones with that outcome at once); a campaign experiment then randomises them. Returns the count."""
    on_date = on_date or timezone.localdate()
    campaign = Campaign.objects.select_for_update().get(pk=campaign_id)
    if campaign.status != Campaign.Status.DRAFT:
        raise ConflictError(_("Only a draft campaign can be started."), field="status")
    target = (
        campaign_target(campaign, on_date=on_date)
        .annotate(c_reachable=ExpressionWrapper(REACHABLE, output_field=BooleanField()))
        .order_by()
        .values("id", "lifecycle_stage", "region", "c_reachable")
    )
    select, params = target.query.sql_with_params()
    with connection.cursor() as cursor:
        cursor.execute(_INSERT_MEMBERS.format(select=select), (campaign.pk, Outcome.PENDING, on_date, *params))
        count = max(cursor.rowcount, 0)
    if count == 0:
        # 409: the request is well formed, but starting does not apply to an empty target.
        raise ApplicationError(
            _("The target holds no customer: widen the filters."), code=CampaignsErrorCode.EMPTY_TARGET, status=409
        )
    CampaignMember.objects.filter(campaign=campaign, reachable=False).update(
        outcome=Outcome.UNREACHABLE, outcome_on=on_date
    )
    campaign.status = Campaign.Status.RUNNING
    campaign.started_at = timezone.now()
    campaign.save(update_fields=["status", "started_at"])
    experiment = getattr(campaign, "experiment", None)
    if experiment is not None:
        from campaigns.services.experiments import experiment_enrol_members, experiment_start

        if experiment.status == experiment.Status.DRAFT:
            experiment_start(experiment_id=experiment.pk, actor=actor)
        experiment_enrol_members(experiment_id=experiment.pk)
    return count


def _match_outcomes(campaign: Campaign, *, on_date: dt.date) -> dict[str, int]:
    last_day = min(on_date, campaign.ends_on)
    new_policies = Policy.objects.filter(
        customer_id=OuterRef("customer_id"), start_date__gte=campaign.starts_on, start_date__lte=last_day
    ).order_by("start_date", "id")
    waiting = CampaignMember.objects.filter(campaign=campaign, outcome=Outcome.PENDING)
    reactivated = waiting.filter(Exists(new_policies)).update(
        outcome=Outcome.REACTIVATED,
        policy_id=Subquery(new_policies.values("id")[:1]),
        premium=Subquery(new_policies.values("premium")[:1]),
        outcome_on=Subquery(new_policies.values("start_date")[:1]),
    )
    lost_cases = RenewalCase.objects.filter(
        customer_id=OuterRef("customer_id"),
        stage=Stage.LOST,
        closed_at__date__gte=campaign.starts_on,
        closed_at__date__lte=last_day,
    )
    declined = waiting.filter(Exists(lost_cases)).update(outcome=Outcome.DECLINED, outcome_on=last_day)
    no_response = 0
    if on_date > campaign.ends_on:
        no_response = waiting.update(outcome=Outcome.NO_RESPONSE, outcome_on=campaign.ends_on)
    return {"reactivated": reactivated, "declined": declined, "no_response": no_response}


# Campaign messages go out from this hour (TIME_ZONE) of their day, not when the 03:30 run plans them.
SEND_HOUR = 9

_INSERT_MESSAGES = """
    INSERT INTO campaigns_campaignmessage (member_id, step_id, due_date, skip_reason)
    SELECT t.id, %s, %s, '' FROM ({select}) t
    WHERE TRUE
    ON CONFLICT DO NOTHING
"""


def _send_from(due: dt.date, *, now: dt.datetime) -> dt.datetime:
    morning = dt.datetime.combine(due, dt.time(SEND_HOUR), tzinfo=zoneinfo.ZoneInfo(settings.TIME_ZONE))
    return max(morning, now)


def _call_offer(campaign: Campaign, step: CampaignStep) -> Decimal | None:
    """A call task carries the campaign's offer as data (the call list says it in the viewer's
    language, so the specialist sees it while calling); None for other steps or no offer."""
    if step.channel != CampaignStep.Channel.CALL or not campaign.offer_discount_percent:
        return None
    return campaign.offer_discount_percent


def _plan_messages(campaign: Campaign, *, on_date: dt.date, now: dt.datetime) -> int:
    """The steps due by ``on_date`` for members still waiting and reachable, not in the hold-out:
    one INSERT … SELECT of the campaign's rows per step, then one hand-over to notifications' outbox
    (consent, marketing opt-out and address decided there, set-based) and the link back. Idempotent:
    both inserts skip what exists, and a row already handed over is not handed over again."""
    from notifications.services import campaign_messages_enqueue

    planned = 0
    for step in campaign.steps.all():
        due = campaign.starts_on + dt.timedelta(days=step.offset_days)
        if due > on_date or due > campaign.ends_on:
            continue
        members = (
            CampaignMember.objects.filter(campaign=campaign, outcome=Outcome.PENDING, reachable=True)
            .exclude(arm__is_holdout=True)
            .order_by()
            .values("id")
        )
        select, params = members.query.sql_with_params()
        with connection.cursor() as cursor:
            cursor.execute(_INSERT_MESSAGES.format(select=select), (step.pk, due, *params))
            planned += max(cursor.rowcount, 0)
        if step.channel == CampaignStep.Channel.CALL:
            _assign_callers(campaign)
        waiting = CampaignMessage.objects.filter(step=step, outbox_message_id__isnull=True)
        campaign_messages_enqueue(
            recipients=waiting.order_by().values(
                source_id=F("id"), customer_id=F("member__customer_id"), assignee_id=F("member__call_assignee_id")
            ),
            channel=step.channel,
            subject="",
            body=step.body,
            offer_percent=_call_offer(campaign, step),
            due_date=due,
            send_from=_send_from(due, now=now),
            now=now,
        )
        waiting.update(
            outbox_message_id=Subquery(
                OutboundMessage.objects.filter(kind=OutboundMessage.Kind.CAMPAIGN, campaign_message_id=OuterRef("pk"))
                .order_by()
                .values("id")[:1]
            )
        )
    return planned


def _assign_callers(campaign: Campaign) -> int:
    """Members about to get a call task and without a caller yet are spread over the specialists by
    renewals' usual balancing (least open premium first, within line and region skills), by their
    last policy's line and premium."""
    from renewals.services import work_balance

    latest = Policy.objects.filter(customer_id=OuterRef("customer_id")).order_by("-end_date", "-id")
    rows = list(
        CampaignMember.objects.filter(
            campaign=campaign, outcome=Outcome.PENDING, reachable=True, call_assignee__isnull=True
        )
        .exclude(arm__is_holdout=True)
        .annotate(
            last_line_id=Subquery(latest.values("line_id")[:1]), last_premium=Subquery(latest.values("premium")[:1])
        )
        .values_list("id", "last_line_id", "region", "last_premium")
    )
    by_user: dict[int, list[int]] = {}
    for member_id, user_id in work_balance(rows=rows).items():
        by_user.setdefault(user_id, []).append(member_id)
    for user_id, member_ids in by_user.items():
        for start in range(0, len(member_ids), ASSIGN_BATCH):
            CampaignMember.objects.filter(id__in=member_ids[start : start + ASSIGN_BATCH]).update(
                call_assignee_id=user_id
            )
    return len(rows)


def _skip_settled(campaign: Campaign) -> int:
    """Unsent messages and call tasks of members who have an outcome now (or of a finished campaign)."""
    from notifications.services import campaign_messages_skip

    settled = CampaignMessage.objects.filter(member__campaign=campaign).exclude(member__outcome=Outcome.PENDING)
    if campaign.status == Campaign.Status.FINISHED:
        settled = CampaignMessage.objects.filter(member__campaign=campaign)
    return campaign_messages_skip(source_ids=settled.order_by().values("id"))


@transaction.atomic
def campaign_run(*, campaign_id: int, on_date: dt.date, now: dt.datetime | None = None) -> dict[str, int]:
    """One day of a running campaign: outcomes matched, messages due planned and handed to the
    outbox, the unsent ones of settled members skipped; finished after its end."""
    campaign = Campaign.objects.select_for_update().get(pk=campaign_id)
    if campaign.status != Campaign.Status.RUNNING:
        return {}
    now = now or timezone.now()
    figures = _match_outcomes(campaign, on_date=on_date)
    figures["messages"] = _plan_messages(campaign, on_date=on_date, now=now)
    if on_date > campaign.ends_on:
        campaign.status = Campaign.Status.FINISHED
        campaign.finished_at = timezone.now()
        campaign.save(update_fields=["status", "finished_at"])
        experiment = getattr(campaign, "experiment", None)
        if experiment is not None and experiment.status == experiment.Status.RUNNING:
            from campaigns.services.experiments import experiment_stop

            experiment_stop(experiment_id=experiment.pk, actor=None)
    figures["skipped"] = _skip_settled(campaign)
    return figures


def campaigns_run_due(*, on_date: dt.date, now: dt.datetime | None = None) -> dict[str, int]:
    totals: dict[str, int] = {}
    for campaign_id in Campaign.objects.filter(status=Campaign.Status.RUNNING, starts_on__lte=on_date).values_list(
        "id", flat=True
    ):
        for key, value in campaign_run(campaign_id=campaign_id, on_date=on_date, now=now).items():
            totals[key] = totals.get(key, 0) + value
    return totals
