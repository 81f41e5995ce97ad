"""The raw rows behind every figure, annotated with the five filter dimensions.

The rollup refresh aggregates these querysets into the rollup tables, and the direct ("raw")
figures aggregate the very same querysets: one definition of what each dimension means.
Dimension aliases are prefixed ``d_`` so they never clash with a model field.
"""

from __future__ import annotations

import datetime as dt

from django.db.models import (
    BooleanField,
    Case,
    Count,
    DateField,
    DecimalField,
    ExpressionWrapper,
    F,
    Func,
    IntegerField,
    Q,
    Sum,
    Value,
    When,
)
from django.db.models.functions import Coalesce, TruncDate, TruncMonth

from customers.models import Complaint, SurveyResponse
from renewals.models import DECIDED_STAGES, Policy, RenewalCase, Stage

ZERO_MONEY = Value(0, output_field=DecimalField(max_digits=18, decimal_places=2))

# The funnel is monotone: a quoted or renewed case also "reached contacted".
REACHED_QUOTED = Q(quoted_at__isnull=False) | Q(stage__in=[Stage.QUOTED, Stage.RENEWED])
REACHED_CONTACTED = Q(first_contact_at__isnull=False) | Q(stage=Stage.CONTACTED) | REACHED_QUOTED


class WholeDaysBetween(Func):
    """Whole days elapsed from ``start`` to ``end`` (timestamps), rounded down."""

    output_field = IntegerField()

    def __init__(self, end, start):
        super().__init__(end, start)

    def as_postgresql(self, compiler, connection):
        end, end_params = compiler.compile(self.source_expressions[0])
        start, start_params = compiler.compile(self.source_expressions[1])
        return f"FLOOR(EXTRACT(EPOCH FROM ({end} - {start})) / 86400)::integer", [*end_params, *start_params]

    def as_sql(self, compiler, connection, **extra):
        end, end_params = compiler.compile(self.source_expressions[0])
        start, start_params = compiler.compile(self.source_expressions[1])
        return f"CAST((julianday({end}) - julianday({start})) AS INTEGER)", [*end_params, *start_params]


def local_month(field: str):
    """First day of the month of a date, or of a timestamp in the site's time zone."""
    return TruncMonth(field, output_field=DateField())


def local_day(field: str, is_datetime: bool):
    """The date, or the day of a timestamp in the site's time zone."""
    return TruncDate(field, output_field=DateField()) if is_datetime else F(field)


def case_rows():
    """Renewal cases with their dimensions; the month is the month of expiry (due_date)."""
    return RenewalCase.objects.order_by().annotate(
        d_line=F("line_id"),
        d_region=F("customer__region"),
        d_segment=F("customer__segment"),
        d_channel=F("policy__channel"),
        d_assignee=F("assignee_id"),
    )


CASE_METRICS = {
    "cases": Count("id"),
    "contacted": Count("id", filter=REACHED_CONTACTED),
    "quoted": Count("id", filter=REACHED_QUOTED),
    "expiring_premium": Coalesce(Sum("expiring_premium"), ZERO_MONEY),
    "successor_premium": Coalesce(Sum("successor_policy__premium"), ZERO_MONEY),
}


def contact_day_rows():
    """Cohort cases with a first contact: whole days from open to first contact."""
    return (
        case_rows()
        .exclude(stage=Stage.NOT_OFFERED)
        .filter(first_contact_at__isnull=False)
        .annotate(k_days=WholeDaysBetween("first_contact_at", "opened_at"))
    )


def cycle_day_rows():
    """Decided cases: whole days from open to decision (closed_at)."""
    return (
        case_rows()
        .filter(stage__in=DECIDED_STAGES, closed_at__isnull=False)
        .annotate(k_days=WholeDaysBetween("closed_at", "opened_at"))
    )


def complaint_rows():
    """Complaints: line and channel of their policy (or of their case's policy), region and
    segment of the customer, assignee of their case."""
    return Complaint.objects.order_by().annotate(
        d_line=Coalesce(F("policy__line_id"), F("case__line_id")),
        d_region=F("customer__region"),
        d_segment=F("customer__segment"),
        d_channel=Coalesce(F("policy__channel"), F("case__policy__channel")),
        d_assignee=F("case__assignee_id"),
    )


def resolution_rows():
    """Resolved complaints: whole days from received to resolved, within SLA, upheld."""
    return (
        complaint_rows()
        .filter(resolved_at__isnull=False)
        .annotate(
            k_days=WholeDaysBetween("resolved_at", "received_at"),
            k_within_sla=Case(
                When(resolved_at__lte=F("sla_due_at"), then=Value(True)),
                default=Value(False),
                output_field=BooleanField(),
            ),
        )
    )


def survey_rows():
    """NPS answers: region and segment of the customer; line, channel, assignee of their case."""
    return SurveyResponse.objects.order_by().annotate(
        d_line=F("case__line_id"),
        d_region=F("customer__region"),
        d_segment=F("customer__segment"),
        d_channel=F("case__policy__channel"),
        d_assignee=F("case__assignee_id"),
    )


def out_of_force_on():
    """The first day a policy is no longer in force: end_date is the last day of cover."""
    return ExpressionWrapper(F("end_date") + dt.timedelta(days=1), output_field=DateField())


def policy_rows():
    """Policies that count for "in force" and premium share (cancelled ones never do).

    The assignee is the specialist of the case that produced the policy (the predecessor case
    whose ``successor_policy`` it is): a renewal policy belongs to whoever won it, and its own
    renewal case does not exist until its window opens. New business (no predecessor case) falls
    back to the assignee of its own renewal case, if any."""
    return (
        Policy.objects.order_by()
        .exclude(status=Policy.Status.CANCELLED)
        .annotate(
            out_of_force_on=out_of_force_on(),
            d_line=F("line_id"),
            d_region=F("customer__region"),
            d_segment=F("customer__segment"),
            d_channel=F("channel"),
            d_assignee=Coalesce(F("predecessor_case__assignee_id"), F("renewal_case__assignee_id")),
        )
    )


def filter_rows(queryset, filters):
    """Apply dashboard filters to one of the ``*_rows()`` querysets."""
    conditions = {}
    if filters.line_id is not None:
        conditions["d_line"] = filters.line_id
    if filters.region:
        conditions["d_region"] = filters.region
    if filters.segments:
        conditions["d_segment__in"] = filters.segments
    if filters.channel:
        conditions["d_channel"] = filters.channel
    if filters.assignee_id is not None:
        conditions["d_assignee"] = filters.assignee_id
    return queryset.filter(**conditions)
