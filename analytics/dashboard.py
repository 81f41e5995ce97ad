"""Shapes selector results for the dashboard: tiles, chart data, tables and exports.

Every table the dashboard shows is built here as a list of rows with named columns, so the
page, the screen-reader table views and the CSV/XLSX exports show the same numbers.
"""

from __future__ import annotations

from dataclasses import dataclass
from decimal import Decimal

from django.urls import reverse
from django.utils.translation import gettext_lazy as _
from django.utils.translation import ngettext

from core.templatetags.money import format_money

from . import selectors
from .models import LOWER_IS_BETTER, PERCENT_KPIS, Kpi
from .params import Filters, Period, dashboard_query

NO_DATA = "—"
# The tiles that also compare with the same period a year earlier (issue 12): the customer's
# voice is seasonal, so last month is a poor yardstick for it.
YEAR_ON_YEAR_KPIS = (Kpi.NPS, Kpi.COMPLAINT_RATE)
# The drill-down pages every figure links to (URL names).
DRILL_CASES = "analytics:drill-cases"
DRILL_COMPLAINTS = "analytics:drill-complaints"


def fmt(kpi: str, value) -> str:
    """A figure as shown on screen; None is "—"."""
    if value is None:
        return NO_DATA
    if kpi in PERCENT_KPIS or kpi.endswith("_share") or kpi in ("contacted", "quoted", "renewed_share"):
        return f"{value * 100:.1f}%"
    if kpi == Kpi.NPS:
        return f"{value:+.0f}" if value else "0"
    if kpi in (Kpi.MEDIAN_DAYS_TO_CONTACT, Kpi.MEDIAN_DAYS_TO_RESOLVE, "median_cycle_days"):
        return f"{value:.1f}"
    if kpi == Kpi.COMPLAINT_RATE:
        return f"{value:.2f}"
    if isinstance(value, Decimal):
        return format_money(value)
    if isinstance(value, int):
        return f"{value:,}"
    return f"{value:.2f}"


def fmt_change(kpi: str, delta) -> str:
    if delta is None:
        return NO_DATA
    if kpi in PERCENT_KPIS:
        return f"{delta * 100:+.1f} pts"
    if kpi == Kpi.NPS:
        return f"{delta:+.0f}"
    if kpi in (Kpi.MEDIAN_DAYS_TO_CONTACT, Kpi.MEDIAN_DAYS_TO_RESOLVE):
        return f"{delta:+.1f}"
    return f"{delta:+.2f}"


def direction(kpi: str, delta) -> str:
    """``good``, ``bad`` or ``flat`` for colouring a change (lower is better for some KPIs)."""
    if delta is None or abs(delta) < 1e-9:
        return "flat"
    better = delta < 0 if kpi in LOWER_IS_BETTER else delta > 0
    return "good" if better else "bad"


@dataclass
class Tile:
    kpi: str
    label: str
    value: str
    note: str
    previous: str
    change: str
    change_direction: str
    change_sign: int
    target: str
    target_gap: str
    target_direction: str
    drill_url: str
    raw: float | None
    # Year on year (only the YEAR_ON_YEAR_KPIS): the figure a year earlier and the change since.
    year_on_year: str = ""
    year_on_year_change: str = ""
    year_on_year_direction: str = "flat"
    year_on_year_sign: int = 0
    year_on_year_label: str = ""


def _sign(delta) -> int:
    return 0 if delta is None or abs(delta) < 1e-9 else (1 if delta > 0 else -1)


def tiles(
    period: Period,
    filters: Filters,
    current: dict,
    previous: dict,
    targets: dict,
    year_before: dict | None = None,
    year_before_label: str = "",
) -> list[Tile]:
    def link(url_name, **extra):
        return f"{reverse(url_name)}?{dashboard_query(period, filters, **extra)}"

    pending_note = _("%(decided)s decided · %(pending)s pending") % {
        "decided": f"{current['decided']:,}",
        "pending": f"{current['pending']:,}",
    }
    if current["pending"] and current["renewal_rate"] is not None:
        pending_note = _("%(note)s · provisional") % {"note": pending_note}
    specs = [
        (
            Kpi.RENEWAL_RATE,
            current["renewal_rate"],
            previous["renewal_rate"],
            pending_note,
            link(DRILL_CASES, outcome="decided"),
        ),
        (
            Kpi.PREMIUM_RETENTION,
            current["premium_retention"],
            previous["premium_retention"],
            _("successor ÷ expiring premium of decided cases"),
            link(DRILL_CASES, outcome="renewed"),
        ),
        (
            Kpi.CONTACTED_SHARE,
            current["contacted_share"],
            previous["contacted_share"],
            ngettext("%(n)s case in the cohort", "%(n)s cases in the cohort", current["cohort"])
            % {"n": f"{current['cohort']:,}"},
            link(DRILL_CASES, outcome="contacted"),
        ),
        (
            Kpi.MEDIAN_DAYS_TO_CONTACT,
            current["median_days_to_contact"],
            previous["median_days_to_contact"],
            _("days from open to first contact"),
            link(DRILL_CASES, outcome="contacted"),
        ),
        (
            Kpi.NPS,
            current["nps"],
            previous["nps"],
            ngettext("%(n)s response", "%(n)s responses", current["nps_responses"])
            % {"n": f"{current['nps_responses']:,}"},
            "",
        ),
        (
            Kpi.COMPLAINT_RATE,
            current["complaint_rate_per_1000"],
            previous["complaint_rate_per_1000"],
            ngettext(
                "%(n)s complaint · %(p)s policies in force",
                "%(n)s complaints · %(p)s policies in force",
                current["complaints"],
            )
            % {"n": f"{current['complaints']:,}", "p": f"{current['policies_in_force']:,}"},
            link(DRILL_COMPLAINTS),
        ),
        (
            Kpi.MEDIAN_DAYS_TO_RESOLVE,
            current["median_days_to_resolve"],
            previous["median_days_to_resolve"],
            _("complaints resolved in the period"),
            link(DRILL_COMPLAINTS),
        ),
        (
            Kpi.RESOLVED_WITHIN_SLA,
            current["resolved_within_sla_share"],
            previous["resolved_within_sla_share"],
            _("resolved by the SLA due time"),
            link(DRILL_COMPLAINTS),
        ),
        (
            Kpi.UPHELD_SHARE,
            current["upheld_share"],
            previous["upheld_share"],
            _("of complaints resolved with a verdict"),
            link(DRILL_COMPLAINTS),
        ),
        (
            Kpi.RENEWAL_PREMIUM_SHARE,
            current["renewal_premium_share"],
            previous["renewal_premium_share"],
            _("of premium of policies starting in the period"),
            "",
        ),
        (
            Kpi.HIGH_VALUE_RETENTION,
            current["high_value_renewal_rate"],
            previous["high_value_renewal_rate"],
            ngettext(
                "%(n)s decided high-value/VIP case", "%(n)s decided high-value/VIP cases", current["high_value_decided"]
            )
            % {"n": f"{current['high_value_decided']:,}"},
            link(DRILL_CASES, outcome="decided"),
        ),
    ]
    result = []
    for kpi, value, before, note, url in specs:
        delta = None if value is None or before is None else value - before
        target = targets.get(kpi)
        gap = None if value is None or target is None else value - target
        tile = Tile(
            kpi=kpi,
            label=Kpi(kpi).label,
            value=fmt(kpi, value),
            note=note,
            previous=fmt(kpi, before),
            change=fmt_change(kpi, delta),
            change_direction=direction(kpi, delta),
            change_sign=_sign(delta),
            target=fmt(kpi, target) if target is not None else "",
            target_gap=fmt_change(kpi, gap),
            target_direction=direction(kpi, gap),
            drill_url=url,
            raw=value,
        )
        if year_before is not None and kpi in YEAR_ON_YEAR_KPIS:
            earlier = year_before[kpi]
            yoy = None if value is None or earlier is None else value - earlier
            tile.year_on_year = fmt(kpi, earlier)
            tile.year_on_year_change = fmt_change(kpi, yoy)
            tile.year_on_year_direction = direction(kpi, yoy)
            tile.year_on_year_sign = _sign(yoy)
            tile.year_on_year_label = year_before_label
        result.append(tile)
    return result


def _pct(value):
    return None if value is None else round(value * 100, 2)


def build(period: Period, filters: Filters) -> dict:
    """Everything the dashboard shows for ``period`` and ``filters``."""
    previous_period = period.previous()
    year_before_period = period.year_on_year()
    reader = selectors.dashboard_reader(period, filters)

    def figures_of(some_period: Period) -> dict:
        # The rollups hold whole months; a range of days is counted from the raw rows.
        if some_period.month_aligned:
            return reader.dashboard_figures(some_period)
        return selectors.dashboard_figures_raw(some_period, filters)

    current = figures_of(period)
    previous = figures_of(previous_period)
    year_before = figures_of(year_before_period)
    window = selectors.last_months(period)
    targets = selectors.kpi_targets()
    reason_labels = selectors.lost_reason_labels()
    query = dashboard_query(period, filters)

    def drill(url_name, **extra):
        return f"{reverse(url_name)}?{dashboard_query(period, filters, **extra)}"

    funnel_rows = [
        {
            "step": str(_("Cohort")),
            "cases": current["cohort"],
            "share": 1.0 if current["cohort"] else None,
            "url": drill(DRILL_CASES, outcome="cohort"),
        },
    ]
    for step, label in (("contacted", _("Contacted")), ("quoted", _("Quoted")), ("renewed", _("Renewed"))):
        share = current["funnel"][step]
        funnel_rows.append(
            {
                "step": str(label),
                "cases": round(share * current["cohort"]) if share is not None else 0,
                "share": share,
                "url": drill(DRILL_CASES, outcome=step),
            }
        )
    lost_rows = [
        {
            "reason": reason_labels.get(code, code),
            "code": code,
            "cases": round(share * current["lost"]),
            "share": share,
            "url": drill(DRILL_CASES, outcome="lost", reason=code),
        }
        for code, share in current["lost_reasons"].items()
    ]
    trend = reader.renewal_rate_trend(window, selectors.line_choices())
    nps_points = reader.nps_trend(window)
    complaint_points = reader.complaint_trend(window)
    if period.month_aligned:
        categories = reader.complaint_categories(period, selectors.complaint_category_choices())
    else:
        categories = selectors.complaint_categories_raw(period, filters, selectors.complaint_category_choices())
    for row in categories:
        row["url"] = drill(DRILL_COMPLAINTS, category=row["code"])
    regions = selectors.region_table(period, filters)
    for row in regions:
        row["url"] = drill(DRILL_CASES, region=row["region"], outcome="decided")
    board = selectors.specialist_leaderboard(period, filters)
    for row in board:
        row["url"] = drill(DRILL_CASES, specialist=row["username"], outcome="decided")

    charts = {
        "trend": {
            "labels": trend["months"],
            "datasets": [{"label": s["label"], "data": [_pct(v) for v in s["values"]]} for s in trend["series"]],
        },
        "funnel": {
            "labels": [r["step"] for r in funnel_rows],
            "data": [_pct(r["share"]) for r in funnel_rows],
            "urls": [r["url"] for r in funnel_rows],
        },
        "lost": {
            "labels": [r["reason"] for r in lost_rows],
            "data": [_pct(r["share"]) for r in lost_rows],
            "urls": [r["url"] for r in lost_rows],
        },
        "nps": {
            "labels": [p["month"] for p in nps_points],
            "nps": [p["nps"] for p in nps_points],
            "responses": [p["responses"] for p in nps_points],
            "npsLabel": str(_("NPS")),
            "responsesLabel": str(_("Responses")),
        },
        "complaints": {
            "labels": [p["month"] for p in complaint_points],
            "rate": [p["rate"] for p in complaint_points],
            "rateLabel": str(_("Complaints per 1,000 policies in force")),
        },
        "categories": {
            "labels": [r["label"] for r in categories],
            "data": [r["complaints"] for r in categories],
            "urls": [r["url"] for r in categories],
            "label": str(_("Complaints")),
        },
    }
    return {
        "period": period,
        "previous_period": previous_period,
        "filters": filters,
        "query": query,
        "figures": current,
        "previous": previous,
        "year_before_period": year_before_period,
        "year_before": year_before,
        "tiles": tiles(period, filters, current, previous, targets, year_before, year_before_period.label),
        "trend": trend,
        "trend_rows": [
            {"month": month, "values": [series["values"][i] for series in trend["series"]]}
            for i, month in enumerate(trend["months"])
        ],
        "funnel_rows": funnel_rows,
        "lost_rows": lost_rows,
        "nps_points": nps_points,
        "complaint_points": complaint_points,
        "categories": categories,
        "regions": regions,
        "board": board,
        "charts": charts,
    }


# --------------------------------------------------------------------------- exports

EXPORT_TABLES = {
    "kpis": _("KPIs"),
    "trend": _("Renewal rate by line"),
    "funnel": _("Funnel"),
    "lost_reasons": _("Lost reasons"),
    "nps": _("NPS by month"),
    "complaints": _("Complaint rate by month"),
    "complaint_categories": _("Complaints by category"),
    "regions": _("Regions"),
    "specialists": _("Specialists"),
}


def export_rows(table: str, data: dict) -> list[dict]:
    """The rows of one dashboard table, with plain numbers (shares 0..1) for spreadsheets."""
    if table == "kpis":
        return [
            {
                "kpi": t.kpi,
                "label": str(t.label),
                "value": t.raw,
                "previous": data["previous"].get(t.kpi),
                "year_on_year": data["year_before"].get(t.kpi) if t.kpi in YEAR_ON_YEAR_KPIS else None,
                "shown": t.value,
                "target": t.target,
            }
            for t in data["tiles"]
        ]
    if table == "trend":
        rows = []
        for series in data["trend"]["series"]:
            for month, value, decided in zip(data["trend"]["months"], series["values"], series["decided"], strict=True):
                rows.append({"month": month, "line": series["line"], "renewal_rate": value, "decided": decided})
        return rows
    if table == "funnel":
        return [{"step": r["step"], "cases": r["cases"], "share_of_cohort": r["share"]} for r in data["funnel_rows"]]
    if table == "lost_reasons":
        return [
            {"reason": r["code"], "label": r["reason"], "cases": r["cases"], "share": r["share"]}
            for r in data["lost_rows"]
        ]
    if table == "nps":
        return [dict(p) for p in data["nps_points"]]
    if table == "complaints":
        return [dict(p) for p in data["complaint_points"]]
    if table == "complaint_categories":
        return [
            {"category": r["code"], "label": r["label"], "complaints": r["complaints"], "share": r["share"]}
            for r in data["categories"]
        ]
    if table == "regions":
        return [
            {k: r[k] for k in ("region", "cohort", "decided", "pending", "renewal_rate", "premium_retention")}
            for r in data["regions"]
        ]
    if table == "specialists":
        return [
            {
                k: r[k]
                for k in (
                    "username",
                    "name",
                    "cases_closed",
                    "renewed",
                    "renewal_rate",
                    "premium_retained",
                    "premium_retention",
                    "median_cycle_days",
                    "open_workload",
                )
            }
            for r in data["board"]
        ]
    raise KeyError(table)
