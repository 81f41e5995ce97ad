import datetime as dt

import pytest
import time_machine
from django.utils import timezone

from core.errors import ApplicationError
from customers import services, signals
from customers.models import Complaint, ComplaintEvent, ComplaintSla
from customers.tasks import escalate_breached_complaints
from tests.conftest import make_user
from tests.customers.factories import CustomerFactory, category, log_complaint
from tests.renewals.factories import PolicyFactory, RenewalCaseFactory

pytestmark = pytest.mark.django_db
NOW = dt.datetime(2026, 11, 26, 10, 0, tzinfo=dt.UTC)


@pytest.fixture
def agent(db):
    return make_user("agent", "support")


@time_machine.travel(NOW, tick=False)
def test_logging_a_normal_complaint_gives_one_and_fifteen_calendar_days():
    complaint = log_complaint()

    assert complaint.status == Complaint.Status.NEW
    assert complaint.received_at == NOW
    assert complaint.acknowledge_due_at == NOW + dt.timedelta(days=1)
    assert complaint.sla_due_at == NOW + dt.timedelta(days=15)
    assert list(complaint.events.values_list("kind", flat=True)) == ["logged"]


@time_machine.travel(NOW, tick=False)
def test_back_dated_complaint_counts_its_sla_from_when_it_was_received():
    received = NOW - dt.timedelta(days=3, hours=2)

    complaint = log_complaint(received_at=received, severity="high")

    assert complaint.received_at == received
    assert complaint.acknowledge_due_at == received + dt.timedelta(days=1)
    assert complaint.sla_due_at == received + dt.timedelta(days=5)


@time_machine.travel(NOW, tick=False)
def test_complaint_cannot_be_received_in_the_future():
    with pytest.raises(ApplicationError) as error:
        log_complaint(received_at=NOW + dt.timedelta(minutes=1))
    assert error.value.field == "received_at"
    assert Complaint.objects.count() == 0


@time_machine.travel(NOW, tick=False)
def test_sla_table_edited_by_managers_applies_to_new_complaints():
    services.complaint_sla_update(severity="low", acknowledge_days=3, resolve_days=20)

    complaint = log_complaint(severity="low")

    assert complaint.acknowledge_due_at == NOW + dt.timedelta(days=3)
    assert complaint.sla_due_at == NOW + dt.timedelta(days=20)


def test_missing_sla_row_falls_back_to_the_defaults():
    ComplaintSla.objects.filter(severity="normal").delete()
    complaint = log_complaint()
    assert complaint.sla_due_at - complaint.received_at == dt.timedelta(days=15)


def test_sla_update_refuses_resolving_before_acknowledging():
    with pytest.raises(ApplicationError) as error:
        services.complaint_sla_update(severity="normal", acknowledge_days=5, resolve_days=2)
    assert error.value.field == "resolve_days"


def test_policy_of_another_customer_is_refused():
    other_policy = PolicyFactory()
    with pytest.raises(ApplicationError) as error:
        log_complaint(policy_id=other_policy.pk)
    assert error.value.field == "policy"


def test_complaint_on_a_case_and_policy_of_the_customer_is_logged_and_signalled():
    case = RenewalCaseFactory()
    received = []

    def receiver(sender, complaint, **kwargs):
        received.append(complaint.pk)

    signals.complaint_logged.connect(receiver)
    try:
        complaint = log_complaint(customer=case.customer, policy_id=case.policy_id, case_id=case.pk)
    finally:
        signals.complaint_logged.disconnect(receiver)
    assert received == [complaint.pk]
    assert complaint.case_id == case.pk


def test_inactive_category_is_refused():
    services.complaint_category_save(code="service", name="Service", active=False)
    with pytest.raises(ApplicationError) as error:
        log_complaint()
    assert error.value.field == "category"


def test_full_status_flow_writes_the_timeline_and_sends_each_change(agent):
    complaint = log_complaint()
    changes = []

    def receiver(sender, complaint, old_status, new_status, actor, **kwargs):
        changes.append((old_status, new_status, actor))

    signals.complaint_status_changed.connect(receiver)
    try:
        services.complaint_acknowledge(complaint_id=complaint.pk, actor=agent)
        services.complaint_start(complaint_id=complaint.pk, actor=agent)
        services.complaint_resolve(
            complaint_id=complaint.pk, actor=agent, resolution="Refunded", upheld=True, root_cause="Pricing error"
        )
        services.complaint_close(complaint_id=complaint.pk, actor=agent)
        services.complaint_reopen(complaint_id=complaint.pk, actor=agent, note="Customer called again")
    finally:
        signals.complaint_status_changed.disconnect(receiver)

    assert changes == [
        ("new", "acknowledged", agent),
        ("acknowledged", "in_progress", agent),
        ("in_progress", "resolved", agent),
        ("resolved", "closed", agent),
        ("closed", "in_progress", agent),
    ]
    kinds = list(complaint.events.order_by("at", "id").values_list("kind", flat=True))
    assert kinds == ["logged", "acknowledged", "started", "resolved", "closed", "reopened"]
    complaint.refresh_from_db()
    assert complaint.status == "in_progress"
    assert complaint.resolved_at is None and complaint.closed_at is None
    assert complaint.acknowledged_at is not None


def test_resolving_records_resolution_upheld_and_root_cause(agent):
    complaint = log_complaint()
    resolved = services.complaint_resolve(
        complaint_id=complaint.pk, actor=agent, resolution="Explained the rate", upheld=False, root_cause="Expectation"
    )
    assert resolved.status == "resolved"
    assert resolved.upheld is False
    assert resolved.resolved_at is not None
    assert resolved.acknowledged_at is not None


@pytest.mark.parametrize(
    ("missing", "kwargs"),
    [
        ("resolution", {"resolution": " ", "upheld": True, "root_cause": "x"}),
        ("upheld", {"resolution": "x", "upheld": None, "root_cause": "x"}),
        ("root_cause", {"resolution": "x", "upheld": True, "root_cause": ""}),
    ],
)
def test_resolving_needs_resolution_upheld_and_root_cause(agent, missing, kwargs):
    complaint = log_complaint()
    with pytest.raises(ApplicationError) as error:
        services.complaint_resolve(complaint_id=complaint.pk, actor=agent, **kwargs)
    assert error.value.field == missing
    complaint.refresh_from_db()
    assert complaint.status == "new"


@pytest.mark.parametrize(
    ("service", "status"),
    [
        (services.complaint_acknowledge, "in_progress"),
        (services.complaint_start, "resolved"),
        (services.complaint_close, "new"),
        (services.complaint_reopen, "acknowledged"),
    ],
)
def test_transitions_not_in_the_flow_are_refused(agent, service, status):
    complaint = log_complaint()
    Complaint.objects.filter(pk=complaint.pk).update(status=status, resolved_at=timezone.now())
    with pytest.raises(ApplicationError) as error:
        service(complaint_id=complaint.pk, actor=agent)
    assert error.value.code == "invalid_transition"
    assert error.value.status == 409


def test_assigning_to_a_specialist_is_refused_and_to_support_is_on_the_timeline(agent):
    complaint = log_complaint()
    specialist = make_user("spec-x", "specialist")
    with pytest.raises(ApplicationError):
        services.complaint_assign(complaint_id=complaint.pk, assignee_id=specialist.pk, actor=agent)

    services.complaint_assign(complaint_id=complaint.pk, assignee_id=agent.pk, actor=agent)

    complaint.refresh_from_db()
    assert complaint.assignee == agent
    assert complaint.events.filter(kind="assigned").count() == 1


def test_escalation_happens_on_the_minute_the_acknowledge_time_passes():
    with time_machine.travel(NOW, tick=False):
        complaint = log_complaint()
    with time_machine.travel(NOW + dt.timedelta(days=1) - dt.timedelta(minutes=1), tick=False):
        assert escalate_breached_complaints() == 0
    with time_machine.travel(NOW + dt.timedelta(days=1), tick=False):
        assert escalate_breached_complaints() == 1
        assert escalate_breached_complaints() == 0  # flagged once
    complaint.refresh_from_db()
    assert complaint.escalated_at == NOW + dt.timedelta(days=1)
    assert complaint.events.filter(kind=ComplaintEvent.Kind.ESCALATED).count() == 1


def test_acknowledged_complaint_escalates_only_when_the_resolve_time_passes(agent):
    with time_machine.travel(NOW, tick=False):
        complaint = log_complaint()
        services.complaint_acknowledge(complaint_id=complaint.pk, actor=agent)
    with time_machine.travel(NOW + dt.timedelta(days=14, hours=23, minutes=59), tick=False):
        assert escalate_breached_complaints() == 0
    with time_machine.travel(NOW + dt.timedelta(days=15), tick=False):
        assert escalate_breached_complaints() == 1


def test_resolved_complaints_never_escalate(agent):
    with time_machine.travel(NOW, tick=False):
        complaint = log_complaint()
        services.complaint_resolve(complaint_id=complaint.pk, actor=agent, resolution="r", upheld=False, root_cause="c")
    with time_machine.travel(NOW + dt.timedelta(days=30), tick=False):
        assert escalate_breached_complaints() == 0


def test_escalation_works_in_batches_over_many_complaints():
    customer = CustomerFactory()
    with time_machine.travel(NOW, tick=False):
        for _ in range(7):
            log_complaint(customer=customer)
    escalated = services.complaints_escalate_breached(now=NOW + dt.timedelta(days=2), batch_size=3)
    assert escalated == 7
    assert Complaint.objects.filter(escalated_at__isnull=True).count() == 0


def test_updating_contact_keeps_phone_digits_for_search():
    customer = CustomerFactory()
    services.customer_update_contact(customer_id=customer.pk, phone="+86 (139) 1234-5678")
    customer.refresh_from_db()
    assert customer.phone_digits == "8613912345678"


def test_category_list_is_editable():
    services.complaint_category_save(code="privacy", name="Privacy", name_zh_hans="隐私", sort_order=60)
    assert category("privacy").name_zh_hans == "隐私"
