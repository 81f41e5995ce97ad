"""Reminder reads: message logs, call to-dos, the compliance watchlist, the manager's message list.

Every list is bounded (keyset pagination, no full counts on the outbox) and loads its related
rows with select_related, so each page runs a constant number of queries.
"""

import datetime as dt
from dataclasses import dataclass

from django.db.models import Exists, OuterRef, Q, Subquery
from django.utils import timezone
from django.utils.translation import gettext as _

from notifications import conf
from notifications.archive_models import ArchivedMessage, as_outbox_messages
from notifications.models import Channel, MessageTemplate, NoticeProof, OutboundMessage, ReminderStep
from notifications.notice_channels import lines_notice_channels, notice_channel_for, rule_channels
from notifications.notice_rules.models import NoticeRule
from notifications.notice_rules.selectors import annotate_notice_rule, line_max_min_days, rule_summary
from notifications.quiet_hours import call_quiet_hours_end, customer_zone
from renewals.models import OPEN_STAGES, CaseEvent, LineOfInsurance, RenewalCase, Stage

WATCH_DAYS = 3
PAGE_SIZE = 50
CASE_LOG_LIMIT = 100


def _with_related(queryset):
    return queryset.select_related("step", "line", "done_by")


def case_messages(*, case_id: int) -> list[OutboundMessage]:
    """The case's messages in step order, hot and archived (docs/retention.md; archived ones have
    ``archived`` set): archived rows are older than every hot one of a case, so they come first."""
    archived = as_outbox_messages(
        _with_related(ArchivedMessage.objects.filter(case_id=case_id)).order_by("due_date", "id")[:CASE_LOG_LIMIT]
    )
    hot = _with_related(OutboundMessage.objects.filter(case_id=case_id)).order_by("due_date", "id")
    return sorted([*archived, *hot[:CASE_LOG_LIMIT]], key=lambda message: (message.due_date, message.pk))[
        :CASE_LOG_LIMIT
    ]


def case_notice_proof(*, case_id: int) -> NoticeProof | None:
    return NoticeProof.objects.filter(case_id=case_id).first()


def customer_messages(*, customer_id: int) -> list[OutboundMessage]:
    """The customer's reminders and survey messages (through their cases), campaign messages (by
    customer, on their own partial index) and archived messages, newest first: three bounded reads, merged."""
    by_case = _with_related(
        OutboundMessage.objects.filter(case__customer_id=customer_id).select_related("case__policy")
    ).order_by("-id")[:CASE_LOG_LIMIT]
    campaign = _with_related(
        OutboundMessage.objects.filter(kind=OutboundMessage.Kind.CAMPAIGN, customer_id=customer_id)
    ).order_by("-id")[:CASE_LOG_LIMIT]
    # Older history in the archive (docs/retention.md), by the archive's customer index.
    archived = as_outbox_messages(
        _with_related(ArchivedMessage.objects.filter(customer_id=customer_id).select_related("case__policy")).order_by(
            "-id"
        )[:CASE_LOG_LIMIT]
    )
    return sorted([*by_case, *campaign, *archived], key=lambda message: -message.pk)[:CASE_LOG_LIMIT]


def refused_calls_recently(*, customer_ref, now: dt.datetime) -> Exists:
    """Whether the customer (``customer_ref``: an OuterRef to their id) refused calls on a logged
    phone contact within the last CALL_REFUSAL_DAYS, on any of their cases."""
    since = now - dt.timedelta(days=conf.call_refusal_days())
    return Exists(
        CaseEvent.objects.filter(
            case__customer_id=customer_ref,
            kind=CaseEvent.Kind.CONTACT,
            payload__refused_calls=True,
            created_at__gte=since,
        )
    )


def call_tasks_due(
    *,
    user,
    today: dt.date | None = None,
    limit: int = PAGE_SIZE,
    include_unassigned: bool = False,
    now: dt.datetime | None = None,
) -> list[OutboundMessage]:
    """The user's call to-dos that are due: call steps of their open cases, oldest first
    (for a manager, also those of cases nobody is assigned to). Customers who refused calls in the
    last CALL_REFUSAL_DAYS are left out; each row carries ``call_quiet_until``: when the customer's
    local call quiet hours end if they are in them now (None: they may be called now)."""
    now = now or timezone.now()
    today = today or timezone.localdate(now)
    whose = Q(case__assignee=user)
    if include_unassigned:
        whose |= Q(case__assignee__isnull=True)
    tasks = list(
        OutboundMessage.objects.filter(
            whose,
            channel=Channel.CALL,
            status=OutboundMessage.Status.SCHEDULED,
            case__stage__in=OPEN_STAGES,
            due_date__lte=today,
        )
        .exclude(refused_calls_recently(customer_ref=OuterRef("customer_id"), now=now))
        .select_related("case__policy", "customer", "step", "line")
        .order_by("due_date", "id")[:limit]
    )
    return _with_call_quiet_hours(tasks, now=now)


def _with_call_quiet_hours(tasks: list[OutboundMessage], *, now: dt.datetime) -> list[OutboundMessage]:
    """Each call task with ``call_quiet_until`` (when the customer's local call quiet hours end, if
    they are in them now; None: they may be called now) and its label."""
    for task in tasks:
        quiet_end = call_quiet_hours_end(now=now, zone=customer_zone(task.customer))
        task.call_quiet_until = quiet_end
        # In the customer's own time, as the specialist will say it on the phone.
        task.call_quiet_until_label = quiet_end.strftime("%H:%M") if quiet_end else ""
    return tasks


def campaign_call_tasks_due(
    *,
    user,
    today: dt.date | None = None,
    limit: int = PAGE_SIZE,
    include_unassigned: bool = False,
    now: dt.datetime | None = None,
) -> list[OutboundMessage]:
    """The user's campaign call tasks that are due (a campaign's calls to customers with no open
    case, assigned by balancing when the campaign planned them), oldest first; read on their index.
    For a manager also those nobody could be given (no specialist available). As for reminder calls,
    customers who refused calls in the last CALL_REFUSAL_DAYS are left out and each row carries
    ``call_quiet_until``."""
    now = now or timezone.now()
    today = today or timezone.localdate(now)
    whose = Q(assignee=user)
    if include_unassigned:
        whose |= Q(assignee__isnull=True)
    tasks = list(
        OutboundMessage.objects.filter(
            whose,
            kind=OutboundMessage.Kind.CAMPAIGN,
            channel=Channel.CALL,
            status=OutboundMessage.Status.SCHEDULED,
            due_date__lte=today,
        )
        .exclude(refused_calls_recently(customer_ref=OuterRef("customer_id"), now=now))
        .select_related("customer")
        .order_by("due_date", "id")[:limit]
    )
    return _with_call_quiet_hours(tasks, now=now)


@dataclass
class WatchRow:
    case: RenewalCase
    deadline: dt.date
    level: str  # "red" (deadline passed) or "amber" (within WATCH_DAYS)
    notice_status: str | None
    notice_skip_reason: str | None
    notice_error: str | None
    # The channel the notice will use (the first of the line's list the customer can receive; None
    # when none can reach them) and its label.
    channel: str | None = None
    channel_label: str = ""
    # The notice rule in force for the case (None: the line's lead days apply) and how it reads.
    rule: NoticeRule | None = None
    rule_label: str = ""


def notice_watchlist(*, today: dt.date | None = None, limit: int = PAGE_SIZE, after: tuple | None = None):
    """Open and not-offered cases (owed the non-renewal notice) whose statutory notice is unsent
    with its deadline within WATCH_DAYS or passed.

    Deadline = expiry − the minimum days of the notice rule in force for the case (its region's
    rule before "all"; adverse change when the quote rises above the rule's threshold; the line's
    lead days without a rule), computed in SQL. Each row names the rule and the channel the notice
    will use. Returns (rows, next_cursor).
    """
    today = today or timezone.localdate()
    lines = list(LineOfInsurance.objects.filter(active=True).only("id", "notice_lead_days", "grace_days"))
    if not lines:
        return [], None
    longest_rule = line_max_min_days([line.pk for line in lines])
    window = Q()
    for line in lines:
        # A bound the index can use (the longest minimum of the line's rules); the exact deadline after.
        longest = max(line.notice_lead_days, longest_rule.get(line.pk, 0))
        window |= Q(
            line_id=line.pk,
            due_date__lte=today + dt.timedelta(days=WATCH_DAYS + longest),
            due_date__gte=today - dt.timedelta(days=line.grace_days),
        )
    notice = OutboundMessage.objects.filter(case_id=OuterRef("pk"), is_notice=True).order_by("-id")
    queryset = annotate_notice_rule(
        RenewalCase.objects.filter(window, stage__in=(*OPEN_STAGES, Stage.NOT_OFFERED)).exclude(
            Exists(NoticeProof.objects.filter(case_id=OuterRef("pk")))
        )
    ).filter(notice_deadline_date__lte=today + dt.timedelta(days=WATCH_DAYS))
    queryset = (
        queryset.annotate(
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
    channels = lines_notice_channels([line.pk for line in lines])
    rules = NoticeRule.objects.in_bulk({case.notice_rule_id for case in cases[:limit] if case.notice_rule_id})
    rows = []
    for case in cases[:limit]:
        deadline = case.notice_deadline_date
        case.__dict__["_notice_deadline"] = deadline  # the rule's, already computed in SQL
        rule = rules.get(case.notice_rule_id)
        channel = notice_channel_for(case.customer, rule_channels(channels.get(case.line_id, []), rule))
        rows.append(
            WatchRow(
                case=case,
                deadline=deadline,
                level="red" if deadline < today else "amber",
                notice_status=_label(OutboundMessage.Status, case.notice_status),
                notice_skip_reason=_label(OutboundMessage.SkipReason, case.notice_skip_reason),
                notice_error=case.notice_error,
                channel=channel,
                channel_label=Channel(channel).label if channel else "",
                rule=rule,
                rule_label=rule_summary(rule) if rule else _("line lead time"),
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


@dataclass
class LineSettings:
    line: LineOfInsurance
    steps: list[ReminderStep]
    notice_channels: list[str]
    notice_channel_labels: str  # "Email → SMS → Printed letter"
    notice_problem: str  # why the notice step does not meet the lead time ("" when it does)


def settings_overview() -> list[LineSettings]:
    """Each line with its steps (not the removed ones) and their templates, its notice channels
    and whether its notice step meets its lead time (four queries)."""
    lines = list(LineOfInsurance.objects.order_by("sort_order", "code"))
    steps = list(
        ReminderStep.objects.filter(removed_at__isnull=True)
        .select_related("line")
        .prefetch_related("templates")
        .order_by("offset_days")
    )
    channels = lines_notice_channels([line.pk for line in lines])
    by_line: dict[int, list[ReminderStep]] = {}
    for step in steps:
        by_line.setdefault(step.line_id, []).append(step)
    overview = []
    for line in lines:
        notice = next((step for step in by_line.get(line.pk, []) if step.is_notice), None)
        overview.append(
            LineSettings(
                line=line,
                steps=by_line.get(line.pk, []),
                notice_channels=channels[line.pk],
                notice_channel_labels=" → ".join(str(Channel(c).label) for c in channels[line.pk]),
                notice_problem=notice_step_problem(
                    notice_offset_days=notice.offset_days if notice else None, notice_lead_days=line.notice_lead_days
                ),
            )
        )
    return overview


def notice_step_problem(*, notice_offset_days: int | None, notice_lead_days: int) -> str:
    """Why a line's notice step does not meet its lead time ("" when it does)."""
    if notice_offset_days is None:
        return _("This line has no statutory notice step.")
    if notice_offset_days > -notice_lead_days:
        return _(
            "The notice step goes out %(offset)s days before expiry, but the notice must go out at least "
            "%(days)s days before: move the notice step first (Reminder settings)."
        ) % {"offset": -notice_offset_days, "days": notice_lead_days}
    return ""


def line_notice_channels(line_id: int) -> list[str]:
    return lines_notice_channels([line_id])[line_id]


def survey_templates() -> list[MessageTemplate]:
    return list(MessageTemplate.objects.filter(kind=MessageTemplate.Kind.SURVEY).order_by("channel", "language"))


def notice_case_ids_due(*, until: dt.datetime, after_id: int = 0, limit: int = 500) -> list[int]:
    """Cases whose statutory notice row is scheduled to go out by ``until`` (the day's notices),
    in case id order from ``after_id`` (keyset batches for the documents job)."""
    return list(
        OutboundMessage.objects.filter(
            is_notice=True,
            status=OutboundMessage.Status.SCHEDULED,
            next_attempt_at__lte=until,
            case_id__gt=after_id,
        )
        .order_by("case_id")
        .values_list("case_id", flat=True)
        .distinct()[:limit]
    )
