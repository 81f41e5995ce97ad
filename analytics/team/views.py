"""The Team page (managers), its settings, the bulk rebalance, exports, and the queue panel."""

from __future__ import annotations

import io

import pandas as pd
from django.contrib import messages
from django.core.exceptions import PermissionDenied
from django.http import Http404, HttpResponse
from django.shortcuts import redirect, render
from django.utils import timezone
from django.utils.translation import gettext as _
from django.views.decorators.http import require_GET, require_http_methods, require_POST

from core.errors import ApplicationError
from core.roles import Role, has_role, role_required
from core.spreadsheets import safe_frame
from customers.models import Customer

from .. import selectors as analytics_selectors
from ..models import CaseDaysRollup
from ..params import Filters, dashboard_query, filters_from_query, period_from_query
from . import selectors
from .models import SpecialistCapacity, TeamSettings
from .services import COST_FIELDS, WEIGHT_FIELDS, specialist_capacities_set, team_overflow_rebalance, team_settings_save

EXPORT_TABLES = ("scorecard", "lines", "segments", "capacity")
EXPORT_FORMATS = ("csv", "xlsx")


def _team_filters(request) -> Filters:
    """The Team page filters: line and segment (the scorecard breaks down by specialist itself)."""
    parsed = filters_from_query(request.GET, strict=False)
    return Filters(line_id=parsed.line_id, line_code=parsed.line_code, segments=parsed.segments)


def _page_period(request):
    return period_from_query(request.GET, default_month=lambda: analytics_selectors.latest_decided_month(Filters()))


def _chart_data(report: selectors.TeamReport, capacity: dict, scorecard: dict) -> dict:
    series = report.series()
    return {
        "labels": {
            "processing": _("Open → decision (mean days)"),
            "contact": _("Open → first contact (mean days)"),
            "year_ago": _("Open → decision, a year earlier"),
            "target": _("Target"),
            "capacity": _("Capacity"),
            "days": _("days"),
            "cases": _("cases"),
        },
        "series": series,
        "capacity": {
            "weeks": [f"{week:%m-%d}" for week in capacity["weeks"]],
            "lines": [{"label": row["line"].display_name, "data": row["weeks"]} for row in capacity["lines"]],
            "total_capacity": capacity["total_capacity"] or None,
        },
        "sparks": {str(person["user"].pk): person["spark"] for person in scorecard["people"]},
    }


@role_required(Role.MANAGER)
@require_GET
def team_page(request):
    filters = _team_filters(request)
    try:
        period = _page_period(request)
    except ApplicationError as error:
        return render(request, "analytics/period_error.html", {"error": error}, status=400)
    report = selectors.TeamReport(period, filters)
    capacity = selectors.capacity_ahead(filters)
    scorecard = report.scorecard()
    medians = report.medians()
    context = {
        "period": period,
        "filters": filters,
        "query": dashboard_query(period, filters),
        "month_value": f"{period.start:%Y-%m}",
        "period_kind": period.kind if period.kind != "custom" else "month",
        "lines": analytics_selectors.line_choices(),
        "segments": Customer.Segment.choices,
        "team": report.team(),
        "median_cycle": medians.get(("team", CaseDaysRollup.Kind.CYCLE)),
        "median_contact": medians.get(("team", CaseDaysRollup.Kind.FIRST_CONTACT)),
        "by_line": report.by_line(),
        "by_segment": report.by_segment(),
        "scorecard": scorecard,
        "capacity": capacity,
        "chart_data": _chart_data(report, capacity, scorecard),
        "refreshed_at": selectors.refreshed_at(),
        "settings": report.settings,
    }
    return render(request, "analytics/team/team.html", context)


@role_required(Role.MANAGER)
@require_http_methods(["GET", "POST"])
def team_settings(request):
    """Unit costs, minutes per call, the processing-time target, scorecard weights and capacities."""
    specialists = list(analytics_selectors.specialist_choices())
    errors: dict[str, str] = {}
    if request.method == "POST":
        values = {
            name: request.POST.get(name, "")
            for name in (*COST_FIELDS, *WEIGHT_FIELDS, "processing_time_target_percent")
        }
        capacities = {user.pk: request.POST.get(f"capacity_{user.pk}", "") for user in specialists}
        try:
            team_settings_save(actor=request.user, values=values)
            specialist_capacities_set(actor=request.user, capacities=capacities)
        except ApplicationError as error:
            errors[error.field or "__all__"] = error.message
        else:
            messages.success(request, _("Team settings saved."))
            return redirect("analytics:team-settings")
    current = TeamSettings.load()
    capacity = dict(SpecialistCapacity.objects.values_list("user_id", "cases_per_week"))
    posted = request.POST if request.method == "POST" else None
    fields = [
        {
            "name": name,
            "label": TeamSettings._meta.get_field(name).verbose_name,
            "value": posted.get(name, "") if posted else getattr(current, name),
            "error": errors.get(name),
            "step": "1" if name in WEIGHT_FIELDS or name == "processing_time_target_percent" else "0.01",
            "min": "-100" if name == "processing_time_target_percent" else "0",
            "max": "10" if name in WEIGHT_FIELDS else ("100" if name == "processing_time_target_percent" else ""),
        }
        for name in (*COST_FIELDS, "processing_time_target_percent", *WEIGHT_FIELDS)
    ]
    people = [
        {
            "user": user,
            "name": user.get_full_name() or user.username,
            "value": posted.get(f"capacity_{user.pk}", "") if posted else capacity.get(user.pk, ""),
            "error": errors.get(f"capacity_{user.pk}"),
        }
        for user in specialists
    ]
    context = {
        "cost_fields": fields[: len(COST_FIELDS) + 1],
        "weight_fields": fields[len(COST_FIELDS) + 1 :],
        "people": people,
        "form_error": errors.get("__all__"),
    }
    return render(request, "analytics/team/settings.html", context, status=400 if errors else 200)


@role_required(Role.MANAGER)
@require_POST
def team_rebalance(request):
    """Move the forecast overflow's worth of untouched open cases to specialists with room (audited)."""
    capacity = selectors.capacity_ahead()
    try:
        moves = team_overflow_rebalance(actor=request.user, overflow=capacity["overflow"], spare=capacity["spare"])
    except ApplicationError as error:
        messages.error(request, error.message)
    else:
        moved = sum(n for targets in moves.values() for n in targets.values())
        messages.success(request, _("%(count)d cases moved to specialists with room.") % {"count": moved})
    target = "renewals:queue" if request.POST.get("back") == "queue" else "analytics:team"
    return redirect(target)


def export_rows(table: str, report: selectors.TeamReport, capacity: dict) -> list[dict]:
    if table == "scorecard":
        rows = []
        for person in report.scorecard()["people"]:
            row = {"specialist": person["user"].username, "name": person["name"]}
            for key, part in person["parts"].items():
                row[key] = part["value"]
                row[f"{key}_team_median"] = part["median"]
                row[f"{key}_index"] = part["index"]
                row[f"{key}_weight"] = part["weight"]
            row["composite"] = person["composite"]
            row["output_per_day"] = person["figures"]["output_per_day"]
            row["working_days"] = person["figures"]["working_days"]
            row["premium_retained"] = person["figures"]["premium_retained"]
            rows.append(row)
        return rows
    if table in ("lines", "segments"):
        rows = []
        for line in report.by_line() if table == "lines" else report.by_segment():
            row = {"line": line["line"].code} if table == "lines" else {"segment": line["segment"]}
            for key, compare in line["compare"].items():
                row[key] = compare["value"]
                row[f"{key}_previous"] = compare["previous"]
                row[f"{key}_year_ago"] = compare["year_ago"]
            if table == "lines":
                row["median_cycle_days"] = line["median_cycle"]
                row["median_contact_days"] = line["median_contact"]
            rows.append(row)
        return rows
    rows = []
    for person in capacity["people"]:
        for week, cell in zip(capacity["weeks"], person["weeks"], strict=True):
            rows.append(
                {
                    "specialist": person["user"].username,
                    "week": week.isoformat(),
                    "expected_cases": cell["cases"],
                    "capacity": person["capacity"],
                    "overflow": cell["over"],
                }
            )
    return rows


@role_required(Role.MANAGER)
@require_GET
def team_export(request, table: str, fmt: str):
    if table not in EXPORT_TABLES or fmt not in EXPORT_FORMATS:
        raise Http404
    filters = _team_filters(request)
    try:
        period = _page_period(request)
    except ApplicationError as error:
        return render(request, "analytics/period_error.html", {"error": error}, status=400)
    report = selectors.TeamReport(period, filters)
    capacity = selectors.capacity_ahead(filters) if table == "capacity" else {}
    frame = safe_frame(pd.DataFrame(export_rows(table, report, capacity)))
    filename = f"team-{table}-{period.label.replace(' ', '')}.{fmt}"
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


def my_figures(user, period) -> dict:
    """A specialist's own figures for P with the team median of each; no other specialist appears."""
    report = selectors.TeamReport(period, Filters())
    scorecard = report.scorecard()
    mine = next((person for person in scorecard["people"] if person["user"].pk == user.pk), None)
    return {"period": period, "mine": mine, "median": scorecard["median"], "output_median": scorecard["output_median"]}


@require_GET
def queue_panel(request):
    """The panel beside the queue: "My performance" for a specialist, the overflow ahead for a manager."""
    if has_role(request.user, Role.MANAGER):
        capacity = selectors.capacity_ahead()
        over = [person for person in capacity["people"] if person["overflow"]]
        return render(request, "analytics/team/_panel_manager.html", {"over": over, "capacity": capacity})
    if not has_role(request.user, Role.SPECIALIST):
        raise PermissionDenied
    day = analytics_selectors.latest_decided_month(Filters()) or timezone.localdate()
    return render(
        request, "analytics/team/_panel_specialist.html", my_figures(request.user, selectors.month_period(day))
    )
