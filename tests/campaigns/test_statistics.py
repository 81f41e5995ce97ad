"""The experiment's statistics on simulated books (no database): a planted effect is recovered
inside its interval, identical arms (A/A) differ no more often than the stated 5 %, and the
assignment is deterministic, stratified and in the stated shares."""

from collections import Counter

import numpy as np
import pytest

from campaigns import assignment
from campaigns.statistics import ALPHA, ArmCounts, analyse, cumulative_series, holdout_ratio, planned_sample

HOLDOUT, TODAY, SHORTER = 1, 2, 3
SHARES = assignment.arm_shares(holdout_arm=HOLDOUT, holdout_percent=10, arms=[(TODAY, 1), (SHORTER, 1)])


def counts(arm_id, successes, decided, *, holdout=False, messages=0):
    return ArmCounts(
        arm_id=arm_id,
        name=str(arm_id),
        is_holdout=holdout,
        enrolled=decided,
        decided=decided,
        successes=successes,
        messages_sent=messages,
    )


def simulate_book(rng, *, units: int, base_rate: dict[str, float], effect: dict[str, float]):
    """A synthetic book: units in two segments assigned by the real assignment function; the
    shorter cadence adds ``effect[segment]`` to the renewal probability."""
    segments = list(base_rate)
    units_with_strata = [(unit, f"auto:{segments[unit % len(segments)]}") for unit in range(1, units + 1)]
    arms = assignment.assign(units_with_strata, seed=str(rng.integers(1 << 62)), shares=SHARES)
    outcome = {}
    for item in arms:
        segment = item.stratum.split(":")[1]
        rate = base_rate[segment] + (effect[segment] if item.arm_id == SHORTER else 0.0)
        outcome.setdefault((segment, item.arm_id), []).append(rng.random() < rate)
    return outcome


def arm_figures(outcome, segment):
    return [
        counts(arm, sum(outcome[(segment, arm)]), len(outcome[(segment, arm)]), holdout=arm == HOLDOUT)
        for arm in (TODAY, SHORTER, HOLDOUT)
    ]


def test_a_planted_five_point_effect_in_one_segment_is_found_inside_its_interval_and_nowhere_else():
    # given a book where the shorter cadence raises renewal by 5 points for VIPs only
    rng = np.random.default_rng(20261201)
    outcome = simulate_book(
        rng, units=120_000, base_rate={"vip": 0.70, "standard": 0.70}, effect={"vip": 0.05, "standard": 0.0}
    )
    # when each segment is analysed against the hold-out
    vip = analyse(arm_figures(outcome, "vip"), minimum=200)
    standard = analyse(arm_figures(outcome, "standard"), minimum=200)
    vip_shorter = next(arm for arm in vip.arms if arm.counts.arm_id == SHORTER)
    vip_today = next(arm for arm in vip.arms if arm.counts.arm_id == TODAY)
    std_shorter = next(arm for arm in standard.arms if arm.counts.arm_id == SHORTER)
    # then the VIP interval holds the planted +5 points and excludes zero
    assert vip_shorter.difference_low <= 0.05 <= vip_shorter.difference_high
    assert vip_shorter.difference_low > 0
    assert vip_shorter.p_value < ALPHA
    # and where nothing was planted (today's cadence; the standard segment) the estimate is near zero
    # (within 2 points, over two standard errors) and the interval rules the 5 points out
    for arm in (vip_today, std_shorter):
        assert abs(arm.difference) < 0.02
        assert arm.difference_high < 0.05


def test_identical_arms_differ_significantly_about_five_times_in_a_hundred():
    # given 1,000 seeded A/A experiments (both arms and the hold-out at 80 %)
    rng = np.random.default_rng(7)
    runs = 1000
    false_positives = 0
    for _run in range(runs):
        arm = rng.binomial(1000, 0.8)
        holdout = rng.binomial(400, 0.8)
        result = analyse([counts(TODAY, arm, 1000), counts(HOLDOUT, holdout, 400, holdout=True)], minimum=100)
        false_positives += result.arms[0].significant
    # then the share of "significant" differences is the stated 5 % (binomial SD 0.7 points over 1,000)
    assert 0.03 <= false_positives / runs <= 0.07


def test_differences_wait_for_the_minimum_sample():
    result = analyse([counts(TODAY, 90, 100), counts(HOLDOUT, 10, 19, holdout=True)], minimum=20)
    assert not result.enough
    assert result.arms[0].difference is None and result.arms[0].p_value is None
    # the rates and their intervals are shown meanwhile
    assert result.arms[0].rate == pytest.approx(0.9)
    assert result.arms[0].low < 0.9 < result.arms[0].high


def test_messages_per_extra_renewal_compares_with_the_holdout():
    # 1,000 cases with 3 messages each renew at 80 %, the hold-out (1 message each: the notice) at 70 %
    result = analyse(
        [counts(TODAY, 800, 1000, messages=3000), counts(HOLDOUT, 280, 400, holdout=True, messages=400)], minimum=100
    )
    # 2 extra messages per case buy 0.1 extra renewals: 20 messages per extra renewal
    assert result.arms[0].messages_per_extra_success == pytest.approx(20.0)


def test_planned_sample_size_matches_the_textbook_figure():
    # 80 % -> 83 %, equal arms, 5 % two-sided, 80 % power. By hand, the normal approximation
    # n = (1.96·√(2·0.815·0.185) + 0.8416·√(0.8·0.2 + 0.83·0.17))² / 0.03² ≈ 2,628 per arm
    assert 2550 <= planned_sample(baseline_rate=0.80, min_effect=0.03) <= 2700
    # a smaller hold-out needs larger arms
    assert planned_sample(baseline_rate=0.80, min_effect=0.03, ratio=0.22) > 5000
    assert holdout_ratio(holdout_percent=10, weights=[1, 1]) == pytest.approx(10 / 45)


def test_the_running_rate_series_accumulates():
    series = cumulative_series([("2026-01", 10, 8), ("2026-02", 0, 0), ("2026-03", 10, 6)])
    assert [point["period"] for point in series] == ["2026-01", "2026-02", "2026-03"]
    assert series[-1]["rate"] == pytest.approx(0.7)
    assert series[-1]["decided"] == 20


def test_assignment_is_deterministic_and_each_stratum_gets_the_stated_shares():
    units = [(unit, f"auto:{'vip' if unit % 3 == 0 else 'standard'}") for unit in range(1, 6001)]
    first = assignment.assign(units, seed="s1", shares=SHARES)
    again = assignment.assign(list(reversed(units)), seed="s1", shares=SHARES)
    other_seed = assignment.assign(units, seed="s2", shares=SHARES)
    by_unit = {item.unit_id: item.arm_id for item in first}
    # the same seed gives the same arm to every unit whatever the order they come in
    assert by_unit == {item.unit_id: item.arm_id for item in again}
    assert by_unit != {item.unit_id: item.arm_id for item in other_seed}
    # within each stratum the hold-out has its 10 % to within one block (20 units)
    for stratum in ("auto:vip", "auto:standard"):
        arms = Counter(item.arm_id for item in first if item.stratum == stratum)
        size = sum(arms.values())
        assert abs(arms[HOLDOUT] - size * 0.10) <= 2
        assert abs(arms[TODAY] - arms[SHORTER]) <= 9


def test_a_later_enrolment_continues_the_strata_blocks():
    # 25 units enrolled yesterday and 15 today fill the same blocks as 40 at once would
    units = [(unit, "auto:standard") for unit in range(1, 41)]
    yesterday = assignment.assign(units[:25], seed="s", shares=SHARES)
    today = assignment.assign(units[25:], seed="s", shares=SHARES, already_enrolled={"auto:standard": 25})
    arms = Counter(item.arm_id for item in yesterday + today)
    assert arms[HOLDOUT] in (3, 4, 5)
    assert len({item.unit_id for item in yesterday + today}) == 40


def test_the_uplift_model_finds_the_segment_that_responds():
    from campaigns.uplift import UpliftRow, segment_uplift

    # given: reminders add 15 points for VIPs, nothing for standard, and push high-value away (-10)
    rng = np.random.default_rng(3)
    effect = {"vip": 0.15, "standard": 0.0, "high_value": -0.10}
    rows = []
    for unit in range(9000):
        segment = ("vip", "standard", "high_value")[unit % 3]
        treated = unit % 10 != 0
        rate = 0.65 + (effect[segment] if treated else 0.0)
        rows.append(UpliftRow(segment, float(rng.integers(1000, 9000)), treated, bool(rng.random() < rate)))
    # when the two models are fitted
    result = {item.segment: item for item in segment_uplift(rows)}
    # then each segment's verdict matches what was planted, and the uplift is near it
    assert result["vip"].verdict == "persuadable" and abs(result["vip"].uplift - 0.15) < 0.06
    assert result["standard"].verdict == "indifferent" or abs(result["standard"].uplift) < 0.04
    assert result["high_value"].verdict == "do_not_disturb"
    # too few hold-out cases: no model
    assert segment_uplift(rows[:300]) is None
