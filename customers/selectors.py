"""Customer voice reads: search, complaint queue and panels, SLA table and settings."""

import re
from dataclasses import dataclass
from datetime import datetime, timedelta

from django.contrib.postgres.fields import ArrayField
from django.db import connection
from django.db.models import Case, F, Func, Prefetch, QuerySet, TextField, Value, When
from django.db.models.functions import Least
from django.utils import timezone

from core.roles import Role, has_role
from customers.models import (
    Complaint,
    ComplaintEvent,
    ComplaintSla,
    Customer,
    CustomerChange,
    CustomerVoiceSettings,
    SurveyFollowUp,
    SurveyInvitation,
    SurveyResponse,
    name_grams,
)
from customers.phones import phone_digits
from customers.workflow import CONTACT_EDITORS

# Used when a severity has no row in the SLA table (calendar days: acknowledge, resolve).
DEFAULT_SLA_DAYS = {
    Complaint.Severity.LOW: (2, 30),
    Complaint.Severity.NORMAL: (1, 15),
    Complaint.Severity.HIGH: (1, 5),
}
SEARCH_LIMIT = 10
QUEUE_PAGE_SIZE = 50
_PHONE_CHARS = re.compile(r"^[\d\s+()\-./]+$")


def voice_settings() -> CustomerVoiceSettings:
    settings_row, _ = CustomerVoiceSettings.objects.get_or_create(pk=1)
    return settings_row


def survey_delay_days() -> int:
    """Days between a case's decision and its NPS survey (managers set it; default 3)."""
    return voice_settings().survey_delay_days


def sla_days(severity: str) -> tuple[int, int]:
    """(days to acknowledge, days to resolve) for ``severity`` from the managers' SLA table."""
    row = ComplaintSla.objects.filter(severity=severity).values_list("acknowledge_days", "resolve_days").first()
    if row:
        return row
    return DEFAULT_SLA_DAYS[Complaint.Severity(severity)]


def sla_table() -> list[ComplaintSla]:
    rows = {row.severity: row for row in ComplaintSla.objects.all()}
    table = []
    for severity in Complaint.Severity:
        row = rows.get(severity.value)
        if row is None:
            ack, resolve = DEFAULT_SLA_DAYS[severity]
            row = ComplaintSla(severity=severity.value, acknowledge_days=ack, resolve_days=resolve)
        table.append(row)
    return table


# --- quick customer search -------------------------------------------------------------


def name_grams_of(q: str) -> Func:
    """The pieces of the search term, cut by the same SQL function as the indexed names."""
    return Func(Value(q), function="customer_name_grams", output_field=ArrayField(TextField()))


def customer_search(*, q: str, limit: int = SEARCH_LIMIT) -> list[Customer]:
    """Customers matching ``q`` by name, phone, policy number or external reference.

    Each branch is a small indexed query (trigram and name-piece GIN on PostgreSQL, see the
    Customer indexes),
    so the search stays fast at 500,000 customers: no OR across joins, no counts, at most
    ``limit`` rows each. Exact reference and policy-number hits come first, then the rest by name.
    """
    q = (q or "").strip()[:100]
    if not q:
        return []
    found: dict[int, None] = {}

    def take(queryset):
        # No ORDER BY: a broad query ("Li" matches 100,000 customers) stops at the first
        # ``limit`` rows instead of sorting them all.
        for pk in queryset.values_list("pk", flat=True)[:limit]:
            found.setdefault(pk, None)

    # Exact identifiers: unique indexes on the reference and on the policy number.
    refs = list(dict.fromkeys([q, q.upper()]))
    take(Customer.objects.filter(external_ref__in=refs))
    take(Customer.objects.filter(policies__number__in=refs))
    exact_ids = list(found)
    digits = phone_digits(q)
    if _PHONE_CHARS.match(q) and len(digits) >= 4:
        # "8000" finds the last four digits; longer input matches anywhere ("138 0013").
        lookup = "phone_digits__endswith" if len(digits) <= 4 else "phone_digits__contains"
        take(Customer.objects.filter(**{lookup: digits}))
    elif len(q) >= 3:
        take(Customer.objects.filter(name__icontains=q))
        if len(found) < limit:
            take(Customer.objects.filter(external_ref__icontains=q))
    elif connection.vendor == "postgresql":
        # One or two characters (many Chinese given names) are too short for trigrams: the GIN index
        # on the name's one- and two-character pieces finds them anywhere (小明 in 王小明).
        take(Customer.objects.alias(grams=name_grams()).filter(grams__contains=name_grams_of(q)))
    else:
        take(Customer.objects.filter(name__icontains=q))
    ids = list(found)[:limit]
    by_id = Customer.objects.in_bulk(ids)
    exact = [by_id[pk] for pk in exact_ids if pk in by_id]
    rest = sorted((by_id[pk] for pk in ids if pk in by_id and pk not in exact_ids), key=lambda c: c.name)
    return exact + rest


# --- complaints --------------------------------------------------------------------------


@dataclass(frozen=True)
class SlaState:
    due_at: datetime | None
    css: str  # sla-ok | sla-near | sla-breached | "" (stopped)
    seconds_left: int | None

    @property
    def breached(self) -> bool:
        return self.css == "sla-breached"

    @property
    def time_left(self) -> timedelta | None:
        return None if self.seconds_left is None else timedelta(seconds=self.seconds_left)


def complaint_next_due(complaint: Complaint) -> datetime | None:
    """The deadline that matters now: acknowledge-by while new, resolve-by while open."""
    if complaint.status == Complaint.Status.NEW:
        return min(complaint.acknowledge_due_at, complaint.sla_due_at)
    if complaint.status in Complaint.OPEN_STATUSES:
        return complaint.sla_due_at
    return None


def complaint_sla_state(complaint: Complaint, *, now: datetime | None = None, near_hours: int = 24) -> SlaState:
    due = complaint_next_due(complaint)
    if due is None:
        return SlaState(due_at=None, css="", seconds_left=None)
    now = now or timezone.now()
    left = int((due - now).total_seconds())
    if left <= 0:
        css = "sla-breached"
    elif left <= near_hours * 3600:
        css = "sla-near"
    else:
        css = "sla-ok"
    return SlaState(due_at=due, css=css, seconds_left=left)


def _with_next_due(queryset: QuerySet) -> QuerySet:
    return queryset.annotate(
        next_due_at=Case(
            When(status=Complaint.Status.NEW, then=Least(F("acknowledge_due_at"), F("sla_due_at"))),
            When(status__in=Complaint.OPEN_STATUSES, then=F("sla_due_at")),
            default=Value(None),
        )
    )


def complaint_queue(
    *,
    status: str = "open",
    severity: str = "",
    category_id: int | None = None,
    assignee: str = "",
    escalated: bool = False,
    user=None,
) -> QuerySet:
    """Complaints in urgency order (soonest deadline first, breached on top).

    ``status`` is a status value, "open" (new/acknowledged/in progress) or "all";
    ``assignee`` is "me", "none" or a user id.
    """
    queryset = Complaint.objects.select_related("customer", "category", "assignee")
    if status == "open":
        queryset = queryset.filter(status__in=Complaint.OPEN_STATUSES)
    elif status in Complaint.Status.values:
        queryset = queryset.filter(status=status)
    if severity in Complaint.Severity.values:
        queryset = queryset.filter(severity=severity)
    if category_id:
        queryset = queryset.filter(category_id=category_id)
    if assignee == "me" and user is not None:
        queryset = queryset.filter(assignee=user)
    elif assignee == "none":
        queryset = queryset.filter(assignee__isnull=True)
    elif assignee.isdigit():
        queryset = queryset.filter(assignee_id=int(assignee))
    if escalated:
        queryset = queryset.filter(escalated_at__isnull=False)
    return _with_next_due(queryset).order_by(F("next_due_at").asc(nulls_last=True), "-received_at", "-id")


def complaint_detail(*, complaint_id: int) -> Complaint:
    return (
        Complaint.objects.select_related("customer", "category", "assignee", "created_by", "policy", "case")
        .prefetch_related(
            Prefetch("events", queryset=ComplaintEvent.objects.select_related("actor").order_by("at", "id"))
        )
        .get(pk=complaint_id)
    )


def complaints_for_customer(*, customer_id: int, limit: int = 20) -> list[Complaint]:
    return list(
        Complaint.objects.filter(customer_id=customer_id)
        .select_related("category", "assignee")
        .order_by("-received_at")[:limit]
    )


def complaints_escalated(*, limit: int = 20) -> list[Complaint]:
    """Open complaints flagged by the escalation job, most overdue first (manager dashboard)."""
    return list(
        _with_next_due(
            Complaint.objects.filter(status__in=Complaint.OPEN_STATUSES, escalated_at__isnull=False).select_related(
                "customer", "category", "assignee"
            )
        ).order_by("next_due_at", "id")[:limit]
    )


# --- surveys -----------------------------------------------------------------------------


def survey_responses_for_customer(*, customer_id: int, limit: int = 10) -> list[SurveyResponse]:
    return list(
        SurveyResponse.objects.filter(customer_id=customer_id)
        .select_related("follow_up")
        .order_by("-responded_at")[:limit]
    )


def survey_invitations_recent(*, limit: int = 50) -> list[SurveyInvitation]:
    return list(SurveyInvitation.objects.select_related("customer", "response").order_by("-created_at", "-id")[:limit])


def follow_ups(*, status: str = SurveyFollowUp.Status.OPEN, limit: int = 50) -> list[SurveyFollowUp]:
    queryset = SurveyFollowUp.objects.select_related("customer", "response", "done_by", "assignee")
    if status in SurveyFollowUp.Status.values:
        queryset = queryset.filter(status=status)
    order = "created_at" if status == SurveyFollowUp.Status.OPEN else "-created_at"
    return list(queryset.order_by(order, "id")[:limit])


def follow_ups_open_count() -> int:
    """Open call-backs (few: each is closed by support; the partial index keeps this cheap)."""
    return SurveyFollowUp.objects.filter(status=SurveyFollowUp.Status.OPEN).count()


def customer_for_survey(*, invitation_id: int) -> SurveyInvitation | None:
    return SurveyInvitation.objects.select_related("customer", "response").filter(pk=invitation_id).first()


# --- contact details ---------------------------------------------------------------------


def customer_contact_editable_by(*, user, customer: Customer) -> bool:
    """Support staff and managers change any customer's contact details; a specialist only those
    of a customer with a renewal case assigned to them (specialists act only on their cases)."""
    if has_role(user, *CONTACT_EDITORS):
        return True
    # The customer's own reverse relation reaches renewals' cases (customers never imports renewals).
    return has_role(user, Role.SPECIALIST) and customer.renewal_cases.filter(assignee=user).exists()


def customer_changes(*, customer_id: int, limit: int = 20) -> list[CustomerChange]:
    """The latest contact and consent changes of a customer, newest first."""
    return list(
        CustomerChange.objects.filter(customer_id=customer_id)
        .select_related("changed_by")
        .order_by("-changed_at", "-id")[:limit]
    )
