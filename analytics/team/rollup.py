"""The team rollup's sources: which raw rows feed each metric of ``TeamRollup``.

The refresh (``services.team_rollups_refresh``) runs the dashboard rollups' machinery
(``analytics.rollup_build.Table``) over these sources: one ``INSERT … SELECT … GROUP BY`` per source
into the finest grain, then every coarser grain derived from it. The raw figures of a period that
is not month-aligned sum the same querysets (``raw_totals``), so both ways share one definition.
"""

from __future__ import annotations

import datetime as dt
from decimal import Decimal

from django.db.models import Count, F, Q, Sum
from django.db.models.functions import Coalesce

from customers.models import Complaint, SurveyResponse
from notifications.models import Channel, OutboundMessage
from renewals.models import DECIDED_STAGES, CaseEvent, LineOfInsurance, Quote, Stage

from .. import sources
from ..rollup_build import Source, Table
from .models import TeamRollup

PROMOTER_MIN = 9
DETRACTOR_MAX = 6
METRIC_COLUMNS = tuple(
    field.name
    for field in TeamRollup._meta.concrete_fields
    if field.name not in {"id", "grain", "month", "line", "region", "segment", "channel", "assignee"}
)
DECIDED = Q(stage__in=DECIDED_STAGES)
DECIDED_WITH_DATES = DECIDED & Q(closed_at__isnull=False)


def _through_case(queryset):
    """Rows that belong to a case, with the case's dimensions (its cohort; not_offered left out)."""
    return (
        queryset.order_by()
        .exclude(case__stage=Stage.NOT_OFFERED)
        .annotate(
            d_line=F("case__line_id"),
            d_region=F("case__customer__region"),
            d_segment=F("case__customer__segment"),
            d_channel=F("case__policy__channel"),
            d_assignee=F("case__assignee_id"),
        )
    )


def cohort_cases():
    return sources.case_rows().exclude(stage=Stage.NOT_OFFERED)


def decided_cases():
    return sources.case_rows().filter(DECIDED_WITH_DATES)


def contact_events():
    return _through_case(CaseEvent.objects.filter(kind=CaseEvent.Kind.CONTACT, actor__isnull=False))


def quotes():
    return _through_case(Quote.objects.all())


def sent_reminders():
    return _through_case(
        OutboundMessage.objects.filter(kind=OutboundMessage.Kind.REMINDER, status=OutboundMessage.Status.SENT)
    )


def case_answers():
    return _through_case(SurveyResponse.objects.filter(case__isnull=False))


def case_complaints():
    return _through_case(Complaint.objects.filter(case__isnull=False))


def _notice_due(today: dt.date) -> Q:
    """Cases whose statutory notice deadline (due date − the line's notice lead) is before today."""
    condition = Q(pk__in=[])
    for line_id, lead in LineOfInsurance.objects.values_list("pk", "notice_lead_days"):
        condition |= Q(line_id=line_id, due_date__lt=today + dt.timedelta(days=lead))
    return condition


NOTICE_ON_TIME = Q(notice_proof__posted_on__lte=F("notice_proof__deadline")) | Q(
    notice_proof__posted_on__isnull=True, notice_proof__sent_at__date__lte=F("notice_proof__deadline")
)


def case_metrics(today: dt.date) -> dict:
    due = _notice_due(today)
    return {
        "cases": Count("id"),
        "renewed": Count("id", filter=Q(stage=Stage.RENEWED)),
        "decided": Count("id", filter=DECIDED),
        "decided_expiring_premium": Coalesce(Sum("expiring_premium", filter=DECIDED), sources.ZERO_MONEY),
        "successor_premium": Coalesce(
            Sum("successor_policy__premium", filter=Q(stage=Stage.RENEWED)), sources.ZERO_MONEY
        ),
        "cycle_days": Coalesce(Sum(sources.WholeDaysBetween("closed_at", "opened_at"), filter=DECIDED_WITH_DATES), 0),
        "cycle_cases": Count("id", filter=DECIDED_WITH_DATES),
        "contact_days": Coalesce(
            Sum(sources.WholeDaysBetween("first_contact_at", "opened_at"), filter=Q(first_contact_at__isnull=False)),
            0,
        ),
        "contact_cases": Count("id", filter=Q(first_contact_at__isnull=False)),
        "notice_due": Count("id", filter=due),
        "notice_on_time": Count("id", filter=due & NOTICE_ON_TIME),
    }


MESSAGE_METRICS = {
    "calls_made": Count("id", filter=Q(channel=Channel.CALL)),
    "emails_sent": Count("id", filter=Q(channel=Channel.EMAIL)),
    "sms_sent": Count("id", filter=Q(channel=Channel.SMS)),
    "letters_sent": Count("id", filter=Q(channel=Channel.LETTER)),
}


def team_sources(today: dt.date) -> tuple[tuple[callable, str, bool, dict], ...]:
    """(rows, month field, month is a timestamp, metrics) of every source of the team rollup."""
    return (
        (cohort_cases, "due_date", False, case_metrics(today)),
        (
            contact_events,
            "case__due_date",
            False,
            {"contacts_logged": Count("id"), "phone_contacts": Count("id", filter=Q(payload__channel="phone"))},
        ),
        (quotes, "case__due_date", False, {"quotes": Count("id")}),
        (sent_reminders, "case__due_date", False, MESSAGE_METRICS),
        (
            case_answers,
            "case__due_date",
            False,
            {
                "nps_responses": Count("id"),
                "promoters": Count("id", filter=Q(score__gte=PROMOTER_MIN)),
                "detractors": Count("id", filter=Q(score__lte=DETRACTOR_MAX)),
            },
        ),
        (case_complaints, "case__due_date", False, {"complaints": Count("id")}),
        # Output per head counts decisions by the month they were made, not by expiry month.
        (decided_cases, "closed_at", True, {"output_decided": Count("id")}),
    )


def team_table(today: dt.date, model=TeamRollup) -> Table:
    """The team rollup's sources into ``model``: ``TeamRollup`` by month, ``TeamDayRollup`` by day."""
    return Table(
        model,
        (),
        METRIC_COLUMNS,
        tuple(
            Source(rows, month_field, is_datetime, {}, metrics)
            for rows, month_field, is_datetime, metrics in team_sources(today)
        ),
    )


def empty_totals() -> dict:
    return {column: (Decimal("0") if column.endswith("premium") else 0) for column in METRIC_COLUMNS}
