"""The drill-down lists: the cases or complaints behind a figure, keyset-paginated."""

from __future__ import annotations

from renewals.models import CLOSED_STAGES, DECIDED_STAGES, OPEN_STAGES, Stage

from .. import sources
from ..params import Filters, Period
from .inputs import in_period

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


def drill_case_queryset(
    period: Period, filters: Filters, *, outcome: str, reason: str = "", playbook_id: int | None = None
):
    """The cases behind a figure: same period, filters and definitions as the figure (``playbook_id``:
    the cases of one playbook, any version, from the playbooks comparison)."""
    queryset = sources.filter_rows(sources.case_rows(), filters).filter(
        in_period("due_date", period, is_datetime=False)
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
    if playbook_id is not None:
        queryset = queryset.filter(playbook_version__playbook_id=playbook_id)
    return queryset


def drill_cases(
    period: Period,
    filters: Filters,
    *,
    outcome: str,
    reason: str = "",
    after_id: int | None = None,
    playbook_id: int | None = None,
):
    """One page of :func:`drill_case_queryset`, newest id first, keyset-paginated: returns
    (rows, next cursor or None) without counting the whole set."""
    queryset = drill_case_queryset(period, filters, outcome=outcome, reason=reason, playbook_id=playbook_id)
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
        in_period("received_at", period, is_datetime=True)
    )
    if category:
        queryset = queryset.filter(category__code=category)
    if after_id:
        queryset = queryset.filter(pk__lt=after_id)
    rows = list(queryset.select_related("customer", "category", "policy").order_by("-pk")[: DRILL_PAGE_SIZE + 1])
    next_cursor = rows[DRILL_PAGE_SIZE - 1].pk if len(rows) > DRILL_PAGE_SIZE else None
    return rows[:DRILL_PAGE_SIZE], next_cursor
