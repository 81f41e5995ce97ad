"""Customer voice writes: contact details, complaints and their SLAs, NPS surveys, follow-ups.

Every function is keyword-only, runs in one transaction and raises ApplicationError on a rule
violation. Every complaint status change writes a ComplaintEvent and sends
``customers.signals.complaint_status_changed`` inside the transaction.
"""

from datetime import datetime, timedelta

from django.contrib.auth import get_user_model
from django.db import IntegrityError, transaction
from django.db.models import Q
from django.utils import timezone
from django.utils.translation import gettext as _

from core.errors import ApplicationError, ErrorCode
from core.roles import has_role
from customers import signals
from customers.errors import CustomersErrorCode
from customers.models import (
    Complaint,
    ComplaintCategory,
    ComplaintEvent,
    ComplaintSla,
    Customer,
    CustomerVoiceSettings,
    SurveyFollowUp,
    SurveyInvitation,
    SurveyResponse,
)
from customers.phones import phone_digits
from customers.selectors import sla_days
from customers.workflow import COMPLAINT_EDITORS, complaint_can_reopen, complaint_can_transition

# Complaints escalated per transaction by the periodic job: ids + one event row each, a few
# hundred KB at most, and row locks held only for one short batch.
ESCALATION_BATCH_SIZE = 500


def _now() -> datetime:
    return timezone.now()


def _require_aware(value: datetime, field: str) -> datetime:
    if timezone.is_naive(value):
        raise ApplicationError(_("A time zone is required."), field=field, code=CustomersErrorCode.NAIVE_DATETIME)
    return value


# --- customers ---------------------------------------------------------------------------


@transaction.atomic
def customer_update_contact(
    *,
    customer_id: int,
    phone: str | None = None,
    email: str | None = None,
    preferred_channel: str | None = None,
    preferred_language: str | None = None,
) -> Customer:
    """Change a customer's contact details; keeps ``phone_digits`` (used by the search) in step."""
    customer = Customer.objects.select_for_update().get(pk=customer_id)
    if phone is not None:
        customer.phone = phone.strip()
        customer.phone_digits = phone_digits(customer.phone)
    if email is not None:
        customer.email = email.strip()
    if preferred_channel is not None:
        if preferred_channel not in Customer.Channel.values:
            raise ApplicationError(_("Unknown channel."), field="preferred_channel")
        customer.preferred_channel = preferred_channel
    if preferred_language is not None:
        if preferred_language not in Customer.Language.values:
            raise ApplicationError(_("Unknown language."), field="preferred_language")
        customer.preferred_language = preferred_language
    customer.save()
    return customer


# Consent column per contact channel (Customer.Channel).
_CONSENT_FIELDS = {
    Customer.Channel.EMAIL: "consent_email",
    Customer.Channel.SMS: "consent_sms",
    Customer.Channel.PHONE: "consent_phone",
}


@transaction.atomic
def customer_consent_set(*, customer_id: int, channel: str, allowed: bool) -> bool:
    """Allow or stop contact on one channel; the one place a customer's consent is written.
    Returns whether it changed (False when it already was ``allowed``)."""
    field = _CONSENT_FIELDS.get(channel)
    if field is None:
        raise ApplicationError(_("Unknown channel."), field="channel")
    customer = Customer.objects.select_for_update().get(pk=customer_id)
    if getattr(customer, field) == allowed:
        return False
    setattr(customer, field, allowed)
    customer.save(update_fields=[field, "updated_at"])
    return True


# --- complaints --------------------------------------------------------------------------


def _event(complaint: Complaint, kind: str, actor, *, old: str = "", new: str = "", note: str = "", at=None):
    return ComplaintEvent.objects.create(
        complaint=complaint, kind=kind, actor=actor, from_status=old, to_status=new, note=note, at=at or _now()
    )


def _customer_has(relation: str, *, customer_id: int, object_id: int) -> bool:
    """Whether the customer's ``policies`` or ``renewal_cases`` include ``object_id``.

    Policies and cases live in renewals, which customers never imports; the customer's own reverse
    relations reach them (docs/architecture.md, "The one upward reference").
    """
    return getattr(Customer(pk=customer_id), relation).filter(pk=object_id).exists()


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
    received_at = _require_aware(received_at, "received_at") if received_at else now
    if received_at > now:
        raise ApplicationError(
            _("The time received cannot be in the future."), field="received_at", code=CustomersErrorCode.FUTURE
        )
    if received_via not in Complaint.ReceivedVia.values:
        raise ApplicationError(_("Choose how the complaint was received."), field="received_via")
    if severity not in Complaint.Severity.values:
        raise ApplicationError(_("Choose a severity."), field="severity")
    description = (description or "").strip()
    if not description:
        raise ApplicationError(_("Describe the complaint."), field="description", code=ErrorCode.REQUIRED)
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
        note=note,
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
        note=note,
        acknowledged_at=complaint.acknowledged_at or _now(),
    )


@transaction.atomic
def complaint_resolve(
    *, complaint_id: int, actor, resolution: str, upheld: bool | None, root_cause: str, note: str = ""
) -> Complaint:
    """Resolve with the resolution given to the customer, whether it was upheld, and its root cause."""
    resolution = (resolution or "").strip()
    root_cause = (root_cause or "").strip()
    if not resolution:
        raise ApplicationError(_("Write the resolution."), field="resolution", code=ErrorCode.REQUIRED)
    if upheld is None:
        raise ApplicationError(_("Say whether the complaint was upheld."), field="upheld", code=ErrorCode.REQUIRED)
    if not root_cause:
        raise ApplicationError(_("Name the root cause."), field="root_cause", code=ErrorCode.REQUIRED)
    complaint = Complaint.objects.select_for_update().only("acknowledged_at").get(pk=complaint_id)
    now = _now()
    return _transition(
        complaint_id,
        actor,
        new_status=Complaint.Status.RESOLVED,
        kind=ComplaintEvent.Kind.RESOLVED,
        note=note or resolution,
        resolution=resolution,
        upheld=bool(upheld),
        root_cause=root_cause[:200],
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
        note=note,
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
        note=note,
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


# --- settings (managers) -----------------------------------------------------------------


@transaction.atomic
def complaint_sla_update(*, severity: str, acknowledge_days: int, resolve_days: int) -> ComplaintSla:
    """Change the SLA of a severity; applies to complaints logged from now on."""
    if severity not in Complaint.Severity.values:
        raise ApplicationError(_("Unknown severity."), field="severity")
    if not 1 <= acknowledge_days <= 365:
        raise ApplicationError(_("Between 1 and 365 days."), field="acknowledge_days")
    if not 1 <= resolve_days <= 365:
        raise ApplicationError(_("Between 1 and 365 days."), field="resolve_days")
    if resolve_days < acknowledge_days:
        raise ApplicationError(_("Resolving cannot be due before acknowledging."), field="resolve_days")
    sla, _created = ComplaintSla.objects.update_or_create(
        severity=severity, defaults={"acknowledge_days": acknowledge_days, "resolve_days": resolve_days}
    )
    return sla


@transaction.atomic
def customer_voice_settings_update(*, survey_delay_days: int, sla_near_hours: int) -> CustomerVoiceSettings:
    if not 0 <= survey_delay_days <= 90:
        raise ApplicationError(_("Between 0 and 90 days."), field="survey_delay_days")
    if not 0 <= sla_near_hours <= 720:
        raise ApplicationError(_("Between 0 and 720 hours."), field="sla_near_hours")
    row, _created = CustomerVoiceSettings.objects.update_or_create(
        pk=1, defaults={"survey_delay_days": survey_delay_days, "sla_near_hours": sla_near_hours}
    )
    return row


@transaction.atomic
def complaint_category_save(
    *, code: str, name: str, name_zh_hans: str = "", active: bool = True, sort_order: int = 0
) -> ComplaintCategory:
    """Add a category or change one (by code). Categories in use are deactivated, never deleted."""
    code = (code or "").strip().lower()
    name = (name or "").strip()
    if not code or not code.replace("_", "").replace("-", "").isalnum():
        raise ApplicationError(_("Use letters, digits, - and _ for the code."), field="code")
    if not name:
        raise ApplicationError(_("Give the category a name."), field="name", code=ErrorCode.REQUIRED)
    category, _created = ComplaintCategory.objects.update_or_create(
        code=code,
        defaults={
            "name": name,
            "name_zh_hans": (name_zh_hans or "").strip(),
            "active": active,
            "sort_order": sort_order,
        },
    )
    return category


# --- NPS surveys -------------------------------------------------------------------------


def survey_invitation_create(*, customer_id: int, case_id: int | None, send_after: datetime) -> SurveyInvitation:
    """Plan an NPS survey for the customer; idempotent per case (a second call returns the first)."""
    _require_aware(send_after, "send_after")
    if case_id is not None:
        existing = SurveyInvitation.objects.filter(case_id=case_id).first()
        if existing:
            return existing
    try:
        with transaction.atomic():
            return SurveyInvitation.objects.create(customer_id=customer_id, case_id=case_id, send_after=send_after)
    except IntegrityError:
        # Two callers raced on the same case: the unique constraint kept one.
        if case_id is None:
            raise
        return SurveyInvitation.objects.get(case_id=case_id)


@transaction.atomic
def survey_response_record(
    *,
    customer_id: int,
    case_id: int | None = None,
    score: int,
    comment: str = "",
    channel: str,
    responded_at: datetime | None = None,
    actor=None,
    invitation_id: int | None = None,
) -> SurveyResponse:
    """Record an NPS answer (from the survey link, or given by phone and entered by support).

    One answer per invitation: answering an invitation twice raises ``already_answered`` (409).
    A detractor (0-6) opens a follow-up task for support carrying the comment.
    """
    now = _now()
    if isinstance(score, bool) or not isinstance(score, int) or not 0 <= score <= 10:
        raise ApplicationError(_("The score is a whole number from 0 to 10."), field="score")
    if channel not in SurveyResponse.Channel.values:
        raise ApplicationError(_("Unknown channel."), field="channel")
    responded_at = _require_aware(responded_at, "responded_at") if responded_at else now
    if responded_at > now:
        raise ApplicationError(
            _("The answer cannot be given in the future."), field="responded_at", code=CustomersErrorCode.FUTURE
        )
    if case_id is not None and not _customer_has("renewal_cases", customer_id=customer_id, object_id=case_id):
        raise ApplicationError(_("This case belongs to another customer."), field="case")
    invitation = None
    if invitation_id is not None:
        invitation = SurveyInvitation.objects.select_for_update().filter(pk=invitation_id).first()
        if invitation is None or invitation.customer_id != customer_id:
            raise ApplicationError(
                _("This survey invitation does not exist."), field="invitation", code=ErrorCode.NOT_FOUND
            )
    elif case_id is not None:
        invitation = (
            SurveyInvitation.objects.select_for_update().filter(case_id=case_id, customer_id=customer_id).first()
        )
        if invitation is not None and invitation.response_id is not None:
            invitation = None  # already answered through the link: the phone answer is a new response
    if invitation is not None:
        if invitation.response_id is not None:
            raise ApplicationError(
                _("This survey has already been answered."),
                field="score",
                code=CustomersErrorCode.ALREADY_ANSWERED,
                status=409,
            )
        case_id = case_id or invitation.case_id
    response = SurveyResponse.objects.create(
        customer_id=customer_id,
        case_id=case_id,
        score=score,
        comment=(comment or "").strip(),
        channel=channel,
        responded_at=responded_at,
        recorded_by=actor if getattr(actor, "pk", None) else None,
    )
    if invitation is not None:
        invitation.response = response
        invitation.answered_at = responded_at
        invitation.save(update_fields=["response", "answered_at"])
    if response.is_detractor:
        SurveyFollowUp.objects.create(response=response, customer_id=customer_id, created_at=now)
    signals.survey_answered.send(sender=SurveyResponse, response=response)
    return response


@transaction.atomic
def survey_follow_up_complete(*, follow_up_id: int, actor, outcome: str) -> SurveyFollowUp:
    """Support called the detractor back: record what came of it; this closes the loop."""
    outcome = (outcome or "").strip()
    if not outcome:
        raise ApplicationError(_("Record the outcome of the call."), field="outcome", code=ErrorCode.REQUIRED)
    follow_up = SurveyFollowUp.objects.select_for_update().get(pk=follow_up_id)
    if follow_up.status == SurveyFollowUp.Status.DONE:
        raise ApplicationError(
            _("This follow-up is already done."), field="outcome", code=CustomersErrorCode.ALREADY_DONE, status=409
        )
    follow_up.status = SurveyFollowUp.Status.DONE
    follow_up.outcome = outcome
    follow_up.done_at = _now()
    follow_up.done_by = actor
    follow_up.save()
    return follow_up


@transaction.atomic
def survey_follow_up_assign(*, follow_up_id: int, assignee_id: int | None, actor=None) -> SurveyFollowUp:
    follow_up = SurveyFollowUp.objects.select_for_update().get(pk=follow_up_id)
    follow_up.assignee_id = assignee_id
    follow_up.save(update_fields=["assignee"])
    return follow_up
