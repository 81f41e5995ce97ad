"""Managers' pages: the KPI dashboard, targets, drill-down lists, exports and the churn model."""

from __future__ import annotations

import io

import pandas as pd
from django.contrib import messages
from django.http import Http404, HttpResponse
from django.shortcuts import redirect, render
from django.utils.translation import gettext as _
from django.views.decorators.http import require_GET, require_http_methods

from core.errors import ApplicationError
from core.roles import Role, role_required
from core.spreadsheets import safe_frame
from customers.models import ComplaintCategory, Customer
from renewals.models import Policy, Stage

from . import dashboard as shaping
from . import selectors
from .churn import feature_label
from .models import PERCENT_KPIS, ChurnModelRun, Kpi
from .params import dashboard_query, filters_from_query, period_from_query
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
    return {
        "period": period,
        "filters": filters,
        "lines": selectors.line_choices(),
        "region_choices": selectors.region_choices(),
        "segments": Customer.Segment.choices,
        "channels": Policy.Channel.choices,
        "specialists": selectors.specialist_choices(),
        "query": dashboard_query(period, filters),
        "month_value": f"{period.start:%Y-%m}",
        "from_value": f"{period.start:%Y-%m}",
        "to_value": f"{period.end:%Y-%m}",
    }


@role_required(Role.MANAGER)
@require_GET
def dashboard(request):
    """The manager's home page. An htmx request (a changed filter) gets only the body back."""
    period = period_from_query(request.GET)
    filters = filters_from_query(request.GET, strict=False)
    context = {
        **shaping.build(period, filters),
        **_filter_context(request, period, filters),
        "state": selectors.rollup_state(),
        "print_view": request.GET.get("print") == "1",
        "export_tables": shaping.EXPORT_TABLES,
    }
    if request.htmx and not request.htmx.boosted:
        return render(request, "analytics/_dashboard_body.html", context)
    return render(request, "analytics/dashboard.html", context)


@role_required(Role.MANAGER)
@require_GET
def export(request, table: str, fmt: str):
    """Any dashboard table (or a drill-down list) as CSV or XLSX, with the page's period and filters."""
    if fmt not in EXPORT_FORMATS:
        raise Http404
    period = period_from_query(request.GET)
    filters = filters_from_query(request.GET, strict=False)
    if table == "cases":
        rows = _case_export_rows(request, period, filters)
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
    period = period_from_query(request.GET)
    filters = filters_from_query(request.GET, strict=False)
    outcome = request.GET.get("outcome", "cohort")
    if outcome not in selectors.DRILL_CASE_OUTCOMES:
        outcome = "cohort"
    reason = request.GET.get("reason", "")
    rows, next_cursor = selectors.drill_cases(
        period, filters, outcome=outcome, reason=reason, after_id=_cursor(request)
    )
    reason_label = selectors.lost_reason_labels().get(reason, reason) if reason else ""
    extra = {"outcome": outcome, "reason": reason}
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
    period = period_from_query(request.GET)
    filters = filters_from_query(request.GET, strict=False)
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


@role_required(Role.MANAGER)
@require_GET
def churn_model(request):
    """When the churn model was fitted, its AUC on held-out cases and what it weighs."""
    runs = list(ChurnModelRun.objects.all()[:10])
    latest = runs[0] if runs else None
    last_fitted = next((run for run in runs if run.status == ChurnModelRun.Status.FITTED), None)
    coefficients = []
    if last_fitted:
        coefficients = [
            (feature_label(name), value)
            for name, value in sorted(last_fitted.coefficients.items(), key=lambda kv: -abs(kv[1]))
        ]
    scored = selectors.open_cases_scored()
    return render(
        request,
        "analytics/model.html",
        {
            "latest": latest,
            "last_fitted": last_fitted,
            "runs": runs,
            "coefficients": coefficients,
            "scored_open_cases": scored,
        },
    )
