"""Rollups counted straight from raw rows by month: the Team page's rollup (``analytics/team``).

Each ``Source`` is one ``INSERT … SELECT … GROUP BY`` from raw rows into the finest grain; every
coarser grain is derived from it on the rollup table itself. The dashboard's rollups go through
their fact tables instead (``analytics/services.py``, ``analytics/facts.py``).
"""

from __future__ import annotations

import datetime as dt
import itertools
from dataclasses import dataclass, field

from django.db import connection
from django.db.models import F, Q, Sum
from django.utils import timezone

from . import sources
from .models import DIMENSION_COLUMNS, GRAIN_DIMENSIONS
from .params import add_months

FULL_GRAIN = "+".join(GRAIN_DIMENSIONS)


@dataclass(frozen=True)
class Source:
    """One INSERT … SELECT into a rollup table from raw rows grouped by month."""

    rows: callable
    month_field: str
    month_is_datetime: bool
    keys: dict  # rollup column -> source field/alias
    metrics: dict  # rollup column -> aggregate
    constants: dict = field(default_factory=dict)  # rollup column -> fixed value


@dataclass(frozen=True)
class Table:
    model: type
    key_columns: tuple[str, ...]
    metric_columns: tuple[str, ...]
    sources: tuple[Source, ...]
    # Which rows a coarser grain keeps (None: all), e.g. cycle-time histograms only where the
    # grain has the assignee: the leaderboard is their only reader.
    coarse_rows: callable = None


def _month_ranges(months) -> list[tuple[dt.date, dt.date]]:
    """Sorted months merged into [start, end) ranges of consecutive months."""
    ranges: list[list[dt.date]] = []
    for month in sorted(set(months)):
        if ranges and ranges[-1][1] == month:
            ranges[-1][1] = add_months(month, 1)
        else:
            ranges.append([month, add_months(month, 1)])
    return [(a, b) for a, b in ranges]


def _months_condition(field_name: str, is_datetime: bool, months) -> Q:
    condition = Q(pk__in=[])
    for start, end in _month_ranges(months):
        if is_datetime:
            tz = timezone.get_current_timezone()
            start = timezone.make_aware(dt.datetime.combine(start, dt.time.min), tz)
            end = timezone.make_aware(dt.datetime.combine(end, dt.time.min), tz)
        condition |= Q(**{f"{field_name}__gte": start, f"{field_name}__lt": end})
    return condition


def _insert_select(model, constants: dict, columns: list[str], aliases: list[str], queryset) -> int:
    inner_sql, params = queryset.query.sql_with_params()
    quote = connection.ops.quote_name
    target = [*constants, *columns]
    select = ["%s"] * len(constants) + [f"src.{quote(alias)}" for alias in aliases]
    sql = (
        f"INSERT INTO {quote(model._meta.db_table)} ({', '.join(quote(c) for c in target)}) "
        f"SELECT {', '.join(select)} FROM ({inner_sql}) src"
    )
    with connection.cursor() as cursor:
        cursor.execute(sql, [*constants.values(), *params])
        return cursor.rowcount


def _insert_finest(table: Table, months, *, by_day: bool = False) -> None:
    """The finest grain from the raw rows, by month (or, ``by_day``, by day in the ``month`` column)."""
    dims = {"d_line": "line_id", **{f"d_{dim}": DIMENSION_COLUMNS[dim] for dim in GRAIN_DIMENSIONS}}
    for source in table.sources:
        rows = source.rows()
        if months is not None:
            rows = rows.filter(_months_condition(source.month_field, source.month_is_datetime, months))
        keys = {f"k_{column}": F(name) for column, name in source.keys.items()}
        bucket = (
            sources.local_day(source.month_field, source.month_is_datetime)
            if by_day
            else sources.local_month(source.month_field)
        )
        grouped = rows.values(*dims, m=bucket, **keys).annotate(
            **{f"x_{column}": aggregate for column, aggregate in source.metrics.items()}
        )
        _insert_select(
            table.model,
            {"grain": FULL_GRAIN, **source.constants},
            ["month", *dims.values(), *source.keys, *source.metrics],
            ["m", *dims, *keys, *(f"x_{column}" for column in source.metrics)],
            grouped,
        )


# Parent grain of a coarser one: add the dimension with the fewest values, so each derivation
# reads the smallest already-built grain (sums and histogram counts are additive).
_PARENT_ORDER = ("segment", "channel", "assignee", "region")


def _derive_coarser(table: Table, months) -> None:
    """Every grain = line + a subset of the other dimensions, from the finest grain down."""
    for size in range(len(GRAIN_DIMENSIONS) - 1, -1, -1):
        for subset in itertools.combinations(GRAIN_DIMENSIONS, size):
            added = next(dim for dim in _PARENT_ORDER if dim not in subset)
            parent = "+".join(dim for dim in GRAIN_DIMENSIONS if dim in subset or dim == added)
            rows = table.model.objects.filter(grain=parent).order_by()
            if months is not None:
                rows = rows.filter(month__in=list(months))
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


def _rebuild_months(table: Table, months) -> None:
    existing = table.model.objects.all()
    if months is not None:
        existing = existing.filter(month__in=list(months))
    existing.delete()
    _insert_finest(table, months)
    _derive_coarser(table, months)
