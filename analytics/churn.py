"""Churn risk: a logistic regression fitted on decided cases scores every open case.

Label: a decided case churned when it was lost or lapsed (renewed = kept). Features, all known
while a case is open: premium change of the current quote, tenure (earlier policies of the
customer), claims in the term, complaints in the 12 months up to expiry, last NPS answer before
expiry (or none), sales channel, segment and line. A quarter of the decided cases is held out
to measure the AUC; the model that scores is the one fitted on the other three quarters.
"""

from __future__ import annotations

import datetime as dt
import logging

import numpy as np
import pandas as pd
from django.db.models import Count, F, OuterRef, Subquery
from django.db.models.functions import Coalesce
from django.utils import timezone
from django.utils.translation import gettext as _

from customers.models import Complaint, Customer, SurveyResponse
from renewals.models import DECIDED_STAGES, LineOfInsurance, Policy, RenewalCase, Stage

from .models import ChurnModelRun

logger = logging.getLogger(__name__)

MIN_DECIDED_CASES = 100  # below this a held-out AUC means nothing
MIN_PER_CLASS = 10
# Most recent decided cases used for fitting: ~200k rows x 20 features stay under 100 MB.
MAX_TRAINING_CASES = 200_000
# Open cases scored per batch (one feature query and one cases_score_update call each).
SCORE_BATCH = 20_000
NUMERIC = ["premium_change", "tenure", "claims", "complaints_12m", "last_nps", "no_nps"]


def _case_frame(queryset) -> pd.DataFrame:
    prior_policies = (
        Policy.objects.filter(customer_id=OuterRef("customer_id"), end_date__lte=OuterRef("policy__start_date"))
        .order_by()
        .values("customer_id")
        .annotate(n=Count("id"))
        .values("n")
    )
    rows = queryset.annotate(
        tenure=Coalesce(Subquery(prior_policies), 0),
        claims=F("policy__claims_count"),
        channel=F("policy__channel"),
        segment=F("customer__segment"),
        line_code=F("line__code"),
        quote_premium=F("current_quote__premium"),
    ).values_list(
        "id",
        "customer_id",
        "due_date",
        "stage",
        "expiring_premium",
        "quote_premium",
        "tenure",
        "claims",
        "channel",
        "segment",
        "line_code",
    )
    frame = pd.DataFrame.from_records(
        list(rows),
        columns=[
            "id",
            "customer_id",
            "due_date",
            "stage",
            "expiring_premium",
            "quote_premium",
            "tenure",
            "claims",
            "channel",
            "segment",
            "line_code",
        ],
    )
    if frame.empty:
        return frame
    expiring = frame["expiring_premium"].astype(float)
    quoted = frame["quote_premium"].astype(float)
    frame["premium_change"] = np.where(quoted.notna() & (expiring > 0), quoted / expiring.where(expiring > 0) - 1, 0.0)
    frame["premium_change"] = frame["premium_change"].fillna(0.0)
    frame["due_date"] = pd.to_datetime(frame["due_date"]).astype("datetime64[ns]")
    customer_ids = frame["customer_id"].unique().tolist()
    frame["complaints_12m"] = _complaints_last_year(frame, customer_ids)
    frame = _with_last_nps(frame, customer_ids)
    return frame


# Above this many customers, read all complaints/answers (much smaller tables than the book)
# rather than send a huge IN list.
IN_LIST_LIMIT = 20_000


def _for_customers(manager, customer_ids: list[int]):
    if len(customer_ids) > IN_LIST_LIMIT:
        return manager.all()
    return manager.filter(customer_id__in=customer_ids)


def _complaints_last_year(frame: pd.DataFrame, customer_ids: list[int]) -> pd.Series:
    complaints = pd.DataFrame.from_records(
        list(_for_customers(Complaint.objects, customer_ids).values_list("customer_id", "received_at")),
        columns=["customer_id", "received_at"],
    )
    if complaints.empty:
        return pd.Series(0, index=frame.index)
    complaints["received"] = (
        pd.to_datetime(complaints["received_at"], utc=True).dt.tz_localize(None).astype("datetime64[ns]")
    )
    joined = frame[["id", "customer_id", "due_date"]].merge(complaints[["customer_id", "received"]], on="customer_id")
    in_window = joined[
        (joined["received"] <= joined["due_date"] + pd.Timedelta(days=1))
        & (joined["received"] > joined["due_date"] - pd.Timedelta(days=365))
    ]
    counts = in_window.groupby("id").size()
    return frame["id"].map(counts).fillna(0).astype(float)


def _with_last_nps(frame: pd.DataFrame, customer_ids: list[int]) -> pd.DataFrame:
    answers = pd.DataFrame.from_records(
        list(_for_customers(SurveyResponse.objects, customer_ids).values_list("customer_id", "responded_at", "score")),
        columns=["customer_id", "responded_at", "score"],
    )
    frame = frame.sort_values("due_date")
    if answers.empty:
        frame["last_nps"] = np.nan
    else:
        answers["responded"] = (
            pd.to_datetime(answers["responded_at"], utc=True).dt.tz_localize(None).astype("datetime64[ns]")
        )
        answers = answers.sort_values("responded")[["customer_id", "responded", "score"]]
        frame = pd.merge_asof(
            frame, answers, left_on="due_date", right_on="responded", by="customer_id", direction="backward"
        ).rename(columns={"score": "last_nps"})
    frame["no_nps"] = frame["last_nps"].isna().astype(float)
    frame["last_nps"] = frame["last_nps"].astype(float).fillna(7.0)  # a passive when unknown; no_nps says so
    return frame.sort_values("id").reset_index(drop=True)


def _design(frame: pd.DataFrame, lines: list[str]) -> pd.DataFrame:
    matrix = frame[NUMERIC].astype(float).copy()
    for column, values in (
        ("channel", Policy.Channel.values),
        ("segment", Customer.Segment.values),
        ("line_code", lines),
    ):
        for value in values:
            matrix[f"{column}={value}"] = (frame[column] == value).astype(float)
    return matrix


def feature_label(feature: str) -> str:
    """A readable name for a model feature (for the model page)."""
    labels = {
        "premium_change": _("Premium change of the quote"),
        "tenure": _("Tenure (earlier policies)"),
        "claims": _("Claims in the term"),
        "complaints_12m": _("Complaints in the last 12 months"),
        "last_nps": _("Last NPS score"),
        "no_nps": _("No NPS answer"),
    }
    if feature in labels:
        return labels[feature]
    column, value = feature.split("=", 1)
    name = {"channel": _("Channel"), "segment": _("Segment"), "line_code": _("Line")}[column]
    return f"{name}: {value}"


def _reason_label(feature: str, high: bool) -> str:
    labels = {
        "premium_change": (_("Premium increase"), _("Premium decrease")),
        "tenure": (_("Long tenure"), _("Short tenure")),
        "claims": (_("Claims in the term"), _("No claims in the term")),
        "complaints_12m": (_("Complaints in the last 12 months"), _("No recent complaints")),
        "last_nps": (_("High last NPS score"), _("Low last NPS score")),
        "no_nps": (_("No NPS answer"), _("Answered NPS")),
    }
    if feature in labels:
        return labels[feature][0 if high else 1]
    column, value = feature.split("=", 1)
    name = {"channel": _("Channel"), "segment": _("Segment"), "line_code": _("Line")}[column]
    return f"{name}: {value}" if high else f"{name}: not {value}"


def _top_reasons(contributions: np.ndarray, scaled: np.ndarray, features: list[str], count: int = 3) -> list[list[str]]:
    reasons = []
    order = np.argsort(-contributions, axis=1)[:, :count]
    for row, columns in enumerate(order):
        reasons.append([_reason_label(features[c], scaled[row, c] > 0) for c in columns if contributions[row, c] > 0])
    return reasons


def churn_model_fit(*, as_of: dt.date | None = None) -> ChurnModelRun:
    """Fit on decided cases, record AUC on held-out cases, score every open case.

    With too little history (fewer than MIN_DECIDED_CASES decided cases, or one outcome almost
    absent) the run says so and no case is scored: the queue keeps ordering by premium and due date.
    """
    from sklearn.linear_model import LogisticRegression
    from sklearn.metrics import roc_auc_score
    from sklearn.model_selection import train_test_split
    from sklearn.pipeline import make_pipeline
    from sklearn.preprocessing import StandardScaler

    as_of = as_of or timezone.localdate()
    decided = RenewalCase.objects.filter(stage__in=DECIDED_STAGES, due_date__lte=as_of).order_by("-due_date")
    train_ids = list(decided.values_list("id", flat=True)[:MAX_TRAINING_CASES])
    frame = _case_frame(RenewalCase.objects.filter(id__in=train_ids)) if train_ids else pd.DataFrame()
    churned = (frame["stage"] != Stage.RENEWED).astype(int) if not frame.empty else pd.Series(dtype=int)
    positives = int(churned.sum())
    negatives = len(churned) - positives
    if len(frame) < MIN_DECIDED_CASES or min(positives, negatives) < MIN_PER_CLASS:
        return ChurnModelRun.objects.create(
            status=ChurnModelRun.Status.TOO_LITTLE_HISTORY,
            decided_cases=len(frame),
            message=_(
                "Too little history to fit the churn model: %(n)d decided cases (%(kept)d renewed, %(left)d lost "
                "or lapsed); at least %(min)d with %(per)d of each are needed. No case was scored."
            )
            % {"n": len(frame), "kept": negatives, "left": positives, "min": MIN_DECIDED_CASES, "per": MIN_PER_CLASS},
        )
    lines = list(LineOfInsurance.objects.order_by("code").values_list("code", flat=True))
    matrix = _design(frame, lines)
    x_train, x_test, y_train, y_test = train_test_split(
        matrix, churned, test_size=0.25, random_state=0, stratify=churned
    )
    model = make_pipeline(StandardScaler(), LogisticRegression(max_iter=1000))
    model.fit(x_train, y_train)
    auc = float(roc_auc_score(y_test, model.predict_proba(x_test)[:, 1]))
    features = list(matrix.columns)
    coefficients = model[-1].coef_[0]
    run = ChurnModelRun.objects.create(
        status=ChurnModelRun.Status.FITTED,
        decided_cases=len(frame),
        train_cases=len(x_train),
        test_cases=len(x_test),
        auc=auc,
        coefficients={name: round(float(c), 4) for name, c in zip(features, coefficients, strict=True)},
    )
    run.scored_cases = _score_open_cases(model, lines, features, coefficients)
    run.save(update_fields=["scored_cases"])
    logger.info("churn model run %s: auc=%.3f scored=%d", run.pk, auc, run.scored_cases)
    return run


def _score_open_cases(model, lines, features, coefficients) -> int:
    from renewals.services import cases_score_update

    open_ids = RenewalCase.objects.open().order_by("id").values_list("id", flat=True)
    scored = 0
    last_id = 0
    while True:
        batch = list(open_ids.filter(id__gt=last_id)[:SCORE_BATCH])
        if not batch:
            return scored
        last_id = batch[-1]
        frame = _case_frame(RenewalCase.objects.filter(id__in=batch))
        matrix = _design(frame, lines)
        probabilities = model.predict_proba(matrix)[:, 1]
        scaled = model[0].transform(matrix)
        reasons = _top_reasons(scaled * coefficients, scaled, features)
        scores = {
            int(case_id): (int(round(p * 100)), reason)
            for case_id, p, reason in zip(frame["id"], probabilities, reasons, strict=True)
        }
        scored += cases_score_update(scores=scores)
