"""``RollupReader``: each rollup table read once for a span of months, summed per period in Python."""

from __future__ import annotations

import datetime as dt
from collections import defaultdict
from dataclasses import dataclass, field
from decimal import Decimal

from django.db.models import Sum

from customers.models import ComplaintCategory, Customer
from renewals.models import DECIDED_STAGES, LineOfInsurance, Stage

from .. import kpis
from ..models import CaseDaysRollup, CaseRollup, ComplaintResolutionRollup, ComplaintRollup, PolicyRollup, SurveyRollup
from ..params import Filters, Period, month_start
from .inputs import API_KEYS, CaseInputs, rollup_rows


class RollupReader:
    """Reads each rollup table once, grouped by month, for a span of months; figures for any
    month-aligned period inside the span are then summed in Python. The dashboard needs the
    period, the previous period and 12-month series: six small queries instead of dozens."""

    def __init__(self, filters: Filters, start: dt.date, end: dt.date, *, high_value: bool = False):
        self.filters = filters
        self.high_value = high_value
        self.span = (start, end)
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
                rollup_rows(CaseRollup, case_filters, start=start, end=end)
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
            rollup_rows(CaseDaysRollup, filters, start=start, end=end)
            .filter(kind=CaseDaysRollup.Kind.FIRST_CONTACT)
            .values_list("month", "days")
            .annotate(Sum("cases"))
        )
        self.scores = list(
            rollup_rows(SurveyRollup, filters, start=start, end=end)
            .values_list("month", "score")
            .annotate(Sum("responses"))
        )
        self.complaints = list(
            rollup_rows(ComplaintRollup, filters, start=start, end=end)
            .values_list("month", "category__code")
            .annotate(Sum("complaints"))
        )
        self.resolutions = list(
            rollup_rows(ComplaintResolutionRollup, filters, start=start, end=end)
            .values_list("month", "days", "within_sla", "upheld")
            .annotate(Sum("complaints"))
        )
        # Every month up to the end: policies in force are a running sum of starts minus ends.
        self.policy_months = list(
            rollup_rows(PolicyRollup, filters, end=end)
            .values_list("month")
            .annotate(Sum("starts"), Sum("ends"), Sum("start_premium"), Sum("renewal_start_premium"))
            .order_by("month")
        )

    # -- per period
    def case_inputs(self, period: Period, *, segments: tuple[str, ...] | None = None) -> CaseInputs:
        return self.case_inputs_for(set(period.months), segments=segments)

    def case_inputs_for(self, months: set[dt.date], *, segments: tuple[str, ...] | None = None) -> CaseInputs:
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

    def parts(self, months: set[dt.date]) -> Parts:
        """The additive inputs of the figures for a set of months (inside the span)."""
        parts = Parts(cases=self.case_inputs_for(months))
        for month, score, n in self.scores:
            if month in months:
                parts.scores[score] += n
        parts.complaints = sum(n for month, _code, n in self.complaints if month in months)
        parts.resolutions = [(d, w, u, n) for month, d, w, u, n in self.resolutions if month in months]
        parts.renewal_premium = sum((r for m, _s, _e, _p, r in self.policy_months if m in months), Decimal("0"))
        parts.all_premium = sum((p for m, _s, _e, p, _r in self.policy_months if m in months), Decimal("0"))
        return parts

    def figures(self, period: Period) -> dict:
        return figures_from_parts(self.parts(set(period.months)), self.in_force_at(month_start(period.end)))

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
        high_value = self.case_inputs(period, segments=Customer.HIGH_VALUE_SEGMENTS if self.high_value else None)
        high_value_figures = high_value.figures()
        figures["high_value"] = kpis.high_value_retention(
            renewed=high_value_figures["renewed"],
            decided_count=high_value_figures["decided"],
            successor_premium=high_value.successor,
            decided_expiring_premium=high_value.decided_expiring,
        )
        figures["high_value_renewal_rate"] = figures["high_value"]["renewal_rate"]
        figures["high_value_decided"] = high_value_figures["decided"]
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
        return complaint_category_rows(counts, categories)


def complaint_category_rows(counts: dict[str, int], categories: list[ComplaintCategory]) -> list[dict]:
    """Complaints per category code as the dashboard's rows (inactive categories only when used)."""
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


@dataclass
class Parts:
    """The additive inputs of the KPI API's figures for some months or days: rollup months and fact
    days add up (``add``), and the figures (medians, shares) are computed once from the sum."""

    cases: CaseInputs = field(default_factory=CaseInputs)
    scores: dict = field(default_factory=lambda: defaultdict(int))
    complaints: int = 0
    # (whole days to resolve, within SLA, upheld, complaints)
    resolutions: list = field(default_factory=list)
    renewal_premium: Decimal = Decimal("0")
    all_premium: Decimal = Decimal("0")

    def add(self, other: Parts, *, sign: int = 1) -> None:
        """Add ``other`` (or, with ``sign=-1``, take it away: a month's rollup minus some of its days)."""
        mine, theirs = self.cases, other.cases
        for stage, n in theirs.stages.items():
            mine.stages[stage] += sign * n
        for reason, n in theirs.lost_reasons.items():
            mine.lost_reasons[reason] += sign * n
            if not mine.lost_reasons[reason]:
                del mine.lost_reasons[reason]
        mine.contacted += sign * theirs.contacted
        mine.quoted += sign * theirs.quoted
        mine.decided_expiring += sign * theirs.decided_expiring
        mine.successor += sign * theirs.successor
        for score, n in other.scores.items():
            self.scores[score] += sign * n
        self.complaints += sign * other.complaints
        self.resolutions.extend((d, w, u, sign * n) for d, w, u, n in other.resolutions)
        self.renewal_premium += sign * other.renewal_premium
        self.all_premium += sign * other.all_premium


def figures_from_parts(parts: Parts, in_force: int) -> dict:
    """The API figures (``API_KEYS``) from summed inputs and the policies in force on the last day."""
    figures = parts.cases.figures()
    counts = kpis.nps_counts(parts.scores)
    complaints = parts.complaints
    histogram: dict[int, int] = defaultdict(int)
    resolved = within = upheld = with_verdict = 0
    for days, within_sla, was_upheld, n in parts.resolutions:
        histogram[days] += n
        resolved += n
        within += n if within_sla else 0
        if was_upheld is not None:
            with_verdict += n
            upheld += n if was_upheld else 0
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
        renewal_premium_share=kpis.renewal_premium_share(
            renewal_premium=parts.renewal_premium, all_premium=parts.all_premium
        ),
    )
    return {key: figures[key] for key in API_KEYS}
