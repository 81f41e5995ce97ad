"""Writes of the analytics app: the rollup refresh and the managers' KPI targets.

The refresh is set-based. The full rebuild fills the fact tables (one row per case, policy,
complaint, answer: ``analytics/facts.py``) from the raw rows, groups them into each rollup's finest
grain and derives every coarser grain with ``INSERT … SELECT … GROUP BY`` on the rollup table
itself. The incremental refresh recomputes the facts of the rows changed since the last run only
and adds (new − old) to the cells they were and are in, at every grain. No row of the book passes
through Python.
"""

from __future__ import annotations

import datetime as dt
import itertools
import logging
from dataclasses import dataclass, field
from decimal import Decimal, InvalidOperation

from django.db import connection, transaction
from django.db.models import F, Q, Sum
from django.utils import timezone
from django.utils.translation import gettext as _

from core.errors import ApplicationError, ErrorCode
from customers.models import SurveyResponse

from . import facts
from .errors import AnalyticsErrorCode
from .models import (
    DIMENSION_COLUMNS,
    GRAIN_DIMENSIONS,
    PERCENT_KPIS,
    CaseDaysRollup,
    CaseRollup,
    ComplaintResolutionRollup,
    ComplaintRollup,
    Kpi,
    KpiTarget,
    PolicyRollup,
    RollupState,
    SurveyRollup,
)

logger = logging.getLogger(__name__)

FULL_GRAIN = "+".join(GRAIN_DIMENSIONS)
# Rows changed less than this before the last refresh are looked at again: a transaction that
# started earlier may commit after the refresh read the table.
WATERMARK_OVERLAP = dt.timedelta(minutes=15)
# A full rebuild a day catches what timestamps cannot show (a complaint reopened after being
# resolved in an earlier month, a reference-data edit).
REBUILD_EVERY = dt.timedelta(hours=24)
ADVISORY_LOCK_KEY = 640_017  # "analytics rollups": two refreshes never run at once


@dataclass(frozen=True)
class RollupTable:
    model: type
    key_columns: tuple[str, ...]
    metric_columns: tuple[str, ...]
    # A cell is empty (and absent from a full rebuild) when these are all 0.
    count_columns: tuple[str, ...]
    # Which rows a coarser grain keeps (None: all), e.g. cycle-time histograms only where the
    # grain has the assignee: the leaderboard is their only reader. As a Q on the rollup rows and
    # as SQL on the delta rows of the incremental refresh.
    coarse_rows: callable = None
    coarse_sql: callable = None


TABLES = (
    RollupTable(
        CaseRollup,
        ("stage", "lost_reason_id"),
        ("cases", "contacted", "quoted", "expiring_premium", "successor_premium"),
        ("cases",),
    ),
    RollupTable(
        CaseDaysRollup,
        ("kind", "days"),
        ("cases",),
        ("cases",),
        coarse_rows=lambda subset: Q() if "assignee" in subset else Q(kind=CaseDaysRollup.Kind.FIRST_CONTACT),
        coarse_sql=lambda subset: "" if "assignee" in subset else f"kind = '{CaseDaysRollup.Kind.FIRST_CONTACT.value}'",
    ),
    RollupTable(ComplaintRollup, ("category_id",), ("complaints",), ("complaints",)),
    RollupTable(ComplaintResolutionRollup, ("days", "within_sla", "upheld"), ("complaints",), ("complaints",)),
    RollupTable(SurveyRollup, ("score",), ("responses",), ("responses",)),
    RollupTable(PolicyRollup, (), ("starts", "ends", "start_premium", "renewal_start_premium"), ("starts", "ends")),
)
TABLE_OF = {table.model: table for table in TABLES}
# Every grain: line + a subset of the other dimensions, the finest first.
GRAINS = tuple(
    subset for size in range(len(GRAIN_DIMENSIONS), -1, -1) for subset in itertools.combinations(GRAIN_DIMENSIONS, size)
)
CELL_DIMS = ("line_id", *(DIMENSION_COLUMNS[dim] for dim in GRAIN_DIMENSIONS))


def _q(name: str) -> str:
    return connection.ops.quote_name(name)


def _execute(sql: str, params=()) -> list:
    with connection.cursor() as cursor:
        cursor.execute(sql, params)
        return cursor.fetchall() if cursor.description else []


def _insert_select(model, constants: dict, columns: list[str], aliases: list[str], queryset) -> int:
    inner_sql, params = queryset.query.sql_with_params()
    target = [*constants, *columns]
    select = ["%s"] * len(constants) + [f"src.{_q(alias)}" for alias in aliases]
    sql = (
        f"INSERT INTO {_q(model._meta.db_table)} ({', '.join(_q(c) for c in target)}) "
        f"SELECT {', '.join(select)} FROM ({inner_sql}) src"
    )
    with connection.cursor() as cursor:
        cursor.execute(sql, [*constants.values(), *params])
        return cursor.rowcount


def _grouped_contributions(kind, table: RollupTable, source: str, signs=(1,)) -> str:
    """The finest-grain cells (month, dimensions, keys, summed metrics) of the facts in ``source``;
    with two sources and signs (old facts −1, new facts +1) the cells' deltas, zero ones left out."""
    union = " UNION ALL ".join(
        facts.contributions_sql(kind, table.model, src, sign) for src, sign in zip(source, signs, strict=True)
    )
    group = ["month", *CELL_DIMS, *table.key_columns]
    sums = [f"SUM({_q(c)}) AS {_q(c)}" for c in table.metric_columns]
    nonzero = " OR ".join(f"SUM({_q(c)}) <> 0" for c in table.metric_columns)
    return (
        f"SELECT {', '.join(_q(c) for c in group)}, {', '.join(sums)} FROM ({union}) c "
        f"GROUP BY {', '.join(_q(c) for c in group)}" + (f" HAVING {nonzero}" if len(signs) > 1 else "")
    )


def _insert_finest_from_facts(kind, table: RollupTable) -> None:
    columns = ["month", *CELL_DIMS, *table.key_columns, *table.metric_columns]
    select = _grouped_contributions(kind, table, (_q(kind.model._meta.db_table),))
    _execute(
        f"INSERT INTO {_q(table.model._meta.db_table)} (grain, {', '.join(_q(c) for c in columns)}) "
        f"SELECT %s, {', '.join(_q(c) for c in columns)} FROM ({select}) cells",
        [FULL_GRAIN],
    )


# Parent grain of a coarser one: add the dimension with the fewest values, so each derivation
# reads the smallest already-built grain (sums and histogram counts are additive).
_PARENT_ORDER = ("segment", "channel", "assignee", "region")


def _derive_coarser(table: RollupTable) -> None:
    """Every grain = line + a subset of the other dimensions, from the finest grain down."""
    for subset in GRAINS[1:]:
        added = next(dim for dim in _PARENT_ORDER if dim not in subset)
        parent = "+".join(dim for dim in GRAIN_DIMENSIONS if dim in subset or dim == added)
        rows = table.model.objects.filter(grain=parent).order_by()
        if table.coarse_rows is not None:
            rows = rows.filter(table.coarse_rows(subset))
        columns = ["line_id", *(DIMENSION_COLUMNS[dim] for dim in subset), *table.key_columns]
        grouped = rows.values(m=F("month"), **{f"k_{c}": F(c) for c in columns}).annotate(
            **{f"x_{c}": Sum(c) for c in table.metric_columns}
        )
        _insert_select(
            table.model,
            {"grain": "+".join(subset)},
            ["month", *columns, *table.metric_columns],
            ["m", *(f"k_{c}" for c in columns), *(f"x_{c}" for c in table.metric_columns)],
            grouped,
        )


def _rebuild_all() -> None:
    """Facts from the raw rows, then each rollup's finest grain from the facts, then the coarser grains."""
    for kind in facts.fact_kinds():
        _execute(f"DELETE FROM {_q(kind.model._meta.db_table)}")
        facts.insert_facts(kind, _q(kind.model._meta.db_table), kind.rows(), in_day_order=True)
        for model in kind.contributions:
            table = TABLE_OF[model]
            _execute(f"DELETE FROM {_q(model._meta.db_table)}")
            _insert_finest_from_facts(kind, table)
            _derive_coarser(table)
    if connection.vendor == "postgresql":
        # Fresh statistics, so the next incremental refresh plans its small joins well.
        tables = [kind.model for kind in facts.fact_kinds()] + [table.model for table in TABLES]
        _execute("ANALYZE " + ", ".join(_q(model._meta.db_table) for model in tables))


class _OutOfStep(Exception):
    """A delta would leave a negative count: the rollups and facts disagree (rebuild instead)."""


def _temp_table(name: str, as_select: str, params=()) -> None:
    # A second refresh inside the same transaction (tests) finds the table of the first.
    _execute(f"DROP TABLE IF EXISTS {name}")
    _execute(f"CREATE TEMP TABLE {name} ON COMMIT DROP AS {as_select}", params)


def _apply_delta(table: RollupTable) -> set[dt.date]:
    """Add the rows of ``rollup_delta`` (finest-grain cell deltas) to every grain of ``table``:
    one INSERT … ON CONFLICT DO UPDATE (a UNION ALL of the grains' projections), then delete the
    cells whose count fell to 0."""
    target = _q(table.model._meta.db_table)
    key_metrics = [*table.key_columns, *table.metric_columns]
    conflict = ", ".join(_q(c) for c in ("grain", "month", *CELL_DIMS, *table.key_columns))
    updates = ", ".join(f"{_q(c)} = {target}.{_q(c)} + EXCLUDED.{_q(c)}" for c in table.metric_columns)
    nonzero = " OR ".join(f"SUM({_q(c)}) <> 0" for c in table.metric_columns)
    empty = " AND ".join(f"{_q(c)} = 0" for c in table.count_columns)
    negative = " OR ".join(f"{_q(c)} < 0" for c in table.count_columns)
    parts, params = [], []
    for subset in GRAINS:
        kept = ["line_id", *(DIMENSION_COLUMNS[dim] for dim in subset)]
        select_dims = [f"{_q(c) if c in kept else 'NULL'} AS {_q(c)}" for c in CELL_DIMS]
        where = table.coarse_sql(subset) if table.coarse_sql is not None and len(subset) < len(GRAIN_DIMENSIONS) else ""
        group = ", ".join(_q(c) for c in ("month", *kept, *table.key_columns))
        sums = [f"SUM({_q(c)}) AS {_q(c)}" for c in table.metric_columns]
        parts.append(
            f"SELECT CAST(%s AS varchar) AS grain, month, {', '.join(select_dims)}, "
            f"{', '.join([*(_q(c) for c in table.key_columns), *sums])} "
            f"FROM rollup_delta{' WHERE ' + where if where else ''} GROUP BY {group} HAVING {nonzero}"
        )
        params.append("+".join(subset))
    # In the order of the cell index: the upserts then walk it page by page.
    index_columns = [table.model._meta.get_field(f).column for f in table.model._meta.constraints[0].fields]
    columns = ["grain", "month", *CELL_DIMS, *key_metrics]
    rows = _execute(
        f"WITH up AS (INSERT INTO {target} ({', '.join(_q(c) for c in columns)}) "
        f"SELECT {', '.join(_q(c) for c in columns)} FROM ({' UNION ALL '.join(parts)}) cells "
        f"ORDER BY {', '.join(_q(c) for c in index_columns)} "
        f"ON CONFLICT ({conflict}) DO UPDATE SET {updates} "
        f"RETURNING id, {', '.join(_q(c) for c in table.count_columns)}) "
        f"SELECT id, ({negative}) FROM up WHERE ({empty}) OR ({negative})",
        params,
    )
    if any(is_negative for _id, is_negative in rows):
        raise _OutOfStep(table.model.__name__)
    emptied = [row_id for row_id, _negative in rows]
    if emptied:
        _execute(f"DELETE FROM {target} WHERE id = ANY(%s)", [emptied])
    return {month for (month,) in _execute("SELECT DISTINCT month FROM rollup_delta")}


def _refresh_changed(kind, ids: list[int]) -> set[dt.date]:
    """Recompute the facts of ``ids`` and move the rollups by (new facts − old facts)."""
    fact_table = _q(kind.model._meta.db_table)
    _temp_table("rollup_old_facts", f"SELECT * FROM {fact_table} WHERE id = ANY(%s)", [ids])
    _temp_table("rollup_new_facts", f"SELECT * FROM {fact_table} WITH NO DATA")
    facts.insert_facts(kind, "rollup_new_facts", kind.rows().filter(id__in=ids))
    months: set[dt.date] = set()
    for model in kind.contributions:
        table = TABLE_OF[model]
        delta = _grouped_contributions(kind, table, ("rollup_old_facts", "rollup_new_facts"), (-1, 1))
        _temp_table("rollup_delta", delta)
        months |= _apply_delta(table)
    _execute(f"DELETE FROM {fact_table} WHERE id = ANY(%s)", [ids])
    _execute(f"INSERT INTO {fact_table} SELECT * FROM rollup_new_facts")
    return months


@dataclass
class RefreshResult:
    rebuilt: bool = False
    skipped: bool = False
    months: int = 0
    # Source rows whose facts were recomputed (incremental only), per fact table.
    changed: dict = field(default_factory=dict)


def _refresh_incremental(since: dt.datetime, last_survey_id: int, result: RefreshResult) -> None:
    changed = facts.changed_ids(since, last_survey_id)
    months: set[dt.date] = set()
    for kind in facts.fact_kinds():
        ids = changed[kind.model]
        result.changed[kind.model.__name__] = len(ids)
        if ids:
            months |= _refresh_changed(kind, ids)
    result.months = len(months)


@transaction.atomic
def rollups_refresh(*, full: bool = False) -> RefreshResult:
    """Bring the rollups up to date: a full rebuild when asked (``manage.py refresh_rollups``),
    when never built or once a day; otherwise only the rows changed since the last refresh move
    the rollup cells they were and are in (``analytics/facts.py``).

    Another refresh already running makes this one a no-op (advisory lock on PostgreSQL).
    """
    if connection.vendor == "postgresql":
        with connection.cursor() as cursor:
            cursor.execute("SELECT pg_try_advisory_xact_lock(%s)", [ADVISORY_LOCK_KEY])
            if not cursor.fetchone()[0]:
                return RefreshResult(skipped=True)
    now = timezone.now()
    state, _created = RollupState.objects.select_for_update().get_or_create(name="default")
    last_survey_id = SurveyResponse.objects.order_by("-pk").values_list("pk", flat=True).first() or 0
    rebuild = (
        full
        or state.rebuilt_at is None
        or state.refreshed_at is None
        or now - state.rebuilt_at > REBUILD_EVERY
        # The cell deltas need PostgreSQL (arrays, temporary tables, unique cells for ON CONFLICT);
        # the SQLite demo's book is small enough to rebuild every time.
        or connection.vendor != "postgresql"
    )
    result = RefreshResult(rebuilt=rebuild)
    if not rebuild:
        try:
            with transaction.atomic():
                _refresh_incremental(state.refreshed_at - WATERMARK_OVERLAP, state.last_survey_id, result)
        except _OutOfStep as error:
            logger.warning("rollups_refresh: %s out of step with its facts; rebuilding", error)
            rebuild = result.rebuilt = True
    if rebuild:
        _rebuild_all()
        state.rebuilt_at = now
    state.refreshed_at = now
    state.last_survey_id = last_survey_id
    state.months_refreshed = result.months
    state.save()
    logger.info("rollups_refresh rebuilt=%s months=%d changed=%s", result.rebuilt, result.months, result.changed)
    return result


def _parse_target(kpi: str, raw) -> Decimal | None:
    text = str(raw if raw is not None else "").strip().replace("%", "")
    if not text:
        return None
    try:
        value = Decimal(text)
    except InvalidOperation:
        raise ApplicationError(_("Enter a number."), field=kpi, code=ErrorCode.INVALID) from None
    if not value.is_finite():
        raise ApplicationError(_("Enter a number."), field=kpi, code=ErrorCode.INVALID)
    if kpi in PERCENT_KPIS:
        if not 0 <= value <= 100:
            raise ApplicationError(_("Enter a percentage between 0 and 100."), field=kpi, code=ErrorCode.OUT_OF_RANGE)
        return (value / 100).quantize(Decimal("0.0001"))
    if kpi == Kpi.NPS and not -100 <= value <= 100:
        raise ApplicationError(_("NPS lies between −100 and 100."), field=kpi, code=ErrorCode.OUT_OF_RANGE)
    if value < 0:
        raise ApplicationError(_("Enter a number of zero or more."), field=kpi, code=ErrorCode.OUT_OF_RANGE)
    return value.quantize(Decimal("0.0001"))


@transaction.atomic
def kpi_targets_set(*, targets: dict[str, str | Decimal | None], actor) -> dict[str, Decimal]:
    """Set (or clear, with an empty value) managers' targets; shares are given in percent.

    Validates every value first, so a bad one changes nothing.
    """
    parsed = {}
    for kpi, raw in targets.items():
        if kpi not in Kpi.values:
            raise ApplicationError(_("Unknown KPI."), field=kpi, code=AnalyticsErrorCode.UNKNOWN_KPI)
        parsed[kpi] = _parse_target(kpi, raw)
    now = timezone.now()
    for kpi, value in parsed.items():
        if value is None:
            KpiTarget.objects.filter(kpi=kpi).delete()
        else:
            KpiTarget.objects.update_or_create(
                kpi=kpi, defaults={"value": value, "updated_by": actor, "updated_at": now}
            )
    return {kpi: value for kpi, value in parsed.items() if value is not None}
