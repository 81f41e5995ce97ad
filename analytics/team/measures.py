"""The team-performance measures (issue 15), as small pure functions with their definitions.

Inputs are counts and sums that SQL (the team rollup) produced; outputs are plain numbers. As in
``analytics.kpis``, a figure whose denominator is empty is ``None`` ("—" on screen, null in the
API). docs/analytics.md ("Team performance") holds the same definitions.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Iterable, Mapping
from decimal import ROUND_HALF_UP, Decimal

from .. import kpis

CENT = Decimal("0.01")
# A scorecard index moves this many points per "step" of difference from the team median.
POINTS_PER_STEP = 10
INDEX_MIN, INDEX_MAX = 0, 200


def mean(total: int | float | Decimal, count: int) -> float | None:
    """Mean = total / count; None when there is nothing to average."""
    if not count:
        return None
    return float(Decimal(total) / Decimal(count))


def processing_time_days(*, cycle_days: int, decided_with_dates: int) -> float | None:
    """Processing time = mean whole days from case open to decision (closed_at), over the cohort's
    decided cases (renewed, lost, lapsed). Its median comes from the cycle histogram
    (``analytics.kpis.median_from_histogram``)."""
    return mean(cycle_days, decided_with_dates)


def days_to_first_contact(*, contact_days: int, contacted: int) -> float | None:
    """Open → first contact = mean whole days from case open to the first contact logged, over the
    cohort's contacted cases."""
    return mean(contact_days, contacted)


def touches(*, contacts_logged: int, quotes: int, calls_made: int, messages_sent: int) -> int:
    """Touches of a case = contacts logged by people + quotes prepared + call tasks done + reminder
    messages sent (e-mail, SMS, letter)."""
    return contacts_logged + quotes + calls_made + messages_sent


def touches_per_case(*, touches_count: int, cases: int) -> float | None:
    """Touches per case = touches of the cohort's cases / cases in the cohort."""
    return mean(touches_count, cases)


def manual_share(*, manual: int, automated: int) -> float | None:
    """Manual share = touches made by people (contacts logged, quotes, call tasks done) / all
    touches (those plus the reminders the outbox sent). Automation should lower it."""
    return kpis._share(manual, manual + automated)


def contact_cost(
    *,
    sms: int,
    emails: int,
    letters: int,
    calls: int,
    sms_cost: Decimal,
    email_cost: Decimal,
    letter_cost: Decimal,
    call_minute_cost: Decimal,
    minutes_per_call: Decimal,
) -> Decimal:
    """Cost of contacts = SMS × SMS cost + e-mails × e-mail cost + letters × letter cost + calls ×
    minutes per call × call-minute cost, rounded half-up to cents. A call is a call task done or a
    phone contact logged (neither records its length, hence ``minutes_per_call``)."""
    total = (
        Decimal(sms) * sms_cost
        + Decimal(emails) * email_cost
        + Decimal(letters) * letter_cost
        + Decimal(calls) * minutes_per_call * call_minute_cost
    )
    return total.quantize(CENT, rounding=ROUND_HALF_UP)


def cost_per_renewal(*, cost: Decimal, renewed: int) -> Decimal | None:
    """Cost to keep a customer = cost of every message and call on the cohort's cases / renewed
    cases of the cohort, rounded half-up to cents; None when nothing renewed."""
    if not renewed:
        return None
    return (Decimal(cost) / Decimal(renewed)).quantize(CENT, rounding=ROUND_HALF_UP)


def working_days(start: dt.date, end: dt.date, away: Iterable[dt.date] = ()) -> int:
    """Working days in [start, end]: Monday to Friday, less the days the specialist was away.

    There is no holiday calendar: public holidays count as working days."""
    if end < start:
        return 0
    away_days = set(away)
    count = 0
    day = start
    while day <= end:
        if day.weekday() < 5 and day not in away_days:
            count += 1
        day += dt.timedelta(days=1)
    return count


def away_days(changes: Iterable[tuple[dt.date, bool]], *, start: dt.date, end: dt.date, away_now: bool) -> set[dt.date]:
    """The days in [start, end] a specialist was away, from the "away" switches managers made
    (day, new value) in the order they were made. Away from the day it was switched on to the day before it was
    switched off; ``away_now`` says how the last stretch ends (still away: to ``end``). A day on
    which the switch ends up "away" counts as away."""
    days: set[dt.date] = set()
    since: dt.date | None = None
    events = list(changes)
    if events and not events[0][1]:
        # The first switch in history turns "away" off: away from before the start.
        since = start
    for day, is_away in events:
        if is_away and since is None:
            since = day
        elif not is_away and since is not None:
            days.update(_days_between(max(since, start), min(day - dt.timedelta(days=1), end)))
            since = None
    if since is not None or (not events and away_now):
        days.update(_days_between(max(since or start, start), end))
    return days


def _days_between(first: dt.date, last: dt.date) -> list[dt.date]:
    return [first + dt.timedelta(days=n) for n in range((last - first).days + 1)] if last >= first else []


def output_per_day(*, decided: int, working_days_count: int) -> float | None:
    """Output per head = cases a specialist decided (renewed, lost, lapsed by closing date in P) /
    their working days in P (Mon–Fri, days away excluded)."""
    return mean(decided, working_days_count)


def complaints_per_100(*, complaints: int, cases: int) -> float | None:
    """Complaints per 100 cases = complaints linked to the cohort's cases × 100 / cases in the cohort."""
    if not cases:
        return None
    return float(Decimal(complaints) * 100 / Decimal(cases))


def notice_compliance(*, on_time: int, due: int) -> float | None:
    """Notice compliance = cohort cases whose statutory notice proof is on time (sent or posted on or
    before its deadline) / cohort cases whose notice deadline has passed."""
    return kpis._share(on_time, due)


def relative_change(current: float | None, earlier: float | None) -> float | None:
    """Change against an earlier period as a share of the earlier figure ((current − earlier) / earlier),
    e.g. −0.30 for "−30 %"; None when either is missing or the earlier one is 0."""
    if current is None or earlier is None or earlier == 0:
        return None
    return (current - earlier) / earlier


def on_target(change_share: float | None, target_percent: int) -> bool | None:
    """Whether a change (``relative_change``) reached a target given in percent (−30 = at least 30 %
    lower); None without a change."""
    if change_share is None:
        return None
    if target_percent <= 0:
        return change_share <= target_percent / 100
    return change_share >= target_percent / 100


def median_of(values: Iterable[float | None]) -> float | None:
    """The team median of a figure: median of the specialists' values that are not None."""
    return kpis.median(value for value in values if value is not None)


def scorecard_index(value: float | None, median: float | None, *, step: float, higher_is_better: bool) -> float | None:
    """A component of the balanced scorecard against the team median: 100 at the median, ±10 points
    per ``step`` better or worse (``SCORECARD_COMPONENTS`` gives each step), kept within 0..200;
    None when the specialist or the team has no figure."""
    if value is None or median is None:
        return None
    direction = 1 if higher_is_better else -1
    index = 100 + POINTS_PER_STEP * direction * (value - median) / step
    return max(INDEX_MIN, min(INDEX_MAX, index))


def composite(indexes: Mapping[str, float | None], weights: Mapping[str, int]) -> float | None:
    """Composite score = Σ weight × index / Σ weight over the components that have an index (a
    missing component and its weight are left out, and the table shows which); None when none has."""
    total = weight_sum = 0
    for name, index in indexes.items():
        weight = weights.get(name, 0)
        if index is None or not weight:
            continue
        total += weight * index
        weight_sum += weight
    if not weight_sum:
        return None
    return total / weight_sum


# Component name → (step of 10 index points, higher is better). One home for the scorecard's scale.
SCORECARD_COMPONENTS = {
    "renewal_rate": (0.01, True),  # one percentage point
    "premium_retention": (0.01, True),  # one percentage point
    "nps": (5.0, True),  # five NPS points
    "complaints_per_100": (0.5, False),  # half a complaint per 100 cases
    "notice_compliance": (0.01, True),  # one percentage point
    "processing_time_days": (1.0, False),  # one day
}
