"""Experiment arms beyond the line's steps: a template arm (its own reminder text, never for the
statutory notice) and an earlier-call arm (a call task only its cases get, which becomes the line's
step when it wins and leaves the line otherwise); the builder page and the API."""

import datetime as dt

import pytest
from django.core import mail

from campaigns import services
from campaigns.models import Arm, Enrolment
from core.errors import ApplicationError, ConflictError
from notifications import services as notifications
from notifications.models import OutboundMessage, ReminderStep
from notifications.services import reminders_plan
from renewals.models import SettingsChange
from tests.campaigns.test_experiments import DUE, open_cases, planned_steps, schedule_experiment
from tests.notifications.factories import step
from tests.renewals.factories import line

pytestmark = pytest.mark.django_db
M = OutboundMessage
TEMPLATE_ARM = {
    "code": "warm",
    "name": "Warmer text",
    "step_ids": None,
    "reminder_subject": "{{ customer_name }}, your cover ends soon",
    "reminder_body": "Dear {{ customer_name }}, we kept your price: {{ renewal_link }}",
}
CALL_ARM = {"code": "early", "name": "Early call", "step_ids": None, "call_days_before": 40}
TODAY_ARM = {"code": "current", "name": "Today", "step_ids": None}


def arm_of(experiment, code):
    return Arm.objects.get(experiment=experiment, code=code)


def cases_in(experiment, code):
    return list(Enrolment.objects.filter(experiment=experiment, arm__code=code).values_list("case_id", flat=True))


def test_a_template_arm_sends_its_own_text_and_the_notice_keeps_its_template(manager):
    # given a running experiment with today's texts against a template arm, and 40 open auto cases
    experiment = schedule_experiment(manager, arms=[TODAY_ARM, TEMPLATE_ARM])
    services.experiment_start(experiment_id=experiment.pk, actor=manager)
    open_cases(20)
    # when planning and dispatch run on the day of the T-45 e-mail notice, then of the T-30 SMS reminder
    notice_day = DUE - dt.timedelta(days=45)
    morning = dt.datetime.combine(notice_day, dt.time(2), tzinfo=dt.UTC)  # 10:00 in Shanghai
    reminders_plan(on_date=notice_day, now=morning)
    warm, today = cases_in(experiment, "warm"), cases_in(experiment, "current")
    assert warm and today
    notifications.messages_dispatch_due(now=morning, max_batches=100)
    # then every notice went out with the notice template, also in the template arm
    notices = M.objects.filter(is_notice=True, status=M.Status.SENT)
    assert notices.count() == 20
    assert not notices.filter(body__contains="we kept your price").exists()
    # and at the T-30 SMS reminder the template arm's cases get the arm's text, the others the step's
    sms_day = DUE - dt.timedelta(days=30)
    noon = dt.datetime.combine(sms_day, dt.time(4), tzinfo=dt.UTC)  # 12:00 in Shanghai
    reminders_plan(on_date=sms_day, now=noon)
    notifications.messages_dispatch_due(now=noon, max_batches=100)
    sent = M.objects.filter(step=step("auto", -30, "sms"), status=M.Status.SENT)
    warm_bodies = list(sent.filter(case_id__in=warm).values_list("body", "case__customer__name"))
    today_bodies = list(sent.filter(case_id__in=today).values_list("body", flat=True))
    assert len(warm_bodies) == len(warm) and len(today_bodies) == len(today)
    assert all(body.startswith(f"Dear {name}, we kept your price: http") for body, name in warm_bodies)
    assert not any("we kept your price" in body for body in today_bodies)
    assert mail.outbox  # the notices went by e-mail


def test_a_template_arm_text_the_sandbox_refuses_is_refused(manager):
    bad = {**TEMPLATE_ARM, "reminder_body": "{% load static %}hello"}
    with pytest.raises(ApplicationError) as refused:
        schedule_experiment(manager, arms=[TODAY_ARM, bad])
    assert refused.value.field == "arms"


def test_an_earlier_call_arm_adds_a_call_task_only_to_its_cases(manager):
    # given an experiment whose second arm adds a call 40 days before expiry
    experiment = schedule_experiment(manager, arms=[TODAY_ARM, CALL_ARM])
    call_step = arm_of(experiment, "early").call_step
    assert (call_step.line_id, call_step.offset_days, call_step.channel) == (line("auto").pk, -40, "call")
    # (made through the audited step service)
    assert SettingsChange.objects.filter(area="reminder_step", object_repr__contains="T−40").exists()
    services.experiment_start(experiment_id=experiment.pk, actor=manager)
    cases = open_cases(40)
    # when planning runs 40 days before expiry
    reminders_plan(on_date=DUE - dt.timedelta(days=40))
    # then only the early arm's cases have the call task; today's arm and the hold-out do not
    early = set(cases_in(experiment, "early"))
    called = set(M.objects.filter(step=call_step, channel="call").values_list("case_id", flat=True))
    assert early and called == early
    assert all((-40, "call") not in planned_steps(case) for case in cases if case.pk not in early)


def test_cases_outside_the_experiment_never_get_the_arms_call(manager):
    # given cases opened before the experiment started (not enrolled), and a running call arm
    before = open_cases(5)
    experiment = schedule_experiment(manager, arms=[TODAY_ARM, CALL_ARM])
    services.experiment_start(experiment_id=experiment.pk, actor=manager)
    # when planning runs on the call's day
    reminders_plan(on_date=DUE - dt.timedelta(days=40))
    # then none of them got it
    assert not M.objects.filter(case__in=before, channel="call", step__offset_days=-40).exists()


def test_stopping_removes_the_call_step_and_a_winning_call_arm_brings_it_back_for_every_case(manager):
    experiment = schedule_experiment(manager, arms=[TODAY_ARM, CALL_ARM])
    services.experiment_start(experiment_id=experiment.pk, actor=manager)
    call_step = arm_of(experiment, "early").call_step
    # stopping takes the experiment's call off the line (audited)
    services.experiment_stop(experiment_id=experiment.pk, actor=manager)
    call_step.refresh_from_db()
    assert call_step.removed_at is not None
    # declaring the call arm the winner makes it the line's step
    services.experiment_declare_winner(
        experiment_id=experiment.pk, arm_id=arm_of(experiment, "early").pk, actor=manager
    )
    call_step.refresh_from_db()
    assert call_step.removed_at is None and call_step.active
    later = open_cases(3)
    reminders_plan(on_date=DUE - dt.timedelta(days=40))
    assert set(M.objects.filter(step=call_step).values_list("case_id", flat=True)) == {case.pk for case in later}


def test_when_another_arm_wins_the_call_step_stays_off_the_line(manager):
    experiment = schedule_experiment(manager, arms=[TODAY_ARM, CALL_ARM])
    services.experiment_start(experiment_id=experiment.pk, actor=manager)
    services.experiment_declare_winner(
        experiment_id=experiment.pk, arm_id=arm_of(experiment, "current").pk, actor=manager
    )
    assert ReminderStep.objects.get(pk=arm_of(experiment, "early").call_step_id).removed_at is not None
    open_cases(3)
    reminders_plan(on_date=DUE - dt.timedelta(days=40))
    assert not M.objects.filter(step__offset_days=-40).exists()


def test_a_call_arm_on_a_day_the_line_already_calls_is_a_conflict(manager):
    # auto already has a call step at T-7
    assert step("auto", -7, "call")
    with pytest.raises(ConflictError):
        schedule_experiment(manager, arms=[TODAY_ARM, {**CALL_ARM, "call_days_before": 7}])
    assert not ReminderStep.objects.filter(line=line("auto"), offset_days=-40).exists()


# --- page and API -------------------------------------------------------------------------


def test_the_builder_makes_a_template_arm_with_an_earlier_call(client_for, manager):
    response = client_for(manager).post(
        "/experiments/new/",
        {
            "experiment-name": "Warm words and an early call",
            "experiment-line": str(line("auto").pk),
            "experiment-holdout_percent": "10",
            "experiment-min_sample_per_arm": "200",
            "experiment-baseline_rate_percent": "80",
            "experiment-min_effect_points": "3",
            "experiment-variant_name": "Warm and early",
            "experiment-variant_all_steps": "on",
            "experiment-variant_body": "Hello {{ customer_name }}",
            "experiment-variant_call_days": "40",
        },
    )
    assert response.status_code == 302, response.content.decode()[:2000]
    variant = Arm.objects.get(code="variant")
    assert variant.all_steps and variant.reminder_body == "Hello {{ customer_name }}"
    assert variant.call_step.offset_days == -40
    page = client_for(manager).get(response["Location"]).content.decode()
    assert "and a call task at T−40" in page and "Hello {{ customer_name }}" in page


def test_api_creates_template_and_call_arms_and_refuses_bad_ones(client_for, manager, specialist):
    body = {
        "name": "API arms",
        "line": line("auto").pk,
        "arms": [TODAY_ARM, TEMPLATE_ARM, {**CALL_ARM, "code": "early"}],
    }
    assert client_for(specialist).post("/api/v1/experiments/", body, content_type="application/json").status_code == 403
    created = client_for(manager).post("/api/v1/experiments/", body, content_type="application/json")
    assert created.status_code == 201, created.json()
    arms = {arm["code"]: arm for arm in created.json()["arms"]}
    assert arms["warm"]["reminder_body"] == TEMPLATE_ARM["reminder_body"]
    assert arms["early"]["call_step"] == Arm.objects.get(code="early").call_step_id
    # the same early call again collides with the step the first experiment made: 409
    again = client_for(manager).post(
        "/api/v1/experiments/", {**body, "arms": [CALL_ARM]}, content_type="application/json"
    )
    assert again.status_code == 409
    for arm in (
        {**CALL_ARM, "call_days_before": 0},
        {**CALL_ARM, "call_days_before": 10**12},
        {**CALL_ARM, "call_days_before": "forty"},
        {**TEMPLATE_ARM, "reminder_body": 12},
        {**TEMPLATE_ARM, "reminder_body": "x" * 2001},
        {**TEMPLATE_ARM, "reminder_body": "bad\x00"},
    ):
        refused = client_for(manager).post(
            "/api/v1/experiments/", {**body, "arms": [arm]}, content_type="application/json"
        )
        assert refused.status_code == 400, (arm, refused.json())


def test_a_new_experiment_reusing_a_stopped_experiments_call_day_plans_its_arm(manager):
    # given experiment A with a T-40 call arm, started and stopped (its call step leaves the line)
    first = schedule_experiment(manager, arms=[TODAY_ARM, CALL_ARM])
    services.experiment_start(experiment_id=first.pk, actor=manager)
    services.experiment_stop(experiment_id=first.pk, actor=manager)
    # and experiment B with a T-40 call arm too (the same step row comes back for it)
    second = schedule_experiment(manager, arms=[TODAY_ARM, CALL_ARM])
    assert arm_of(second, "early").call_step_id == arm_of(first, "early").call_step_id
    services.experiment_start(experiment_id=second.pk, actor=manager)
    cases = open_cases(40)
    # when planning runs 40 days before expiry
    reminders_plan(on_date=DUE - dt.timedelta(days=40))
    # then B's early arm's cases have the call task, and only they
    early = set(cases_in(second, "early"))
    called = set(M.objects.filter(channel="call", step__offset_days=-40).values_list("case_id", flat=True))
    assert early and called == early
    assert len(cases) > len(early)


def test_a_call_step_a_manager_adds_back_after_a_stopped_experiment_is_planned_for_every_case(manager):
    # given experiment A with a T-40 call arm, stopped
    experiment = schedule_experiment(manager, arms=[TODAY_ARM, CALL_ARM])
    services.experiment_start(experiment_id=experiment.pk, actor=manager)
    services.experiment_stop(experiment_id=experiment.pk, actor=manager)
    # when a manager adds a T-40 call to the line by hand (the removed step row comes back)
    added = notifications.reminder_step_create(line_id=line("auto").pk, offset_days=-40, channel="call", actor=manager)
    assert added.pk == arm_of(experiment, "early").call_step_id
    cases = open_cases(4)
    reminders_plan(on_date=DUE - dt.timedelta(days=40))
    # then every case gets it
    called = set(M.objects.filter(step=added).values_list("case_id", flat=True))
    assert called == {case.pk for case in cases}
