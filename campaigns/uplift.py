"""Who responds to reminders at all: a two-model uplift estimate (scikit-learn).

One logistic model is fitted on the cases that got an arm's reminders, another on the hold-out's;
a case's uplift is the difference of the two predicted renewal chances. Averaged per segment it
says where messages change the outcome ("persuadable"), where customers renew or leave whatever we
send, and where messages push them away ("do not disturb"). Features are those known when the case
opened: segment and the expiring premium (log). Pure functions over rows, tested on synthetic books.
"""

import math
from dataclasses import dataclass

import numpy as np
from sklearn.linear_model import LogisticRegression

# Fewer decided cases than this in either group: no model (the page says so).
MIN_PER_GROUP = 50
# Mean uplift beyond ±this (2 points) counts as a response.
RESPONSE_POINTS = 0.02


@dataclass(frozen=True)
class UpliftRow:
    segment: str
    premium: float
    treated: bool
    success: bool


@dataclass(frozen=True)
class SegmentUplift:
    segment: str
    cases: int
    uplift: float
    verdict: str  # "persuadable", "indifferent" or "do_not_disturb"


def _features(rows: list[UpliftRow], segments: list[str]) -> np.ndarray:
    return np.array(
        [
            [1.0 if row.segment == segment else 0.0 for segment in segments] + [math.log1p(max(row.premium, 0.0))]
            for row in rows
        ]
    )


def _verdict(uplift: float) -> str:
    if uplift > RESPONSE_POINTS:
        return "persuadable"
    if uplift < -RESPONSE_POINTS:
        return "do_not_disturb"
    return "indifferent"


def segment_uplift(rows: list[UpliftRow]) -> list[SegmentUplift] | None:
    """Mean two-model uplift per segment, or None when a group is too small or one-sided."""
    treated = [row for row in rows if row.treated]
    control = [row for row in rows if not row.treated]
    if len(treated) < MIN_PER_GROUP or len(control) < MIN_PER_GROUP:
        return None
    if len({row.success for row in treated}) < 2 or len({row.success for row in control}) < 2:
        return None
    segments = sorted({row.segment for row in rows})
    models = []
    for group in (treated, control):
        model = LogisticRegression(max_iter=500)
        model.fit(_features(group, segments), [row.success for row in group])
        models.append(model)
    everyone = _features(rows, segments)
    uplift = models[0].predict_proba(everyone)[:, 1] - models[1].predict_proba(everyone)[:, 1]
    result = []
    for segment in segments:
        mask = np.array([row.segment == segment for row in rows])
        mean = float(uplift[mask].mean())
        result.append(SegmentUplift(segment=segment, cases=int(mask.sum()), uplift=mean, verdict=_verdict(mean)))
    return result
