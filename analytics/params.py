"""Periods and filters: parsed from a query string, validated, and turned back into one."""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass, field, replace
from urllib.parse import urlencode

from django.contrib.auth import get_user_model
from django.utils import timezone
from django.utils.translation import gettext as _

from core.errors import ApplicationError, ErrorCode
from customers.models import Customer
from renewals.models import LineOfInsurance, Policy

from .errors import AnalyticsErrorCode
from .models import GRAIN_DIMENSIONS

PERIOD_KINDS = ("month", "quarter", "year", "custom")


def month_start(day: dt.date) -> dt.date:
    return day.replace(day=1)


def add_months(day: dt.date, months: int) -> dt.date:
    """The first day of the month ``months`` after ``day``'s month."""
    index = day.year * 12 + day.month - 1 + months
    return dt.date(index // 12, index % 12 + 1, 1)


def month_end(day: dt.date) -> dt.date:
    return add_months(day, 1) - dt.timedelta(days=1)


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
        """The period of the same length just before (a month before a month, and so on)."""
        if self.month_aligned:
            count = len(self.months)
            start = add_months(self.start, -count)
            return Period(start, add_months(start, count) - dt.timedelta(days=1), self.kind)
        length = self.end - self.start
        end = self.start - dt.timedelta(days=1)
        return Period(end - length, end, self.kind)

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


def _parse_month(text: str | None) -> dt.date | None:
    try:
        return dt.datetime.strptime(text or "", "%Y-%m").date()
    except ValueError:
        return None


def period_from_query(params) -> Period:
    """The dashboard's period: ``period`` (month|quarter|year|custom) with ``month`` (YYYY-MM), or
    ``from``/``to`` (YYYY-MM) for a custom range of whole months. Bad input falls back to the
    current month: the picker never shows an error page."""
    today = timezone.localdate()
    kind = params.get("period") if params.get("period") in PERIOD_KINDS else "month"
    if kind == "custom":
        start, end = _parse_month(params.get("from")), _parse_month(params.get("to"))
        if start and end and start <= end and len(Period(start, month_end(end)).months) <= 60:
            return Period(start, month_end(end), "custom")
        kind = "month"
    anchor = _parse_month(params.get("month")) or today
    return period_for(kind, anchor)


def period_from_api(params) -> Period:
    """``start`` and ``end`` (YYYY-MM-DD, inclusive) are required; errors name the parameter."""
    days = {}
    for name in ("start", "end"):
        text = params.get(name)
        if not text:
            raise ApplicationError(_("This parameter is required (YYYY-MM-DD)."), field=name, code=ErrorCode.REQUIRED)
        try:
            days[name] = dt.date.fromisoformat(text)
        except ValueError:
            raise ApplicationError(
                _("Not a date (YYYY-MM-DD)."), field=name, code=AnalyticsErrorCode.INVALID_DATE
            ) from None
    if days["end"] < days["start"]:
        raise ApplicationError(_("The end is before the start."), field="end", code=AnalyticsErrorCode.END_BEFORE_START)
    if (days["end"] - days["start"]).days > 3660:
        raise ApplicationError(
            _("The range is longer than ten years."), field="end", code=AnalyticsErrorCode.RANGE_TOO_LONG
        )
    return Period(days["start"], days["end"], "custom")


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
        params.update({"from": f"{period.start:%Y-%m}", "to": f"{period.end:%Y-%m}"})
    else:
        params["month"] = f"{period.start:%Y-%m}"
    params.update(filters.query())
    params.update({k: v for k, v in extra.items() if v not in (None, "")})
    return urlencode(params)
