"""Experiments: create with arms, start, enrol (stratified, seeded, recorded once), stop, declare a
winner (which becomes the line's schedule through notifications' audited step services).

A schedule experiment changes what planning sends through ``_arm_step_filter`` (registered with
notifications' planning in ``CampaignsConfig.ready``): a case in a running experiment gets the steps
of its arm; the hold-out only the statutory notice, which planning never leaves out.
"""

import datetime as dt
import secrets
import time

from django.db import IntegrityError, connection, transaction
from django.db.models import Count
from django.utils import timezone
from django.utils.translation import gettext as _

from campaigns import assignment
from campaigns.errors import CampaignsErrorCode
from campaigns.models import Arm, Campaign, CampaignMember, Enrolment, Experiment, ExperimentEvent
from campaigns.statistics import holdout_ratio, planned_sample
from core.errors import ApplicationError, ConflictError, ErrorCode
from notifications.models import ReminderStep
from notifications.rendering import SAMPLE_CONTEXT, TemplateRenderError, render_text
from renewals.models import OPEN_STAGES, LineOfInsurance, RenewalCase

# Enrolment inserts this many rows per INSERT where there is no array INSERT (SQLite).
ENROL_BATCH = 5_000


def _arm_step_filter(case_sql: str, step_sql: str) -> str:
    """Planning's condition: the case is in no running experiment, or its arm sends this step; and
    a step made as an arm's extra call task is planned only for that arm's cases while the
    experiment is a draft or runs. Only those arms restrict it: a stopped or decided experiment's
    arm still points at its step, which a later experiment (same day and channel) or a manager
    brings back, and it is then planned as that one says (for every case once that arm won, as the
    winner's step is a line step like any other). ``case_sql``/``step_sql`` are planning's
    own column names or placeholders, never input."""
    return f"""NOT EXISTS (
        SELECT 1 FROM campaigns_enrolment e
        JOIN campaigns_experiment x ON x.id = e.experiment_id
        JOIN campaigns_arm a ON a.id = e.arm_id
        WHERE e.case_id = {case_sql} AND x.status = 'running'
          AND (a.is_holdout OR (NOT a.all_steps AND COALESCE(a.call_step_id, 0) <> {step_sql} AND NOT EXISTS (
              SELECT 1 FROM campaigns_arm_steps st WHERE st.arm_id = a.id AND st.reminderstep_id = {step_sql}
          )))
    ) AND NOT EXISTS (
        SELECT 1 FROM campaigns_arm ca
        JOIN campaigns_experiment cx ON cx.id = ca.experiment_id
        WHERE ca.call_step_id = {step_sql}
          AND cx.status IN ('draft', 'running')
          AND NOT (cx.status = 'running' AND EXISTS (
              SELECT 1 FROM campaigns_enrolment ce WHERE ce.case_id = {case_sql} AND ce.arm_id = ca.id
          ))
    )"""  # nosec B608


# Dispatch asks for every reminder whether its case is in a template arm. The lines that have a
# running template arm are kept per process for this long, so a reminder of any other line costs no
# query; starting or stopping an experiment forgets them in its own process at once, other worker
# processes see the change within this time.
TEMPLATE_ARM_LINES_SECONDS = 30.0
_template_arm_lines: tuple[float, frozenset[int]] | None = None


def _lines_with_template_arms() -> frozenset[int]:
    global _template_arm_lines
    now = time.monotonic()
    if _template_arm_lines is None or now - _template_arm_lines[0] > TEMPLATE_ARM_LINES_SECONDS:
        lines = Experiment.objects.filter(
            status=Experiment.Status.RUNNING, kind=Experiment.Kind.SCHEDULE, arms__reminder_body__gt=""
        ).values_list("line_id", flat=True)
        _template_arm_lines = (now, frozenset(lines))
    return _template_arm_lines[1]


def _forget_template_arm_lines() -> None:
    global _template_arm_lines
    _template_arm_lines = None


def _arm_reminder_text(message) -> tuple[str, str] | None:
    """Rendering's hook: a reminder of a case in a running experiment's template arm uses the arm's
    text (subject, body) instead of its step's template; None otherwise. One read on the enrolment
    case index per reminder of a line with a running template arm (notice and call rows never ask)."""
    if message.line_id not in _lines_with_template_arms():
        return None
    return (
        Enrolment.objects.filter(
            case_id=message.case_id,
            experiment__status=Experiment.Status.RUNNING,
            experiment__kind=Experiment.Kind.SCHEDULE,
        )
        .exclude(arm__reminder_body="")
        .values_list("arm__reminder_subject", "arm__reminder_body")
        .first()
    )


def _in_running_experiment(case_sql: str) -> str:
    """Planning's schedule override: a case enrolled in a running experiment gets its arm's steps,
    whatever its playbook's reminder variant says (the arm wins; docs/playbooks.md)."""
    return f"""EXISTS (
        SELECT 1 FROM campaigns_enrolment e JOIN campaigns_experiment x ON x.id = e.experiment_id
        WHERE e.case_id = {case_sql} AND x.status = 'running'
    )"""  # nosec B608


def stratum_of(line_id: int | None, segment: str) -> str:
    """The stratum key: line and segment (campaign experiments have no line: "-")."""
    return f"{line_id if line_id is not None else '-'}:{segment}"


@transaction.atomic
def experiment_create(
    *,
    name: str,
    actor,
    arms: list[dict],
    line_id: int | None = None,
    campaign_id: int | None = None,
    holdout_percent: int = 10,
    min_sample_per_arm: int = 200,
    baseline_rate_percent: float = 80.0,
    min_effect_points: float = 3.0,
) -> Experiment:
    """A draft experiment with its arms and a hold-out arm. ``arms``: dicts of code, name, weight
    and (schedule experiments) ``step_ids`` (None: every step of the line)."""
    name = (name or "").strip()
    if not name:
        raise ApplicationError(_("Give the experiment a name."), field="name", code=ErrorCode.REQUIRED)
    if (line_id is None) == (campaign_id is None):
        raise ApplicationError(_("Choose a line or a campaign."), field="line", code=ErrorCode.REQUIRED)
    if not 1 <= holdout_percent <= 50:
        raise ApplicationError(
            _("Hold-out (%): between 1 and 50."), field="holdout_percent", code=ErrorCode.OUT_OF_RANGE
        )
    if not 20 <= min_sample_per_arm <= 1_000_000:
        raise ApplicationError(
            _("Minimum decided per arm: between 20 and 1,000,000."),
            field="min_sample_per_arm",
            code=ErrorCode.OUT_OF_RANGE,
        )
    if not 1 <= baseline_rate_percent <= 99 or not 0.5 <= min_effect_points <= 50:
        raise ApplicationError(
            _("Expected rate: 1 to 99 %; smallest difference: 0.5 to 50 points."),
            field="min_effect_points",
            code=ErrorCode.OUT_OF_RANGE,
        )
    if not arms:
        raise ApplicationError(_("Add at least one arm."), field="arms", code=CampaignsErrorCode.NO_ARMS)
    if line_id is not None and not LineOfInsurance.objects.filter(pk=line_id).exists():
        raise ApplicationError(_("Unknown line."), field="line", code=ErrorCode.NOT_FOUND)
    if campaign_id is not None and not Campaign.objects.filter(pk=campaign_id, experiment__isnull=True).exists():
        raise ApplicationError(
            _("Unknown campaign, or it already runs as an experiment."), field="campaign", code=ErrorCode.INVALID
        )
    experiment = Experiment.objects.create(
        name=name[:120],
        kind=Experiment.Kind.SCHEDULE if line_id is not None else Experiment.Kind.CAMPAIGN,
        line_id=line_id,
        campaign_id=campaign_id,
        holdout_percent=holdout_percent,
        min_sample_per_arm=min_sample_per_arm,
        baseline_rate=round(baseline_rate_percent, 2),
        min_effect_points=round(min_effect_points, 2),
        seed=secrets.token_hex(8),
        created_by=actor,
    )
    line_steps = set(ReminderStep.objects.filter(line_id=line_id, removed_at__isnull=True).values_list("id", flat=True))
    line_call_offsets = set(
        ReminderStep.objects.filter(line_id=line_id, removed_at__isnull=True, channel="call").values_list(
            "offset_days", flat=True
        )
    )
    made = [Arm.objects.create(experiment=experiment, code="holdout", name=_("Hold-out"), is_holdout=True)]
    codes = {"holdout"}
    for spec in arms:
        code = str(spec.get("code") or "").strip()[:32]
        if not code or code in codes:
            raise ApplicationError(_("Each arm needs its own code."), field="arms", code=ErrorCode.INVALID)
        codes.add(code)
        step_ids = spec.get("step_ids")
        subject, body = _arm_text(spec, line_id=line_id)
        arm = Arm.objects.create(
            experiment=experiment,
            code=code,
            name=(str(spec.get("name") or code))[:80],
            weight=max(1, min(int(spec.get("weight") or 1), 100)),
            all_steps=step_ids is None,
            reminder_subject=subject,
            reminder_body=body,
        )
        call_days = spec.get("call_days_before")
        if call_days is not None:
            arm.call_step = _arm_call_step(
                call_days, line_id=line_id, taken=line_call_offsets, actor=actor, experiment=experiment
            )
            line_call_offsets.add(arm.call_step.offset_days)
            arm.save(update_fields=["call_step"])
        if step_ids is not None:
            if line_id is None or not set(step_ids) <= line_steps:
                raise ApplicationError(
                    _("An arm may only use the line's own reminder steps."),
                    field="arms",
                    code=CampaignsErrorCode.WRONG_ARM,
                )
            arm.steps.set(step_ids)
        made.append(arm)
    experiment.planned_sample_per_arm = planned_sample(
        baseline_rate=baseline_rate_percent / 100,
        min_effect=min_effect_points / 100,
        ratio=holdout_ratio(
            holdout_percent=holdout_percent, weights=[arm.weight for arm in made if not arm.is_holdout]
        ),
    )
    experiment.save(update_fields=["planned_sample_per_arm"])
    return experiment


def _arm_text(spec: dict, *, line_id: int | None) -> tuple[str, str]:
    """A template arm's subject and text, checked in notifications' sandbox (the variables of a
    reminder); ("", "") for an arm that keeps the steps' templates."""
    subject = str(spec.get("reminder_subject") or "").strip()
    body = str(spec.get("reminder_body") or "").strip()
    if not subject and not body:
        return "", ""
    if line_id is None:
        raise ApplicationError(
            _("Only a reminder schedule experiment has template arms."), field="arms", code=CampaignsErrorCode.WRONG_ARM
        )
    if not body or len(body) > 2000 or len(subject) > 200:
        raise ApplicationError(
            _("A template arm needs a text of at most 2,000 characters (subject at most 200)."),
            field="arms",
            code=ErrorCode.INVALID,
        )
    try:
        render_text(subject, SAMPLE_CONTEXT["en"])
        render_text(body, SAMPLE_CONTEXT["en"])
    except TemplateRenderError as exc:
        raise ApplicationError(str(exc), field="arms", code=ErrorCode.INVALID) from None
    return subject, body


def _arm_call_step(days: int, *, line_id: int | None, taken: set[int], actor, experiment: Experiment):
    """The line's call step an earlier-call arm adds, made through notifications' audited step
    service; planning gives it only to the arm's cases (``_arm_step_filter``)."""
    from notifications.services import reminder_step_create

    if line_id is None:
        raise ApplicationError(
            _("Only a reminder schedule experiment has call-task arms."),
            field="arms",
            code=CampaignsErrorCode.WRONG_ARM,
        )
    if isinstance(days, bool) or not isinstance(days, int) or not 1 <= days <= 365:
        raise ApplicationError(
            _("An extra call task comes 1 to 365 days before expiry."), field="arms", code=ErrorCode.OUT_OF_RANGE
        )
    if -days in taken:
        # 409: the request is well formed; the line's schedule already has that call.
        raise ConflictError(
            _("The line already has a call task on that day: choose it among the arm's steps instead."),
            field="arms",
            code=CampaignsErrorCode.WRONG_ARM,
        )
    return reminder_step_create(line_id=line_id, offset_days=-days, channel="call", actor=actor)


def _remove_call_steps(experiment: Experiment, *, actor, keep: Arm | None = None) -> list[str]:
    """Take the arms' extra call steps off the line (audited), except the winner's."""
    from notifications.services import reminder_step_remove

    removed = []
    for arm in experiment.arms.filter(call_step__isnull=False, call_step__removed_at__isnull=True).select_related(
        "call_step"
    ):
        if keep is not None and arm.pk == keep.pk:
            continue
        reminder_step_remove(step_id=arm.call_step_id, actor=actor)
        removed.append(arm.call_step.label)
    return removed


@transaction.atomic
def experiment_start(*, experiment_id: int, actor, now: dt.datetime | None = None) -> Experiment:
    """Start a draft: from now on, cases (or campaign members) are enrolled as they come."""
    now = now or timezone.now()
    experiment = Experiment.objects.select_for_update().get(pk=experiment_id)
    if experiment.status != Experiment.Status.DRAFT:
        raise ConflictError(_("Only a draft experiment can be started."), field="status")
    experiment.status = Experiment.Status.RUNNING
    experiment.started_at = now
    try:
        with transaction.atomic():
            experiment.save(update_fields=["status", "started_at"])
    except IntegrityError:
        raise ApplicationError(
            _("This line already has a running experiment."), field="line", code=CampaignsErrorCode.LINE_BUSY
        ) from None
    ExperimentEvent.objects.create(experiment=experiment, kind=ExperimentEvent.Kind.STARTED, actor=actor, at=now)
    _forget_template_arm_lines()
    return experiment


_ENROL_SQL = """
    INSERT INTO campaigns_enrolment (experiment_id, enrolled_at, arm_id, case_id, customer_id, stratum)
    SELECT %s, %s, u.arm_id, u.case_id, u.customer_id, u.stratum
    FROM unnest(%s::bigint[], %s::bigint[], %s::bigint[], %s::varchar[]) AS u(arm_id, case_id, customer_id, stratum)
    ON CONFLICT DO NOTHING
"""


def _assign_and_insert(experiment: Experiment, units: list[tuple[int, int | None, int, str]], now) -> int:
    """units: (unit id, case id or None, customer id, stratum). Returns how many were enrolled."""
    if not units:
        return 0
    arms = list(experiment.arms.all())
    holdout = next(arm for arm in arms if arm.is_holdout)
    shares = assignment.arm_shares(
        holdout_arm=holdout.pk,
        holdout_percent=experiment.holdout_percent,
        arms=[(arm.pk, arm.weight) for arm in arms if not arm.is_holdout],
    )
    already = dict(
        Enrolment.objects.filter(experiment=experiment)
        .values("stratum")
        .annotate(n=Count("id"))
        .values_list("stratum", "n")
    )
    details = {unit_id: (case_id, customer_id) for unit_id, case_id, customer_id, _stratum in units}
    assigned = assignment.assign(
        [(unit_id, stratum) for unit_id, _case, _customer, stratum in units],
        seed=experiment.seed,
        shares=shares,
        already_enrolled=already,
    )
    if connection.vendor == "postgresql":
        # One INSERT of four arrays: 100,000 rows in about a second, where batched INSERTs take many.
        with connection.cursor() as cursor:
            cursor.execute(
                _ENROL_SQL,
                [
                    experiment.pk,
                    now,
                    [item.arm_id for item in assigned],
                    [details[item.unit_id][0] for item in assigned],
                    [details[item.unit_id][1] for item in assigned],
                    [item.stratum for item in assigned],
                ],
            )
            return max(cursor.rowcount, 0)
    rows = [
        Enrolment(
            experiment=experiment,
            arm_id=item.arm_id,
            case_id=details[item.unit_id][0],
            customer_id=details[item.unit_id][1],
            stratum=item.stratum,
            enrolled_at=now,
        )
        for item in assigned
    ]
    Enrolment.objects.bulk_create(rows, batch_size=ENROL_BATCH, ignore_conflicts=True)
    return len(rows)


@transaction.atomic
def experiment_enrol_cases(*, experiment_id: int, now: dt.datetime | None = None, include_closed: bool = False) -> int:
    """Enrol the line's open cases opened since the start and not enrolled yet (a schedule
    experiment); their arms are recorded once and never recomputed. ``include_closed``: cases
    opened since the start and already decided too (the demo's history)."""
    now = now or timezone.now()
    experiment = Experiment.objects.select_for_update().get(pk=experiment_id)
    if experiment.status != Experiment.Status.RUNNING or experiment.kind != Experiment.Kind.SCHEDULE:
        return 0
    enrolled = Enrolment.objects.filter(experiment=experiment, case__isnull=False).values("case_id")
    candidates = RenewalCase.objects.filter(line_id=experiment.line_id, opened_at__gte=experiment.started_at)
    if not include_closed:
        candidates = candidates.filter(stage__in=OPEN_STAGES)
    candidates = candidates.exclude(id__in=enrolled).values_list("id", "customer_id", "customer__segment")
    units = [
        (case_id, case_id, customer_id, stratum_of(experiment.line_id, segment))
        for case_id, customer_id, segment in candidates
    ]
    return _assign_and_insert(experiment, units, now)


@transaction.atomic
def experiment_enrol_members(*, experiment_id: int, now: dt.datetime | None = None) -> int:
    """Randomise a campaign's members not in an arm yet (a campaign experiment)."""
    now = now or timezone.now()
    experiment = Experiment.objects.select_for_update().get(pk=experiment_id)
    if experiment.status != Experiment.Status.RUNNING or experiment.kind != Experiment.Kind.CAMPAIGN:
        return 0
    members = list(
        CampaignMember.objects.filter(campaign_id=experiment.campaign_id, arm__isnull=True).values_list(
            "id", "customer_id", "customer__segment"
        )
    )
    units = [(customer_id, None, customer_id, stratum_of(None, segment)) for _id, customer_id, segment in members]
    count = _assign_and_insert(experiment, units, now)
    # The member carries its arm too, so the campaign's own steps can skip the hold-out.
    arms = dict(Enrolment.objects.filter(experiment=experiment, case__isnull=True).values_list("customer_id", "arm_id"))
    by_arm: dict[int, list[int]] = {}
    for member_id, customer_id, _segment in members:
        by_arm.setdefault(arms[customer_id], []).append(member_id)
    for arm_id, member_ids in by_arm.items():
        CampaignMember.objects.filter(id__in=member_ids).update(arm_id=arm_id)
    return count


def experiments_enrol_due(*, on_date: dt.date | None = None, now: dt.datetime | None = None) -> int:
    """Every running schedule experiment enrols its new cases (run before each planning)."""
    total = 0
    for experiment_id in Experiment.objects.filter(
        status=Experiment.Status.RUNNING, kind=Experiment.Kind.SCHEDULE
    ).values_list("id", flat=True):
        total += experiment_enrol_cases(experiment_id=experiment_id, now=now)
    return total


@transaction.atomic
def experiment_stop(*, experiment_id: int, actor, now: dt.datetime | None = None) -> Experiment:
    """Stop enrolling and stop varying the schedule (every case follows the line's schedule again)."""
    now = now or timezone.now()
    experiment = Experiment.objects.select_for_update().get(pk=experiment_id)
    if experiment.status != Experiment.Status.RUNNING:
        raise ConflictError(_("Only a running experiment can be stopped."), field="status")
    experiment.status = Experiment.Status.STOPPED
    experiment.stopped_at = now
    experiment.save(update_fields=["status", "stopped_at"])
    # The arms' extra call steps leave the line (a winner's comes back when it is declared).
    removed = _remove_call_steps(experiment, actor=actor)
    _forget_template_arm_lines()
    ExperimentEvent.objects.create(
        experiment=experiment,
        kind=ExperimentEvent.Kind.STOPPED,
        actor=actor,
        at=now,
        payload={"removed_steps": removed} if removed else {},
    )
    return experiment


@transaction.atomic
def experiment_declare_winner(*, experiment_id: int, arm_id: int, actor, now: dt.datetime | None = None) -> Experiment:
    """The winner of a stopped (or running: it is stopped first) experiment. For a schedule
    experiment the winner becomes the line's schedule: the line's steps the arm did not send are
    removed through notifications' audited service (the statutory notice always stays)."""
    from notifications.services import reminder_step_create, reminder_step_remove

    now = now or timezone.now()
    experiment = Experiment.objects.select_for_update().get(pk=experiment_id)
    if experiment.status == Experiment.Status.RUNNING:
        experiment = experiment_stop(experiment_id=experiment_id, actor=actor, now=now)
    if experiment.status != Experiment.Status.STOPPED:
        raise ConflictError(_("A winner can only be declared once, after the experiment ran."), field="status")
    arm = Arm.objects.filter(pk=arm_id, experiment=experiment).first()
    if arm is None:
        raise ApplicationError(
            _("That arm is not part of this experiment."), field="arm", code=CampaignsErrorCode.WRONG_ARM
        )
    removed = []
    if experiment.kind == Experiment.Kind.SCHEDULE and arm.call_step_id is not None:
        # The winner's extra call task becomes part of the line's schedule (restored, audited).
        step = ReminderStep.objects.get(pk=arm.call_step_id)
        if step.removed_at is not None:
            reminder_step_create(line_id=step.line_id, offset_days=step.offset_days, channel=step.channel, actor=actor)
    if experiment.kind == Experiment.Kind.SCHEDULE and (arm.is_holdout or not arm.all_steps):
        kept = set() if arm.is_holdout else set(arm.steps.values_list("id", flat=True))
        if arm.call_step_id is not None:
            kept.add(arm.call_step_id)
        for step in ReminderStep.objects.filter(line_id=experiment.line_id, removed_at__isnull=True, is_notice=False):
            if step.pk not in kept:
                reminder_step_remove(step_id=step.pk, actor=actor)
                removed.append(step.label)
    experiment.status = Experiment.Status.DECIDED
    experiment.winner = arm
    experiment.save(update_fields=["status", "winner"])
    ExperimentEvent.objects.create(
        experiment=experiment,
        kind=ExperimentEvent.Kind.WINNER,
        actor=actor,
        at=now,
        payload={"arm": arm.code, "removed_steps": removed},
    )
    return experiment
