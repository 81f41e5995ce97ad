"""What the churn model knows about a case: only facts fixed when the case opened.

Nothing written after opening is read (no current quote, contact or quote times, closing time,
outcome), so a decided case looks to the model exactly as it looked on its first day, and an open
case is scored on the same footing. Per case: line, sales channel, segment, region, expiring
premium, tenure (earlier policies of the customer), earlier renewals in the policy's chain, claims
in the term, the premium change the line's pricing rules would apply at opening (base rate change ×
claims factor × loyalty factor), complaints in the 12 months before opening, the last NPS answer
before opening, and the active import attributes of the policy (``Policy.attributes``).
"""

from __future__ import annotations

import numpy as np
import pandas as pd
from django.db.models import Count, F, OuterRef, Subquery
from django.db.models.functions import Coalesce

from customers.models import Complaint, SurveyResponse
from renewals import pricing
from renewals.models import ImportAttribute, Policy
from renewals.selectors import pricing_inputs

BUILT_IN_NUMERIC = [
    "log_premium",
    "tenure",
    "chain_renewals",
    "claims",
    "rules_premium_change",
    "complaints_12m",
    "last_nps",
    "no_nps",
]
BUILT_IN_CATEGORIES = ["line_code", "channel", "segment", "region"]
ATTRIBUTE_PREFIX = "attr__"
# Earlier renewals counted up the chain (a longer chain reads as this many).
CHAIN_LEVELS = 5
# Above this many customers, read all complaints/answers (much smaller tables than the book)
# rather than send a huge IN list.
IN_LIST_LIMIT = 20_000


def active_attributes() -> list[ImportAttribute]:
    return list(ImportAttribute.objects.filter(active=True).order_by("name"))


def case_frame(queryset, attributes: list[ImportAttribute]) -> pd.DataFrame:
    """One row per case: id, due_date, stage and the model's inputs (see the module docstring)."""
    prior_policies = (
        Policy.objects.filter(customer_id=OuterRef("customer_id"), end_date__lte=OuterRef("policy__start_date"))
        .order_by()
        .values("customer_id")
        .annotate(n=Count("id"))
        .values("n")
    )
    # chain_k: the id of the k-th earlier policy of the chain (one LEFT JOIN per level)
    chain = {
        f"chain_{level}": F("policy" + "__previous_policy" * (level - 1) + "__previous_policy_id")
        for level in range(1, CHAIN_LEVELS + 1)
    }
    names = {
        "tenure": Coalesce(Subquery(prior_policies), 0),
        "claims": F("policy__claims_count"),
        "channel": F("policy__channel"),
        "segment": F("customer__segment"),
        "region": F("customer__region"),
        "line_code": F("line__code"),
        "attributes": F("policy__attributes"),
        **chain,
    }
    base = ["id", "customer_id", "line_id", "due_date", "opened_at", "stage", "expiring_premium"]
    rows = queryset.annotate(**names).values_list(*base, *names)
    frame = pd.DataFrame.from_records(list(rows), columns=[*base, *names])
    if frame.empty:
        return frame
    frame["chain_renewals"] = frame[list(chain)].notna().sum(axis=1).astype(float)
    frame = frame.drop(columns=list(chain))
    premium = frame["expiring_premium"].astype(float)
    frame["log_premium"] = np.log1p(premium.clip(lower=0))
    frame["rules_premium_change"] = _rules_premium_change(frame)
    frame["due_date"] = pd.to_datetime(frame["due_date"]).astype("datetime64[ns]")
    frame["opened"] = pd.to_datetime(frame["opened_at"], utc=True).dt.tz_localize(None).astype("datetime64[ns]")
    frame["region"] = frame["region"].fillna("").replace("", "—")
    customer_ids = frame["customer_id"].unique().tolist()
    frame["complaints_12m"] = _complaints_before_opening(frame, customer_ids)
    frame = _with_last_nps(frame, customer_ids)
    for attribute in attributes:
        frame[ATTRIBUTE_PREFIX + attribute.name] = _attribute_column(frame, attribute)
    return frame.drop(columns=["attributes", "opened_at"])


def _rules_premium_change(frame: pd.DataFrame) -> pd.Series:
    """base rate × claims factor × loyalty factor − 1, as the line's pricing rules price the case
    (tenure in years = policies in the chain, as the quote counts it)."""
    changes = []
    inputs = {line_id: pricing_inputs(line_id=line_id) for line_id in frame["line_id"].unique()}
    for line_id, claims, renewals in zip(frame["line_id"], frame["claims"], frame["chain_renewals"], strict=True):
        rule = inputs[line_id]
        factor = (
            (1 + float(rule["base_rate_change_percent"]) / 100)
            * float(pricing.step_factor(rule["claims_table"], int(claims)))
            * float(pricing.step_factor(rule["loyalty_table"], int(renewals) + 1))
        )
        changes.append(factor - 1)
    return pd.Series(changes, index=frame.index, dtype=float)


def _attribute_column(frame: pd.DataFrame, attribute: ImportAttribute) -> pd.Series:
    values = frame["attributes"].map(lambda stored: (stored or {}).get(attribute.name))
    if attribute.kind == ImportAttribute.Kind.NUMBER:
        return pd.to_numeric(values, errors="coerce").astype(float)
    if attribute.kind == ImportAttribute.Kind.DATE:
        # A date as years before the policy expires (e.g. licence held for N years).
        dates = pd.to_datetime(values, format="%Y-%m-%d", errors="coerce")
        return ((frame["due_date"] - dates).dt.days / 365.25).astype(float)
    return values.map(lambda v: "—" if v is None else str(v).lower() if isinstance(v, bool) else str(v))


def _for_customers(manager, customer_ids: list[int]):
    if len(customer_ids) > IN_LIST_LIMIT:
        return manager.all()
    return manager.filter(customer_id__in=customer_ids)


def _complaints_before_opening(frame: pd.DataFrame, customer_ids: list[int]) -> pd.Series:
    complaints = pd.DataFrame.from_records(
        list(_for_customers(Complaint.objects, customer_ids).values_list("customer_id", "received_at")),
        columns=["customer_id", "received_at"],
    )
    if complaints.empty:
        return pd.Series(0.0, index=frame.index)
    complaints["received"] = (
        pd.to_datetime(complaints["received_at"], utc=True).dt.tz_localize(None).astype("datetime64[ns]")
    )
    joined = frame[["id", "customer_id", "opened"]].merge(complaints[["customer_id", "received"]], on="customer_id")
    in_window = joined[
        (joined["received"] <= joined["opened"]) & (joined["received"] > joined["opened"] - pd.Timedelta(days=365))
    ]
    counts = in_window.groupby("id").size()
    return frame["id"].map(counts).fillna(0).astype(float)


def _with_last_nps(frame: pd.DataFrame, customer_ids: list[int]) -> pd.DataFrame:
    answers = pd.DataFrame.from_records(
        list(_for_customers(SurveyResponse.objects, customer_ids).values_list("customer_id", "responded_at", "score")),
        columns=["customer_id", "responded_at", "score"],
    )
    frame = frame.sort_values("opened")
    if answers.empty:
        frame["last_nps"] = np.nan
    else:
        answers["responded"] = (
            pd.to_datetime(answers["responded_at"], utc=True).dt.tz_localize(None).astype("datetime64[ns]")
        )
        answers = answers.sort_values("responded")[["customer_id", "responded", "score"]]
        frame = pd.merge_asof(
            frame, answers, left_on="opened", right_on="responded", by="customer_id", direction="backward"
        ).rename(columns={"score": "last_nps"})
        frame = frame.drop(columns=["responded"])
    frame["no_nps"] = frame["last_nps"].isna().astype(float)
    frame["last_nps"] = frame["last_nps"].astype(float).fillna(7.0)  # a passive when unknown; no_nps says so
    return frame.sort_values("id").reset_index(drop=True)
