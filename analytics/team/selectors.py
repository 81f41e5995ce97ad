"""Reads of the Team page, the "My performance" panel, the team API and the four new KPI keys.

Whole months come from ``TeamRollup`` (and the dashboard's ``CaseDaysRollup`` histograms for
medians); a period that starts or ends inside a month (the KPI API only) sums the very same source
querysets over the raw rows. The page's query count does not depend on the size of the book.
"""

from __future__ import annotations

import datetime as dt
from collections import defaultdict
from decimal import Decimal

from django.contrib.auth import get_user_model
from django.db.models import Sum
from django.utils import timezone

from core.roles import Role
from customers.models import Customer
from renewals.models import LineOfInsurance, SettingsChange, SpecialistProfile

from .. import kpis, sources
from ..models import CaseDaysRollup, RollupState
from ..params import Filters, Period, add_months, month_end, month_start
from ..selectors.days import split
from ..selectors.inputs import in_period, rollup_rows
from . import measures
from .models import SpecialistCapacity, TeamDayRollup, TeamForecast, TeamRollup, TeamSettings, TeamSettingsChange
from .rollup import METRIC_COLUMNS, empty_totals, team_sources
from .services import FORECAST_WEEKS, STATE_NAME, week_start

SERIES_MONTHS = 12
User = get_user_model()


# --------------------------------------------------------------------------- totals → figures


def _add(into: dict, row: dict) -> None:
    for column in METRIC_COLUMNS:
        into[column] += row[column] or 0


def figures(totals: dict, settings: TeamSettings) -> dict:
    """Every team measure of one set of rollup sums (a period, a line, a specialist)."""
    manual = totals["contacts_logged"] + totals["quotes"] + totals["calls_made"]
    automated = totals["emails_sent"] + totals["sms_sent"] + totals["letters_sent"]
    cost = measures.contact_cost(
        sms=totals["sms_sent"],
        emails=totals["emails_sent"],
        letters=totals["letters_sent"],
        calls=totals["calls_made"] + totals["phone_contacts"],
        sms_cost=settings.sms_cost,
        email_cost=settings.email_cost,
        letter_cost=settings.letter_cost,
        call_minute_cost=settings.call_minute_cost,
        minutes_per_call=settings.minutes_per_call,
    )
    touch_count = measures.touches(
        contacts_logged=totals["contacts_logged"],
        quotes=totals["quotes"],
        calls_made=totals["calls_made"],
        messages_sent=automated,
    )
    return {
        "cases": totals["cases"],
        "decided": totals["decided"],
        "renewed": totals["renewed"],
        "processing_time_days": measures.processing_time_days(
            cycle_days=totals["cycle_days"], decided_with_dates=totals["cycle_cases"]
        ),
        "days_to_first_contact": measures.days_to_first_contact(
            contact_days=totals["contact_days"], contacted=totals["contact_cases"]
        ),
        "touches": touch_count,
        "touches_per_case": measures.touches_per_case(touches_count=touch_count, cases=totals["cases"]),
        "manual_touches": manual,
        "automated_touches": automated,
        "manual_share": measures.manual_share(manual=manual, automated=automated),
        "contact_cost": cost,
        "cost_per_renewal": measures.cost_per_renewal(cost=cost, renewed=totals["renewed"]),
        "renewal_rate": kpis.renewal_rate(renewed=totals["renewed"], decided_count=totals["decided"]),
        "premium_retained": Decimal(totals["successor_premium"]),
        "premium_retention": kpis.premium_retention(
            successor_premium=totals["successor_premium"], decided_expiring_premium=totals["decided_expiring_premium"]
        ),
        "nps": kpis.nps(
            promoters=totals["promoters"], detractors=totals["detractors"], responses=totals["nps_responses"]
        ),
        "nps_responses": totals["nps_responses"],
        "complaints": totals["complaints"],
        "complaints_per_100": measures.complaints_per_100(complaints=totals["complaints"], cases=totals["cases"]),
        "notice_compliance": measures.notice_compliance(on_time=totals["notice_on_time"], due=totals["notice_due"]),
        "notice_due": totals["notice_due"],
        "output_decided": totals["output_decided"],
    }


def _rollup_values(filters: Filters, start: dt.date, end: dt.date, *group):
    return (
        rollup_rows(TeamRollup, filters, start=start, end=end)
        .values(*group)
        .annotate(**{f"s_{c}": Sum(c) for c in METRIC_COLUMNS})
    )


def _unprefix(row: dict) -> dict:
    return {key[2:] if key.startswith("s_") else key: value for key, value in row.items()}


def raw_totals(period: Period, filters: Filters) -> dict:
    """The rollup's sums for any period, counted from the raw rows with the same source querysets."""
    totals = empty_totals()
    for rows, month_field, is_datetime, metrics in team_sources(timezone.localdate()):
        result = (
            sources.filter_rows(rows(), filters).filter(in_period(month_field, period, is_datetime=is_datetime))
        ).aggregate(**metrics)
        for key, value in result.items():
            totals[key] += value or 0
    return totals


def day_totals(period: Period, filters: Filters) -> dict:
    """The rollup's sums for a run of days, from the day rollup (finest grain: every dimension set)."""
    rows = TeamDayRollup.objects.order_by().filter(month__gte=period.start, month__lte=period.end)
    conditions = {}
    if filters.line_id is not None:
        conditions["line_id"] = filters.line_id
    if filters.region:
        conditions["region"] = filters.region
    if filters.segments:
        conditions["segment__in"] = filters.segments
    if filters.channel:
        conditions["channel"] = filters.channel
    if filters.assignee_id is not None:
        conditions["assignee_id"] = filters.assignee_id
    sums = rows.filter(**conditions).aggregate(**{column: Sum(column) for column in METRIC_COLUMNS})
    totals = empty_totals()
    _add(totals, sums)
    return totals


def period_totals(period: Period, filters: Filters) -> dict:
    """Whole months from the rollup; the edge days of a period that starts or ends inside a month
    from the day rollup (sums are additive)."""
    months, edges = split(period)
    totals = empty_totals()
    if months is not None:
        for row in _rollup_values(filters, months.start, months.end):
            _add(totals, _unprefix(row))
    for edge in edges:
        for key, value in day_totals(edge, filters).items():
            totals[key] += value
    return totals


TEAM_KPI_KEYS = ("processing_time_days", "touches_per_case", "manual_share", "cost_per_renewal")


def kpi_api_figures(period: Period, filters: Filters) -> dict:
    """The four keys issue 15 adds to ``/api/v1/kpis/`` (after the dashboard's ``API_KEYS``)."""
    team = figures(period_totals(period, filters), TeamSettings.load())
    return {key: team[key] for key in TEAM_KPI_KEYS}


# --------------------------------------------------------------------------- days away


def away_by_user(users: list, periods: dict[str, Period]) -> dict[str, dict[int, set[dt.date]]]:
    """Days each user was away in each of ``periods``, from the "away" switches in the settings
    audit (one query for all of them)."""
    names = {user.get_username(): user for user in users}
    switches: dict[int, list[tuple[dt.date, bool]]] = defaultdict(list)
    rows = (
        SettingsChange.objects.filter(area="specialist", object_repr__in=list(names), changes__has_key="away")
        .order_by("created_at", "pk")
        .values_list("object_repr", "changes", "created_at")
    )
    for username, changes, created_at in rows:
        switches[names[username].pk].append((timezone.localdate(created_at), changes["away"][1] == "True"))
    result: dict[str, dict[int, set[dt.date]]] = {}
    for name, period in periods.items():
        result[name] = {}
        for user in users:
            profile = getattr(user, "specialist_profile", None)
            result[name][user.pk] = measures.away_days(
                switches.get(user.pk, []), start=period.start, end=period.end, away_now=bool(profile and profile.away)
            )
    return result


def _worked_until(period: Period) -> dt.date:
    return min(period.end, timezone.localdate())


# --------------------------------------------------------------------------- the report


def _specialists() -> list:
    return list(
        User.objects.filter(groups__name=Role.SPECIALIST, is_active=True)
        .select_related("specialist_profile")
        .order_by("username")
        .only("id", "username", "first_name", "last_name", "specialist_profile__away", "specialist_profile__id")
    )


def _span(period: Period) -> tuple[dt.date, dt.date]:
    series_start = add_months(month_start(period.end), -(SERIES_MONTHS - 1))
    start = min(period.previous().start, period.year_on_year().start, add_months(series_start, -12))
    return start, period.end


def _compare(current: dict, previous: dict, year_ago: dict, keys) -> dict:
    return {
        key: {
            "value": current[key],
            "previous": previous[key],
            "year_ago": year_ago[key],
            "vs_previous": measures.relative_change(_num(current[key]), _num(previous[key])),
            "vs_year_ago": measures.relative_change(_num(current[key]), _num(year_ago[key])),
        }
        for key in keys
    }


def _num(value):
    return float(value) if value is not None else None


TEAM_KEYS = (
    "processing_time_days",
    "days_to_first_contact",
    "touches_per_case",
    "manual_share",
    "cost_per_renewal",
    "output_per_day",
    "premium_retained",
    "renewal_rate",
)
SCORECARD_KEYS = tuple(measures.SCORECARD_COMPONENTS)
WEIGHT_OF = {
    "renewal_rate": "weight_renewal_rate",
    "premium_retention": "weight_premium_retention",
    "nps": "weight_nps",
    "complaints_per_100": "weight_complaints",
    "notice_compliance": "weight_notice_compliance",
    "processing_time_days": "weight_processing_time",
}


class TeamReport:
    """Everything the Team page shows for a period and filters (line, segment), read in a fixed number
    of queries: the team rollup once for the whole span (per month, line and specialist), the
    medians for P, the specialists with their profiles, the away switches, capacities, the forecast."""

    def __init__(self, period: Period, filters: Filters):
        self.period = period
        self.filters = filters
        self.settings = TeamSettings.load()
        self.specialists = _specialists()
        start, end = _span(period)
        self.rows = [
            _unprefix(row)
            for row in _rollup_values(filters.with_breakdown("assignee"), start, end, "month", "line_id", "assignee_id")
        ]
        self.periods = {"current": period, "previous": period.previous(), "year_ago": period.year_on_year()}
        self.away = away_by_user(self.specialists, self.periods)
        self._median_rows = list(
            rollup_rows(CaseDaysRollup, filters.with_breakdown("assignee"), start=period.start, end=period.end)
            .values_list("line_id", "assignee_id", "kind", "days")
            .annotate(n=Sum("cases"))
        )

        # Sums per period and (line, specialist): every figure below adds up a few dozen cells.
        self.cells: dict = {}
        for name, some_period in self.periods.items():
            months = set(some_period.months)
            cells: dict = defaultdict(empty_totals)
            for row in self.rows:
                if row["month"] in months:
                    _add(cells[(row["line_id"], row["assignee_id"])], row)
            self.cells[name] = cells

    # -- sums
    def totals(self, name: str, *, line_id=None, assignee_ids=None) -> dict:
        totals = empty_totals()
        for (cell_line, cell_assignee), cell in self.cells[name].items():
            if line_id is not None and cell_line != line_id:
                continue
            if assignee_ids is not None and cell_assignee not in assignee_ids:
                continue
            _add(totals, cell)
        return totals

    def _working_days(self, user_id: int, name: str) -> int:
        period = self.periods[name]
        return measures.working_days(period.start, _worked_until(period), self.away[name].get(user_id, ()))

    def _figures(self, name: str, *, line_id=None, assignee_id=None) -> dict:
        """One period's figures of the team (or a line of it), or of one specialist. Output per head of
        the team = cases its specialists decided / their working days."""
        if assignee_id is not None:
            result = figures(self.totals(name, line_id=line_id, assignee_ids={assignee_id}), self.settings)
            decided, days = result["output_decided"], self._working_days(assignee_id, name)
        else:
            result = figures(self.totals(name, line_id=line_id), self.settings)
            ids = {user.pk for user in self.specialists}
            decided = self.totals(name, line_id=line_id, assignee_ids=ids)["output_decided"]
            days = sum(self._working_days(i, name) for i in ids)
        result["working_days"] = days
        result["output_per_day"] = measures.output_per_day(decided=decided, working_days_count=days)
        return result

    def team(self, **selection) -> dict:
        current, previous, year_ago = (self._figures(name, **selection) for name in self.periods)
        compare = _compare(current, previous, year_ago, TEAM_KEYS)
        target = self.settings.processing_time_target_percent
        compare["processing_time_days"]["on_target"] = measures.on_target(
            compare["processing_time_days"]["vs_year_ago"], target
        )
        return {"figures": current, "compare": compare}

    def medians(self) -> dict:
        """Median days (cycle, first contact) of P: team, per line, per specialist, from histograms."""
        histograms: dict = defaultdict(lambda: defaultdict(int))
        for line_id, assignee_id, kind, days, n in self._median_rows:
            for key in (("team", kind), ("line", line_id, kind), ("assignee", assignee_id, kind)):
                histograms[key][days] += n
        return {key: kpis.median_from_histogram(histogram) for key, histogram in histograms.items()}

    def by_line(self) -> list[dict]:
        medians = self.medians()
        rows = []
        for line in LineOfInsurance.objects.filter(active=True).order_by("sort_order", "code"):
            if self.filters.line_id not in (None, line.pk):
                continue
            team = self.team(line_id=line.pk)
            rows.append(
                {
                    "line": line,
                    **team,
                    "median_cycle": medians.get(("line", line.pk, CaseDaysRollup.Kind.CYCLE)),
                    "median_contact": medians.get(("line", line.pk, CaseDaysRollup.Kind.FIRST_CONTACT)),
                }
            )
        return rows

    def by_segment(self) -> list[dict]:
        """P's figures per customer segment, with the previous period and a year earlier (one query)."""
        start = min(p.start for p in self.periods.values())
        rows = [
            _unprefix(row)
            for row in _rollup_values(
                self.filters.with_breakdown("segment"), start, self.period.end, "month", "segment"
            )
        ]
        result = []
        for value, label in Customer.Segment.choices:
            if self.filters.segments and value not in self.filters.segments:
                continue
            by_period = {}
            for name, some_period in self.periods.items():
                months = set(some_period.months)
                totals = empty_totals()
                for row in rows:
                    if row["segment"] == value and row["month"] in months:
                        _add(totals, row)
                by_period[name] = figures(totals, self.settings)
            for name in by_period:
                by_period[name]["output_per_day"] = None  # per head, not per segment
            result.append(
                {
                    "segment": value,
                    "label": label,
                    "figures": by_period["current"],
                    "compare": _compare(by_period["current"], by_period["previous"], by_period["year_ago"], TEAM_KEYS),
                }
            )
        return result

    def series(self) -> dict:
        """Monthly team processing time (mean, open → decision and open → first contact) for the last
        12 months, the same months a year earlier, and the target line (a year earlier × (1 + target %))."""
        months = [add_months(month_start(self.period.end), -n) for n in range(SERIES_MONTHS - 1, -1, -1)]
        by_month: dict = defaultdict(empty_totals)
        for row in self.rows:
            _add(by_month[row["month"]], row)

        def value(month, key):
            totals = by_month.get(month)
            return figures(totals, self.settings)[key] if totals else None

        target = self.settings.processing_time_target_percent
        year_ago = [value(add_months(m, -12), "processing_time_days") for m in months]
        return {
            "months": [f"{m:%Y-%m}" for m in months],
            "processing_time": [value(m, "processing_time_days") for m in months],
            "first_contact": [value(m, "days_to_first_contact") for m in months],
            "year_ago": year_ago,
            "target": [v * (1 + target / 100) if v is not None else None for v in year_ago],
            "manual_share": [value(m, "manual_share") for m in months],
        }

    def scorecard(self) -> dict:
        """Per specialist: the six parts against the team median, their indexes, the weighted composite,
        output per head and a 12-month processing-time sparkline."""
        medians = self.medians()
        weights = {key: getattr(self.settings, WEIGHT_OF[key]) for key in SCORECARD_KEYS}
        months = [add_months(month_start(self.period.end), -n) for n in range(SERIES_MONTHS - 1, -1, -1)]
        spark: dict = defaultdict(lambda: defaultdict(empty_totals))
        for row in self.rows:
            if row["assignee_id"] is not None:
                _add(spark[row["assignee_id"]][row["month"]], row)
        people = []
        for user in self.specialists:
            team = self.team(assignee_id=user.pk)
            people.append(
                {
                    "user": user,
                    "name": user.get_full_name() or user.username,
                    **team,
                    "median_cycle": medians.get(("assignee", user.pk, CaseDaysRollup.Kind.CYCLE)),
                    "spark": [
                        figures(spark[user.pk][m], self.settings)["processing_time_days"]
                        if m in spark[user.pk]
                        else None
                        for m in months
                    ],
                }
            )
        team_median = {key: measures.median_of(person["figures"][key] for person in people) for key in SCORECARD_KEYS}
        for person in people:
            parts = {}
            for key in SCORECARD_KEYS:
                step, higher = measures.SCORECARD_COMPONENTS[key]
                parts[key] = {
                    "value": person["figures"][key],
                    "median": team_median[key],
                    "index": measures.scorecard_index(
                        person["figures"][key], team_median[key], step=step, higher_is_better=higher
                    ),
                    "weight": weights[key],
                }
            person["parts"] = parts
            person["composite"] = measures.composite({k: p["index"] for k, p in parts.items()}, weights)
        people.sort(key=lambda p: (p["composite"] is None, -(p["composite"] or 0), p["user"].username))
        return {
            "people": people,
            "median": team_median,
            "output_median": measures.median_of(p["figures"]["output_per_day"] for p in people),
            "weights": weights,
            "months": [f"{m:%Y-%m}" for m in months],
        }


# --------------------------------------------------------------------------- capacity ahead


def capacity_ahead(filters: Filters | None = None, *, today: dt.date | None = None) -> dict:
    """The 13-week forecast of cases opening, per line and per specialist, against capacity.

    Per specialist "by today's assignment rules": each (line, region) of the forecast is shared evenly
    among the available specialists (active, not away) whose skills cover it (empty skills mean any;
    nobody covers it: all of them), as the least-loaded balancing tends to over a week."""
    filters = filters or Filters()
    today = today or timezone.localdate()
    first = week_start(today)
    weeks = [first + dt.timedelta(weeks=n) for n in range(FORECAST_WEEKS)]
    forecast = TeamForecast.objects.filter(week__gte=first, week__lte=weeks[-1])
    if filters.line_id is not None:
        forecast = forecast.filter(line_id=filters.line_id)
    rows = list(forecast.values_list("week", "line_id", "region").annotate(n=Sum("cases")))
    lines = {line.pk: line for line in LineOfInsurance.objects.filter(pk__in={r[1] for r in rows})}
    available = list(
        User.objects.filter(groups__name=Role.SPECIALIST, is_active=True)
        .exclude(specialist_profile__away=True)
        .order_by("username")
        .only("id", "username", "first_name", "last_name")
    )
    profiles = {
        p.user_id: p
        for p in SpecialistProfile.objects.filter(user_id__in=[u.pk for u in available]).prefetch_related("lines")
    }
    skills = {
        u.pk: (
            {line.pk for line in profiles[u.pk].lines.all()} if u.pk in profiles else set(),
            set(profiles[u.pk].regions or []) if u.pk in profiles else set(),
        )
        for u in available
    }
    capacity = dict(SpecialistCapacity.objects.values_list("user_id", "cases_per_week"))
    per_line: dict = defaultdict(lambda: [0] * FORECAST_WEEKS)
    per_person: dict = defaultdict(lambda: [0.0] * FORECAST_WEEKS)
    for week, line_id, region, n in rows:
        index = weeks.index(week)
        per_line[line_id][index] += n
        eligible = [
            uid
            for uid, (skill_lines, skill_regions) in skills.items()
            if (not skill_lines or line_id in skill_lines) and (not skill_regions or region in skill_regions)
        ] or list(skills)
        for uid in eligible:
            per_person[uid][index] += n / len(eligible)
    computed_on = TeamForecast.objects.values_list("computed_on", flat=True).first()
    moved_away, moved_in = _rebalanced_since(computed_on, {u.username: u.pk for u in available})
    people = []
    overflow: dict[int, int] = {}
    spare: dict[int, int] = {}
    for user in available:
        expected = [round(v) for v in per_person[user.pk]]
        cap = capacity.get(user.pk)
        over = [cap is not None and v > cap for v in expected]
        if cap is not None:
            # What a rebalance already moved against this forecast is not moved again (a replayed
            # or repeated click moves nothing more until the forecast is recomputed another day).
            overflow[user.pk] = max(0, sum(max(0, v - cap) for v in expected) - moved_away.get(user.pk, 0))
            spare[user.pk] = max(0, sum(max(0, cap - v) for v in expected) - moved_in.get(user.pk, 0))
        people.append(
            {
                "user": user,
                "name": user.get_full_name() or user.username,
                "capacity": cap,
                "weeks": [{"cases": v, "over": o} for v, o in zip(expected, over, strict=True)],
                "overflow": overflow.get(user.pk, 0),
            }
        )
    total_capacity = sum(c for uid, c in capacity.items() if uid in skills)
    totals = [sum(per_line[line_id][i] for line_id in per_line) for i in range(FORECAST_WEEKS)]
    return {
        "weeks": weeks,
        "lines": [
            {"line": lines[line_id], "weeks": values}
            for line_id, values in sorted(per_line.items(), key=lambda item: lines[item[0]].sort_order)
        ],
        "people": people,
        "totals": totals,
        "total_capacity": total_capacity,
        "overflow": {k: v for k, v in overflow.items() if v},
        "spare": {k: v for k, v in spare.items() if v},
        "computed_on": computed_on,
    }


def _rebalanced_since(day: dt.date | None, ids: dict[str, int]) -> tuple[dict[int, int], dict[int, int]]:
    """Cases each specialist gave away and received through rebalances on or after ``day``."""
    away: dict[int, int] = defaultdict(int)
    received: dict[int, int] = defaultdict(int)
    if day is None:
        return away, received
    since = timezone.make_aware(dt.datetime.combine(day, dt.time.min))
    audits = TeamSettingsChange.objects.filter(kind=TeamSettingsChange.Kind.REBALANCE, created_at__gte=since)
    for changes in audits.values_list("changes", flat=True):
        for from_name, targets in changes.items():
            for to_name, cases in targets.items():
                if from_name in ids:
                    away[ids[from_name]] += cases
                if to_name in ids:
                    received[ids[to_name]] += cases
    return away, received


def refreshed_at() -> dt.datetime | None:
    return RollupState.objects.filter(name=STATE_NAME).values_list("refreshed_at", flat=True).first()


def month_period(day: dt.date) -> Period:
    return Period(month_start(day), month_end(day), "month")
