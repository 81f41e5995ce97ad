"""What a quoted premium is expected to buy: the renewal probability at that premium.

The estimates come from the analytics app (the price-sensitivity curve, the churn model), which
sits above renewals: it registers its estimators here in ``AppConfig.ready()`` and the quote
preview asks them, so renewals never imports analytics (DESIGN §3).
"""

from collections.abc import Callable
from dataclasses import dataclass


@dataclass(frozen=True)
class RenewalEstimate:
    """``probability`` (0..1) that the customer renews at the quoted premium, where it comes from
    (``source``: "curve" or "churn_model") and a line saying on what it rests."""

    source: str
    label: str
    probability: float
    basis: str

    @property
    def percent(self) -> float:
        return self.probability * 100


# An estimator takes the case and the quote preview (renewals.selectors.quote_preview) and answers
# a RenewalEstimate, or None when it has nothing to say (too few cases, no fitted model).
Estimator = Callable[[object, dict], RenewalEstimate | None]
_ESTIMATORS: dict[str, tuple[int, Estimator]] = {}


def register_estimator(name: str, estimator: Estimator, *, order: int = 0) -> None:
    _ESTIMATORS[name] = (order, estimator)


def quote_estimates(*, case, preview: dict | None) -> list[RenewalEstimate]:
    """Every registered estimate for ``preview``'s premium, in ``order``."""
    if not preview:
        return []
    answers = []
    for _order, estimator in sorted(_ESTIMATORS.values(), key=lambda item: item[0]):
        estimate = estimator(case, preview)
        if estimate is not None:
            answers.append(estimate)
    return answers
