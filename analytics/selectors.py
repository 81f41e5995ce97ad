"""Reads of the analytics app: KPI inputs from the rollups (or directly from the raw rows), the
API figures, the dashboard's series and tables, and the drill-down lists.

Month-aligned periods read the rollups (the dashboard always does). A period that starts or ends
inside a month (only possible through the API) is counted from the raw rows with the same
definitions; the property test checks that both ways agree.
"""

from __future__ import annotations

import datetime as dt
from collections import defaultdict
from dataclasses import dataclass, field
from decimal import Decimal

from django.contrib.auth import get_user_model
from django.db.models import Count, F, Q, Sum
from django.utils import timezone

from customers.models import ComplaintCategory, Customer
from renewals.models import CLOSED_STAGES, DECIDED_STAGES, OPEN_STAGES, LineOfInsurance, LostReason, RenewalCase, Stage

from . import kpis, sources
from .models import (
    CaseDaysRollup,
    CaseRollup,
    ComplaintResolutionRollup,
    ComplaintRollup,
    KpiTarget,
    PolicyRollup,
    RollupState,
    SurveyRollup,
)
from .params import Filters, Period, add_months, month_end, month_start

HIGH_VALUE_SEGMENTS = (Customer.Segment.HIGH_VALUE.value, Customer.Segment.VIP.value)
_DIMENSION_COLUMNS = {"region": "region", "segment": "segment", "channel": "channel", "assignee": "assignee_id"}


# --------------------------------------------------------------------------- query plumbing


def _rollup(model, filters: Filters, *, start: dt.date | None = None, end: dt.date | None = None):
    """Rows of a rollup table at the grain the filters (and breakdown) need."""
    queryset = model.objects.order_by().filter(grain=filters.grain())
    # Dimensions outside the grain are NULL: saying so lets the (grain, region, segment, channel,
    # assignee, month) index seek straight to the rows of the filtered values.
    used = filters.dimensions()
    queryset = queryset.filter(
        **{f"{column}__isnull": True for dim, column in _DIMENSION_COLUMNS.items() if dim not in used}
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


def _local_bounds(period: Period) -> tuple[dt.datetime, dt.datetime]:
    tz = timezone.get_current_timezone()
    start = timezone.make_aware(dt.datetime.combine(period.start, dt.time.min), tz)
    end = timezone.make_aware(dt.datetime.combine(period.end + dt.timedelta(days=1), dt.time.min), tz)
    return start, end


def _in_period(field_name: str, period: Period, *, is_datetime: bool) -> Q:
    if is_datetime:
        start, end = _local_bounds(period)
        return Q(**{f"{field_name}__gte": start, f"{field_name}__lt": end})
    return Q(**{f"{field_name}__gte": period.start, f"{field_name}__lte": period.end})


# --------------------------------------------------------------------------- inputs


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


def case_inputs(period: Period, filters: Filters, *, use_rollups: bool) -> CaseInputs:
    inputs = CaseInputs()
    if use_rollups:
        rows = (
            _rollup(CaseRollup, filters, start=period.start, end=period.end)
            .values("stage", reason=F("lost_reason__code"))
            .annotate(
                cases=Sum("cases"),
                contacted=Sum("contacted"),
                quoted=Sum("quoted"),
                expiring_premium=Sum("expiring_premium"),
                successor_premium=Sum("successor_premium"),
            )
        )
    else:
        rows = (
            sources.filter_rows(sources.case_rows(), filters)
            .filter(_in_period("due_date", period, is_datetime=False))
            .values("stage", reason=F("lost_reason__code"))
            .annotate(**sources.CASE_METRICS)
        )
    for row in rows:
        inputs.add(row)
    return inputs


def days_histogram(kind: str, period: Period, filters: Filters, *, use_rollups: bool) -> dict[int, int]:
    if use_rollups:
        rows = (
            _rollup(CaseDaysRollup, filters, start=period.start, end=period.end)
            .filter(kind=kind)
            .values_list("days")
            .annotate(n=Sum("cases"))
        )
    else:
        raw = sources.contact_day_rows() if kind == CaseDaysRollup.Kind.FIRST_CONTACT else sources.cycle_day_rows()
        rows = (
            sources.filter_rows(raw, filters)
            .filter(_in_period("due_date", period, is_datetime=False))
            .values_list("k_days")
            .annotate(n=Count("id"))
        )
    return dict(rows)


def complaints_by_category(period: Period, filters: Filters, *, use_rollups: bool) -> dict[str, int]:
    if use_rollups:
        rows = (
            _rollup(ComplaintRollup, filters, start=period.start, end=period.end)
            .values_list("category__code")
            .annotate(n=Sum("complaints"))
        )
    else:
        rows = (
            sources.filter_rows(sources.complaint_rows(), filters)
            .filter(_in_period("received_at", period, is_datetime=True))
            .values_list("category__code")
            .annotate(n=Count("id"))
        )
    return dict(rows)


def resolution_inputs(period: Period, filters: Filters, *, use_rollups: bool) -> dict:
    if use_rollups:
        rows = (
            _rollup(ComplaintResolutionRollup, filters, start=period.start, end=period.end)
            .values_list("days", "within_sla", "upheld")
            .annotate(n=Sum("complaints"))
        )
    else:
        rows = (
            sources.filter_rows(sources.resolution_rows(), filters)
            .filter(_in_period("resolved_at", period, is_datetime=True))
            .values_list("k_days", "k_within_sla", "upheld")
            .annotate(n=Count("id"))
        )
    histogram: dict[int, int] = defaultdict(int)
    resolved = within = upheld = with_verdict = 0
    for days, within_sla, was_upheld, n in rows:
        histogram[days] += n
        resolved += n
        within += n if within_sla else 0
        if was_upheld is not None:
            with_verdict += n
            upheld += n if was_upheld else 0
    return {
        "resolved": resolved,
        "median_days_to_resolve": kpis.median_days_to_resolve(histogram),
        "resolved_within_sla_share": kpis.resolved_within_sla_share(within_sla=within, resolved=resolved),
        "upheld_share": kpis.upheld_share(upheld=upheld, resolved_with_verdict=with_verdict),
    }


def survey_scores(period: Period, filters: Filters, *, use_rollups: bool) -> dict[int, int]:
    if use_rollups:
        rows = (
            _rollup(SurveyRollup, filters, start=period.start, end=period.end)
            .values_list("score")
            .annotate(n=Sum("responses"))
        )
    else:
        rows = (
            sources.filter_rows(sources.survey_rows(), filters)
            .filter(_in_period("responded_at", period, is_datetime=True))
            .values_list("score")
            .annotate(n=Count("id"))
        )
    return dict(rows)


def policies_in_force(on_day: dt.date, filters: Filters, *, use_rollups: bool) -> int:
    """Policies in force on ``on_day``: start_date ≤ day ≤ end_date (the last day of cover), not cancelled."""
    if use_rollups:
        totals = _rollup(PolicyRollup, filters, end=on_day).aggregate(starts=Sum("starts"), ends=Sum("ends"))
        return (totals["starts"] or 0) - (totals["ends"] or 0)
    return (
        sources.filter_rows(sources.policy_rows(), filters).filter(start_date__lte=on_day, end_date__gte=on_day).count()
    )


def starting_premium(period: Period, filters: Filters, *, use_rollups: bool) -> tuple[Decimal, Decimal]:
    """(premium of renewal policies starting in P, premium of all policies starting in P)."""
    if use_rollups:
        totals = _rollup(PolicyRollup, filters, start=period.start, end=period.end).aggregate(
            renewal=Sum("renewal_start_premium"), all=Sum("start_premium")
        )
    else:
        totals = (
            sources.filter_rows(sources.policy_rows(), filters)
            .filter(start_date__gte=period.start, start_date__lte=period.end)
            .aggregate(
                renewal=Sum("premium", filter=Q(previous_policy__isnull=False)),
                all=Sum("premium"),
            )
        )
    return totals["renewal"] or Decimal("0"), totals["all"] or Decimal("0")


# --------------------------------------------------------------------------- rollup reader


class RollupReader:
    """Reads each rollup table once, grouped by month, for a span of months; figures for any
    month-aligned period inside the span are then summed in Python. The dashboard needs the
    period, the previous period and 12-month series: six small queries instead of dozens."""

    def __init__(self, filters: Filters, start: dt.date, end: dt.date, *, high_value: bool = False):
        self.filters = filters
        self.high_value = high_value
        case_filters = filters.with_breakdown("segment") if high_value else filters
        self.case_rows = [
            {
                "month": month,
                "line_id": line_id,
                "segment": segment,
                "stage": stage,
                "reason": reason,
                "cases": cases,
                "contacted": contacted,
                "quoted": quoted,
                "expiring_premium": expiring,
                "successor_premium": successor,
            }
            for month, line_id, segment, stage, reason, cases, contacted, quoted, expiring, successor in (
                _rollup(CaseRollup, case_filters, start=start, end=end)
                .values_list("month", "line_id", "segment", "stage", "lost_reason__code")
                .annotate(
                    Sum("cases"),
                    Sum("contacted"),
                    Sum("quoted"),
                    Sum("expiring_premium"),
                    Sum("successor_premium"),
                )
            )
        ]
        self.contact_days = list(
            _rollup(CaseDaysRollup, filters, start=start, end=end)
            .filter(kind=CaseDaysRollup.Kind.FIRST_CONTACT)
            .values_list("month", "days")
            .annotate(Sum("cases"))
        )
        self.scores = list(
            _rollup(SurveyRollup, filters, start=start, end=end)
            .values_list("month", "score")
            .annotate(Sum("responses"))
        )
        self.complaints = list(
            _rollup(ComplaintRollup, filters, start=start, end=end)
            .values_list("month", "category__code")
            .annotate(Sum("complaints"))
        )
        self.resolutions = list(
            _rollup(ComplaintResolutionRollup, filters, start=start, end=end)
            .values_list("month", "days", "within_sla", "upheld")
            .annotate(Sum("complaints"))
        )
        # Every month up to the end: policies in force are a running sum of starts minus ends.
        self.policy_months = list(
            _rollup(PolicyRollup, filters, end=end)
            .values_list("month")
            .annotate(Sum("starts"), Sum("ends"), Sum("start_premium"), Sum("renewal_start_premium"))
            .order_by("month")
        )

    # -- per period
    def case_inputs(self, period: Period, *, segments: tuple[str, ...] | None = None) -> CaseInputs:
        months = set(period.months)
        inputs = CaseInputs()
        for row in self.case_rows:
            if row["month"] in months and (segments is None or row["segment"] in segments):
                inputs.add(row)
        return inputs

    def in_force_at(self, month: dt.date) -> int:
        total = 0
        for policy_month, starts, ends, _premium, _renewal in self.policy_months:
            if policy_month > month:
                break
            total += starts - ends
        return total

    def figures(self, period: Period) -> dict:
        months = set(period.months)
        figures = self.case_inputs(period).figures()
        score_counts: dict[int, int] = defaultdict(int)
        for month, score, n in self.scores:
            if month in months:
                score_counts[score] += n
        counts = kpis.nps_counts(score_counts)
        complaints = sum(n for month, _code, n in self.complaints if month in months)
        in_force = self.in_force_at(month_start(period.end))
        histogram: dict[int, int] = defaultdict(int)
        resolved = within = upheld = with_verdict = 0
        for month, days, within_sla, was_upheld, n in self.resolutions:
            if month not in months:
                continue
            histogram[days] += n
            resolved += n
            within += n if within_sla else 0
            if was_upheld is not None:
                with_verdict += n
                upheld += n if was_upheld else 0
        renewal_premium = sum((r for m, _s, _e, _p, r in self.policy_months if m in months), Decimal("0"))
        all_premium = sum((p for m, _s, _e, p, _r in self.policy_months if m in months), Decimal("0"))
        figures.update(
            nps=kpis.nps(promoters=counts["promoters"], detractors=counts["detractors"], responses=counts["responses"]),
            nps_responses=counts["responses"],
            promoters=counts["promoters"],
            passives=counts["passives"],
            detractors=counts["detractors"],
            complaints=complaints,
            policies_in_force=in_force,
            complaint_rate_per_1000=kpis.complaint_rate_per_1000(complaints=complaints, policies_in_force=in_force),
            median_days_to_resolve=kpis.median_days_to_resolve(histogram),
            resolved_within_sla_share=kpis.resolved_within_sla_share(within_sla=within, resolved=resolved),
            upheld_share=kpis.upheld_share(upheld=upheld, resolved_with_verdict=with_verdict),
            renewal_premium_share=kpis.renewal_premium_share(renewal_premium=renewal_premium, all_premium=all_premium),
        )
        return {key: figures[key] for key in API_KEYS}

    def dashboard_figures(self, period: Period) -> dict:
        """The API figures plus first-contact median, contacted share and high-value retention."""
        figures = self.figures(period)
        months = set(period.months)
        contact: dict[int, int] = defaultdict(int)
        for month, days, n in self.contact_days:
            if month in months:
                contact[days] += n
        figures["median_days_to_contact"] = kpis.median_days_to_first_contact(contact)
        figures["contacted_share"] = figures["funnel"]["contacted"]
        high_value = self.case_inputs(period, segments=HIGH_VALUE_SEGMENTS if self.high_value else None)
        hv = high_value.figures()
        figures["high_value"] = kpis.high_value_retention(
            renewed=hv["renewed"],
            decided_count=hv["decided"],
            successor_premium=high_value.successor,
            decided_expiring_premium=high_value.decided_expiring,
        )
        figures["high_value_renewal_rate"] = figures["high_value"]["renewal_rate"]
        figures["high_value_decided"] = hv["decided"]
        return figures

    # -- series over months
    def renewal_rate_trend(self, window: Period, lines: list[LineOfInsurance]) -> dict:
        months = window.months
        counts: dict = defaultdict(lambda: {"renewed": 0, "decided": 0})
        for row in self.case_rows:
            if row["stage"] in DECIDED_STAGES:
                counts[(row["month"], row["line_id"])]["decided"] += row["cases"]
                if row["stage"] == Stage.RENEWED:
                    counts[(row["month"], row["line_id"])]["renewed"] += row["cases"]
        shown = [line for line in lines if self.filters.line_id in (None, line.pk)]
        return {
            "months": [f"{m:%Y-%m}" for m in months],
            "series": [
                {
                    "line": line.code,
                    "label": line.display_name,
                    "values": [
                        kpis.renewal_rate(
                            renewed=counts[(m, line.pk)]["renewed"], decided_count=counts[(m, line.pk)]["decided"]
                        )
                        for m in months
                    ],
                    "decided": [counts[(m, line.pk)]["decided"] for m in months],
                }
                for line in shown
            ],
        }

    def nps_trend(self, window: Period) -> list[dict]:
        by_month: dict = defaultdict(lambda: defaultdict(int))
        for month, score, n in self.scores:
            by_month[month][score] += n
        points = []
        for month in window.months:
            counts = kpis.nps_counts(by_month.get(month, {}))
            nps = kpis.nps(
                promoters=counts["promoters"], detractors=counts["detractors"], responses=counts["responses"]
            )
            points.append({"month": f"{month:%Y-%m}", "nps": nps, **counts})
        return points

    def complaint_trend(self, window: Period) -> list[dict]:
        per_month: dict = defaultdict(int)
        for month, _code, n in self.complaints:
            per_month[month] += n
        points = []
        for month in window.months:
            in_force = self.in_force_at(month)
            n = per_month.get(month, 0)
            points.append(
                {
                    "month": f"{month:%Y-%m}",
                    "complaints": n,
                    "policies_in_force": in_force,
                    "rate": kpis.complaint_rate_per_1000(complaints=n, policies_in_force=in_force),
                }
            )
        return points

    def complaint_categories(self, period: Period, categories: list[ComplaintCategory]) -> list[dict]:
        months = set(period.months)
        counts: dict = defaultdict(int)
        for month, code, n in self.complaints:
            if month in months:
                counts[code] += n
        total = sum(counts.values())
        return [
            {
                "code": category.code,
                "label": category.display_name,
                "complaints": counts.get(category.code, 0),
                "share": kpis._share(counts.get(category.code, 0), total),
            }
            for category in categories
            if counts.get(category.code) or category.active
        ]


# --------------------------------------------------------------------------- figures

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


def kpi_figures(period: Period, filters: Filters, *, use_rollups: bool | None = None) -> dict:
    """Every figure of the KPI API for one period and filter set (DESIGN §2 definitions)."""
    if use_rollups is None:
        use_rollups = period.month_aligned
    if use_rollups:
        return RollupReader(filters, period.start, period.end).figures(period)
    figures = case_inputs(period, filters, use_rollups=use_rollups).figures()
    scores = kpis.nps_counts(survey_scores(period, filters, use_rollups=use_rollups))
    figures.update(
        nps=kpis.nps(promoters=scores["promoters"], detractors=scores["detractors"], responses=scores["responses"]),
        nps_responses=scores["responses"],
        promoters=scores["promoters"],
        passives=scores["passives"],
        detractors=scores["detractors"],
    )
    complaints = sum(complaints_by_category(period, filters, use_rollups=use_rollups).values())
    in_force = policies_in_force(period.end, filters, use_rollups=use_rollups)
    figures.update(
        complaints=complaints,
        policies_in_force=in_force,
        complaint_rate_per_1000=kpis.complaint_rate_per_1000(complaints=complaints, policies_in_force=in_force),
    )
    resolution = resolution_inputs(period, filters, use_rollups=use_rollups)
    figures.update(
        {key: resolution[key] for key in ("median_days_to_resolve", "resolved_within_sla_share", "upheld_share")}
    )
    renewal_premium, all_premium = starting_premium(period, filters, use_rollups=use_rollups)
    figures["renewal_premium_share"] = kpis.renewal_premium_share(
        renewal_premium=renewal_premium, all_premium=all_premium
    )
    return {key: figures[key] for key in API_KEYS}


def last_months(period: Period, count: int = 12) -> Period:
    end = month_start(period.end)
    return Period(add_months(end, -(count - 1)), month_end(end), "custom")


def dashboard_reader(period: Period, filters: Filters) -> RollupReader:
    """One reader spanning the previous period, the period and the 12 months of the series."""
    start = min(period.previous().start, last_months(period).start)
    return RollupReader(filters, start, period.end, high_value=True)


def dashboard_figures(period: Period, filters: Filters) -> dict:
    """The API figures plus the dashboard-only ones (first-contact median, high-value retention)."""
    return dashboard_reader(period, filters).dashboard_figures(period)


def region_table(period: Period, filters: Filters) -> list[dict]:
    """Renewal rate and premium retention per customer region, for P."""
    grouped = filters.with_breakdown("region")
    rows = (
        _rollup(CaseRollup, grouped, start=period.start, end=period.end)
        .values("region", "stage")
        .annotate(
            cases=Sum("cases"),
            contacted=Sum("contacted"),
            quoted=Sum("quoted"),
            expiring_premium=Sum("expiring_premium"),
            successor_premium=Sum("successor_premium"),
        )
    )
    by_region: dict[str, CaseInputs] = defaultdict(CaseInputs)
    for row in rows:
        by_region[row["region"]].add({**row, "reason": None})
    result = []
    for region, inputs in sorted(by_region.items()):
        figures = inputs.figures()
        result.append(
            {
                "region": region,
                "cohort": figures["cohort"],
                "decided": figures["decided"],
                "pending": figures["pending"],
                "renewal_rate": figures["renewal_rate"],
                "premium_retention": figures["premium_retention"],
            }
        )
    return result


def specialist_leaderboard(period: Period, filters: Filters) -> list[dict]:
    """Specialist productivity for P, best renewal rate first (DESIGN §2)."""
    grouped = filters.with_breakdown("assignee")
    rows = (
        _rollup(CaseRollup, grouped, start=period.start, end=period.end)
        .filter(assignee_id__isnull=False, stage__in=DECIDED_STAGES)
        .values_list("assignee_id", "stage")
        .annotate(cases=Sum("cases"), expiring=Sum("expiring_premium"), successor=Sum("successor_premium"))
    )
    stats: dict = defaultdict(lambda: {"stages": defaultdict(int), "expiring": Decimal("0"), "successor": Decimal("0")})
    for assignee_id, stage, cases, expiring, successor in rows:
        entry = stats[assignee_id]
        entry["stages"][stage] += cases
        entry["expiring"] += expiring or 0
        if stage == Stage.RENEWED:
            entry["successor"] += successor or 0
    cycle: dict = defaultdict(dict)
    for assignee_id, days, n in (
        _rollup(CaseDaysRollup, grouped, start=period.start, end=period.end)
        .filter(kind=CaseDaysRollup.Kind.CYCLE, assignee_id__isnull=False)
        .values_list("assignee_id", "days")
        .annotate(n=Sum("cases"))
    ):
        cycle[assignee_id][days] = n
    workload = dict(
        _rollup(CaseRollup, grouped)
        .filter(assignee_id__isnull=False, stage__in=OPEN_STAGES)
        .values_list("assignee_id")
        .annotate(n=Sum("cases"))
    )
    ids = set(stats) | set(workload)
    users = {
        user.pk: user
        for user in get_user_model().objects.filter(pk__in=ids).only("id", "username", "first_name", "last_name")
    }
    board = []
    for assignee_id in ids:
        entry = stats.get(assignee_id) or {"stages": {}, "expiring": Decimal("0"), "successor": Decimal("0")}
        stages = entry["stages"]
        user = users.get(assignee_id)
        board.append(
            {
                "assignee_id": assignee_id,
                "username": user.username if user else str(assignee_id),
                "name": (user.get_full_name() or user.username) if user else str(assignee_id),
                **kpis.specialist_productivity(
                    renewed=stages.get(Stage.RENEWED, 0),
                    lost=stages.get(Stage.LOST, 0),
                    lapsed=stages.get(Stage.LAPSED, 0),
                    successor_premium=entry["successor"],
                    decided_expiring_premium=entry["expiring"],
                    cycle_days=cycle.get(assignee_id, {}),
                    open_workload=workload.get(assignee_id, 0),
                ),
            }
        )
    board.sort(key=lambda r: (-(r["renewal_rate"] if r["renewal_rate"] is not None else -1), -r["cases_closed"]))
    return board


# --------------------------------------------------------------------------- reference data, targets, state


def line_choices() -> list[LineOfInsurance]:
    return list(LineOfInsurance.objects.order_by("sort_order", "code"))


def complaint_category_choices() -> list[ComplaintCategory]:
    return list(ComplaintCategory.objects.order_by("sort_order", "code"))


def region_choices() -> list[str]:
    """Regions that have cases, from the region grain of the rollups (a few hundred rows at most)."""
    return list(
        CaseRollup.objects.filter(grain="region").order_by("region").values_list("region", flat=True).distinct()
    )


def specialist_choices() -> list:
    return list(
        get_user_model()
        .objects.filter(groups__name="specialist", is_active=True)
        .order_by("username")
        .only("id", "username", "first_name", "last_name")
    )


def lost_reason_labels() -> dict[str, str]:
    return {reason.code: reason.display_name for reason in LostReason.objects.all()}


def kpi_targets() -> dict[str, float]:
    return {target.kpi: float(target.value) for target in KpiTarget.objects.all()}


def rollup_state() -> RollupState | None:
    return RollupState.objects.filter(name="default").first()


# --------------------------------------------------------------------------- drill-down

DRILL_CASE_OUTCOMES = (
    "cohort",
    "renewed",
    "lost",
    "lapsed",
    "pending",
    "decided",
    "not_offered",
    "contacted",
    "quoted",
)
DRILL_PAGE_SIZE = 50


def drill_case_queryset(period: Period, filters: Filters, *, outcome: str, reason: str = ""):
    """The cases behind a figure: same period, filters and definitions as the figure."""
    queryset = sources.filter_rows(sources.case_rows(), filters).filter(
        _in_period("due_date", period, is_datetime=False)
    )
    if outcome in CLOSED_STAGES:
        queryset = queryset.filter(stage=outcome)
    elif outcome == "pending":
        queryset = queryset.filter(stage__in=OPEN_STAGES)
    elif outcome == "decided":
        queryset = queryset.filter(stage__in=DECIDED_STAGES)
    elif outcome == "contacted":
        queryset = queryset.exclude(stage=Stage.NOT_OFFERED).filter(sources.REACHED_CONTACTED)
    elif outcome == "quoted":
        queryset = queryset.exclude(stage=Stage.NOT_OFFERED).filter(sources.REACHED_QUOTED)
    else:
        queryset = queryset.exclude(stage=Stage.NOT_OFFERED)
    if reason:
        queryset = queryset.filter(lost_reason__code=reason)
    return queryset


def drill_cases(period: Period, filters: Filters, *, outcome: str, reason: str = "", after_id: int | None = None):
    """One page of :func:`drill_case_queryset`, newest id first, keyset-paginated: returns
    (rows, next cursor or None) without counting the whole set."""
    queryset = drill_case_queryset(period, filters, outcome=outcome, reason=reason)
    if after_id:
        queryset = queryset.filter(pk__lt=after_id)
    rows = list(
        queryset.select_related("policy", "customer", "line", "assignee", "lost_reason", "successor_policy").order_by(
            "-pk"
        )[: DRILL_PAGE_SIZE + 1]
    )
    next_cursor = rows[DRILL_PAGE_SIZE - 1].pk if len(rows) > DRILL_PAGE_SIZE else None
    return rows[:DRILL_PAGE_SIZE], next_cursor


def drill_complaints(period: Period, filters: Filters, *, category: str = "", after_id: int | None = None):
    """The complaints received in P behind the complaint figures, keyset-paginated like drill_cases."""
    queryset = sources.filter_rows(sources.complaint_rows(), filters).filter(
        _in_period("received_at", period, is_datetime=True)
    )
    if category:
        queryset = queryset.filter(category__code=category)
    if after_id:
        queryset = queryset.filter(pk__lt=after_id)
    rows = list(queryset.select_related("customer", "category", "policy").order_by("-pk")[: DRILL_PAGE_SIZE + 1])
    next_cursor = rows[DRILL_PAGE_SIZE - 1].pk if len(rows) > DRILL_PAGE_SIZE else None
    return rows[:DRILL_PAGE_SIZE], next_cursor


def open_cases_scored() -> int:
    """Open cases that carry a churn score (the model page)."""
    return RenewalCase.objects.open().filter(churn_risk__isnull=False).count()
