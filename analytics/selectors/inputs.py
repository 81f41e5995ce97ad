"""The building blocks every read shares: rollup rows at the right grain, period bounds, and the
case figures summed from either rollup or raw rows (``CaseInputs``)."""

from __future__ import annotations

import datetime as dt
from collections import defaultdict
from dataclasses import dataclass, field
from decimal import Decimal

from django.db.models import Q
from django.utils import timezone

from renewals.models import DECIDED_STAGES, OPEN_STAGES, Stage

from .. import kpis
from ..models import DIMENSION_COLUMNS
from ..params import Filters, Period, month_start

# The figures of the KPI API, in the order the API answers them.
API_KEYS = (
    "cohort",
    "not_offered",
    "renewed",
    "lost",
    "lapsed",
    "pending",
    "decided",
    "renewal_rate",
    "premium_retention",
    "funnel",
    "lost_reasons",
    "nps",
    "nps_responses",
    "promoters",
    "passives",
    "detractors",
    "complaints",
    "policies_in_force",
    "complaint_rate_per_1000",
    "median_days_to_resolve",
    "resolved_within_sla_share",
    "upheld_share",
    "renewal_premium_share",
)


def rollup_rows(model, filters: Filters, *, start: dt.date | None = None, end: dt.date | None = None):
    """Rows of a rollup table at the grain the filters (and breakdown) need."""
    queryset = model.objects.order_by().filter(grain=filters.grain())
    # Dimensions outside the grain are NULL: saying so lets the (grain, region, segment, channel,
    # assignee, month) index seek straight to the rows of the filtered values.
    used = filters.dimensions()
    queryset = queryset.filter(
        **{f"{column}__isnull": True for dim, column in DIMENSION_COLUMNS.items() if dim not in used}
    )
    if start is not None:
        queryset = queryset.filter(month__gte=month_start(start))
    if end is not None:
        queryset = queryset.filter(month__lte=month_start(end))
    if filters.line_id is not None:
        queryset = queryset.filter(line_id=filters.line_id)
    if filters.region:
        queryset = queryset.filter(region=filters.region)
    if filters.segments:
        queryset = queryset.filter(segment__in=filters.segments)
    if filters.channel:
        queryset = queryset.filter(channel=filters.channel)
    if filters.assignee_id is not None:
        queryset = queryset.filter(assignee_id=filters.assignee_id)
    return queryset


def local_bounds(period: Period) -> tuple[dt.datetime, dt.datetime]:
    tz = timezone.get_current_timezone()
    start = timezone.make_aware(dt.datetime.combine(period.start, dt.time.min), tz)
    end = timezone.make_aware(dt.datetime.combine(period.end + dt.timedelta(days=1), dt.time.min), tz)
    return start, end


def in_period(field_name: str, period: Period, *, is_datetime: bool) -> Q:
    if is_datetime:
        start, end = local_bounds(period)
        return Q(**{f"{field_name}__gte": start, f"{field_name}__lt": end})
    return Q(**{f"{field_name}__gte": period.start, f"{field_name}__lte": period.end})


@dataclass
class CaseInputs:
    stages: dict = field(default_factory=lambda: defaultdict(int))
    contacted: int = 0
    quoted: int = 0
    decided_expiring: Decimal = Decimal("0")
    successor: Decimal = Decimal("0")
    lost_reasons: dict = field(default_factory=lambda: defaultdict(int))

    def add(self, row: dict) -> None:
        stage = row["stage"]
        self.stages[stage] += row["cases"]
        if stage != Stage.NOT_OFFERED:
            self.contacted += row["contacted"]
            self.quoted += row["quoted"]
        if stage in DECIDED_STAGES:
            self.decided_expiring += row["expiring_premium"] or 0
        if stage == Stage.RENEWED:
            self.successor += row["successor_premium"] or 0
        if stage == Stage.LOST:
            self.lost_reasons[row["reason"] or "—"] += row["cases"]

    def figures(self) -> dict:
        renewed, lost, lapsed = (self.stages[s] for s in (Stage.RENEWED, Stage.LOST, Stage.LAPSED))
        open_cases = sum(self.stages[s] for s in OPEN_STAGES)
        cohort = kpis.cohort(renewed=renewed, lost=lost, lapsed=lapsed, open_cases=open_cases)
        decided = kpis.decided(renewed=renewed, lost=lost, lapsed=lapsed)
        return {
            "cohort": cohort,
            "not_offered": self.stages[Stage.NOT_OFFERED],
            "renewed": renewed,
            "lost": lost,
            "lapsed": lapsed,
            "pending": kpis.pending(cohort_size=cohort, decided_count=decided),
            "decided": decided,
            "renewal_rate": kpis.renewal_rate(renewed=renewed, decided_count=decided),
            "premium_retention": kpis.premium_retention(
                successor_premium=self.successor, decided_expiring_premium=self.decided_expiring
            ),
            "funnel": kpis.funnel(cohort_size=cohort, contacted=self.contacted, quoted=self.quoted, renewed=renewed),
            "lost_reasons": kpis.lost_reason_shares(dict(self.lost_reasons)),
        }
