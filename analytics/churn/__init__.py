"""Churn risk scoring (see :mod:`analytics.churn.model`): features known when a case opens, a
time-based validation, calibrated probabilities and each case's top reasons."""

from .features import active_attributes, case_frame
from .model import (
    HELD_OUT_SHARE,
    MIN_DECIDED_CASES,
    MIN_PER_CLASS,
    ChurnModel,
    churn_model_fit,
    reliability_bins,
    time_split,
)
from .reasons import feature_label, top_reasons

__all__ = [
    "HELD_OUT_SHARE",
    "MIN_DECIDED_CASES",
    "MIN_PER_CLASS",
    "ChurnModel",
    "active_attributes",
    "case_frame",
    "churn_model_fit",
    "feature_label",
    "reliability_bins",
    "time_split",
    "top_reasons",
]
