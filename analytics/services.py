"""Writes of the analytics app: the rollup refresh and the managers' KPI targets.

The refresh is set-based: for each month that changed it deletes the month's rollup rows and
re-inserts them with one ``INSERT … SELECT … GROUP BY`` per table from the raw rows (the finest
grain), then derives every coarser grain from those rows with ``INSERT … SELECT … GROUP BY``
on the rollup table itself. No row of the book passes through Python.
"""

from __future__ import annotations

import datetime as dt
import itertools
import logging
from dataclasses import dataclass, field
from decimal import Decimal, InvalidOperation

from django.db import connection, transaction
from django.db.models import Count, F, Q, Sum
from django.db.models.functions import Coalesce
from django.utils import timezone
from django.utils.translation import gettext as _

from core.errors import ApplicationError, ErrorCode
from customers.models import Complaint, SurveyResponse
from renewals.models import Policy, RenewalCase

from . import sources
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
from .params import add_months

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


def _money_sum(name, **extra):
    return Coalesce(Sum(name, **extra), sources.ZERO_MONEY)


TABLES = (
    Table(
        CaseRollup,
        ("stage", "lost_reason_id"),
        ("cases", "contacted", "quoted", "expiring_premium", "successor_premium"),
        (
            Source(
                sources.case_rows,
                "due_date",
                False,
                {"stage": "stage", "lost_reason_id": "lost_reason_id"},
                sources.CASE_METRICS,
            ),
        ),
    ),
    Table(
        CaseDaysRollup,
        ("kind", "days"),
        ("cases",),
        (
            Source(
                sources.contact_day_rows,
                "due_date",
                False,
                {"days": "k_days"},
                {"cases": Count("id")},
                {"kind": CaseDaysRollup.Kind.FIRST_CONTACT.value},
            ),
            Source(
                sources.cycle_day_rows,
                "due_date",
                False,
                {"days": "k_days"},
                {"cases": Count("id")},
                {"kind": CaseDaysRollup.Kind.CYCLE.value},
            ),
        ),
        coarse_rows=lambda subset: Q() if "assignee" in subset else Q(kind=CaseDaysRollup.Kind.FIRST_CONTACT),
    ),
    Table(
        ComplaintRollup,
        ("category_id",),
        ("complaints",),
        (
            Source(
                sources.complaint_rows, "received_at", True, {"category_id": "category_id"}, {"complaints": Count("id")}
            ),
        ),
    ),
    Table(
        ComplaintResolutionRollup,
        ("days", "within_sla", "upheld"),
        ("complaints",),
        (
            Source(
                sources.resolution_rows,
                "resolved_at",
                True,
                {"days": "k_days", "within_sla": "k_within_sla", "upheld": "upheld"},
                {"complaints": Count("id")},
            ),
        ),
    ),
    Table(
        SurveyRollup,
        ("score",),
        ("responses",),
        (Source(sources.survey_rows, "responded_at", True, {"score": "score"}, {"responses": Count("id")}),),
    ),
    Table(
        PolicyRollup,
        (),
        ("starts", "ends", "start_premium", "renewal_start_premium"),
        (
            Source(
                sources.policy_rows,
                "start_date",
                False,
                {},
                {
                    "starts": Count("id"),
                    "start_premium": _money_sum("premium"),
                    "renewal_start_premium": _money_sum("premium", filter=Q(previous_policy__isnull=False)),
                },
                {"ends": 0},
            ),
            Source(
                sources.policy_rows,
                "out_of_force_on",
                False,
                {},
                {"ends": Count("id")},
                {"starts": 0, "start_premium": Decimal("0"), "renewal_start_premium": Decimal("0")},
            ),
        ),
    ),
)


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


def _insert_finest(table: Table, months) -> None:
    dims = {"d_line": "line_id", **{f"d_{dim}": DIMENSION_COLUMNS[dim] for dim in GRAIN_DIMENSIONS}}
    for source in table.sources:
        rows = source.rows()
        if months is not None:
            rows = rows.filter(_months_condition(source.month_field, source.month_is_datetime, months))
        keys = {f"k_{column}": F(name) for column, name in source.keys.items()}
        grouped = rows.values(*dims, m=sources.local_month(source.month_field), **keys).annotate(
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


def _months_of(queryset, *fields_and_kinds) -> set[dt.date]:
    months: set[dt.date] = set()
    for field_name in fields_and_kinds:
        values = (
            queryset.filter(**{f"{field_name}__isnull": False})
            .annotate(_m=sources.local_month(field_name))
            .values_list("_m", flat=True)
            .distinct()
        )
        months.update(value.date() if isinstance(value, dt.datetime) else value for value in values)
    return months


def _dirty_months(since: dt.datetime, last_survey_id: int) -> dict[type, set[dt.date]]:
    """The months whose rollup rows may be stale, per rollup table, from timestamps."""
    case_changed = (
        Q(updated_at__gt=since)
        | Q(opened_at__gt=since)
        | Q(closed_at__gt=since)
        | Q(first_contact_at__gt=since)
        | Q(quoted_at__gt=since)
        | Q(customer__updated_at__gt=since)
        | Q(policy__updated_at__gt=since)
    )
    case_months = _months_of(RenewalCase.objects.filter(case_changed), "due_date")
    complaint_months = _months_of(
        Complaint.objects.filter(Q(updated_at__gt=since) | Q(customer__updated_at__gt=since)),
        "received_at",
    )
    resolution_months = _months_of(
        Complaint.objects.filter(Q(updated_at__gt=since) | Q(customer__updated_at__gt=since)),
        "resolved_at",
    )
    survey_months = _months_of(
        SurveyResponse.objects.filter(
            Q(pk__gt=last_survey_id) | Q(customer__updated_at__gt=since) | Q(case__updated_at__gt=since)
        ),
        "responded_at",
    )
    policy_changed = (
        Q(updated_at__gt=since)
        | Q(created_at__gt=since)
        | Q(customer__updated_at__gt=since)
        | Q(renewal_case__updated_at__gt=since)
        # a policy is attributed through the case that produced it (sources.policy_rows)
        | Q(predecessor_case__updated_at__gt=since)
    )
    policy_months = _months_of(
        Policy.objects.filter(policy_changed).annotate(out_of_force_on=sources.out_of_force_on()),
        "start_date",
        "out_of_force_on",
    )
    return {
        CaseRollup: case_months,
        CaseDaysRollup: case_months,
        ComplaintRollup: complaint_months,
        ComplaintResolutionRollup: resolution_months,
        SurveyRollup: survey_months,
        PolicyRollup: policy_months,
    }


@dataclass
class RefreshResult:
    rebuilt: bool = False
    skipped: bool = False
    months: int = 0


@transaction.atomic
def rollups_refresh(*, full: bool = False) -> RefreshResult:
    """Bring the rollups up to date: a full rebuild when asked (``manage.py refresh_rollups``),
    when never built or once a day; otherwise only the months touched since the last refresh.

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
    rebuild = full or state.rebuilt_at is None or state.refreshed_at is None or now - state.rebuilt_at > REBUILD_EVERY
    result = RefreshResult(rebuilt=rebuild)
    if rebuild:
        for table in TABLES:
            _rebuild_months(table, None)
        state.rebuilt_at = now
    else:
        dirty = _dirty_months(state.refreshed_at - WATERMARK_OVERLAP, state.last_survey_id)
        for table in TABLES:
            months = dirty[table.model]
            if months:
                _rebuild_months(table, months)
        result.months = len(set().union(*dirty.values()))
    state.refreshed_at = now
    state.last_survey_id = last_survey_id
    state.months_refreshed = result.months
    state.save()
    logger.info("rollups_refresh rebuilt=%s months=%d", result.rebuilt, result.months)
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
