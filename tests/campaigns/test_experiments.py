"""Schedule experiments end to end: enrolment before planning (stratified, recorded once), planning
by arm (the hold-out gets only the statutory notice), figures per arm, stop and winner (audited)."""

import datetime as dt
from collections import Counter

import pytest
from django.utils import timezone

from campaigns import selectors, services
from campaigns.models import Arm, Enrolment, Experiment, ExperimentEvent
from core.errors import ApplicationError, ConflictError
from customers.models import Customer
from notifications.models import OutboundMessage, ReminderStep
from notifications.services import reminders_plan
from renewals.models import RenewalCase, SettingsChange, Stage
from tests.customers.factories import CustomerFactory
from tests.notifications.factories import step
from tests.renewals.factories import PolicyFactory, RenewalCaseFactory, line

pytestmark = pytest.mark.django_db
DUE = dt.date(2026, 12, 31)


def schedule_experiment(manager, **overrides):
    kwargs = {
        "name": "Shorter auto cadence",
        "actor": manager,
        "line_id": line("auto").pk,
        "arms": [
            {"code": "current", "name": "Today", "step_ids": None},
            {"code": "short", "name": "Shorter", "step_ids": [step("auto", -14, "sms").pk]},
        ],
        "min_sample_per_arm": 20,
    }
    kwargs.update(overrides)
    return services.experiment_create(**kwargs)


def open_cases(count, *, segment=Customer.Segment.STANDARD):
    return [
        RenewalCaseFactory(policy=PolicyFactory(end_date=DUE, customer=CustomerFactory(segment=segment)))
        for _ in range(count)
    ]


def planned_steps(case) -> set[tuple[int, str]]:
    return {
        (message.step.offset_days, message.channel)
        for message in OutboundMessage.objects.filter(case=case).select_related("step")
    }


def test_planning_enrols_new_cases_first_and_plans_each_arms_steps(manager):
    # given a running experiment on auto and 80 cases opened after its start
    experiment = schedule_experiment(manager)
    services.experiment_start(experiment_id=experiment.pk, actor=manager)
    cases = open_cases(60) + open_cases(20, segment=Customer.Segment.VIP)
    # when planning runs 30 days and then 14 days before expiry
    reminders_plan(on_date=DUE - dt.timedelta(days=30))
    reminders_plan(on_date=DUE - dt.timedelta(days=14))
    # then every case got an arm, stratified by line and segment
    arm_of = dict(Enrolment.objects.filter(experiment=experiment).values_list("case_id", "arm__code"))
    assert set(arm_of) == {case.pk for case in cases}
    strata = Counter(Enrolment.objects.filter(experiment=experiment).values_list("stratum", flat=True))
    assert strata == {f"{line('auto').pk}:standard": 60, f"{line('auto').pk}:vip": 20}
    # and each case was planned its arm's steps: the hold-out only the notice (T-45 e-mail)
    notice = (-45, "email")
    for case in cases:
        expected = {
            "current": {notice, (-30, "sms"), (-14, "sms")},
            "short": {notice, (-14, "sms")},
            "holdout": {notice},
        }[arm_of[case.pk]]
        assert planned_steps(case) == expected, arm_of[case.pk]
    # 10 % hold-out: 20-unit blocks give 2 per full block (60 standard: 6; 20 VIP: 2)
    assert Counter(arm_of.values())["holdout"] == 8


def test_an_enrolment_never_changes_and_old_cases_are_left_out(manager):
    old_case = open_cases(1)[0]
    experiment = schedule_experiment(manager)
    services.experiment_start(experiment_id=experiment.pk, actor=manager)
    RenewalCase.objects.filter(pk=old_case.pk).update(opened_at=timezone.now() - dt.timedelta(days=1))
    cases = open_cases(30)
    assert services.experiment_enrol_cases(experiment_id=experiment.pk) == 30
    before = dict(Enrolment.objects.values_list("case_id", "arm_id"))
    # a second enrolment run adds nothing and moves nobody
    assert services.experiment_enrol_cases(experiment_id=experiment.pk) == 0
    assert dict(Enrolment.objects.values_list("case_id", "arm_id")) == before
    assert old_case.pk not in before and len(before) == len(cases)


def test_the_figures_per_arm_count_what_happened_to_the_cases(manager):
    experiment = schedule_experiment(manager)
    services.experiment_start(experiment_id=experiment.pk, actor=manager)
    cases = open_cases(40)
    services.experiment_enrol_cases(experiment_id=experiment.pk)
    arm_of = dict(Enrolment.objects.values_list("case_id", "arm__code"))
    # given: every "current" case renews, the others lapse, except 5 left open
    renewed = {"current": 0, "short": 0, "holdout": 0}
    decided = {"current": 0, "short": 0, "holdout": 0}
    for index, case in enumerate(cases):
        if index < 5:
            continue
        code = arm_of[case.pk]
        decided[code] += 1
        if code == "current":
            successor = PolicyFactory(
                customer=case.customer, start_date=DUE + dt.timedelta(days=1), end_date=DUE + dt.timedelta(days=366)
            )
            RenewalCase.objects.filter(pk=case.pk).update(
                stage=Stage.RENEWED, successor_policy=successor, closed_at=timezone.now()
            )
            renewed[code] += 1
        else:
            RenewalCase.objects.filter(pk=case.pk).update(stage=Stage.LAPSED, closed_at=timezone.now())
    # when the page's figures are read
    results = selectors.experiment_results(experiment=experiment)
    by_code = {Arm.objects.get(pk=arm.counts.arm_id).code: arm for arm in results.arms}
    # then each arm's counts are the ones made above, and the rates follow
    for code in ("current", "short", "holdout"):
        assert by_code[code].counts.enrolled == Counter(arm_of.values())[code]
        assert by_code[code].counts.decided == decided[code]
        assert by_code[code].counts.successes == renewed[code]
    assert by_code["current"].rate == 1.0 and by_code["short"].rate == 0.0
    # the hold-out has fewer than 20 decided: "not enough data yet", no difference shown
    assert not results.enough
    assert by_code["current"].difference is None


def test_declaring_the_shorter_cadence_the_winner_makes_it_the_lines_schedule(manager):
    experiment = schedule_experiment(manager)
    services.experiment_start(experiment_id=experiment.pk, actor=manager)
    short = experiment.arms.get(code="short")
    # when a manager declares the shorter cadence the winner
    services.experiment_declare_winner(experiment_id=experiment.pk, arm_id=short.pk, actor=manager)
    # then auto keeps the notice and T-14 only; the removed steps are in the settings audit
    kept = set(
        ReminderStep.objects.filter(line=line("auto"), removed_at__isnull=True).values_list("offset_days", flat=True)
    )
    assert kept == {-45, -14}
    assert SettingsChange.objects.filter(area="reminder_step", actor=manager).count() == 3
    experiment.refresh_from_db()
    assert experiment.status == Experiment.Status.DECIDED and experiment.winner == short
    assert list(experiment.events.values_list("kind", flat=True)) == [
        ExperimentEvent.Kind.WINNER,
        ExperimentEvent.Kind.STOPPED,
        ExperimentEvent.Kind.STARTED,
    ]
    # and a second declaration is refused
    with pytest.raises(ConflictError):
        services.experiment_declare_winner(experiment_id=experiment.pk, arm_id=short.pk, actor=manager)


def test_one_running_experiment_per_line_and_arms_from_the_line_only(manager):
    first = schedule_experiment(manager)
    services.experiment_start(experiment_id=first.pk, actor=manager)
    second = schedule_experiment(manager, name="Another")
    with pytest.raises(ApplicationError) as busy:
        services.experiment_start(experiment_id=second.pk, actor=manager)
    assert busy.value.field == "line"
    with pytest.raises(ApplicationError) as wrong:
        schedule_experiment(manager, arms=[{"code": "x", "step_ids": [step("health", -30, "sms").pk]}])
    assert wrong.value.field == "arms"


def test_after_a_stop_the_holdout_gets_the_lines_schedule_again(manager):
    experiment = schedule_experiment(manager, holdout_percent=50)
    services.experiment_start(experiment_id=experiment.pk, actor=manager)
    cases = open_cases(10)
    reminders_plan(on_date=DUE - dt.timedelta(days=30))
    holdout_cases = [case for case in cases if Enrolment.objects.get(case=case).arm.is_holdout]
    assert holdout_cases and all(planned_steps(case) == {(-45, "email")} for case in holdout_cases)
    services.experiment_stop(experiment_id=experiment.pk, actor=manager)
    reminders_plan(on_date=DUE - dt.timedelta(days=14))
    assert all((-14, "sms") in planned_steps(case) for case in holdout_cases)
