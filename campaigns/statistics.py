"""The experiment's figures: rates with 95 % intervals, the difference to the hold-out with its
interval and p-value, and the planned sample size. Pure functions over counts (statsmodels does
the statistics), so the A/A and planted-effect tests run them thousands of times without a database.

Intervals: Wilson score for one rate; Agresti-Caffo for the difference (a Wald interval after adding
one success and one failure to each arm, which keeps its 95 % coverage for small arms and rates near
0 or 1), with the matching Agresti-Caffo test, so "the interval excludes zero" and "p < 0.05" agree.
(statsmodels' score interval fails to converge for some counts, so it is not used.)
"""

import math
from dataclasses import dataclass, field
from decimal import Decimal

import numpy as np
from statsmodels.stats.power import NormalIndPower
from statsmodels.stats.proportion import (
    confint_proportions_2indep,
    proportion_confint,
    proportion_effectsize,
    test_proportions_2indep,
)

ALPHA = 0.05
POWER = 0.8


@dataclass(frozen=True)
class ArmCounts:
    """What the database counted for one arm (decided = renewed + lost + lapsed, or a campaign's
    members with an outcome)."""

    arm_id: int
    name: str
    is_holdout: bool
    enrolled: int
    decided: int
    successes: int
    messages_sent: int = 0
    premium_expiring: Decimal = Decimal("0")
    premium_retained: Decimal = Decimal("0")


@dataclass
class ArmResult:
    counts: ArmCounts
    rate: float | None = None
    low: float | None = None
    high: float | None = None
    # Against the hold-out (None for the hold-out itself).
    difference: float | None = None
    difference_low: float | None = None
    difference_high: float | None = None
    p_value: float | None = None
    messages_per_extra_success: float | None = None
    premium_retention: float | None = None
    planned: int = 0
    enough: bool = False

    @property
    def progress_percent(self) -> int:
        if not self.planned:
            return 0
        return min(100, round(100 * self.counts.decided / self.planned))

    @property
    def significant(self) -> bool:
        return self.p_value is not None and self.p_value < ALPHA


@dataclass
class ExperimentResult:
    arms: list[ArmResult] = field(default_factory=list)
    enough: bool = False
    minimum: int = 0


def rate_interval(successes: int, trials: int) -> tuple[float, float]:
    """The 95 % Wilson interval of a rate."""
    low, high = proportion_confint(successes, trials, alpha=ALPHA, method="wilson")
    return float(low), float(high)


def difference_to_holdout(successes: int, trials: int, holdout_successes: int, holdout_trials: int):
    """(difference, low, high, p-value) of arm rate minus hold-out rate (Agresti-Caffo)."""
    # statsmodels also works out a ratio and odds ratio it does not return: a rate of 0 divides by zero.
    with np.errstate(divide="ignore", invalid="ignore"):
        low, high = confint_proportions_2indep(
            successes, trials, holdout_successes, holdout_trials, compare="diff", method="agresti-caffo", alpha=ALPHA
        )
        test = test_proportions_2indep(
            successes, trials, holdout_successes, holdout_trials, compare="diff", method="agresti-caffo"
        )
    difference = successes / trials - holdout_successes / holdout_trials
    p_value = float(test.pvalue) if not math.isnan(test.pvalue) else 1.0
    return difference, float(low), float(high), p_value


def planned_sample(*, baseline_rate: float, min_effect: float, ratio: float = 1.0) -> int:
    """Decided cases per arm needed to detect ``min_effect`` (e.g. 0.03 = 3 points) over
    ``baseline_rate`` with 80 % power at the 5 % level; ``ratio``: hold-out size / arm size."""
    target = min(max(baseline_rate + min_effect, 0.001), 0.999)
    effect = abs(proportion_effectsize(target, min(max(baseline_rate, 0.001), 0.999)))
    if effect == 0:
        return 0
    n = NormalIndPower().solve_power(effect_size=effect, alpha=ALPHA, power=POWER, ratio=ratio)
    return math.ceil(n)


def holdout_ratio(*, holdout_percent: int, weights: list[int]) -> float:
    """Hold-out size over the smallest arm's size (e.g. 10 % against two equal arms of 45 %: 0.22)."""
    if not weights:
        return 1.0
    arm_share = (100 - holdout_percent) * min(weights) / sum(weights)
    return holdout_percent / arm_share


def analyse(arms: list[ArmCounts], *, minimum: int, planned: int = 0, holdout_ratio: float = 1.0) -> ExperimentResult:
    """Per arm: rate with interval; for the other arms the difference to the hold-out, p-value and
    messages per extra success. ``enough`` is False until every arm has ``minimum`` decided: the
    page then shows "not enough data yet" instead of the differences. ``planned``: decided per
    (non-hold-out) arm the design needs; the hold-out's plan is ``planned × holdout_ratio``."""
    results = [ArmResult(counts=arm) for arm in arms]
    holdout = next((result for result in results if result.counts.is_holdout), None)
    enough = bool(results) and all(result.counts.decided >= minimum for result in results)
    for result in results:
        counts = result.counts
        result.planned = math.ceil(planned * holdout_ratio) if counts.is_holdout else planned
        result.enough = counts.decided >= minimum
        if counts.decided:
            result.rate = counts.successes / counts.decided
            result.low, result.high = rate_interval(counts.successes, counts.decided)
        if counts.premium_expiring:
            result.premium_retention = float(counts.premium_retained / counts.premium_expiring)
    if holdout is None or not enough:
        return ExperimentResult(arms=results, enough=enough, minimum=minimum)
    base = holdout.counts
    for result in results:
        counts = result.counts
        if counts.is_holdout:
            continue
        result.difference, result.difference_low, result.difference_high, result.p_value = difference_to_holdout(
            counts.successes, counts.decided, base.successes, base.decided
        )
        if result.difference > 0 and counts.enrolled and base.enrolled:
            extra_messages = counts.messages_sent / counts.enrolled - base.messages_sent / base.enrolled
            result.messages_per_extra_success = max(extra_messages, 0.0) / result.difference
    return ExperimentResult(arms=results, enough=enough, minimum=minimum)


def cumulative_series(points: list[tuple[str, int, int]]) -> list[dict]:
    """Running rate with its interval per period, from (period label, decided, successes) in order:
    the chart of the rate per arm over time."""
    decided = successes = 0
    series = []
    for label, period_decided, period_successes in points:
        decided += period_decided
        successes += period_successes
        if not decided:
            continue
        low, high = rate_interval(successes, decided)
        series.append({"period": label, "rate": successes / decided, "low": low, "high": high, "decided": decided})
    return series
