"""Reads of the analytics app, by concern: the KPI figures (``figures``, ``rollups``), the dashboard's
tables (``tables``), the drill-down lists (``drill``) and the pages' small reads (``reference``).

Callers keep writing ``from analytics import selectors; selectors.kpi_figures(...)``.
"""

from .drill import DRILL_CASE_OUTCOMES, DRILL_PAGE_SIZE, drill_case_queryset, drill_cases, drill_complaints
from .figures import (
    case_inputs,
    complaint_categories_raw,
    complaints_by_category,
    dashboard_figures,
    dashboard_figures_raw,
    dashboard_reader,
    kpi_figures,
    last_months,
    policies_in_force,
    resolution_inputs,
    starting_premium,
    survey_scores,
)
from .inputs import API_KEYS, CaseInputs
from .reference import (
    complaint_category_choices,
    kpi_targets,
    latest_decided_month,
    line_choices,
    lost_reason_labels,
    open_cases_scored,
    region_choices,
    rollup_state,
    specialist_choices,
)
from .rollups import RollupReader
from .tables import region_table, specialist_leaderboard

__all__ = [
    "API_KEYS",
    "DRILL_CASE_OUTCOMES",
    "DRILL_PAGE_SIZE",
    "CaseInputs",
    "RollupReader",
    "case_inputs",
    "complaint_categories_raw",
    "complaint_category_choices",
    "complaints_by_category",
    "dashboard_figures",
    "dashboard_figures_raw",
    "dashboard_reader",
    "drill_case_queryset",
    "drill_cases",
    "drill_complaints",
    "kpi_figures",
    "kpi_targets",
    "last_months",
    "latest_decided_month",
    "line_choices",
    "lost_reason_labels",
    "open_cases_scored",
    "policies_in_force",
    "region_choices",
    "region_table",
    "resolution_inputs",
    "rollup_state",
    "specialist_choices",
    "specialist_leaderboard",
    "starting_premium",
    "survey_scores",
]
