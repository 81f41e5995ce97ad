"""The customer's voice in the demo book: complaints through their life cycle, and NPS answers."""

from __future__ import annotations

from typing import TYPE_CHECKING

import numpy as np
import pandas as pd

from customers.models import Complaint, SurveyResponse
from demo.columns import nullable, pick
from demo.reference import COMPLAINT_CATEGORY_MIX, COMPLAINT_TEXT, NPS_COMMENTS, RESOLUTIONS, ROOT_CAUSES

if TYPE_CHECKING:
    from demo.book import Book


def complaints_generate(book: Book, support: list[int]) -> None:
    """About 4 complaints per 100 policies over the last year, in every category, severity and status."""
    rng = book.rng
    n = max(1, int(book.n_policies * 0.04))
    # Lost customers complain more: half the complaints come from customers with a closed case.
    from_cases = (rng.random(n) < 0.5) & (len(book.cases) > 0)
    case_pick = rng.integers(0, max(1, len(book.cases)), n) if len(book.cases) else np.zeros(n, dtype=np.int64)
    policy_pick = rng.integers(0, len(book.policies), n)
    case_ids = book.cases["id"].to_numpy() if len(book.cases) else np.zeros(1, dtype=np.int64)
    case_policy = book.cases["policy_id"].to_numpy() if len(book.cases) else np.zeros(1, dtype=np.int64)
    case_customer = book.case_customer if len(book.cases) else np.zeros(1, dtype=np.int64)
    customer = np.where(from_cases, case_customer[case_pick], book.policy_customer[policy_pick])
    policy = np.where(from_cases, case_policy[case_pick], book.policies["id"].to_numpy()[policy_pick])
    case = np.where(from_cases, case_ids[case_pick], 0)
    received = -(rng.beta(1.0, 1.4, n) * 360) - 1  # more in recent months
    received = np.floor(received) + rng.uniform(8 / 24, 20 / 24, n)
    received = np.minimum(received, -1 / 24)
    cats = [c for c in COMPLAINT_CATEGORY_MIX if c in book.categories]
    cat_idx = pick(rng, [COMPLAINT_CATEGORY_MIX[c] for c in cats], n)
    severity = np.array(["low", "normal", "high"], dtype=object)[pick(rng, [0.25, 0.6, 0.15], n)]
    sla_days = np.vectorize({"low": 15, "normal": 10, "high": 5}.get)(severity)
    ack_due = received + 1
    sla_due = received + sla_days
    age = -received
    ack = received + rng.exponential(0.4, n)
    resolve_days = rng.lognormal(np.log(6), 0.6, n)
    resolved_at = received + resolve_days
    # A few recent ones are stuck (awaiting claims or underwriting), so queues and escalations have work.
    stuck = (received > -60) & (rng.random(n) < 0.25)
    is_resolved = (resolved_at < -1 / 24) & ~stuck
    status = np.where(is_resolved, np.where(rng.random(n) < 0.6, "closed", "resolved"), "in_progress").astype(object)
    young = ~is_resolved
    status[young & (age < 3)] = np.where(rng.random(int((young & (age < 3)).sum())) < 0.5, "new", "acknowledged")
    acknowledged = np.where(status == "new", np.nan, np.minimum(np.minimum(ack, resolved_at), -1 / 24))
    resolved = np.where(np.isin(status, ["resolved", "closed"]), resolved_at, np.nan)
    closed = np.where(status == "closed", np.minimum(resolved_at + rng.uniform(1, 5, n), -1 / 24), np.nan)
    breached = np.where(np.isnan(resolved), sla_due < 0, resolved > sla_due)
    escalated = np.where(breached, sla_due + 0.01, np.nan)
    upheld = pd.array(rng.random(n) < 0.4, dtype="boolean")
    upheld[np.isnan(resolved)] = pd.NA
    description = np.array(
        [
            COMPLAINT_TEXT[cats[c]][j % len(COMPLAINT_TEXT[cats[c]])]
            for c, j in zip(cat_idx, rng.integers(0, 99, n), strict=True)
        ],
        dtype=object,
    )
    resolution = np.array(RESOLUTIONS, dtype=object)[rng.integers(0, len(RESOLUTIONS), n)]
    resolution[np.isnan(resolved)] = ""
    root_cause = np.array(ROOT_CAUSES, dtype=object)[rng.integers(0, len(ROOT_CAUSES), n)]
    root_cause[np.isnan(resolved)] = ""
    assignee = np.array(support)[rng.integers(0, len(support), n)]
    book.complaints = pd.DataFrame(
        {
            "id": book.ids[Complaint] + 1 + np.arange(n),
            "customer_id": customer,
            "policy_id": nullable(np.where(rng.random(n) < 0.85, policy, 0)),
            "case_id": nullable(case),
            "received_via": np.array(["phone", "online", "branch", "letter", "regulator"], dtype=object)[
                pick(rng, [0.5, 0.3, 0.12, 0.03, 0.05], n)
            ],
            "received_at": book.ts(received),
            "category_id": np.array([book.categories[c] for c in cats])[cat_idx],
            "severity": severity,
            "description": description,
            "status": status,
            "acknowledge_due_at": book.ts(ack_due),
            "sla_due_at": book.ts(sla_due),
            "acknowledged_at": book.ts(acknowledged),
            "resolved_at": book.ts(resolved),
            "closed_at": book.ts(closed),
            "escalated_at": book.ts(escalated),
            "upheld": upheld,
            "resolution": resolution,
            "root_cause": root_cause,
            "assignee_id": assignee,
            "created_by_id": np.array(support)[rng.integers(0, len(support), n)],
            "created_at": book.ts(received),
            "updated_at": book.ts(np.fmax(np.fmax(received, acknowledged), np.fmax(resolved, closed))),
        }
    )


def surveys_generate(book: Book, support: list[int]) -> None:
    """NPS answers: about one in five renewed or lost customers answers the survey."""
    rng = book.rng
    outcome = book.case_outcome
    answered_case = np.isin(outcome, ["renewed", "lost"]) & (rng.random(len(outcome)) < 0.2)
    when = book.case_closed + 7 + rng.exponential(2.0, len(outcome))
    answered_case &= when < -1 / 24
    idx = np.flatnonzero(answered_case)
    n = len(idx)
    renewed = outcome[idx] == "renewed"
    # Promoter/passive/detractor shares: renewed customers are happier than lost ones.
    band = np.where(renewed, pick(rng, [0.52, 0.30, 0.18], n), pick(rng, [0.12, 0.28, 0.60], n))
    score = np.where(
        band == 0, rng.integers(9, 11, n), np.where(band == 1, rng.integers(7, 9, n), rng.integers(0, 7, n))
    )
    kinds = np.array(["promoter", "passive", "detractor"])[band]
    has_comment = rng.random(n) < 0.35
    comment = np.array(
        [
            NPS_COMMENTS[k][j % len(NPS_COMMENTS[k])] if c else ""
            for k, j, c in zip(kinds, rng.integers(0, 99, n), has_comment, strict=True)
        ],
        dtype=object,
    )
    channel = np.array(["link", "phone", "sms"], dtype=object)[pick(rng, [0.7, 0.2, 0.1], n)]
    recorded_by = np.where(channel == "phone", np.array(support)[rng.integers(0, len(support), n)], 0)
    book.surveys = pd.DataFrame(
        {
            "id": book.ids[SurveyResponse] + 1 + np.arange(n),
            "customer_id": book.case_customer[idx],
            "case_id": book.cases["id"].to_numpy()[idx],
            "score": score,
            "comment": comment,
            "channel": channel,
            "responded_at": book.ts(when[idx]),
            "recorded_by_id": nullable(recorded_by),
        }
    )
