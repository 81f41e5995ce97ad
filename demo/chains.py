"""Policies and their renewal chains, the closed (and in-grace) cases, and those cases' timelines.

A *chain* is one customer's cover for one line. Its *root* policy expires on a day spread from
12 months back to 6 months ahead. Older terms of the chain (expired before Renewal Desk went
live, 12 months ago) have no case. A root that expired in the last 12 months has a closed case
(renewed with a successor policy, lost with a reason, lapsed, or not offered) or, inside the
grace period, an open one. Cases for roots still ahead come later, from the real window scan
(``demo.open_cases``).
"""

from __future__ import annotations

import json
from typing import TYPE_CHECKING

import numpy as np
import pandas as pd

from demo.columns import money, pick
from demo.reference import (
    BUSINESS_PROPERTY_PREMIUM,
    CHANNEL_MIX,
    CHANNELS,
    CLAIMS_RATE,
    CONTACT_CHANNELS,
    GO_LIVE_DAYS,
    LINE_CODES,
    LINE_MIX,
    LOST_REASON_MIX,
    NOT_OFFERED_MIX,
    NOT_RENEWED_SPLIT,
    PREMIUM,
    PRODUCTS,
    RENEW_BASE,
    RENEW_CHANNEL,
    RENEW_SEGMENT,
    SEGMENT_PREMIUM_FACTOR,
    SPECIALIST_SKILL,
    TERM_DAYS,
)
from renewals.models import CaseEvent, Policy, RenewalCase

if TYPE_CHECKING:
    from demo.book import Book


def chains_generate(book: Book, specialists: list[int]) -> None:
    """``book.policies`` (every term of every chain) and ``book.cases`` for roots past their expiry."""
    rng = book.rng
    n_target = book.n_policies
    # Chains: sizes are 1 + older terms + successor; draw more than needed, keep a prefix.
    m = int(n_target / 1.8) + 16
    cust = np.where(
        np.arange(m) < min(m, book.n_customers),
        rng.permutation(max(m, book.n_customers))[:m] % book.n_customers,
        rng.integers(0, book.n_customers, m),
    )
    business = book.customer_business[cust]
    line = np.where(business, pick(rng, LINE_MIX["business"], m), pick(rng, LINE_MIX["individual"], m))
    past = rng.random(m) < 0.75
    anchor = np.where(past, -rng.integers(1, GO_LIVE_DAYS + 1, m), rng.integers(0, 183, m))
    n_older = np.where(past, pick(rng, [0.5, 0.35, 0.15], m), 0)
    segment = book.customer_segment[cust]
    channel = pick(rng, CHANNEL_MIX, m)
    spec_idx = rng.integers(0, len(specialists), m)
    claims_root = rng.poisson(np.array([CLAIMS_RATE[c] for c in LINE_CODES])[line])
    p_renew = (
        np.array([RENEW_BASE[c] for c in LINE_CODES])[line]
        + np.vectorize(RENEW_SEGMENT.get)(segment)
        + np.array([RENEW_CHANNEL[c] for c in CHANNELS])[channel]
        + np.array(SPECIALIST_SKILL * (len(specialists) // len(SPECIALIST_SKILL) + 1))[spec_idx]
        + np.where(n_older > 0, 0.04, -0.03)
        - 0.04 * np.minimum(claims_root, 3)
    ).clip(0.3, 0.97)
    grace = book.grace[line]
    in_grace = past & (anchor >= -grace)
    renewed = past & (rng.random(m) < p_renew)
    other = pick(rng, NOT_RENEWED_SPLIT, m)  # 0 lost, 1 lapsed, 2 not offered
    outcome = np.full(m, "none", dtype=object)
    outcome[past] = "renewed"
    nr = past & ~renewed
    outcome[nr & (other == 0)] = "lost"
    outcome[nr & (other == 1)] = "lapsed"
    outcome[nr & (other == 2)] = "not_offered"
    # Inside the grace period nothing lapses yet, and many decisions are still pending.
    pending = in_grace & ((outcome == "lapsed") | (rng.random(m) < 0.35))
    outcome[pending] = "pending"
    renewed = outcome == "renewed"
    size = 1 + n_older + renewed
    keep = int(np.searchsorted(np.cumsum(size), n_target, side="right"))
    rest = n_target - int(size[:keep].sum())
    # Fill the remainder with one-policy chains: future roots (new business, no case yet).
    sel = np.concatenate([np.arange(keep), np.arange(keep, keep + rest)])
    cust, line, anchor, n_older, segment, channel, spec_idx, claims_root, outcome = (
        a[sel] for a in (cust, line, anchor, n_older, segment, channel, spec_idx, claims_root, outcome)
    )
    if rest:
        tail = slice(keep, keep + rest)
        n_older[tail] = 0
        anchor[tail] = np.abs(anchor[tail])
        outcome[tail] = "none"
    m = len(sel)
    renewed = outcome == "renewed"
    business = book.customer_business[cust]

    # Root premiums (cents)
    median = np.array([PREMIUM[c][0] for c in LINE_CODES], dtype=float)[line]
    sigma = np.array([PREMIUM[c][1] for c in LINE_CODES], dtype=float)[line]
    biz_prop = business & (line == 2)
    median[biz_prop], sigma[biz_prop] = BUSINESS_PROPERTY_PREMIUM
    median *= np.vectorize(SEGMENT_PREMIUM_FACTOR.get)(segment).astype(float)
    root_premium = np.exp(np.log(median) + sigma * rng.standard_normal(m)).clip(200, 5_000_000)
    product_idx = np.zeros(m, dtype=int)
    for li, code in enumerate(LINE_CODES):
        mask = line == li
        product_idx[mask] = pick(rng, [w for _, w in PRODUCTS[code]], int(mask.sum()))

    # Expand chains into policy rows: older terms (k = n_older..1), root (k = 0), successor (k = -1).
    reps = 1 + n_older + renewed
    chain = np.repeat(np.arange(m), reps)
    first_row = np.concatenate([[0], np.cumsum(reps)[:-1]])
    pos = np.arange(len(chain)) - first_row[chain]
    k = n_older[chain] - pos  # terms before the root (positive), root 0, successor -1
    n = len(chain)
    ids = book.ids[Policy] + 1 + np.arange(n)
    end = anchor[chain] - TERM_DAYS * k
    start = end - TERM_DAYS
    drift = np.exp(rng.normal(0.03, 0.05, n))
    premium = root_premium[chain] * drift ** (-k.astype(float))
    premium_cents = np.round(premium * 100).astype(np.int64)
    ln = line[chain]
    health_cover = np.array([500_000, 1_000_000, 3_000_000])[rng.integers(0, 3, m)]  # kept along the chain
    sum_insured = np.where(
        ln == 0,
        premium * rng.uniform(30, 70, n),
        np.where(
            ln == 1,
            health_cover[chain],
            premium * rng.uniform(600, 1500, n),
        ),
    )
    status = np.where(end < 0, "expired", "active").astype(object)
    root_pending = (k == 0) & (outcome[chain] == "pending")
    status[root_pending] = "active"
    cancelled = (status == "active") & (k == 0) & (rng.random(n) < 0.005) & ~root_pending
    status[cancelled] = "cancelled"
    claims = np.where(k == 0, claims_root[chain], rng.poisson(np.array([CLAIMS_RATE[c] for c in LINE_CODES])[ln]))
    previous = np.where(pos > 0, ids - 1, 0)
    prefix = np.array(["AU", "HE", "PR"], dtype=object)[ln]
    start_year = (book.today64 + start).astype("datetime64[Y]").astype(int) + 1970
    number = np.char.add(
        np.char.add(prefix.astype(str), start_year.astype(str)), np.char.zfill(ids.astype(str), 10)
    ).astype(object)
    product = np.array([[p for p, _ in PRODUCTS[c]] for c in LINE_CODES], dtype=object)[ln, product_idx[chain]]
    created = start - rng.uniform(5, 30, n)
    book.policies = pd.DataFrame(
        {
            "id": ids,
            "number": number,
            "customer_id": book.customers["id"].to_numpy()[cust[chain]],
            "line_id": book.line_ids[ln],
            "product": product,
            "start_date": book.day(start),
            "end_date": book.day(end),
            "premium": money(premium_cents),
            "sum_insured": money(np.round(sum_insured * 100)),
            "channel": np.array(CHANNELS, dtype=object)[channel[chain]],
            "status": status,
            "previous_policy_id": pd.array(np.where(previous > 0, previous, 0), dtype="Int64"),
            "claims_count": claims,
            "created_at": book.ts(created),
            "updated_at": book.ts(np.minimum(end, 0) - 0.5),
        }
    )
    book.policies.loc[previous == 0, "previous_policy_id"] = pd.NA
    book.policy_line = ln
    book.policy_end = end
    book.policy_status = status
    book.policy_has_previous = previous > 0
    book.policy_claims = claims
    book.policy_customer = book.policies["customer_id"].to_numpy()

    # Closed (and in-grace open) cases for roots that expired since go-live.
    root_rows = first_row + n_older  # row index of each chain's root
    has_case = anchor < 0
    rows = root_rows[has_case]
    c_outcome = outcome[has_case]
    c_line = line[has_case]
    c_spec = np.array(specialists)[spec_idx[has_case]]
    due = anchor[has_case].astype(float)
    nc = len(rows)
    window = book.window[c_line]
    opened = due - window + 1 / 24  # 01:00 on the day the window opened
    closed = np.full(nc, np.nan)
    workday = 9 / 24 + rng.uniform(0, 9 / 24, nc)  # a time in office hours
    p_contact = np.vectorize({"renewed": 0.95, "lost": 0.92, "lapsed": 0.55, "not_offered": 0.3, "pending": 0.7}.get)(
        c_outcome
    )
    p_quote = np.vectorize({"renewed": 0.92, "lost": 0.6, "lapsed": 0.25, "not_offered": 0.0, "pending": 0.45}.get)(
        c_outcome
    )
    contacted = rng.random(nc) < p_contact
    quoted = contacted & (rng.random(nc) < p_quote)
    first_contact = np.floor(opened + rng.gamma(2.0, 3.0, nc)) + workday
    quoted_at = np.floor(first_contact + rng.gamma(2.0, 3.0, nc)) + workday
    last = np.where(quoted, quoted_at, np.where(contacted, first_contact, opened))
    decided = np.floor(last + rng.gamma(2.0, 4.0, nc)) + rng.uniform(9 / 24, 18 / 24, nc)
    closed = np.where(np.isin(c_outcome, ["renewed", "lost", "not_offered"]), decided, np.nan)
    closed = np.where(c_outcome == "renewed", np.minimum(closed, due + 5 + workday), closed)
    closed = np.where(c_outcome == "lost", np.minimum(closed, due + book.grace[c_line]), closed)
    closed = np.where(c_outcome == "lapsed", due + book.grace[c_line] + 1 + 1.5 / 24, closed)
    latest = -1 / 24  # history ends an hour before midnight of the seeding day
    closed = np.where(np.isnan(closed), np.nan, np.minimum(closed, latest))
    bound = np.where(np.isnan(closed), latest, closed)
    first_contact = np.where(contacted, np.maximum(np.minimum(first_contact, bound - 2 / 24), opened + 1 / 24), np.nan)
    quoted_at = np.where(quoted, np.maximum(np.minimum(quoted_at, bound - 1 / 24), first_contact + 0.5 / 24), np.nan)
    stage = c_outcome.copy()
    open_rows = c_outcome == "pending"
    stage[open_rows] = np.where(quoted[open_rows], "quoted", np.where(contacted[open_rows], "contacted", "open"))
    self_service = (c_outcome == "renewed") & (rng.random(nc) < 0.15)
    closed_by = pd.array(
        np.where(np.isin(c_outcome, ["renewed", "lost", "not_offered"]) & ~self_service, c_spec, 0), dtype="Int64"
    )
    closed_by[closed_by == 0] = pd.NA
    reason = np.zeros(nc, dtype=np.int64)
    for li, code in enumerate(LINE_CODES):
        mask = (c_outcome == "lost") & (c_line == li)
        mix = {c: w for c, w in LOST_REASON_MIX[code].items() if c in book.reasons}
        reason[mask] = np.array([book.reasons[c] for c in mix])[pick(rng, list(mix.values()), int(mask.sum()))]
    mask = c_outcome == "not_offered"
    mix = {c: w for c, w in NOT_OFFERED_MIX.items() if c in book.reasons}
    reason[mask] = np.array([book.reasons[c] for c in mix])[pick(rng, list(mix.values()), int(mask.sum()))]
    lost_reason = pd.array(reason, dtype="Int64")
    lost_reason[reason == 0] = pd.NA
    successor_rows = rows + 1  # a renewed root's successor is the next row of its chain
    successor = pd.array(np.where(c_outcome == "renewed", ids[np.minimum(successor_rows, n - 1)], 0), dtype="Int64")
    successor[c_outcome != "renewed"] = pd.NA
    version = 1 + contacted.astype(int) + quoted.astype(int) + ~open_rows
    case_ids = book.ids[RenewalCase] + 1 + np.arange(nc)
    next_action = np.where(open_rows, np.maximum(due + rng.integers(-2, 6, nc), -3), 0).astype(np.int64)
    next_action_date = book.day(next_action)
    next_action_date[~open_rows] = None
    updated = np.where(np.isnan(closed), np.fmax(np.fmax(quoted_at, first_contact), opened), closed)
    book.cases = pd.DataFrame(
        {
            "id": case_ids,
            "policy_id": ids[rows],
            "customer_id": book.policies["customer_id"].to_numpy()[rows],
            "line_id": book.line_ids[c_line],
            "expiring_premium": money(premium_cents[rows]),
            "due_date": book.day(due.astype(np.int64)),
            "stage": stage,
            "assignee_id": c_spec,
            "opened_at": book.ts(opened),
            "next_action_date": next_action_date,
            "priority": "0.00",
            "churn_risk": pd.array([pd.NA] * nc, dtype="Int64"),
            "churn_reasons": "[]",
            "first_contact_at": book.ts(first_contact),
            "quoted_at": book.ts(quoted_at),
            "closed_at": book.ts(closed),
            "closed_by_id": closed_by,
            "lost_reason_id": lost_reason,
            "outcome_note": "",
            "successor_policy_id": successor,
            "version": version,
            "updated_at": book.ts(updated),
            "updated_by_id": closed_by,
        }
    )
    book.case_outcome = c_outcome
    book.case_closed = closed
    book.case_customer = book.cases["customer_id"].to_numpy()
    successor_cents = premium_cents[np.minimum(rows + 1, n - 1)]  # used for renewed cases only
    events_generate(book, case_ids, c_spec, opened, first_contact, quoted_at, closed, c_outcome, successor_cents)


def events_generate(book: Book, case_ids, spec, opened, first_contact, quoted_at, closed, outcome, successor_cents):
    """``book.events``: each case's timeline (opened, first contact, quote, outcome) at its times."""
    rng = book.rng
    parts = []
    # opened
    parts.append((case_ids, "opened", None, opened, ["{}"] * len(case_ids)))
    m = ~np.isnan(first_contact)
    channel = pick(rng, [0.6, 0.15, 0.25], int(m.sum()))  # index into CONTACT_CHANNELS
    parts.append(
        (
            case_ids[m],
            "contact",
            spec[m],
            first_contact[m],
            np.array([json.dumps({"channel": c, "reached": True}) for c in CONTACT_CHANNELS], dtype=object)[channel],
        )
    )
    m = ~np.isnan(quoted_at)
    parts.append((case_ids[m], "quote", spec[m], quoted_at[m], ["{}"] * int(m.sum())))
    for kind in ("renewed", "lost", "lapsed", "not_offered"):
        m = outcome == kind
        actor = spec[m] if kind != "lapsed" else np.zeros(int(m.sum()), dtype=np.int64)
        if kind == "renewed":
            payload = np.strings.add(np.strings.add('{"premium": "', money(successor_cents[m]).astype(str)), '"}')
        else:
            payload = ["{}"] * int(m.sum())
        parts.append((case_ids[m], kind, actor, closed[m], payload))
    case = np.concatenate([p[0] for p in parts])
    kind = np.concatenate([np.full(len(p[0]), p[1], dtype=object) for p in parts])
    actor = np.concatenate([np.zeros(len(p[0]), dtype=np.int64) if p[2] is None else p[2] for p in parts])
    at = np.concatenate([p[3] for p in parts])
    payload = np.concatenate([np.array(p[4], dtype=object) for p in parts])
    actor_col = pd.array(actor, dtype="Int64")
    actor_col[actor == 0] = pd.NA
    book.events = pd.DataFrame(
        {
            "id": book.ids[CaseEvent] + 1 + np.arange(len(case)),
            "case_id": case,
            "kind": kind,
            "actor_id": actor_col,
            "payload": payload,
            "created_at": book.ts(at),
        }
    )
