"""Periods and filters: parsed from a query string, validated, and turned back into one."""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass, field, replace
from urllib.parse import urlencode

from django.contrib.auth import get_user_model
from django.utils import timezone
from django.utils.translation import gettext as _

from core.dates import EARLIEST_ENTERED
from core.errors import ApplicationError, ErrorCode
from customers.models import Customer
from renewals.models import LineOfInsurance, Policy

from .errors import AnalyticsErrorCode
from .models import GRAIN_DIMENSIONS

PERIOD_KINDS = ("month", "quarter", "year", "custom")
# The sane calendar range of every period a person or a script asks for: no book starts before
# 2000, and nothing is planned more than five years ahead. Derived periods (previous, a year
# earlier, the 12-month series) then stay far from Python's year 1 and 9999.
EARLIEST_DAY = EARLIEST_ENTERED.date()
YEARS_AHEAD = 5
# The longest custom range: 60 months on the page (its charts), ten years in the API.
PAGE_MAX_MONTHS = 60
API_MAX_DAYS = 3660


def month_start(day: dt.date) -> dt.date:
    return day.replace(day=1)


def add_months(day: dt.date, months: int) -> dt.date:
    """The first day of the month ``months`` after ``day``'s month."""
    index = day.year * 12 + day.month - 1 + months
    return dt.date(index // 12, index % 12 + 1, 1)


def month_end(day: dt.date) -> dt.date:
    return add_months(day, 1) - dt.timedelta(days=1)


def year_earlier(day: dt.date) -> dt.date:
    """The same day a year earlier (29 February becomes the 28th)."""
    try:
        return day.replace(year=day.year - 1)
    except ValueError:
        return day.replace(year=day.year - 1, day=28)


def latest_day() -> dt.date:
    """The last day a period may reach: today (site time zone) plus ``YEARS_AHEAD`` years."""
    today = timezone.localdate()
    try:
        return today.replace(year=today.year + YEARS_AHEAD)
    except ValueError:
        return today.replace(year=today.year + YEARS_AHEAD, day=28)


def check_day(day: dt.date, field: str) -> dt.date:
    """The one sane-range rule of the page, its exports and the API: ApplicationError naming ``field``."""
    last = latest_day()
    if not EARLIEST_DAY <= day <= last:
        raise ApplicationError(
            _("Choose a date between %(first)s and %(last)s.") % {"first": EARLIEST_DAY, "last": last},
            field=field,
            code=ErrorCode.OUT_OF_RANGE,
        )
    return day


def check_month(month: dt.date, field: str) -> dt.date:
    """``check_day`` for a month picker: the month must lie between 2000-01 and the last month."""
    last = latest_day()
    if not EARLIEST_DAY <= month <= last:
        raise ApplicationError(
            _("Choose a month between %(first)s and %(last)s.")
            % {"first": f"{EARLIEST_DAY:%Y-%m}", "last": f"{last:%Y-%m}"},
            field=field,
            code=ErrorCode.OUT_OF_RANGE,
        )
    return month


@dataclass(frozen=True)
class Period:
    """An inclusive range of days; ``kind`` says how the picker chose it."""

    start: dt.date
    end: dt.date
    kind: str = "custom"

    @property
    def month_aligned(self) -> bool:
        return self.start.day == 1 and self.end == month_end(self.end)

    @property
    def months(self) -> list[dt.date]:
        result, current = [], month_start(self.start)
        while current <= self.end:
            result.append(current)
            current = add_months(current, 1)
        return result

    def previous(self) -> Period:
        """The period of the same length just before (a month before a month, 11 days before 11 days)."""
        if self.month_aligned:
            count = len(self.months)
            start = add_months(self.start, -count)
            return Period(start, add_months(start, count) - dt.timedelta(days=1), self.kind)
        length = self.end - self.start
        end = self.start - dt.timedelta(days=1)
        return Period(end - length, end, self.kind)

    def year_on_year(self) -> Period:
        """The same period a year earlier (the same months for a month-aligned period)."""
        if self.month_aligned:
            return Period(add_months(self.start, -12), month_end(add_months(self.end, -12)), self.kind)
        return Period(year_earlier(self.start), year_earlier(self.end), self.kind)

    @property
    def label(self) -> str:
        if self.kind == "month" or (self.month_aligned and len(self.months) == 1):
            return self.start.strftime("%Y-%m")
        if self.kind == "quarter":
            return f"{self.start.year} Q{(self.start.month - 1) // 3 + 1}"
        if self.kind == "year":
            return str(self.start.year)
        if self.month_aligned:
            return f"{self.start:%Y-%m} – {self.end:%Y-%m}"
        return f"{self.start:%Y-%m-%d} – {self.end:%Y-%m-%d}"


def period_for(kind: str, anchor: dt.date) -> Period:
    """The month, quarter or year containing ``anchor``."""
    if kind == "quarter":
        start = dt.date(anchor.year, (anchor.month - 1) // 3 * 3 + 1, 1)
        return Period(start, add_months(start, 3) - dt.timedelta(days=1), "quarter")
    if kind == "year":
        return Period(dt.date(anchor.year, 1, 1), dt.date(anchor.year, 12, 31), "year")
    start = month_start(anchor)
    return Period(start, month_end(start), "month")


def _parse_month(text: str, field: str) -> dt.date:
    try:
        return dt.datetime.strptime(text, "%Y-%m").date()
    except ValueError:
        raise ApplicationError(_("Not a month (YYYY-MM)."), field=field, code=AnalyticsErrorCode.INVALID_DATE) from None


def _parse_day(text: str, field: str, *, month_end_if_month: bool = False) -> dt.date:
    """A day (YYYY-MM-DD) checked against the sane range; the page also takes a whole month
    (YYYY-MM: its first day, or its last with ``month_end_if_month``)."""
    try:
        day = dt.datetime.strptime(text, "%Y-%m-%d").date()
    except ValueError:
        try:
            month = dt.datetime.strptime(text, "%Y-%m").date()
        except ValueError:
            raise ApplicationError(
                _("Not a date (YYYY-MM-DD)."), field=field, code=AnalyticsErrorCode.INVALID_DATE
            ) from None
        check_month(month, field)
        day = month_end(month) if month_end_if_month else month
    return check_day(day, field)


def uses_default_month(params) -> bool:
    """Whether the query leaves the month to the page (no ``month`` and not a custom range)."""
    return params.get("period") != "custom" and not (params.get("month") or "").strip()


def period_from_query(params, *, default_month=None) -> Period:
    """The pages' period: ``period`` (month|quarter|year|custom) with ``month`` (YYYY-MM), or
    ``from``/``to`` (YYYY-MM-DD, or YYYY-MM for whole months) for a custom range.

    Without a month, the period contains ``default_month()`` (the dashboard's latest month with
    decided cases), or today. Anything else that is not a sane period raises ApplicationError
    naming the field, which the pages show with a 400.
    """
    kind = (params.get("period") or "month").strip()
    if kind not in PERIOD_KINDS:
        raise ApplicationError(_("Unknown period."), field="period", code=AnalyticsErrorCode.UNKNOWN_PERIOD)
    if kind == "custom":
        days = {}
        for name in ("from", "to"):
            text = (params.get(name) or "").strip()
            if not text:
                raise ApplicationError(_("This field is required (YYYY-MM-DD)."), field=name, code=ErrorCode.REQUIRED)
            days[name] = _parse_day(text, name, month_end_if_month=name == "to")
        period = Period(days["from"], days["to"], "custom")
        _check_length(
            period,
            "to",
            too_long=len(period.months) > PAGE_MAX_MONTHS,
            too_long_message=_("The range is longer than five years."),
        )
        return period
    text = (params.get("month") or "").strip()
    if text:
        anchor = check_month(_parse_month(text, "month"), "month")
    else:
        anchor = (default_month() if default_month else None) or timezone.localdate()
    return period_for(kind, anchor)


def _check_length(period: Period, field: str, *, too_long: bool, too_long_message) -> None:
    if period.end < period.start:
        raise ApplicationError(_("The end is before the start."), field=field, code=AnalyticsErrorCode.END_BEFORE_START)
    if too_long:
        raise ApplicationError(too_long_message, field=field, code=AnalyticsErrorCode.RANGE_TOO_LONG)


def _api_day(params, names: tuple[str, str]) -> tuple[dt.date, str]:
    """One end of the API's range, from its name (``start``/``end``) or the page's (``from``/``to``)."""
    given = {name: (params.get(name) or "").strip() for name in names}
    days = {}
    for name, text in given.items():
        if not text:
            continue
        try:
            days[name] = dt.date.fromisoformat(text)
        except ValueError:
            raise ApplicationError(
                _("Not a date (YYYY-MM-DD)."), field=name, code=AnalyticsErrorCode.INVALID_DATE
            ) from None
    if not days:
        raise ApplicationError(_("This parameter is required (YYYY-MM-DD)."), field=names[0], code=ErrorCode.REQUIRED)
    if len(set(days.values())) > 1:
        raise ApplicationError(
            _("Give %(a)s or %(b)s, not two different days.") % {"a": names[0], "b": names[1]},
            field=names[1],
            code=ErrorCode.INVALID,
        )
    name = names[0] if names[0] in days else names[1]
    return check_day(days[name], name), name


def period_from_api(params) -> Period:
    """``start`` and ``end`` (YYYY-MM-DD, inclusive; ``from``/``to`` as in the page are the same) are
    required; errors name the parameter."""
    start, _start_name = _api_day(params, ("start", "from"))
    end, end_name = _api_day(params, ("end", "to"))
    period = Period(start, end, "custom")
    _check_length(
        period,
        end_name,
        too_long=(end - start).days > API_MAX_DAYS,
        too_long_message=_("The range is longer than ten years."),
    )
    return period


@dataclass(frozen=True)
class Filters:
    """The dashboard filters, as stored in the rollups (ids, codes, region names)."""

    line_id: int | None = None
    line_code: str = ""
    region: str = ""
    segments: tuple[str, ...] = ()
    channel: str = ""
    assignee_id: int | None = None
    specialist: str = ""
    # Dimensions a caller wants broken down (e.g. {"region"} for the region table).
    breakdown: frozenset = field(default_factory=frozenset)

    @property
    def segment(self) -> str:
        return self.segments[0] if len(self.segments) == 1 else ""

    def dimensions(self) -> set[str]:
        """The grain dimensions (beyond line) these filters and the breakdown need."""
        used = set(self.breakdown)
        if self.region:
            used.add("region")
        if self.segments:
            used.add("segment")
        if self.channel:
            used.add("channel")
        if self.assignee_id is not None:
            used.add("assignee")
        return used

    def grain(self) -> str:
        used = self.dimensions()
        return "+".join(dim for dim in GRAIN_DIMENSIONS if dim in used)

    def with_breakdown(self, *dims: str) -> Filters:
        return replace(self, breakdown=frozenset(dims))

    def with_segments(self, segments: tuple[str, ...]) -> Filters:
        if self.segments:
            segments = tuple(s for s in self.segments if s in segments)
            if not segments:
                segments = ("__none__",)
        return replace(self, segments=segments)

    def query(self) -> dict[str, str]:
        """The filters as URL parameters (codes and usernames)."""
        values = {
            "line": self.line_code,
            "region": self.region,
            "segment": self.segment,
            "channel": self.channel,
            "specialist": self.specialist,
        }
        return {key: value for key, value in values.items() if value}

    @property
    def any(self) -> bool:
        return bool(self.query())


def filters_from_query(params, *, strict: bool) -> Filters:
    """Codes and usernames from the query string. ``strict`` (the API) raises ApplicationError
    naming the unknown parameter; otherwise an unknown value is ignored."""

    def bad(name):
        if strict:
            raise ApplicationError(_("Unknown code."), field=name, code=AnalyticsErrorCode.UNKNOWN_CODE)

    values = {}
    code = (params.get("line") or "").strip()
    if code:
        line_id = LineOfInsurance.objects.filter(code=code).values_list("id", flat=True).first()
        if line_id is None:
            bad("line")
        else:
            values.update(line_id=line_id, line_code=code)
    region = (params.get("region") or "").strip()
    if region:
        if Customer.objects.filter(region=region).exists():
            values["region"] = region
        else:
            bad("region")
    segment = (params.get("segment") or "").strip()
    if segment:
        if segment in Customer.Segment.values:
            values["segments"] = (segment,)
        else:
            bad("segment")
    channel = (params.get("channel") or "").strip()
    if channel:
        if channel in Policy.Channel.values:
            values["channel"] = channel
        else:
            bad("channel")
    username = (params.get("specialist") or "").strip()
    if username:
        user_id = get_user_model().objects.filter(username=username).values_list("id", flat=True).first()
        if user_id is None:
            bad("specialist")
        else:
            values.update(assignee_id=user_id, specialist=username)
    return Filters(**values)


def dashboard_query(period: Period, filters: Filters, **extra) -> str:
    """The URL query string that reproduces ``period`` and ``filters`` (plus ``extra``)."""
    params: dict[str, str] = {"period": period.kind}
    if period.kind == "custom":
        params.update({"from": period.start.isoformat(), "to": period.end.isoformat()})
    else:
        params["month"] = f"{period.start:%Y-%m}"
    params.update(filters.query())
    params.update({k: v for k, v in extra.items() if v not in (None, "")})
    return urlencode(params)
