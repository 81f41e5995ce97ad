"""Managers' pages: the KPI dashboard, targets, drill-down lists, exports and the churn model."""

from __future__ import annotations

import io

import pandas as pd
from django.contrib import messages
from django.http import Http404, HttpResponse
from django.shortcuts import redirect, render
from django.urls import reverse
from django.utils import timezone
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy
from django.views.decorators.http import require_GET, require_http_methods

from core.errors import ApplicationError
from core.roles import Role, role_required
from core.spreadsheets import safe_frame
from customers.models import ComplaintCategory, Customer
from renewals.models import ImportAttribute, Policy, Stage

from . import dashboard as shaping
from . import selectors
from .churn import feature_label
from .models import PERCENT_KPIS, ChurnModelRun, Kpi
from .params import (
    EARLIEST_DAY,
    Filters,
    dashboard_query,
    filters_from_query,
    latest_day,
    period_for,
    period_from_query,
    uses_default_month,
)
from .selectors.addons import addon_dashboard_figures
from .selectors.competitors import competitor_dashboard_figures
from .selectors.playbooks import playbook_comparison_cached
from .selectors.price_sensitivity import price_sensitivity_cached
from .services import kpi_targets_set

OUTCOME_LABELS = {
    "cohort": _("Cases in the cohort"),
    "renewed": _("Renewed cases"),
    "lost": _("Lost cases"),
    "lapsed": _("Lapsed cases"),
    "pending": _("Pending cases"),
    "decided": _("Decided cases"),
    "not_offered": _("Cases not offered"),
    "contacted": _("Cases that reached contact"),
    "quoted": _("Cases that reached a quote"),
}
EXPORT_FORMATS = ("csv", "xlsx")
MAX_EXPORT_ROWS = 50_000


def _filter_context(request, period, filters) -> dict:
    last = latest_day()
    return {
        "period": period,
        "filters": filters,
        "lines": selectors.line_choices(),
        "region_choices": selectors.region_choices(),
        "segments": Customer.Segment.choices,
        "channels": Policy.Channel.choices,
        "specialists": selectors.specialist_choices(),
        "query": dashboard_query(period, filters) if period else "",
        "month_value": f"{period.start:%Y-%m}" if period else request.GET.get("month", ""),
        "from_value": period.start.isoformat() if period else request.GET.get("from", ""),
        "to_value": period.end.isoformat() if period else request.GET.get("to", ""),
        "period_kind": period.kind if period else request.GET.get("period", "month"),
        "month_min": f"{EARLIEST_DAY:%Y-%m}",
        "month_max": f"{last:%Y-%m}",
        "day_min": EARLIEST_DAY.isoformat(),
        "day_max": last.isoformat(),
    }


def _page_period(request, filters: Filters):
    """The period of a page's query; without a month, the latest month with decided cases."""
    return period_from_query(request.GET, default_month=lambda: selectors.latest_decided_month(filters))


def _period_error(request, error: ApplicationError):
    """A bad period on a page other than the dashboard: the message, a way back, and a 400."""
    return render(request, "analytics/period_error.html", {"error": error}, status=400)


@role_required(Role.MANAGER)
@require_GET
def dashboard(request):
    """The manager's home page. An htmx request (a changed filter) gets only the body back.

    Without a month it opens on the latest month with decided cases (not an empty current month
    on the 1st); a period outside the sane range is a 400 with the form and the message."""
    filters = filters_from_query(request.GET, strict=False)
    try:
        period = _page_period(request, filters)
    except ApplicationError as error:
        context = {**_filter_context(request, None, filters), "period_error": error, "print_view": False}
        template = "analytics/_dashboard_body.html" if request.htmx and not request.htmx.boosted else None
        return render(request, template or "analytics/dashboard.html", context, status=400)
    current_month = period_for("month", timezone.localdate())
    opened_on_latest = uses_default_month(request.GET) and period.kind == "month" and period != current_month
    context = {
        **shaping.build(period, filters),
        **_filter_context(request, period, filters),
        "state": selectors.rollup_state(),
        "print_view": request.GET.get("print") == "1",
        "export_tables": shaping.EXPORT_TABLES,
        "opened_on_latest": opened_on_latest,
        "current_month_query": dashboard_query(current_month, filters) if opened_on_latest else "",
        "current_month": current_month,
        "addons_card_query": dashboard_query(period, filters),
        "playbooks_card_query": dashboard_query(period, filters),
    }
    if request.htmx and not request.htmx.boosted:
        return render(request, "analytics/_dashboard_body.html", context)
    return render(request, "analytics/dashboard.html", context)


# The lazily loaded dashboard cards' tables: where their rows come from (cached), and each column's
# heading and key. The rollup tables go through ``shaping.EXPORT_TABLES``.
CARD_EXPORTS = {
    "addons": (
        lambda period, filters: addon_dashboard_figures(period, filters)["addons"],
        [
            (gettext_lazy("Add-on"), "name"),
            (gettext_lazy("Code"), "code"),
            (gettext_lazy("Offered"), "offered"),
            (gettext_lazy("Taken"), "taken"),
            (gettext_lazy("Attach rate"), "rate"),
        ],
    ),
    "price_sensitivity": (
        lambda period, filters: price_sensitivity_cached(period, filters)["rows"],
        [
            (gettext_lazy("Line"), "line"),
            (gettext_lazy("Segment"), "segment_label"),
            (gettext_lazy("Premium change"), "band_label"),
            (gettext_lazy("Decided"), "decided"),
            (gettext_lazy("Renewed"), "renewed"),
            (gettext_lazy("Renewal rate"), "rate"),
        ],
    ),
    "competitor_gaps": (
        lambda period, filters: competitor_dashboard_figures(period, filters)["gaps"],
        [
            (gettext_lazy("Line"), "line"),
            (gettext_lazy("Region"), "region_label"),
            (gettext_lazy("Competitor premiums"), "quotes"),
            (gettext_lazy("Median price gap (%)"), "median_gap"),
        ],
    ),
}


@role_required(Role.MANAGER)
@require_GET
def export(request, table: str, fmt: str):
    """Any dashboard table (or a drill-down list) as CSV or XLSX, with the page's period and filters."""
    if fmt not in EXPORT_FORMATS:
        raise Http404
    filters = filters_from_query(request.GET, strict=False)
    try:
        period = _page_period(request, filters)
    except ApplicationError as error:
        return _period_error(request, error)
    if table == "cases":
        rows = _case_export_rows(request, period, filters)
    elif table in CARD_EXPORTS:
        source, columns = CARD_EXPORTS[table]
        rows = [{str(label): row[key] for label, key in columns} for row in source(period, filters)]
    elif table in shaping.EXPORT_TABLES:
        rows = shaping.export_rows(table, shaping.build(period, filters))
    else:
        raise Http404
    frame = safe_frame(pd.DataFrame(rows))
    filename = f"{table}-{period.label.replace(' ', '')}.{fmt}"
    if fmt == "csv":
        response = HttpResponse(frame.to_csv(index=False), content_type="text/csv; charset=utf-8")
    else:
        buffer = io.BytesIO()
        frame.to_excel(buffer, index=False, sheet_name=table[:31], engine="openpyxl")
        response = HttpResponse(
            buffer.getvalue(), content_type="application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"
        )
    response["Content-Disposition"] = f'attachment; filename="{filename}"'
    return response


def _case_export_rows(request, period, filters) -> list[dict]:
    outcome = request.GET.get("outcome", "cohort")
    if outcome not in selectors.DRILL_CASE_OUTCOMES:
        outcome = "cohort"
    queryset = selectors.drill_case_queryset(period, filters, outcome=outcome, reason=request.GET.get("reason", ""))
    values = queryset.order_by("-pk").values(
        "id",
        "policy__number",
        "customer__name",
        "line__code",
        "due_date",
        "stage",
        "lost_reason__code",
        "assignee__username",
        "expiring_premium",
        "successor_policy__premium",
    )[:MAX_EXPORT_ROWS]
    return [
        {
            "case_id": v["id"],
            "policy": v["policy__number"],
            "customer": v["customer__name"],
            "line": v["line__code"],
            "expiry": v["due_date"],
            "stage": v["stage"],
            "reason": v["lost_reason__code"] or "",
            "specialist": v["assignee__username"] or "",
            "expiring_premium": v["expiring_premium"],
            "successor_premium": v["successor_policy__premium"],
        }
        for v in values
    ]


def _cursor(request) -> int | None:
    try:
        return int(request.GET.get("after", "")) or None
    except ValueError:
        return None


@role_required(Role.MANAGER)
@require_GET
def drill_cases(request):
    """The cases behind a figure, with the dashboard's period and filters."""
    filters = filters_from_query(request.GET, strict=False)
    try:
        period = _page_period(request, filters)
    except ApplicationError as error:
        return _period_error(request, error)
    outcome = request.GET.get("outcome", "cohort")
    if outcome not in selectors.DRILL_CASE_OUTCOMES:
        outcome = "cohort"
    reason = request.GET.get("reason", "")
    playbook_id = _playbook_param(request)
    rows, next_cursor = selectors.drill_cases(
        period, filters, outcome=outcome, reason=reason, after_id=_cursor(request), playbook_id=playbook_id
    )
    reason_label = selectors.lost_reason_labels().get(reason, reason) if reason else ""
    extra = {"outcome": outcome, "reason": reason, "playbook": playbook_id}
    return render(
        request,
        "analytics/drill_cases.html",
        {
            "rows": rows,
            "title": OUTCOME_LABELS[outcome],
            "reason_label": reason_label,
            "period": period,
            "filters": filters,
            "back_query": dashboard_query(period, filters),
            "export_query": dashboard_query(period, filters, **extra),
            "next_query": dashboard_query(period, filters, after=next_cursor, **extra) if next_cursor else "",
            "first_query": dashboard_query(period, filters, **extra) if _cursor(request) else "",
            "stages": dict(Stage.choices),
        },
    )


@role_required(Role.MANAGER)
@require_GET
def drill_complaints(request):
    filters = filters_from_query(request.GET, strict=False)
    try:
        period = _page_period(request, filters)
    except ApplicationError as error:
        return _period_error(request, error)
    category = request.GET.get("category", "")
    rows, next_cursor = selectors.drill_complaints(period, filters, category=category, after_id=_cursor(request))
    category_label = ""
    if category:
        found = ComplaintCategory.objects.filter(code=category).first()
        category_label = found.display_name if found else category
    return render(
        request,
        "analytics/drill_complaints.html",
        {
            "rows": rows,
            "category_label": category_label,
            "period": period,
            "filters": filters,
            "back_query": dashboard_query(period, filters),
            "next_query": dashboard_query(period, filters, category=category, after=next_cursor) if next_cursor else "",
        },
    )


@role_required(Role.MANAGER)
@require_http_methods(["GET", "POST"])
def targets(request):
    """Managers set a target per KPI (shares in percent); an empty field clears it."""
    current = selectors.kpi_targets()
    errors: dict[str, str] = {}
    submitted = {}
    if request.method == "POST":
        submitted = {kpi: request.POST.get(kpi, "") for kpi in Kpi.values}
        try:
            kpi_targets_set(targets=submitted, actor=request.user)
        except ApplicationError as error:
            errors[error.field] = error.message
        else:
            messages.success(request, _("Targets saved."))
            return redirect("analytics:targets")
    rows = []
    for kpi in Kpi:
        value = current.get(kpi.value)
        shown = "" if value is None else (f"{value * 100:g}" if kpi in PERCENT_KPIS else f"{value:g}")
        rows.append(
            {
                "kpi": kpi.value,
                "label": kpi.label,
                "value": submitted.get(kpi.value, shown),
                "unit": "%" if kpi in PERCENT_KPIS else "",
                "error": errors.get(kpi.value, ""),
                "lower_is_better": kpi in shaping.LOWER_IS_BETTER,
            }
        )
    return render(request, "analytics/targets.html", {"rows": rows}, status=400 if errors else 200)


COEFFICIENTS_SHOWN = 25  # the strongest weights; one-hot attributes can add many more


@role_required(Role.MANAGER)
@require_GET
def churn_model(request):
    """When the churn model was fitted, its AUC and reliability on the later held-out period, and what it weighs."""
    runs = list(ChurnModelRun.objects.all()[:10])
    latest = runs[0] if runs else None
    last_fitted = next((run for run in runs if run.status == ChurnModelRun.Status.FITTED), None)
    coefficients, reliability, attributes = [], [], []
    if last_fitted:
        attributes = list(ImportAttribute.objects.filter(name__in=last_fitted.diagnostics.get("attributes", [])))
        labels = {f"attr__{a.name}": a.label or a.name for a in attributes}
        coefficients = [
            (feature_label(name, labels), value)
            for name, value in sorted(last_fitted.coefficients.items(), key=lambda kv: -abs(kv[1]))
        ][:COEFFICIENTS_SHOWN]
        reliability = last_fitted.diagnostics.get("reliability", [])
    chart = {
        "labels": [f"{round(b['low'] * 100)}–{round(b['high'] * 100)}%" for b in reliability],
        "predicted": [round(b["predicted"] * 100, 1) for b in reliability],
        "observed": [round(b["observed"] * 100, 1) for b in reliability],
        "counts": [b["count"] for b in reliability],
        "series": {"predicted": _("Mean predicted risk"), "observed": _("Observed churn"), "counts": _("Cases")},
    }
    return render(
        request,
        "analytics/model.html",
        {
            "latest": latest,
            "last_fitted": last_fitted,
            "runs": runs,
            "coefficients": coefficients,
            "reliability": reliability,
            "reliability_chart": chart,
            "attributes": attributes,
            "cutoff": last_fitted.diagnostics.get("cutoff") if last_fitted else None,
            "scored_open_cases": selectors.open_cases_scored(),
        },
    )


def _playbook_param(request) -> int | None:
    """``?playbook=`` of the playbooks comparison's drill-down; anything but a small whole number is ignored."""
    raw = request.GET.get("playbook", "")
    return int(raw) if raw.isascii() and raw.isdigit() and len(raw) < 12 else None


@role_required(Role.MANAGER)
@require_GET
def playbooks_card(request):
    """The dashboard's playbooks comparison, loaded after the page (two aggregate queries)."""
    filters = filters_from_query(request.GET, strict=False)
    try:
        period = _page_period(request, filters)
    except ApplicationError as error:
        return _period_error(request, error)
    rows = [dict(row) for row in playbook_comparison_cached(period, filters)]
    for row in rows:
        row["url"] = (
            reverse("analytics:drill-cases") + "?" + dashboard_query(period, filters, playbook=row["playbook_id"])
            if row["playbook_id"]
            else ""
        )
    return render(request, "analytics/_playbooks_card.html", {"rows": rows})


@role_required(Role.MANAGER)
@require_GET
def addons_card(request):
    """The dashboard's add-ons card, loaded after the page (its figures come from the raw rows)."""
    filters = filters_from_query(request.GET, strict=False)
    try:
        period = _page_period(request, filters)
    except ApplicationError as error:
        return _period_error(request, error)
    context = {"f": addon_dashboard_figures(period, filters), "query": dashboard_query(period, filters)}
    return render(request, "analytics/_addons_card.html", context)


@role_required(Role.MANAGER)
@require_GET
def price_sensitivity_card(request):
    """The dashboard's price-sensitivity card (the elasticity curve and its table), loaded after the page."""
    filters = filters_from_query(request.GET, strict=False)
    try:
        period = _page_period(request, filters)
    except ApplicationError as error:
        return _period_error(request, error)
    figures = price_sensitivity_cached(period, filters)
    context = {"f": figures, "chart": figures["chart"], "query": dashboard_query(period, filters)}
    return render(request, "analytics/_price_sensitivity_card.html", context)


@role_required(Role.MANAGER)
@require_GET
def competitors_card(request):
    """The dashboard's competitor card (losses by competitor and month, price gaps, win rate)."""
    filters = filters_from_query(request.GET, strict=False)
    try:
        period = _page_period(request, filters)
    except ApplicationError as error:
        return _period_error(request, error)
    figures = competitor_dashboard_figures(period, filters)
    chart = {
        "labels": figures["months"],
        "datasets": [{"label": row["name"] or _("Not named"), "data": row["months"]} for row in figures["losses"]],
    }
    context = {"f": figures, "chart": chart, "query": dashboard_query(period, filters)}
    return render(request, "analytics/_competitors_card.html", context)
