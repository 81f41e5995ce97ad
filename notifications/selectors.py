"""Reminder reads: message logs, call to-dos, the compliance watchlist, the manager's message list.

Every list is bounded (keyset pagination, no full counts on the outbox) and loads its related
rows with select_related, so each page runs a constant number of queries.
"""

import datetime as dt
from dataclasses import dataclass

from django.db.models import Exists, OuterRef, Q, Subquery
from django.utils import timezone

from notifications.models import Channel, MessageTemplate, NoticeProof, OutboundMessage, ReminderStep
from renewals.models import OPEN_STAGES, LineOfInsurance, RenewalCase

WATCH_DAYS = 3
PAGE_SIZE = 50
CASE_LOG_LIMIT = 100


def _with_related(queryset):
    return queryset.select_related("step", "line", "done_by")


def case_messages(*, case_id: int) -> list[OutboundMessage]:
    return list(
        _with_related(OutboundMessage.objects.filter(case_id=case_id)).order_by("due_date", "id")[:CASE_LOG_LIMIT]
    )


def case_notice_proof(*, case_id: int) -> NoticeProof | None:
    return NoticeProof.objects.filter(case_id=case_id).first()


def customer_messages(*, customer_id: int) -> list[OutboundMessage]:
    return list(
        _with_related(
            OutboundMessage.objects.filter(case__customer_id=customer_id).select_related("case__policy")
        ).order_by("-id")[:CASE_LOG_LIMIT]
    )


def call_tasks_due(
    *, user, today: dt.date | None = None, limit: int = PAGE_SIZE, include_unassigned: bool = False
) -> list[OutboundMessage]:
    """The user's call to-dos that are due: call steps of their open cases, oldest first
    (for a manager, also those of cases nobody is assigned to)."""
    today = today or timezone.localdate()
    whose = Q(case__assignee=user)
    if include_unassigned:
        whose |= Q(case__assignee__isnull=True)
    return list(
        OutboundMessage.objects.filter(
            whose,
            channel=Channel.CALL,
            status=OutboundMessage.Status.SCHEDULED,
            case__stage__in=OPEN_STAGES,
            due_date__lte=today,
        )
        .select_related("case__policy", "customer", "step", "line")
        .order_by("due_date", "id")[:limit]
    )


@dataclass
class WatchRow:
    case: RenewalCase
    deadline: dt.date
    level: str  # "red" (deadline passed) or "amber" (within WATCH_DAYS)
    notice_status: str | None
    notice_skip_reason: str | None
    notice_error: str | None


def notice_watchlist(*, today: dt.date | None = None, limit: int = PAGE_SIZE, after: tuple | None = None):
    """Open cases whose statutory notice is unsent with its deadline within WATCH_DAYS or passed.

    Deadline = expiry − the line's notice lead days. Returns (rows, next_cursor).
    """
    today = today or timezone.localdate()
    lines = list(LineOfInsurance.objects.filter(active=True).only("id", "notice_lead_days", "grace_days"))
    if not lines:
        return [], None
    window = Q()
    for line in lines:
        window |= Q(
            line_id=line.pk,
            due_date__lte=today + dt.timedelta(days=WATCH_DAYS + line.notice_lead_days),
            due_date__gte=today - dt.timedelta(days=line.grace_days),
        )
    notice = OutboundMessage.objects.filter(case_id=OuterRef("pk"), is_notice=True).order_by("-id")
    queryset = (
        RenewalCase.objects.filter(window, stage__in=OPEN_STAGES)
        .exclude(Exists(NoticeProof.objects.filter(case_id=OuterRef("pk"))))
        .annotate(
            notice_status=Subquery(notice.values("status")[:1]),
            notice_skip_reason=Subquery(notice.values("skip_reason")[:1]),
            notice_error=Subquery(notice.values("error")[:1]),
        )
        .select_related("customer", "line", "policy", "assignee")
        .order_by("due_date", "id")
    )
    if after:
        due, case_id = after
        queryset = queryset.filter(Q(due_date__gt=due) | Q(due_date=due, id__gt=case_id))
    cases = list(queryset[: limit + 1])
    rows = []
    for case in cases[:limit]:
        deadline = case.notice_deadline
        rows.append(
            WatchRow(
                case=case,
                deadline=deadline,
                level="red" if deadline < today else "amber",
                notice_status=_label(OutboundMessage.Status, case.notice_status),
                notice_skip_reason=_label(OutboundMessage.SkipReason, case.notice_skip_reason),
                notice_error=case.notice_error,
            )
        )
    next_cursor = (cases[limit - 1].due_date, cases[limit - 1].pk) if len(cases) > limit else None
    return rows, next_cursor


def _label(choices, value):
    if not value:
        return value
    try:
        return choices(value).label
    except ValueError:
        return value


@dataclass
class MessageFilters:
    status: str = ""
    channel: str = ""
    line: str = ""
    reason: str = ""


FAILURE_REASONS = {
    # filter value -> lookup: skip reasons, deferrals and failed-with-error
    **{value: Q(skip_reason=value) for value in OutboundMessage.SkipReason.values},
    **{
        value: Q(defer_reason=value, status=OutboundMessage.Status.SCHEDULED)
        for value in OutboundMessage.DeferReason.values
    },
    "error": Q(status=OutboundMessage.Status.FAILED),
    "undelivered": Q(delivery_status=OutboundMessage.Delivery.FAILED),
}


def messages_page(*, filters: MessageFilters, before_id: int | None = None, limit: int = PAGE_SIZE):
    """Newest first, keyset-paginated by id (no count of the outbox). Returns (rows, next_before_id)."""
    queryset = OutboundMessage.objects.all()
    if filters.status in OutboundMessage.Status.values:
        queryset = queryset.filter(status=filters.status)
    if filters.channel in Channel.values:
        queryset = queryset.filter(channel=filters.channel)
    if filters.line:
        queryset = queryset.filter(line__code=filters.line)
    if filters.reason in FAILURE_REASONS:
        queryset = queryset.filter(FAILURE_REASONS[filters.reason])
    if before_id:
        queryset = queryset.filter(id__lt=before_id)
    rows = list(queryset.select_related("case__policy", "customer", "line", "step").order_by("-id")[: limit + 1])
    next_before = rows[limit - 1].pk if len(rows) > limit else None
    return rows[:limit], next_before


def settings_overview() -> list[tuple[LineOfInsurance, list[ReminderStep]]]:
    """Each line with its steps and their templates (three queries)."""
    lines = list(LineOfInsurance.objects.order_by("sort_order", "code"))
    steps = list(ReminderStep.objects.select_related("line").prefetch_related("templates").order_by("offset_days"))
    by_line: dict[int, list[ReminderStep]] = {}
    for step in steps:
        by_line.setdefault(step.line_id, []).append(step)
    return [(line, by_line.get(line.pk, [])) for line in lines]


def survey_templates() -> list[MessageTemplate]:
    return list(MessageTemplate.objects.filter(kind=MessageTemplate.Kind.SURVEY).order_by("channel", "language"))
