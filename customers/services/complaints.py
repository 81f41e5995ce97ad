"""Complaints: logging with the SLA of their severity, the status workflow, assignment, escalation.

Every status change writes a ComplaintEvent and sends ``customers.signals.complaint_status_changed``
inside the transaction.
"""

from datetime import datetime, timedelta

from django.contrib.auth import get_user_model
from django.db import transaction
from django.db.models import Q
from django.utils.translation import gettext as _

from core.errors import ApplicationError, ErrorCode
from core.roles import has_role
from customers import signals
from customers.errors import CustomersErrorCode
from customers.limits import (
    COMPLAINT_DESCRIPTION_MAX_LENGTH,
    COMPLAINT_NOTE_MAX_LENGTH,
    COMPLAINT_RESOLUTION_MAX_LENGTH,
    COMPLAINT_ROOT_CAUSE_MAX_LENGTH,
)
from customers.models import Complaint, ComplaintCategory, ComplaintEvent, Customer
from customers.selectors import sla_days
from customers.services._common import _customer_has, _now, _require_sane_past, _text
from customers.workflow import COMPLAINT_EDITORS, complaint_can_reopen, complaint_can_transition

# Complaints escalated per transaction by the periodic job: ids + one event row each, a few
# hundred KB at most, and row locks held only for one short batch.
ESCALATION_BATCH_SIZE = 500


def _event(complaint: Complaint, kind: str, actor, *, old: str = "", new: str = "", note: str = "", at=None):
    return ComplaintEvent.objects.create(
        complaint=complaint, kind=kind, actor=actor, from_status=old, to_status=new, note=note, at=at or _now()
    )


@transaction.atomic
def complaint_log(
    *,
    customer_id: int,
    received_via: str,
    category_id: int,
    description: str,
    severity: str = Complaint.Severity.NORMAL,
    received_at: datetime | None = None,
    policy_id: int | None = None,
    case_id: int | None = None,
    actor=None,
    assignee_id: int | None = None,
) -> Complaint:
    """Log a complaint. ``received_at`` defaults to now and may be back-dated, never in the future;
    the acknowledge-by and resolve-by times come from the SLA of its severity (calendar days)."""
    now = _now()
    if received_at:
        received_at = _require_sane_past(
            received_at, "received_at", now=now, future_message=_("The time received cannot be in the future.")
        )
    else:
        received_at = now
    if received_via not in Complaint.ReceivedVia.values:
        raise ApplicationError(_("Choose how the complaint was received."), field="received_via")
    if severity not in Complaint.Severity.values:
        raise ApplicationError(_("Choose a severity."), field="severity")
    description = _text(
        description,
        field="description",
        max_length=COMPLAINT_DESCRIPTION_MAX_LENGTH,
        required_message=_("Describe the complaint."),
    )
    if not ComplaintCategory.objects.filter(pk=category_id, active=True).exists():
        raise ApplicationError(_("Choose an active category."), field="category")
    if not Customer.objects.filter(pk=customer_id).exists():
        raise ApplicationError(_("Choose a customer."), field="customer", code=ErrorCode.NOT_FOUND)
    if policy_id is not None and not _customer_has("policies", customer_id=customer_id, object_id=policy_id):
        raise ApplicationError(_("This policy belongs to another customer."), field="policy")
    if case_id is not None and not _customer_has("renewal_cases", customer_id=customer_id, object_id=case_id):
        raise ApplicationError(_("This case belongs to another customer."), field="case")
    ack_days, resolve_days = sla_days(severity)
    complaint = Complaint.objects.create(
        customer_id=customer_id,
        policy_id=policy_id,
        case_id=case_id,
        received_via=received_via,
        received_at=received_at,
        category_id=category_id,
        severity=severity,
        description=description,
        acknowledge_due_at=received_at + timedelta(days=ack_days),
        sla_due_at=received_at + timedelta(days=resolve_days),
        assignee_id=assignee_id,
        created_by=actor if getattr(actor, "pk", None) else None,
    )
    _event(complaint, ComplaintEvent.Kind.LOGGED, complaint.created_by, new=Complaint.Status.NEW, at=now)
    signals.complaint_logged.send(sender=Complaint, complaint=complaint)
    return complaint


def _note(note: str) -> str:
    return _text(note, field="note", max_length=COMPLAINT_NOTE_MAX_LENGTH)


def _transition(
    complaint_id: int, actor, *, new_status: str, kind: str, note: str = "", reopen: bool = False, **changes
):
    """Move the locked complaint to ``new_status`` if the workflow allows it (``reopen``: the
    way back from resolved or closed), write the timeline event and send the signal."""
    complaint = Complaint.objects.select_for_update().get(pk=complaint_id)
    old_status = complaint.status
    allowed = complaint_can_reopen(old_status) if reopen else complaint_can_transition(old_status, new_status)
    if not allowed:
        labels = {"old": Complaint.Status(old_status).label, "new": Complaint.Status(new_status).label}
        raise ApplicationError(
            _("A %(old)s complaint cannot become %(new)s.") % labels,
            field="status",
            code=CustomersErrorCode.INVALID_TRANSITION,
            status=409,
        )
    for name, value in changes.items():
        setattr(complaint, name, value)
    complaint.status = new_status
    complaint.save()
    _event(complaint, kind, actor, old=old_status, new=new_status, note=note)
    signals.complaint_status_changed.send(
        sender=Complaint, complaint=complaint, old_status=old_status, new_status=new_status, actor=actor
    )
    return complaint


@transaction.atomic
def complaint_acknowledge(*, complaint_id: int, actor, note: str = "") -> Complaint:
    return _transition(
        complaint_id,
        actor,
        new_status=Complaint.Status.ACKNOWLEDGED,
        kind=ComplaintEvent.Kind.ACKNOWLEDGED,
        note=_note(note),
        acknowledged_at=_now(),
    )


@transaction.atomic
def complaint_start(*, complaint_id: int, actor, note: str = "") -> Complaint:
    """Work starts; starting a new complaint also acknowledges it."""
    complaint = Complaint.objects.select_for_update().only("acknowledged_at").get(pk=complaint_id)
    return _transition(
        complaint_id,
        actor,
        new_status=Complaint.Status.IN_PROGRESS,
        kind=ComplaintEvent.Kind.STARTED,
        note=_note(note),
        acknowledged_at=complaint.acknowledged_at or _now(),
    )


@transaction.atomic
def complaint_resolve(
    *, complaint_id: int, actor, resolution: str, upheld: bool | None, root_cause: str, note: str = ""
) -> Complaint:
    """Resolve with the resolution given to the customer, whether it was upheld, and its root cause."""
    resolution = _text(
        resolution,
        field="resolution",
        max_length=COMPLAINT_RESOLUTION_MAX_LENGTH,
        required_message=_("Write the resolution."),
    )
    if upheld is None:
        raise ApplicationError(_("Say whether the complaint was upheld."), field="upheld", code=ErrorCode.REQUIRED)
    root_cause = _text(
        root_cause,
        field="root_cause",
        max_length=COMPLAINT_ROOT_CAUSE_MAX_LENGTH,
        required_message=_("Name the root cause."),
    )
    complaint = Complaint.objects.select_for_update().only("acknowledged_at").get(pk=complaint_id)
    now = _now()
    return _transition(
        complaint_id,
        actor,
        new_status=Complaint.Status.RESOLVED,
        kind=ComplaintEvent.Kind.RESOLVED,
        note=_note(note) or resolution,
        resolution=resolution,
        upheld=bool(upheld),
        root_cause=root_cause,
        resolved_at=now,
        acknowledged_at=complaint.acknowledged_at or now,
    )


@transaction.atomic
def complaint_close(*, complaint_id: int, actor, note: str = "") -> Complaint:
    return _transition(
        complaint_id,
        actor,
        new_status=Complaint.Status.CLOSED,
        kind=ComplaintEvent.Kind.CLOSED,
        note=_note(note),
        closed_at=_now(),
    )


@transaction.atomic
def complaint_reopen(*, complaint_id: int, actor, note: str = "") -> Complaint:
    """Back to in progress. The SLA keeps counting from the original receipt; the earlier
    resolution stays on the timeline."""
    return _transition(
        complaint_id,
        actor,
        new_status=Complaint.Status.IN_PROGRESS,
        kind=ComplaintEvent.Kind.REOPENED,
        reopen=True,
        note=_note(note),
        resolved_at=None,
        closed_at=None,
        resolution="",
        upheld=None,
        root_cause="",
    )


@transaction.atomic
def complaint_assign(*, complaint_id: int, assignee_id: int | None, actor) -> Complaint:
    """Give the complaint to a support colleague or manager (None: unassigned)."""
    assignee = None
    if assignee_id is not None:
        assignee = get_user_model().objects.filter(pk=assignee_id, is_active=True).first()
        if assignee is None or not has_role(assignee, *COMPLAINT_EDITORS):
            raise ApplicationError(_("Complaints go to support staff or managers."), field="assignee")
    complaint = Complaint.objects.select_for_update().get(pk=complaint_id)
    complaint.assignee = assignee
    complaint.save(update_fields=["assignee", "updated_at"])
    _event(
        complaint,
        ComplaintEvent.Kind.ASSIGNED,
        actor,
        note=assignee.get_full_name() or assignee.get_username() if assignee else "",
    )
    return complaint


def complaints_escalate_breached(*, now: datetime | None = None, batch_size: int = ESCALATION_BATCH_SIZE) -> int:
    """Flag every open complaint past its acknowledge-by (while new) or resolve-by time.

    Set-based, in batches of ``batch_size``: each batch claims its rows with
    ``FOR UPDATE SKIP LOCKED`` and flags them in one UPDATE, so two workers never escalate the
    same complaint twice. Returns how many complaints were escalated.
    """
    now = now or _now()
    breached = Q(status__in=Complaint.OPEN_STATUSES, sla_due_at__lte=now)
    breached |= Q(status=Complaint.Status.NEW, acknowledge_due_at__lte=now)
    total = 0
    while True:
        with transaction.atomic():
            ids = list(
                Complaint.objects.select_for_update(skip_locked=True)
                .filter(breached, escalated_at__isnull=True)
                .order_by("id")
                .values_list("id", flat=True)[:batch_size]
            )
            if not ids:
                break
            Complaint.objects.filter(id__in=ids, escalated_at__isnull=True).update(escalated_at=now, updated_at=now)
            ComplaintEvent.objects.bulk_create(
                ComplaintEvent(complaint_id=pk, kind=ComplaintEvent.Kind.ESCALATED, at=now) for pk in ids
            )
        total += len(ids)
        if len(ids) < batch_size:
            break
    return total
