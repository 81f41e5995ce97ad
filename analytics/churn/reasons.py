"""Readable names for the churn model's inputs, and each open case's top reasons."""

from __future__ import annotations

import numpy as np
import pandas as pd
from django.utils.translation import gettext as _

from .features import ATTRIBUTE_PREFIX

MISSING_SUFFIX = "__missing"
REASONS_PER_CASE = 3


def _numeric_labels() -> dict[str, tuple[str, str, str]]:
    """Feature -> (name on the model page, reason when high, reason when low)."""
    return {
        "log_premium": (_("Expiring premium (log)"), _("High premium"), _("Low premium")),
        "tenure": (_("Tenure (earlier policies)"), _("Long tenure"), _("Short tenure")),
        "chain_renewals": (_("Earlier renewals of the policy"), _("Many earlier renewals"), _("Few earlier renewals")),
        "claims": (_("Claims in the term"), _("Claims in the term"), _("No claims in the term")),
        "rules_premium_change": (
            _("Premium change by the pricing rules at opening"),
            _("Pricing rules raise the premium"),
            _("Pricing rules lower the premium"),
        ),
        "complaints_12m": (
            _("Complaints in the last 12 months"),
            _("Complaints in the last 12 months"),
            _("No recent complaints"),
        ),
        "last_nps": (_("Last NPS score"), _("High last NPS score"), _("Low last NPS score")),
        "no_nps": (_("No NPS answer"), _("No NPS answer"), _("Answered NPS")),
    }


def _category_names() -> dict[str, str]:
    return {"channel": _("Channel"), "segment": _("Segment"), "line_code": _("Line"), "region": _("Region")}


def source_column(feature: str) -> str:
    """The input a design column comes from: ``segment=vip`` -> ``segment``, ``x__missing`` -> ``x``."""
    return feature.split("=", 1)[0].removesuffix(MISSING_SUFFIX)


def _input_name(column: str, attribute_labels: dict[str, str]) -> str:
    if column.startswith(ATTRIBUTE_PREFIX):
        return attribute_labels.get(column) or column.removeprefix(ATTRIBUTE_PREFIX)
    numeric = _numeric_labels()
    if column in numeric:
        return numeric[column][0]
    return _category_names().get(column, column)


def _value_text(value: str) -> str:
    return _("other (rare)") if value == "infrequent_sklearn" else value


def feature_label(feature: str, attribute_labels: dict[str, str] | None = None) -> str:
    """A readable name for a model feature (for the model page)."""
    labels = attribute_labels or {}
    column = source_column(feature)
    name = _input_name(column, labels)
    if "=" in feature:
        return f"{name}: {_value_text(feature.split('=', 1)[1])}"
    if feature.endswith(MISSING_SUFFIX):
        return _("%(name)s: not given") % {"name": name}
    return name


def _reason(column: str, row: pd.Series, high: bool, missing: bool, attribute_labels: dict[str, str]) -> str:
    numeric = _numeric_labels()
    if column in numeric:
        return numeric[column][1 if high else 2]
    name = _input_name(column, attribute_labels)
    value = row[column]
    if isinstance(value, str):
        return f"{name}: {value}"
    if missing:
        return _("%(name)s: not given") % {"name": name}
    return (_("%(name)s: high") if high else _("%(name)s: low")) % {"name": name}


def top_reasons(model, frame: pd.DataFrame, attribute_labels: dict[str, str]) -> list[list[str]]:
    """Per case, the inputs that push its risk up most (against the average case), up to three."""
    contributions = model.contributions(frame)
    columns = [source_column(f) for f in model.features]
    inputs = list(dict.fromkeys(columns))
    position = {name: i for i, name in enumerate(inputs)}
    grouping = np.zeros((len(columns), len(inputs)))
    for index, column in enumerate(columns):
        grouping[index, position[column]] = 1.0
    by_input = contributions @ grouping
    numbers = model._numbers(frame)
    reasons = []
    for row_index, (_label, row) in enumerate(frame.iterrows()):
        chosen = []
        for input_index in np.argsort(-by_input[row_index])[:REASONS_PER_CASE]:
            if by_input[row_index, input_index] <= 0:
                break
            column = inputs[input_index]
            missing = bool(numbers.get(column + MISSING_SUFFIX, pd.Series(0.0, index=frame.index)).iloc[row_index])
            high = column in numbers and numbers[column].iloc[row_index] > model.medians.get(column, 0.0)
            chosen.append(_reason(column, row, high, missing, attribute_labels))
        reasons.append(chosen)
    return reasons
