"""KPI figures for a period that starts or ends inside a month: whole months from the rollups, the
edge days from the fact tables.

A period such as 5–20 March, or 10 January to 17 April, is split into the whole months it covers
(read from the rollups like any month-aligned period) and at most two runs of edge days, read from
the fact tables (``analytics/facts.py``): one row per case, policy, complaint and answer with its
day and every filter dimension, so an edge is one index range scan per table without joins. The
inputs are additive (counts, sums, histograms), so months and days are summed before any figure
(median, share) is computed. Policies in force on the last day = the running sum of the policy
rollup's starts − ends over the months before the last day's month, plus the starts and minus the
ends (first day out of force) from that month's first day to the last day.
"""

from __future__ import annotations

import datetime as dt
from decimal import Decimal

from django.db.models import Count, Q, Sum

from renewals.models import LostReason

from ..models import CaseFact, ComplaintFact, PolicyFact, PolicyRollup, SurveyFact
from ..params import Filters, Period, add_months, month_end, month_start
from .inputs import in_period, rollup_rows
from .rollups import Parts, RollupReader, figures_from_parts


def split(period: Period) -> tuple[Period | None, list[Period]]:
    """(the whole months of ``period`` or None, the runs of edge days before and after them, each
    inside one month)."""
    first_whole = period.start if period.start.day == 1 else add_months(period.start, 1)
    last_whole_end = period.end if period.end == month_end(period.end) else month_start(period.end) - dt.timedelta(1)
    if first_whole > last_whole_end:
        # No whole month: the days lie in one month or straddle one month edge.
        if month_start(period.start) == month_start(period.end):
            return None, [period]
        return None, [Period(period.start, month_end(period.start)), Period(month_start(period.end), period.end)]
    edges = []
    if period.start < first_whole:
        edges.append(Period(period.start, first_whole - dt.timedelta(days=1)))
    if last_whole_end < period.end:
        edges.append(Period(last_whole_end + dt.timedelta(days=1), period.end))
    return Period(first_whole, last_whole_end), edges


def _facts(model, filters: Filters):
    conditions = {}
    if filters.line_id is not None:
        conditions["line_id"] = filters.line_id
    if filters.region:
        conditions["region"] = filters.region
    if filters.segments:
        conditions["segment__in"] = filters.segments
    if filters.channel:
        conditions["channel"] = filters.channel
    if filters.assignee_id is not None:
        conditions["assignee_id"] = filters.assignee_id
    return model.objects.order_by().filter(**conditions)


def fact_parts(period: Period, filters: Filters, reasons: dict[int, str]) -> Parts:
    """The additive inputs of the figures for a run of days, from the fact tables."""
    parts = Parts()
    case_rows = (
        _facts(CaseFact, filters)
        .filter(due_date__gte=period.start, due_date__lte=period.end)
        .values("stage", "lost_reason_id")
        .annotate(
            cases=Count("id"),
            contacted=Count("id", filter=Q(contacted=True)),
            quoted=Count("id", filter=Q(quoted=True)),
            expiring_premium=Sum("expiring_premium"),
            successor_premium=Sum("successor_premium"),
        )
    )
    for row in case_rows:
        parts.cases.add({**row, "reason": reasons.get(row["lost_reason_id"])})
    for score, n in (
        _facts(SurveyFact, filters)
        .filter(in_period("responded_at", period, is_datetime=True))
        .values_list("score")
        .annotate(n=Count("id"))
    ):
        parts.scores[score] += n
    complaints = _facts(ComplaintFact, filters)
    parts.complaints = complaints.filter(in_period("received_at", period, is_datetime=True)).count()
    parts.resolutions = list(
        complaints.filter(in_period("resolved_at", period, is_datetime=True))
        .values_list("days", "within_sla", "upheld")
        .annotate(n=Count("id"))
    )
    premiums = (
        _facts(PolicyFact, filters)
        .filter(start_date__gte=period.start, start_date__lte=period.end)
        .aggregate(renewal=Sum("renewal_premium"), all=Sum("premium"))
    )
    parts.renewal_premium = premiums["renewal"] or Decimal("0")
    parts.all_premium = premiums["all"] or Decimal("0")
    return parts


def _policy_moves(filters: Filters, first: dt.date, last: dt.date) -> int:
    """Policies starting minus policies leaving force (first day out of force) from ``first`` to ``last``."""
    days = Q(start_date__gte=first, start_date__lte=last) | Q(out_of_force_on__gte=first, out_of_force_on__lte=last)
    edge = (
        _facts(PolicyFact, filters)
        .filter(days)
        .aggregate(
            starts=Count("id", filter=Q(start_date__gte=first, start_date__lte=last)),
            ends=Count("id", filter=Q(out_of_force_on__gte=first, out_of_force_on__lte=last)),
        )
    )
    return edge["starts"] - edge["ends"]


def in_force_on(day: dt.date, filters: Filters, reader: RollupReader | None) -> int:
    """Policies in force on ``day``: the rollup's running sum to the end of the month before (or
    of the day's month), corrected by the fact days between that month end and the day, whichever
    run of days is shorter."""
    month = month_start(day)
    last = month_end(day)
    covers = reader is not None and reader.span[0] <= month <= reader.span[1]
    if covers and day == last:
        return reader.in_force_at(month)
    if covers and (last - day) < (day - month):
        # From the end of the month back: in force on the last day, minus what started after the
        # day, plus what left force after it.
        return reader.in_force_at(month) - _policy_moves(filters, day + dt.timedelta(days=1), last)
    before = add_months(month, -1)
    if reader is not None and reader.span[1] >= before:
        total = reader.in_force_at(before)
    else:
        sums = rollup_rows(PolicyRollup, filters, end=before).aggregate(starts=Sum("starts"), ends=Sum("ends"))
        total = (sums["starts"] or 0) - (sums["ends"] or 0)
    return total + _policy_moves(filters, month, day)


def _shorter_side(edge: Period) -> tuple[dt.date | None, list[Period]]:
    """An edge run of days inside one month: (None, [the run]) when it is at most half the month,
    else (the month, [the days of the month outside the run]) to read month − complement."""
    month, last = month_start(edge.start), month_end(edge.start)
    inside = (edge.end - edge.start).days + 1
    if inside * 2 <= (last - month).days + 1:
        return None, [edge]
    outside = []
    if edge.start > month:
        outside.append(Period(month, edge.start - dt.timedelta(days=1)))
    if edge.end < last:
        outside.append(Period(edge.end + dt.timedelta(days=1), last))
    return month, outside


def kpi_figures_by_days(period: Period, filters: Filters) -> dict:
    """``kpi_figures`` for any period: whole months from the rollups, edge days from the facts
    (an edge longer than half its month as the month's rollup minus the days outside the period)."""
    months, edges = split(period)
    plan = []  # (sign, run of days)
    whole = set(months.months) if months is not None else set()
    complemented = set()
    for edge in edges:
        month, runs = _shorter_side(edge)
        if month is not None:
            complemented.add(month)
            plan += [(-1, run) for run in runs]
        else:
            plan += [(1, run) for run in runs]
    parts = Parts()
    reader = None
    if whole | complemented:
        span = sorted(whole | complemented)
        reader = RollupReader(filters, span[0], month_end(span[-1]))
        parts.add(reader.parts(whole | complemented))
    reasons = dict(LostReason.objects.values_list("id", "code"))
    for sign, run in plan:
        parts.add(fact_parts(run, filters, reasons), sign=sign)
    return figures_from_parts(parts, in_force_on(period.end, filters, reader))
