"""Churn risk: a regularised logistic regression fitted on decided cases scores every open case.

Label: a decided case churned when it was lost or lapsed (renewed = kept). Inputs: what was known
when each case opened (:mod:`analytics.churn.features`). Validation is time-based, the way the
model is used: it is fitted on the cases due before a cutoff (the earliest three quarters by due
date) and measured on the later period (AUC and a reliability table: binned predicted vs observed).
The regularisation strength C is chosen by cross-validated log loss on the fitting period, so the
probabilities stay calibrated (a logistic model fitted on log loss is). The model that scores open
cases is then refitted with that C on every decided case, so the most recent period counts too.
"""

from __future__ import annotations

import datetime as dt
import logging

import numpy as np
import pandas as pd
from django.utils import timezone
from django.utils.translation import gettext as _

from renewals import services as renewals_services
from renewals.models import DECIDED_STAGES, ImportAttribute, RenewalCase, Stage

from ..models import ChurnModelRun
from .features import ATTRIBUTE_PREFIX, BUILT_IN_CATEGORIES, BUILT_IN_NUMERIC, active_attributes, case_frame
from .reasons import top_reasons

logger = logging.getLogger(__name__)

MIN_DECIDED_CASES = 100  # below this a held-out AUC means nothing
MIN_PER_CLASS = 10
# Most recent decided cases used for fitting: ~200k rows x ~100 columns stay under 200 MB.
MAX_TRAINING_CASES = 200_000
# Open cases scored per batch (one feature query and one cases_score_update call each).
SCORE_BATCH = 20_000
HELD_OUT_SHARE = 0.25  # the latest quarter of decided cases, by due date
RELIABILITY_BINS = 10
# A category seen fewer times than this in the fitting period joins "infrequent".
MIN_CATEGORY_CASES = 10
C_GRID = np.logspace(-3, 1, 9)


def _columns(attributes: list[ImportAttribute]) -> tuple[list[str], list[str]]:
    numeric, categorical = list(BUILT_IN_NUMERIC), list(BUILT_IN_CATEGORIES)
    for attribute in attributes:
        name = ATTRIBUTE_PREFIX + attribute.name
        numeric_kinds = (ImportAttribute.Kind.NUMBER, ImportAttribute.Kind.DATE)
        (numeric if attribute.kind in numeric_kinds else categorical).append(name)
    return numeric, categorical


class ChurnModel:
    """Missing numbers filled with the fitting period's median (plus a "missing" flag), numbers
    standardised, categories one-hot (rare ones pooled), then an L2-regularised logistic regression."""

    def __init__(self, numeric: list[str], categorical: list[str], c: float | None = None):
        self.numeric, self.categorical, self.c = numeric, categorical, c

    def _numbers(self, frame: pd.DataFrame) -> pd.DataFrame:
        numbers = frame[self.numeric].astype(float)
        flags = numbers[self.flagged].isna().astype(float).add_suffix("__missing")
        return pd.concat([numbers.fillna(self.medians), flags], axis=1)

    def fit(self, frame: pd.DataFrame, churned: pd.Series) -> ChurnModel:
        from sklearn.compose import ColumnTransformer
        from sklearn.linear_model import LogisticRegression, LogisticRegressionCV
        from sklearn.pipeline import make_pipeline
        from sklearn.preprocessing import OneHotEncoder, StandardScaler

        numbers = frame[self.numeric].astype(float)
        self.medians = numbers.median().fillna(0.0)
        self.flagged = [c for c in self.numeric if numbers[c].isna().any()]
        prepared = self._numbers(frame)
        self.number_columns = list(prepared.columns)
        encoder = OneHotEncoder(
            handle_unknown="infrequent_if_exist",
            min_frequency=MIN_CATEGORY_CASES,
            sparse_output=False,
            feature_name_combiner=lambda feature, category: f"{feature}={category}",
        )
        columns = ColumnTransformer(
            [("num", StandardScaler(), self.number_columns), ("cat", encoder, self.categorical)],
            verbose_feature_names_out=False,
        )
        if self.c is None:
            learner = LogisticRegressionCV(Cs=C_GRID, cv=4, scoring="neg_log_loss", max_iter=2000)
        else:
            learner = LogisticRegression(C=self.c, max_iter=2000)
        self.pipeline = make_pipeline(columns, learner)
        self.pipeline.fit(pd.concat([prepared, frame[self.categorical].astype(str)], axis=1), churned)
        if self.c is None:
            self.c = float(learner.C_[0])
        self.features = list(columns.get_feature_names_out())
        self.coefficients = learner.coef_[0]
        self.centre = columns.transform(self._inputs(frame)).mean(axis=0)
        return self

    def _inputs(self, frame: pd.DataFrame) -> pd.DataFrame:
        return pd.concat([self._numbers(frame), frame[self.categorical].astype(str)], axis=1)

    def predict(self, frame: pd.DataFrame) -> np.ndarray:
        return self.pipeline.predict_proba(self._inputs(frame))[:, 1]

    def contributions(self, frame: pd.DataFrame) -> np.ndarray:
        """Each column's push on the log-odds against the average fitted case."""
        design = self.pipeline[0].transform(self._inputs(frame))
        return (design - self.centre) * self.coefficients


def _labels(frame: pd.DataFrame) -> pd.Series:
    return (frame["stage"] != Stage.RENEWED).astype(int)


def time_split(frame: pd.DataFrame) -> tuple[pd.DataFrame, pd.DataFrame, dt.date]:
    """Fit on cases due before the cutoff, hold out the cases due on or after it (the later period)."""
    ordered = frame.sort_values(["due_date", "id"])
    cutoff = ordered["due_date"].iloc[int(len(ordered) * (1 - HELD_OUT_SHARE))]
    train, test = ordered[ordered["due_date"] < cutoff], ordered[ordered["due_date"] >= cutoff]
    return train, test, cutoff.date()


def reliability_bins(predicted: np.ndarray, churned: np.ndarray) -> list[dict]:
    """Held-out cases in equal-width bins of predicted risk: mean predicted, share churned, count."""
    edges = np.linspace(0, 1, RELIABILITY_BINS + 1)
    which = np.clip(np.digitize(predicted, edges[1:-1]), 0, RELIABILITY_BINS - 1)
    bins = []
    for index in range(RELIABILITY_BINS):
        inside = which == index
        if inside.any():
            bins.append(
                {
                    "low": round(float(edges[index]), 2),
                    "high": round(float(edges[index + 1]), 2),
                    "predicted": round(float(predicted[inside].mean()), 4),
                    "observed": round(float(churned[inside].mean()), 4),
                    "count": int(inside.sum()),
                }
            )
    return bins


def _too_little(frame: pd.DataFrame, churned: pd.Series) -> str | None:
    positives = int(churned.sum())
    negatives = len(churned) - positives
    if len(frame) >= MIN_DECIDED_CASES and min(positives, negatives) >= MIN_PER_CLASS:
        return None
    return _(
        "Too little history to fit the churn model: %(n)d decided cases (%(kept)d renewed, %(left)d lost "
        "or lapsed); at least %(min)d with %(per)d of each are needed. No case was scored."
    ) % {"n": len(frame), "kept": negatives, "left": positives, "min": MIN_DECIDED_CASES, "per": MIN_PER_CLASS}


def _clear_scores() -> int:
    """Old scores must not outlive a run that could not fit: the queue goes back to the unscored scale."""
    return renewals_services.cases_scores_clear()


def churn_model_fit(*, as_of: dt.date | None = None) -> ChurnModelRun:
    """Fit on decided cases due by ``as_of``, record the AUC and reliability of the later,
    held-out period, and score every open case.

    With too little history (fewer than MIN_DECIDED_CASES decided cases, or one outcome almost
    absent, in the fitting or the held-out period) the run says so, no case is scored and earlier
    scores are cleared: every open case goes back to the unscored risk (renewals.services.priority),
    so the queue orders by premium and due date.
    """
    from sklearn.metrics import roc_auc_score

    as_of = as_of or timezone.localdate()
    attributes = active_attributes()
    numeric, categorical = _columns(attributes)
    decided = RenewalCase.objects.filter(stage__in=DECIDED_STAGES, due_date__lte=as_of).order_by("-due_date")
    train_ids = list(decided.values_list("id", flat=True)[:MAX_TRAINING_CASES])
    frame = case_frame(RenewalCase.objects.filter(id__in=train_ids), attributes) if train_ids else pd.DataFrame()
    churned = _labels(frame) if not frame.empty else pd.Series(dtype=int)
    message = _too_little(frame, churned)
    if message is None:
        train, test, cutoff = time_split(frame)
        if _labels(train).value_counts().reindex([0, 1], fill_value=0).min() < MIN_PER_CLASS:
            message = _(
                "The fitting period (cases due before %(cutoff)s) needs at least %(per)d renewed and %(per)d lost "
                "or lapsed cases. No case was scored."
            ) % {"cutoff": cutoff.isoformat(), "per": MIN_PER_CLASS}
        elif _labels(test).nunique() < 2:
            message = _("The held-out later period has one outcome only; no AUC can be measured. No case was scored.")
    if message is not None:
        _clear_scores()
        return ChurnModelRun.objects.create(
            status=ChurnModelRun.Status.TOO_LITTLE_HISTORY, decided_cases=len(frame), message=message
        )
    validated = ChurnModel(numeric, categorical).fit(train, _labels(train))
    predicted = validated.predict(test)
    held_out = _labels(test).to_numpy()
    auc = float(roc_auc_score(held_out, predicted))
    model = ChurnModel(numeric, categorical, c=validated.c).fit(frame, churned)
    run = ChurnModelRun.objects.create(
        status=ChurnModelRun.Status.FITTED,
        decided_cases=len(frame),
        train_cases=len(train),
        test_cases=len(test),
        auc=auc,
        coefficients={name: round(float(c), 4) for name, c in zip(model.features, model.coefficients, strict=True)},
        diagnostics={
            "split": "time",
            "cutoff": cutoff.isoformat(),
            "c": validated.c,
            "held_out_churn_rate": round(float(held_out.mean()), 4),
            "mean_predicted": round(float(predicted.mean()), 4),
            "reliability": reliability_bins(predicted, held_out),
            "attributes": [a.name for a in attributes],
            # The spread the scaler divided by, so a quote can move the score along this feature
            # (analytics.estimates: the renewal probability at the quoted premium).
            "scales": {"rules_premium_change": round(float(frame["rules_premium_change"].std(ddof=0)), 6)},
        },
    )
    run.scored_cases = _score_open_cases(model, attributes)
    run.save(update_fields=["scored_cases"])
    logger.info("churn model run %s: held-out auc=%.3f scored=%d", run.pk, auc, run.scored_cases)
    return run


def _score_open_cases(model: ChurnModel, attributes: list[ImportAttribute]) -> int:
    from renewals.services import cases_score_update

    labels = {ATTRIBUTE_PREFIX + a.name: a.label or a.name for a in attributes}
    open_ids = RenewalCase.objects.open().order_by("id").values_list("id", flat=True)
    scored = 0
    last_id = 0
    while True:
        batch = list(open_ids.filter(id__gt=last_id)[:SCORE_BATCH])
        if not batch:
            return scored
        last_id = batch[-1]
        frame = case_frame(RenewalCase.objects.filter(id__in=batch), attributes)
        probabilities = model.predict(frame)
        reasons = top_reasons(model, frame, labels)
        scores = {
            int(case_id): (int(round(p * 100)), reason)
            for case_id, p, reason in zip(frame["id"], probabilities, reasons, strict=True)
        }
        scored += cases_score_update(scores=scores)
