"""The dashboard's tables: figures per region and the specialists' leaderboard, from the rollups
(or, for a custom range of days, from the raw rows with the same definitions)."""

from __future__ import annotations

from collections import defaultdict
from decimal import Decimal

from django.contrib.auth import get_user_model
from django.db.models import Count, F, Sum

from renewals.models import DECIDED_STAGES, OPEN_STAGES, Stage

from .. import kpis, sources
from ..models import CaseDaysRollup, CaseRollup
from ..params import Filters, Period
from .inputs import CaseInputs, in_period, rollup_rows


def _raw_cases(rows, period: Period, filters: Filters):
    """Raw case rows (``sources``) of P's cohort under ``filters``: the rollups' grain is a month."""
    return sources.filter_rows(rows, filters).filter(in_period("due_date", period, is_datetime=False))


def region_table(period: Period, filters: Filters) -> list[dict]:
    """Renewal rate and premium retention per customer region, for P."""
    grouped = filters.with_breakdown("region")
    if period.month_aligned:
        rows = (
            rollup_rows(CaseRollup, grouped, start=period.start, end=period.end)
            .values("region", "stage")
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
            _raw_cases(sources.case_rows(), period, filters)
            .values("stage", region=F("d_region"))
            .annotate(**sources.CASE_METRICS)
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
    if period.month_aligned:
        rows = (
            rollup_rows(CaseRollup, grouped, start=period.start, end=period.end)
            .filter(assignee_id__isnull=False, stage__in=DECIDED_STAGES)
            .values_list("assignee_id", "stage")
            .annotate(cases=Sum("cases"), expiring=Sum("expiring_premium"), successor=Sum("successor_premium"))
        )
        cycle_rows = (
            rollup_rows(CaseDaysRollup, grouped, start=period.start, end=period.end)
            .filter(kind=CaseDaysRollup.Kind.CYCLE, assignee_id__isnull=False)
            .values_list("assignee_id", "days")
            .annotate(n=Sum("cases"))
        )
    else:
        rows = (
            _raw_cases(sources.case_rows(), period, filters)
            .filter(d_assignee__isnull=False, stage__in=DECIDED_STAGES)
            .values_list("d_assignee", "stage")
            .annotate(
                cases=Count("id"),
                expiring=sources.CASE_METRICS["expiring_premium"],
                successor=sources.CASE_METRICS["successor_premium"],
            )
        )
        cycle_rows = (
            _raw_cases(sources.cycle_day_rows(), period, filters)
            .filter(d_assignee__isnull=False)
            .values_list("d_assignee", "k_days")
            .annotate(n=Count("id"))
        )
    stats: dict = defaultdict(lambda: {"stages": defaultdict(int), "expiring": Decimal("0"), "successor": Decimal("0")})
    for assignee_id, stage, cases, expiring, successor in rows:
        entry = stats[assignee_id]
        entry["stages"][stage] += cases
        entry["expiring"] += expiring or 0
        if stage == Stage.RENEWED:
            entry["successor"] += successor or 0
    cycle: dict = defaultdict(dict)
    for assignee_id, days, n in cycle_rows:
        cycle[assignee_id][days] = n
    workload = dict(
        rollup_rows(CaseRollup, grouped)
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
