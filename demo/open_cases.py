"""Open cases in the demo book: the real window scan, then some progress so the queue looks worked.

Runs after the load: ``renewals.services.cases_open_due`` opens the cases whose window is open
today, then they are backdated to when their window opened, shared among the demo specialists,
and some are moved to contacted or quoted (with a real price breakdown) as a working team would.
"""

from __future__ import annotations

import json
from decimal import Decimal
from typing import TYPE_CHECKING

import numpy as np
import pandas as pd
from django.contrib.auth.models import User
from django.db import transaction

from demo.columns import max_id, nullable
from renewals.models import CaseEvent, Quote, RenewalCase, SpecialistProfile
from renewals.pricing import price_renewal
from renewals.services import cases_open_due

if TYPE_CHECKING:
    from demo.book import Book
    from demo.loader import Loader


def due_cases_open(book: Book, loader: Loader) -> int:
    """Open cases for policies inside their window: ``renewals.services.cases_open_due``, then any
    in-window active policy still without a case."""
    opened = cases_open_due(on_date=book.today)
    end = book.policy_end
    window = book.window[book.policy_line]
    due_now = (book.policy_status == "active") & (end >= 0) & (end <= window)
    ids = book.policies["id"].to_numpy()[due_now]
    if not len(ids):
        return opened
    have = set(RenewalCase.objects.filter(due_date__gte=book.today).values_list("policy_id", flat=True))
    todo = np.array([i not in have for i in ids.tolist()], dtype=bool)
    if not todo.any():
        return opened
    rows = np.flatnonzero(due_now)[todo]
    nc = len(rows)
    first = max_id(RenewalCase) + 1
    frame = pd.DataFrame(
        {
            "id": first + np.arange(nc),
            "policy_id": book.policies["id"].to_numpy()[rows],
            "customer_id": book.policies["customer_id"].to_numpy()[rows],
            "line_id": book.line_ids[book.policy_line[rows]],
            "expiring_premium": book.policies["premium"].to_numpy()[rows],
            "due_date": book.policies["end_date"].to_numpy()[rows],
            "stage": "open",
            "opened_at": book.ts(np.zeros(nc) + 1 / 24),
            "priority": "0.00",
            "churn_reasons": "[]",
            "version": 1,
            "updated_at": book.ts(np.zeros(nc) + 1 / 24),
        }
    )
    with transaction.atomic():
        loader.load(RenewalCase, frame)
        loader.reset_sequences([RenewalCase])
    return opened + nc


def open_cases_progress(book: Book, loader: Loader, specialists: list[int]) -> int:
    """Backdate window-opened cases to when their window opened, assign the unassigned, and move
    some to contacted/quoted (with a real price breakdown) as a working team would have."""
    rng = np.random.Generator(np.random.PCG64(book.rng.integers(0, 2**32)))
    rows = list(
        RenewalCase.objects.filter(stage="open", due_date__gte=book.today)
        .order_by("id")
        .values_list(
            "id",
            "policy_id",
            "due_date",
            "line_id",
            "assignee_id",
            "expiring_premium",
            "playbook_version__assignment_skill",
        )
    )
    if not rows:
        return 0
    frame = pd.DataFrame(rows, columns=["id", "policy_id", "due_date", "line_id", "assignee_id", "premium", "pool"])
    n = len(frame)
    due = (pd.to_datetime(frame["due_date"]).to_numpy().astype("datetime64[D]") - book.today64).astype(np.int64)
    line_index = {lid: i for i, lid in enumerate(book.line_ids.tolist())}
    li = frame["line_id"].map(line_index).to_numpy()
    opened = np.minimum(due - book.window[li], 0) + 1 / 24
    days_open = -opened
    # The demo team's split of the queue (replaces whatever the scan assigned, so a seed is repeatable).
    assignee = np.array(specialists)[rng.integers(0, len(specialists), n)]
    # A playbook's pool (VIP cases: senior specialists) holds here too.
    for skill in {p for p in frame["pool"].dropna().unique().tolist() if p}:
        pool = [
            user_id
            for user_id, skills in SpecialistProfile.objects.filter(user_id__in=specialists).values_list(
                "user_id", "skills"
            )
            if skill in (skills or [])
        ]
        in_pool = (frame["pool"] == skill).to_numpy()
        if pool and in_pool.any():
            assignee[in_pool] = np.array(pool)[rng.integers(0, len(pool), int(in_pool.sum()))]
    contacted = (rng.random(n) < np.clip(days_open / 35, 0, 0.85)) & (days_open >= 1)
    quoted = contacted & (rng.random(n) < 0.45)
    workday = 9 / 24 + rng.uniform(0, 9 / 24, n)
    first_contact = np.where(
        contacted,
        np.minimum(np.floor(opened + rng.uniform(0.5, np.maximum(days_open, 1.0))) + workday, -1 / 24),
        np.nan,
    )
    quoted_at = np.where(
        quoted,
        np.minimum(
            np.floor(first_contact + rng.uniform(0, np.maximum(-np.nan_to_num(first_contact), 0.1))) + workday,
            -0.5 / 24,
        ),
        np.nan,
    )
    quoted_at = np.where(quoted, np.maximum(quoted_at, first_contact + 0.5 / 24), np.nan)
    stage = np.where(quoted, "quoted", np.where(contacted, "contacted", "open")).astype(object)
    next_action = np.where(contacted, rng.integers(-2, 8, n), rng.integers(0, 3, n))
    next_action = np.minimum(next_action, due)

    # Quotes for the quoted cases, priced by renewals.pricing.
    policy_pos = pd.Series(np.arange(len(book.policies)), index=book.policies["id"].to_numpy())
    pos = policy_pos.reindex(frame["policy_id"].to_numpy()).to_numpy()
    quote_ids = np.zeros(n, dtype=np.int64)
    quote_frame = _quotes(book, frame, pos, li, quoted, quoted_at, assignee, rng)
    if quote_frame is not None:
        quote_ids[np.flatnonzero(quoted)] = quote_frame["id"].to_numpy()
    update = pd.DataFrame(
        {
            "id": frame["id"].to_numpy(),
            "opened_at": book.ts(opened),
            "assignee_id": assignee,
            "stage": stage,
            "first_contact_at": book.ts(first_contact),
            "quoted_at": book.ts(quoted_at),
            "next_action_date": book.day(next_action),
            "current_quote_id": nullable(quote_ids),
            "version": 2 + contacted.astype(int) + quoted.astype(int),
            "updated_at": book.ts(np.fmax(np.fmax(quoted_at, first_contact), opened)),
        }
    )
    events = []
    with transaction.atomic():
        if quote_frame is not None:
            loader.load(Quote, quote_frame)
            loader.reset_sequences([Quote])
        loader.update(RenewalCase, "id", update)
        first_event = max_id(CaseEvent) + 1
        # The scan's "opened" events carry today's time and its assignee: restate them as of the
        # backdated opening, with the demo assignee, so the timeline reads in order.
        CaseEvent.objects.filter(case_id__in=frame["id"].tolist(), kind="opened").delete()
        names = {
            user.pk: (f"{user.first_name} {user.last_name}".strip() or user.username)
            for user in User.objects.filter(pk__in=set(specialists))
        }
        opened_payload = [json.dumps({"assignee_id": int(a), "assignee": names.get(int(a), "")}) for a in assignee]
        quote_payload = (
            [
                json.dumps(
                    {
                        "quote_id": int(q.id),
                        "premium": q.premium,
                        "discount_percent": q.discount_percent,
                        "approval_status": q.approval_status,
                    }
                )
                for q in quote_frame.itertuples()
            ]
            if quote_frame is not None
            else "{}"
        )
        everyone = np.ones(n, dtype=bool)
        for mask, kind, at, payload in (
            (everyone, "opened", opened, opened_payload),
            (contacted, "contact", first_contact, json.dumps({"channel": "phone", "reached": True})),
            (quoted, "quote", quoted_at, quote_payload),
        ):
            idx = np.flatnonzero(mask)
            events.append(
                pd.DataFrame(
                    {
                        "case_id": frame["id"].to_numpy()[idx],
                        "kind": kind,
                        "actor_id": nullable(np.zeros(len(idx)) if kind == "opened" else assignee[idx]),
                        "payload": payload,
                        "created_at": book.ts(at[idx]),
                    }
                )
            )
        ev = pd.concat(events, ignore_index=True)
        ev.insert(0, "id", first_event + np.arange(len(ev)))
        loader.load(CaseEvent, ev)
        loader.reset_sequences([CaseEvent])
    return int(contacted.sum())


def _quotes(book, frame, pos, li, quoted, quoted_at, assignee, rng):
    idx = np.flatnonzero(quoted)
    if not len(idx):
        return None
    base_change = {0: Decimal("3.0"), 1: Decimal("5.0"), 2: Decimal("2.0")}
    discounts = np.where(
        rng.random(len(idx)) < 0.04,
        rng.integers(12, 18, len(idx)),
        np.where(rng.random(len(idx)) < 0.3, rng.integers(1, 6, len(idx)), 0),
    )
    rows = []
    for j, i in enumerate(idx.tolist()):
        p = int(pos[i])
        claims = int(book.policy_claims[p])
        claims_factor = Decimal("1") + Decimal("0.10") * min(claims, 3)
        loyalty = Decimal("0.97") if book.policy_has_previous[p] else Decimal("1.00")
        expiring = Decimal(frame["premium"].iloc[i])
        discount = Decimal(int(discounts[j]))
        priced = price_renewal(
            expiring_premium=expiring,
            base_rate_change_percent=base_change[int(li[i])],
            claims_factor=claims_factor,
            loyalty_factor=loyalty,
            discount_percent=discount,
            claims_count=claims,
        )
        premium, breakdown = priced.premium, json.dumps(priced.as_json())
        pending = discount > 10
        rows.append(
            (
                int(frame["id"].iloc[i]),
                str(expiring),
                str((1 + base_change[int(li[i])] / 100).quantize(Decimal("0.0001"))),
                str(claims_factor.quantize(Decimal("0.0001"))),
                str(loyalty.quantize(Decimal("0.0001"))),
                f"{discount:.2f}",
                str(premium),
                breakdown,
                "pending" if pending else "not_required",
                int(assignee[i]),
            )
        )
    quotes = pd.DataFrame(
        rows,
        columns=[
            "case_id", "expiring_premium", "base_rate_factor", "claims_factor", "loyalty_factor",
            "discount_percent", "premium", "breakdown", "approval_status", "created_by_id",
        ],
    )  # fmt: skip
    quotes.insert(0, "id", max_id(Quote) + 1 + np.arange(len(quotes)))
    quotes["created_at"] = book.ts(quoted_at[idx])
    quotes["approval_comment"] = ""
    return quotes
