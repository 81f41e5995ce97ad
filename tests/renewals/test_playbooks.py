"""Playbooks: first match in order with each line's default last, versions that cases keep, the
bulk re-apply, the assignment pool, the discount authority override, the reminder variant in
planning (an experiment's arm wins), and the Python and ORM forms of a rule agreeing."""

import datetime as dt
import itertools
from decimal import Decimal

import pytest
from django.utils import timezone

from core.errors import ApplicationError, ConflictError, PermissionDeniedError
from customers.models import Customer
from notifications.models import OutboundMessage
from notifications.services import reminders_plan
from renewals import services as renewal_services
from renewals.models import (
    CaseEvent,
    DiscountAuthority,
    LineOfInsurance,
    Playbook,
    Quote,
    RenewalCase,
    SettingsChange,
    Stage,
)
from renewals.playbooks import matching, services
from renewals.services import opening
from tests.conftest import make_user
from tests.customers.factories import CustomerFactory
from tests.races import another_process_creates
from tests.renewals.factories import PolicyFactory, RenewalCaseFactory, line
from tests.renewals.playbook_factories import default_playbook, make_senior, vip_playbook

pytestmark = pytest.mark.django_db
TODAY = dt.date(2026, 11, 1)
DUE = dt.date(2026, 12, 31)
D = Decimal


def due_policy(segment=Customer.Segment.STANDARD, premium="3000.00", **extra):
    return PolicyFactory(end_date=DUE, premium=D(premium), customer=CustomerFactory(segment=segment), **extra)


def both_openings():
    return pytest.mark.parametrize(
        "write",
        [pytest.param(opening._open_postgres, id="postgres"), pytest.param(opening._open_portable, id="portable")],
    )


@both_openings()
def test_a_vip_case_opens_with_the_vip_playbook_and_a_senior_specialist_a_standard_one_with_the_default(
    write, manager, specialist, other_specialist
):
    # given the VIP playbook, one senior specialist who already carries far more open premium
    playbook = vip_playbook(manager)
    make_senior(specialist)
    RenewalCaseFactory(assignee=specialist, expiring_premium=D("90000.00"))
    vip, standard = due_policy(Customer.Segment.VIP), due_policy()
    # when the window scan opens them
    write(list(LineOfInsurance.objects.filter(active=True)), TODAY, timezone.now())
    vip_case, standard_case = RenewalCase.objects.get(policy=vip), RenewalCase.objects.get(policy=standard)
    # then the VIP case carries the VIP playbook's version 1, goes to the senior specialist despite
    # the load, and must be contacted within 2 days; the standard case gets the line's default
    assert vip_case.playbook_version == playbook.current_version and vip_case.playbook_version.number == 1
    assert vip_case.assignee == specialist
    assert vip_case.next_action_date == TODAY + dt.timedelta(days=2)
    assert standard_case.playbook_version == default_playbook().current_version
    assert standard_case.assignee == other_specialist  # least loaded, no pool
    assert standard_case.next_action_date is None


def test_rules_are_tried_in_order_first_match_wins_and_the_default_comes_last(manager):
    # given a high-premium rule before the VIP rule, and a rule for every line after both
    vip = vip_playbook(manager, position=20)
    big = services.playbook_create(
        actor=manager, code="auto-big", name="Big premium", line_id=line("auto").pk, position=10, premium_min="10000"
    )
    anywhere = services.playbook_create(
        actor=manager, code="any-broker", name="Brokers", position=30, channels=["broker"]
    )
    rules = matching.rules_in_force()
    # then the order is by position, the defaults last
    assert [r.playbook_id for r in rules[:3]] == [big.pk, vip.pk, anywhere.pk]
    assert {r.is_default for r in rules[3:]} == {True} and len(rules) == 6

    def chosen(**attrs):
        base = {
            "line_id": line("auto").pk,
            "segment": "standard",
            "region": "Beijing",
            "channel": "direct",
            "lifecycle_stage": "",
            "churn_risk": None,
            "premium": D("3000"),
        }
        return matching.first_match(rules, **{**base, **attrs}).playbook_id

    assert chosen(segment="vip", premium=D("20000")) == big.pk  # both match: the earlier wins
    assert chosen(segment="vip") == vip.pk
    assert chosen(channel="broker") == anywhere.pk
    assert chosen(channel="broker", line_id=line("health").pk) == anywhere.pk  # no line: every line
    assert chosen() == default_playbook().pk
    assert chosen(line_id=line("health").pk) == default_playbook("health").pk


def test_the_python_rule_and_the_database_rule_agree_on_every_case(manager):
    # given rules over every condition and cases across the combinations
    vip_playbook(manager)
    services.playbook_create(
        actor=manager,
        code="risky-agents",
        name="Risky agent business",
        position=5,
        channels=["agent"],
        churn_risk_min=60,
        churn_risk_max=100,
        regions=["Beijing"],
    )
    services.playbook_create(
        actor=manager,
        code="mid-at-risk",
        name="Mid premium at risk",
        position=7,
        premium_min="1000",
        premium_max="5000",
        lifecycle_stages=["at_risk"],
    )
    cases = []
    combos = itertools.product(
        ["standard", "vip"],
        ["Beijing", "Shanghai"],
        ["agent", "direct"],
        [None, 30, 80],
        ["800.00", "3000.00"],
        ["", "at_risk"],
    )
    for segment, region, channel, risk, premium, stage in combos:
        customer = CustomerFactory(segment=segment, region=region)
        Customer.objects.filter(pk=customer.pk).update(lifecycle_stage=stage)
        policy = PolicyFactory(customer=customer, channel=channel, premium=D(premium))
        cases.append(RenewalCaseFactory(policy=policy, churn_risk=risk))
    rules = matching.rules_in_force()
    by_orm = {}
    for rule in rules:
        for case_id in RenewalCase.objects.filter(matching.first_match_q(rules, rule)).values_list("pk", flat=True):
            assert case_id not in by_orm
            by_orm[case_id] = rule.playbook_id
    for case in RenewalCase.objects.select_related("customer", "policy").filter(pk__in=[c.pk for c in cases]):
        rule = matching.first_match(
            rules,
            line_id=case.line_id,
            segment=case.customer.segment,
            region=case.customer.region,
            channel=case.policy.channel,
            lifecycle_stage=case.customer.lifecycle_stage,
            churn_risk=case.churn_risk,
            premium=case.expiring_premium,
        )
        assert by_orm.get(case.pk) == (rule.playbook_id if rule else None), case.pk
    assert len(set(by_orm.values())) == 4  # three rules and the auto default all took cases


def test_an_edit_makes_a_new_version_cases_keep_theirs_and_new_cases_get_the_new_one(manager):
    playbook = vip_playbook(manager)
    old = due_policy(Customer.Segment.VIP)
    renewal_services.cases_open_due(on_date=TODAY)
    # when the manager raises the authority and changes nothing else twice over
    services.playbook_update(actor=manager, playbook_id=playbook.pk, discount_authority_percent="20")
    services.playbook_update(actor=manager, playbook_id=playbook.pk, discount_authority_percent="20.00")
    playbook.refresh_from_db()
    # then there is one new version (the repeat changed nothing), and the open case keeps version 1
    assert list(playbook.versions.values_list("number", flat=True)) == [2, 1]
    assert playbook.current_version.discount_authority_percent == D("20.00")
    assert RenewalCase.objects.get(policy=old).playbook_version.number == 1
    new = PolicyFactory(end_date=DUE + dt.timedelta(days=1), customer=CustomerFactory(segment="vip"))
    renewal_services.cases_open_due(on_date=TODAY + dt.timedelta(days=1))
    assert RenewalCase.objects.get(policy=new).playbook_version.number == 2
    # and the audit log names the change
    change = SettingsChange.objects.filter(area="playbook", object_repr="auto-vip").first()
    assert change.changes["discount_authority_percent"] == ["15.00", "20.00"] and change.changes["version"] == [
        "1",
        "2",
    ]


def test_a_manager_reapplies_the_new_version_to_open_cases_only(manager):
    playbook = vip_playbook(manager)
    open_case = RenewalCaseFactory(playbook_version=playbook.current_version, policy=due_policy("vip"))
    closed = RenewalCaseFactory(playbook_version=playbook.current_version, policy=due_policy("vip"), stage=Stage.LAPSED)
    other = RenewalCaseFactory(playbook_version=default_playbook().current_version, policy=due_policy())
    services.playbook_update(actor=manager, playbook_id=playbook.pk, first_contact_days=1)
    # when
    moved = services.playbook_reapply(actor=manager, playbook_id=playbook.pk)
    # then only the open VIP case moved to version 2, with a timeline event and an audit entry
    assert moved == 1
    versions = dict(RenewalCase.objects.values_list("pk", "playbook_version__number"))
    assert (versions[open_case.pk], versions[closed.pk], versions[other.pk]) == (2, 1, 1)
    assert RenewalCase.objects.get(pk=open_case.pk).version == open_case.version + 1
    event = CaseEvent.objects.get(case=open_case, kind=CaseEvent.Kind.PLAYBOOK)
    assert event.payload["version"] == 2 and event.actor == manager
    assert SettingsChange.objects.filter(area="playbook", changes__reapplied_to_open_cases=["", "1"]).exists()
    # and a second re-apply finds nothing to do
    assert services.playbook_reapply(actor=manager, playbook_id=playbook.pk) == 0


def test_a_churn_band_playbook_takes_scored_open_cases_on_reapply(manager):
    # given open auto cases scored after opening, carrying the default
    default_version = default_playbook().current_version
    risky = RenewalCaseFactory(playbook_version=default_version, policy=due_policy(), churn_risk=85)
    calm = RenewalCaseFactory(playbook_version=default_version, policy=due_policy(), churn_risk=20)
    unscored = RenewalCaseFactory(playbook_version=default_version, policy=due_policy())
    playbook = services.playbook_create(
        actor=manager, code="auto-risky", name="At risk", line_id=line("auto").pk, churn_risk_min=70
    )
    # when the manager re-applies it
    assert services.playbook_reapply(actor=manager, playbook_id=playbook.pk) == 1
    # then only the case scored inside the band moved to it
    versions = dict(RenewalCase.objects.values_list("pk", "playbook_version__playbook__code"))
    assert (versions[risky.pk], versions[calm.pk], versions[unscored.pk]) == (
        "auto-risky",
        "auto-standard",
        "auto-standard",
    )


def test_only_managers_write_playbooks(manager, specialist):
    playbook = vip_playbook(manager)
    with pytest.raises(PermissionDeniedError):
        services.playbook_update(actor=specialist, playbook_id=playbook.pk, first_contact_days=1)
    with pytest.raises(PermissionDeniedError):
        services.playbook_reapply(actor=specialist, playbook_id=playbook.pk)
    with pytest.raises(PermissionDeniedError):
        services.playbook_create(actor=specialist, code="x", name="x")
    with pytest.raises(PermissionDeniedError):
        services.playbook_retire(actor=specialist, playbook_id=playbook.pk)


def test_retired_playbooks_match_nothing_and_defaults_cannot_be_retired(manager):
    playbook = vip_playbook(manager)
    services.playbook_retire(actor=manager, playbook_id=playbook.pk)
    assert playbook.pk not in {r.playbook_id for r in matching.rules_in_force()}
    with pytest.raises(ConflictError):
        services.playbook_retire(actor=manager, playbook_id=playbook.pk)
    with pytest.raises(ConflictError):
        services.playbook_update(actor=manager, playbook_id=playbook.pk, first_contact_days=3)
    with pytest.raises(ConflictError):
        services.playbook_retire(actor=manager, playbook_id=default_playbook().pk)
    due_policy("vip")
    renewal_services.cases_open_due(on_date=TODAY)
    assert RenewalCase.objects.get().playbook_version.playbook == default_playbook()


@pytest.mark.parametrize(
    ("fields", "field"),
    [
        ({"segments": ["gold"]}, "segments"),
        ({"channels": ["phone"]}, "channels"),
        ({"lifecycle_stages": ["asleep"]}, "lifecycle_stages"),
        ({"churn_risk_min": 101}, "churn_risk_min"),
        ({"premium_min": "1e400"}, "premium_min"),
        ({"premium_max": "NaN"}, "premium_max"),
        ({"discount_authority_percent": "100.5"}, "discount_authority_percent"),
        ({"first_contact_days": -1}, "first_contact_days"),
        ({"reminders_from_days": 10**9}, "reminders_from_days"),
        ({"assignment_skill": "se nior"}, "assignment_skill"),
        ({"regions": ["Bei\x00jing"]}, "regions"),
        ({"name": ""}, "name"),
        ({"name": "x" * 101}, "name"),
        ({"code": "bad code"}, "code"),
        ({"line_id": 10**12}, "line"),
        ({"is_default": True, "line_id": None}, "line"),
    ],
)
def test_bad_playbooks_are_refused_with_the_field_named(manager, fields, field):
    kwargs = {"code": "t1", "name": "Test", "line_id": line("health").pk, **fields}
    with pytest.raises(ApplicationError) as refused:
        services.playbook_create(actor=manager, **kwargs)
    assert refused.value.field == field


def test_a_second_default_or_a_default_with_conditions_is_refused(manager):
    with pytest.raises(ConflictError):
        services.playbook_create(actor=manager, code="auto-2", name="Another", line_id=line("auto").pk, is_default=True)
    with pytest.raises(ConflictError) as refused:
        services.playbook_update(actor=manager, playbook_id=default_playbook().pk, segments=["vip"])
    assert refused.value.field == "segments"


def test_the_quote_honours_the_playbooks_discount_authority(manager, specialist):
    # given a specialist allowed 5 % on auto, a VIP case (playbook: 15 %) and a standard one
    playbook = vip_playbook(manager)
    DiscountAuthority.objects.create(user=specialist, line=line("auto"), max_discount_percent=D("5"))
    vip = RenewalCaseFactory(assignee=specialist, playbook_version=playbook.current_version, policy=due_policy("vip"))
    standard = RenewalCaseFactory(
        assignee=specialist, playbook_version=default_playbook().current_version, policy=due_policy()
    )
    # when both get 12 %
    vip_quote = renewal_services.quote_prepare(case_id=vip.pk, actor=specialist, discount_percent=D("12"))
    standard_quote = renewal_services.quote_prepare(case_id=standard.pk, actor=specialist, discount_percent=D("12"))
    # then the VIP quote is within authority, the standard one waits for a manager
    assert vip_quote.approval_status == Quote.Approval.NOT_REQUIRED
    assert standard_quote.approval_status == Quote.Approval.PENDING
    # and above the playbook's 15 % the VIP one waits too
    over = renewal_services.quote_prepare(case_id=vip.pk, actor=specialist, discount_percent=D("16"))
    assert over.approval_status == Quote.Approval.PENDING


def planned_steps(case) -> set[tuple[int, str]]:
    return {(m.step.offset_days, m.channel) for m in OutboundMessage.objects.filter(case=case).select_related("step")}


def test_planning_sends_each_case_its_playbooks_cadence(manager):
    # given a VIP case (no SMS, calls from 10 days) and a standard case of auto
    playbook = vip_playbook(manager)
    vip = RenewalCaseFactory(playbook_version=playbook.current_version, policy=due_policy("vip"))
    standard = RenewalCaseFactory(playbook_version=default_playbook().current_version, policy=due_policy())
    # when planning runs through the schedule (auto: T-45 notice e-mail, T-30/-14 SMS, T-7 call, T-1 SMS)
    for days in (30, 14, 7, 1):
        reminders_plan(on_date=DUE - dt.timedelta(days=days))
    # then the VIP case gets the notice and the call only; the standard case the line's schedule
    assert planned_steps(vip) == {(-45, "email"), (-7, "call")}
    assert planned_steps(standard) == {(-45, "email"), (-30, "sms"), (-14, "sms"), (-7, "call"), (-1, "sms")}


def test_a_playbook_without_calls_and_a_late_start_leaves_those_steps_out(manager):
    playbook = services.playbook_create(
        actor=manager,
        code="auto-light",
        name="Light touch",
        line_id=line("auto").pk,
        segments=["standard"],
        call_tasks=False,
        reminders_from_days=20,
    )
    case = RenewalCaseFactory(playbook_version=playbook.current_version, policy=due_policy())
    for days in (30, 14, 7, 1):
        reminders_plan(on_date=DUE - dt.timedelta(days=days))
    # the notice is never left out, whatever the variant says
    assert planned_steps(case) == {(-45, "email"), (-14, "sms"), (-1, "sms")}


def test_an_experiments_arm_wins_over_the_playbook(manager):
    from campaigns import services as campaign_services
    from tests.notifications.factories import step

    # given a VIP case whose playbook sends no SMS, in a running experiment whose arms send SMS
    playbook = vip_playbook(manager)
    experiment = campaign_services.experiment_create(
        name="SMS cadence",
        actor=manager,
        line_id=line("auto").pk,
        arms=[{"code": "sms", "name": "SMS", "step_ids": [step("auto", -30, "sms").pk, step("auto", -14, "sms").pk]}],
        holdout_percent=1,
        min_sample_per_arm=20,
    )
    campaign_services.experiment_start(experiment_id=experiment.pk, actor=manager)
    vip = RenewalCaseFactory(playbook_version=playbook.current_version, policy=due_policy("vip"))
    reminders_plan(on_date=DUE - dt.timedelta(days=30))
    reminders_plan(on_date=DUE - dt.timedelta(days=14))
    from campaigns.models import Enrolment

    arm = Enrolment.objects.get(case=vip).arm
    # then the case gets its arm's steps, not the playbook's variant
    expected = {(-45, "email")} if arm.is_holdout else {(-45, "email"), (-30, "sms"), (-14, "sms")}
    assert planned_steps(vip) == expected


def test_handover_keeps_vip_cases_in_the_senior_pool(manager, specialist, other_specialist):
    playbook = vip_playbook(manager)
    senior2 = make_user("senior2", "specialist")
    make_senior(specialist)
    make_senior(senior2)
    vip = RenewalCaseFactory(assignee=specialist, playbook_version=playbook.current_version, policy=due_policy("vip"))
    RenewalCaseFactory(assignee=senior2, expiring_premium=D("50000.00"))
    renewal_services.specialist_cases_handover(from_user_id=specialist.pk, actor=manager)
    # the other senior takes it although the junior carries less
    assert RenewalCase.objects.get(pk=vip.pk).assignee == senior2


def test_a_pool_nobody_has_falls_back_to_the_usual_balancing(manager, specialist, other_specialist):
    # given a VIP playbook whose pool skill no specialist has, and one specialist already loaded
    vip_playbook(manager)
    RenewalCaseFactory(assignee=specialist, expiring_premium=D("90000.00"))
    policy = due_policy(Customer.Segment.VIP)
    # when the case opens, it is not left unassigned: the least-loaded specialist takes it
    renewal_services.cases_open_due(on_date=TODAY)
    assert RenewalCase.objects.get(policy=policy).assignee == other_specialist


def test_an_away_senior_gets_no_vip_case(manager, specialist, other_specialist):
    from renewals.models import SpecialistProfile

    vip_playbook(manager)
    make_senior(specialist)
    make_senior(other_specialist)
    SpecialistProfile.objects.filter(user=specialist).update(away=True)
    RenewalCaseFactory(assignee=other_specialist, expiring_premium=D("90000.00"))
    policy = due_policy(Customer.Segment.VIP)
    renewal_services.cases_open_due(on_date=TODAY)
    assert RenewalCase.objects.get(policy=policy).assignee == other_specialist


def test_a_case_closed_between_matching_and_updating_is_left_alone(manager, monkeypatch):
    # given two open VIP cases on the default, and one of them is lapsed right after the matching
    playbook = vip_playbook(manager)
    first, second = (
        RenewalCaseFactory(playbook_version=default_playbook().current_version, policy=due_policy("vip"))
        for _ in range(2)
    )
    matched = services._matching_ids

    def match_then_close(*args):
        ids = matched(*args)
        RenewalCase.objects.filter(pk=second.pk).update(stage=Stage.LAPSED)
        return ids

    monkeypatch.setattr(services, "_matching_ids", match_then_close)
    # when the manager re-applies
    moved = services.playbook_reapply(actor=manager, playbook_id=playbook.pk)
    # then only the case still open moved, with its event; the lapsed one kept the default, no event
    assert moved == 1
    versions = dict(RenewalCase.objects.values_list("pk", "playbook_version__playbook__code"))
    assert (versions[first.pk], versions[second.pk]) == ("auto-vip", "auto-standard")
    assert list(CaseEvent.objects.filter(kind=CaseEvent.Kind.PLAYBOOK).values_list("case_id", flat=True)) == [first.pk]
    assert SettingsChange.objects.get(area="playbook", changes__has_key="reapplied_to_open_cases").changes[
        "reapplied_to_open_cases"
    ] == ["", "1"]


def test_reapplying_twice_changes_nothing_the_second_time(manager, monkeypatch):
    # given three open VIP cases and batches of two
    monkeypatch.setattr(services, "REAPPLY_BATCH", 2)
    playbook = vip_playbook(manager)
    cases = [
        RenewalCaseFactory(playbook_version=default_playbook().current_version, policy=due_policy("vip"))
        for _ in range(3)
    ]
    # when re-applied twice
    assert services.playbook_reapply(actor=manager, playbook_id=playbook.pk) == 3
    after_first = dict(RenewalCase.objects.values_list("pk", "version"))
    assert services.playbook_reapply(actor=manager, playbook_id=playbook.pk) == 0
    # then every case moved once (both batches), and the second run wrote nothing: no version bump,
    # no event, no second audit entry
    assert dict(RenewalCase.objects.values_list("pk", "version")) == after_first
    assert {c.pk: after_first[c.pk] for c in cases} == {c.pk: c.version + 1 for c in cases}
    assert CaseEvent.objects.filter(kind=CaseEvent.Kind.PLAYBOOK).count() == 3
    assert SettingsChange.objects.filter(area="playbook", changes__has_key="reapplied_to_open_cases").count() == 1


def test_the_reapply_task_runs_as_the_manager_and_skips_what_is_gone(manager):
    from renewals import tasks

    playbook = vip_playbook(manager)
    case = RenewalCaseFactory(playbook_version=default_playbook().current_version, policy=due_policy("vip"))
    assert tasks.reapply_playbook(playbook.pk, 999999) == 0  # the manager is gone: nothing
    assert RenewalCase.objects.get(pk=case.pk).playbook_version_id != playbook.current_version_id
    assert tasks.reapply_playbook(playbook.pk, manager.pk) == 1
    assert tasks.reapply_playbook(playbook.pk, manager.pk) == 0  # a retry moves nothing
    services.playbook_retire(actor=manager, playbook_id=playbook.pk)
    assert tasks.reapply_playbook(playbook.pk, manager.pk) == 0  # retired meanwhile: refused quietly


def test_starting_a_reapply_queues_the_task_after_the_commit(
    manager, monkeypatch, settings, django_capture_on_commit_callbacks
):
    from renewals import tasks

    settings.CELERY_TASK_ALWAYS_EAGER = False
    sent = []
    monkeypatch.setattr(tasks.reapply_playbook, "delay", lambda *args: sent.append(args))
    playbook = vip_playbook(manager)
    case = RenewalCaseFactory(playbook_version=default_playbook().current_version, policy=due_policy("vip"))
    with django_capture_on_commit_callbacks(execute=True):
        assert services.playbook_reapply_start(actor=manager, playbook_id=playbook.pk) is None
    assert sent == [(playbook.pk, manager.pk)]
    assert RenewalCase.objects.get(pk=case.pk).playbook_version.playbook.code == "auto-standard"  # not in the request
    settings.CELERY_TASK_ALWAYS_EAGER = True
    assert services.playbook_reapply_start(actor=manager, playbook_id=playbook.pk) == 1


def test_a_concurrent_create_of_the_same_code_is_a_conflict(manager):
    # given another manager's create of the same code in another process, committed while ours inserts
    # then the insert's unique violation is a 409 naming the field, not a 500
    with (
        another_process_creates("playbook", code="auto-vip", line_code="auto"),
        pytest.raises(ConflictError) as same_code,
    ):
        services.playbook_create(actor=manager, code="auto-vip", name="Again", line_id=line("auto").pk)
    assert same_code.value.field == "code"


def test_a_concurrent_second_default_of_a_line_is_a_conflict(manager):
    # given a new line without a default, and another manager making a default for it at this moment
    with another_process_creates("playbook", code="new-standard", new_line=True, is_default=True) as other:
        new_line = line(other["line_code"])
        with pytest.raises(ConflictError) as second_default:
            services.playbook_create(actor=manager, code="new-2", name="Second", line_id=new_line.pk, is_default=True)
        # then ours is refused on the default, and the line keeps the other's as its only default
        assert second_default.value.field == "is_default"
        assert list(Playbook.objects.filter(line=new_line, is_default=True).values_list("pk", flat=True)) == [
            other["id"]
        ]
        assert not Playbook.objects.filter(code="new-2").exists()


def test_a_note_only_edit_is_saved_on_the_current_version(manager):
    playbook = vip_playbook(manager)
    services.playbook_update(actor=manager, playbook_id=playbook.pk, note="For the Q1 VIP push")
    playbook.refresh_from_db()
    assert (playbook.current_version.number, playbook.current_version.note) == (1, "For the Q1 VIP push")
    change = SettingsChange.objects.filter(area="playbook", changes__has_key="note").get()
    assert change.changes["note"] == ["", "For the Q1 VIP push"]


def test_regions_are_the_known_ones(manager):
    with pytest.raises(ApplicationError) as unknown:
        services.playbook_create(actor=manager, code="north", name="North", regions=["Beijing", "Bejing"])
    assert unknown.value.field == "regions" and "Bejing" in unknown.value.message
    playbook = services.playbook_create(actor=manager, code="north", name="North", regions=["beijing ", "Hebei"])
    assert playbook.current_version.regions == ["Beijing", "Hebei"]


def test_the_default_playbooks_seed_can_be_reversed():
    import importlib

    seed = importlib.import_module("renewals.migrations.0015_seed_default_playbooks")
    assert all(operation.reversible for operation in seed.Migration.operations)
