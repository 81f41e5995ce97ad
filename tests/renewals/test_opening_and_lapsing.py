"""Cases open themselves when the line's window opens, are assigned fairly, and lapse after grace."""

import datetime as dt
from decimal import Decimal

import pytest
from django.core.management import call_command

from customers.models import Complaint, ComplaintCategory
from renewals import receivers, services, signals
from renewals.models import CaseEvent, RenewalCase, SpecialistProfile, Stage
from renewals.tasks import lapse_cases, open_renewal_cases
from tests.conftest import make_user
from tests.customers.factories import CustomerFactory
from tests.renewals.factories import PolicyFactory, RenewalCaseFactory, line

pytestmark = pytest.mark.django_db
D = Decimal
TODAY = dt.date(2026, 11, 1)


def test_case_opens_on_the_first_day_of_the_window_and_not_before():
    # auto: 60-day window; expiry 2026-12-31 opens on 2026-11-01
    policy = PolicyFactory(end_date=dt.date(2026, 12, 31))
    assert services.cases_open_due(on_date=dt.date(2026, 10, 31)) == 0
    assert services.cases_open_due(on_date=dt.date(2026, 11, 1)) == 1
    case = RenewalCase.objects.get(policy=policy)
    assert (case.stage, case.due_date, case.expiring_premium) == (Stage.OPEN, policy.end_date, policy.premium)
    assert case.customer_id == policy.customer_id and case.line_id == policy.line_id
    assert case.priority == policy.premium / 2 and case.version == 1  # unscored: risk 50
    assert CaseEvent.objects.filter(case=case, kind="opened").count() == 1


def test_opening_twice_opens_nothing_new():
    PolicyFactory.create_batch(3, end_date=dt.date(2026, 12, 1))
    assert services.cases_open_due(on_date=TODAY) == 3
    assert services.cases_open_due(on_date=TODAY) == 0
    assert RenewalCase.objects.count() == 3
    assert CaseEvent.objects.filter(kind="opened").count() == 3


def test_each_line_uses_its_own_window():
    # property has a 90-day window, auto 60: on 2026-11-01 a property policy ending 2027-01-30 opens, auto does not
    prop = PolicyFactory(line=line("property"), end_date=dt.date(2027, 1, 30))
    auto = PolicyFactory(line=line("auto"), end_date=dt.date(2027, 1, 30))
    services.cases_open_due(on_date=TODAY)
    assert RenewalCase.objects.filter(policy=prop).exists()
    assert not RenewalCase.objects.filter(policy=auto).exists()


def test_inactive_renewed_or_long_expired_policies_are_skipped():
    PolicyFactory(end_date=dt.date(2026, 12, 1), status="cancelled")
    renewed = PolicyFactory(end_date=dt.date(2026, 12, 1))
    PolicyFactory(previous_policy=renewed, customer=renewed.customer, end_date=dt.date(2027, 12, 1))
    PolicyFactory(end_date=dt.date(2026, 9, 30))  # past expiry + 30 days grace on 2026-11-01
    in_grace = PolicyFactory(end_date=dt.date(2026, 10, 15))
    assert services.cases_open_due(on_date=TODAY) == 1
    assert RenewalCase.objects.get().policy == in_grace


def test_new_cases_go_to_least_loaded_specialist_by_premium(specialist, other_specialist):
    # given the first specialist already carries 10,000 of open premium
    RenewalCaseFactory(assignee=specialist, expiring_premium=D("10000.00"))
    PolicyFactory(end_date=dt.date(2026, 12, 1), premium=D("4000.00"))
    PolicyFactory(end_date=dt.date(2026, 12, 2), premium=D("3000.00"))
    PolicyFactory(end_date=dt.date(2026, 12, 3), premium=D("5000.00"))
    services.cases_open_due(on_date=TODAY)
    new = RenewalCase.objects.exclude(assignee=specialist)
    # then biggest first to whoever carries least: 5000 and 4000 to the other (0 → 9000), then 3000 too
    # (9000 < 10000), and a fourth case of 2500 goes back to the first (10000 < 12000)
    assert {c.expiring_premium: c.assignee_id for c in new} == {
        D("5000.00"): other_specialist.pk,
        D("4000.00"): other_specialist.pk,
        D("3000.00"): other_specialist.pk,
    }
    PolicyFactory(end_date=dt.date(2026, 12, 4), premium=D("2500.00"))
    services.cases_open_due(on_date=TODAY)
    assert RenewalCase.objects.get(expiring_premium=D("2500.00")).assignee == specialist


def test_away_specialist_gets_no_new_cases(specialist, other_specialist):
    SpecialistProfile.objects.create(user=specialist, away=True)
    PolicyFactory.create_batch(3, end_date=dt.date(2026, 12, 1))
    services.cases_open_due(on_date=TODAY)
    assert set(RenewalCase.objects.values_list("assignee_id", flat=True)) == {other_specialist.pk}


def test_skills_restrict_lines_and_regions(specialist, other_specialist):
    profile = SpecialistProfile.objects.create(user=specialist, regions=["Beijing"])
    profile.lines.set([line("health")])
    beijing = CustomerFactory(region="Beijing")
    health = PolicyFactory(customer=beijing, line=line("health"), end_date=dt.date(2026, 12, 1), premium=D("10"))
    auto = PolicyFactory(customer=beijing, line=line("auto"), end_date=dt.date(2026, 12, 1))
    services.cases_open_due(on_date=TODAY)
    assert RenewalCase.objects.get(policy=health).assignee == specialist
    assert RenewalCase.objects.get(policy=auto).assignee == other_specialist
    assert CaseEvent.objects.get(case__policy=health, kind="opened").payload["assignee"] == "Li Na"


def test_without_specialists_cases_open_unassigned():
    PolicyFactory(end_date=dt.date(2026, 12, 1))
    assert services.cases_open_due(on_date=TODAY) == 1
    assert RenewalCase.objects.get().assignee is None


def test_customer_with_open_complaint_gets_raised_priority():
    customer = CustomerFactory()
    Complaint.objects.create(
        customer=customer,
        received_via="phone",
        received_at=dt.datetime(2026, 10, 1, tzinfo=dt.UTC),
        category=ComplaintCategory.objects.first(),
        description="x",
        acknowledge_due_at=dt.datetime(2026, 10, 2, tzinfo=dt.UTC),
        sla_due_at=dt.datetime(2026, 10, 20, tzinfo=dt.UTC),
    )
    PolicyFactory(customer=customer, end_date=dt.date(2026, 12, 1), premium=D("1000.00"))
    services.cases_open_due(on_date=TODAY)
    case = RenewalCase.objects.get()
    assert case.has_open_complaint and case.priority == D("750.00")  # 1000 × 50 % × 1.5


def test_command_and_task_take_a_date(capsys):
    PolicyFactory(end_date=dt.date(2026, 12, 31))
    call_command("open_renewal_cases", "--date", "2026-10-01")
    assert RenewalCase.objects.count() == 0
    call_command("open_renewal_cases", "--date", "2026-11-01")
    assert "Opened 1" in capsys.readouterr().out
    assert open_renewal_cases("2026-11-01") == 0


def test_handover_moves_all_cases_of_away_specialist(specialist, other_specialist, manager):
    third = make_user("spec3", "specialist")
    cases = RenewalCaseFactory.create_batch(4, assignee=specialist)
    SpecialistProfile.objects.create(user=specialist, away=True)
    moved = services.specialist_cases_handover(from_user_id=specialist.pk, actor=manager)
    assert moved == 4
    owners = set(RenewalCase.objects.filter(pk__in=[c.pk for c in cases]).values_list("assignee_id", flat=True))
    assert owners == {other_specialist.pk, third.pk}
    assert CaseEvent.objects.filter(kind="assigned", actor=manager).count() == 4


# --- lapsing --------------------------------------------------------------------------------
def test_case_lapses_the_day_after_grace_ends(specialist):
    # auto grace 30 days: due 2026-12-31, last grace day 2027-01-30, lapses on 2027-01-31
    case = RenewalCaseFactory(assignee=specialist, due_date=dt.date(2026, 12, 31), stage=Stage.CONTACTED)
    closed = []
    signals.case_closed.connect(lambda sender, **kw: closed.append(kw["stage"]), weak=False, dispatch_uid="t-lapse")
    try:
        assert services.cases_lapse_due(on_date=dt.date(2027, 1, 30)) == 0
        assert services.cases_lapse_due(on_date=dt.date(2027, 1, 31)) == 1
    finally:
        signals.case_closed.disconnect(dispatch_uid="t-lapse")
    case.refresh_from_db()
    assert case.stage == Stage.LAPSED and case.closed_at is not None
    assert CaseEvent.objects.get(case=case, kind="lapsed").payload == {"from": "contacted", "to": "lapsed"}
    assert closed == ["lapsed"]


def test_lapsing_leaves_decided_cases_alone_and_is_idempotent(specialist):
    from renewals.models import LostReason

    RenewalCaseFactory(due_date=dt.date(2026, 1, 1), stage=Stage.LOST, lost_reason=LostReason.objects.get(code="price"))
    RenewalCaseFactory(due_date=dt.date(2026, 1, 1))
    assert lapse_cases("2026-06-01") == 1
    assert lapse_cases("2026-06-01") == 0
    call_command("lapse_cases", "--date", "2026-06-01")


# --- complaints and surveys from the customers app ------------------------------------------
def test_logged_complaint_goes_on_open_cases_timeline_and_raises_priority(specialist):
    case = RenewalCaseFactory(assignee=specialist, expiring_premium=D("2000.00"), priority=D("2000.00"))
    complaint = Complaint.objects.create(
        customer=case.customer,
        received_via="phone",
        received_at=dt.datetime(2026, 10, 1, tzinfo=dt.UTC),
        category=ComplaintCategory.objects.first(),
        description="Rude agent",
        acknowledge_due_at=dt.datetime(2026, 10, 2, tzinfo=dt.UTC),
        sla_due_at=dt.datetime(2026, 10, 20, tzinfo=dt.UTC),
    )
    receivers.on_complaint_logged(sender=Complaint, complaint=complaint)
    case.refresh_from_db()
    assert case.has_open_complaint and case.priority == D("1500.00")  # 2000 × 50 % × 1.5
    assert CaseEvent.objects.get(case=case, kind="complaint").payload["complaint_id"] == complaint.pk
    # when it is resolved, the bump goes away
    complaint.status = "resolved"
    complaint.resolved_at = complaint.received_at
    complaint.save()
    receivers.on_complaint_status_changed(
        sender=Complaint, complaint=complaint, old_status="new", new_status="resolved"
    )
    case.refresh_from_db()
    assert not case.has_open_complaint and case.priority == D("1000.00")  # 2000 × 50 %


def test_survey_answer_goes_on_the_case_timeline():
    from customers.models import SurveyResponse

    case = RenewalCaseFactory()
    response = SurveyResponse.objects.create(customer=case.customer, case=case, score=9, channel="phone")
    receivers.on_survey_answered(sender=SurveyResponse, response=response)
    assert CaseEvent.objects.get(case=case, kind="survey").payload["score"] == 9
