"""The demo book's competitors and price history: a few rival insurers, the quotes specialists
recorded when customers re-shopped, the rival each competitor loss went to, and a quote on last
year's decided cases, so the dashboard's price-sensitivity curve and competitor card (and the quote
preview's renewal estimate) have something believable to show. Customers who left were quoted
higher rises than those who stayed, which is what the curve shows the team."""

from __future__ import annotations

import datetime as dt
from decimal import ROUND_HALF_UP, Decimal

import numpy as np
from django.db import transaction
from django.utils import timezone

from renewals.competitors.models import COMPETITOR_REASON_CODE, Competitor, CompetitorQuote
from renewals.models import DECIDED_STAGES, OPEN_STAGES, Quote, RenewalCase, Stage

COMPETITORS = (
    ("harbour-mutual", "Harbour Mutual", "海港互助", 0.40),
    ("greatwall-pc", "Great Wall P&C", "长城财险", 0.30),
    ("sunrise-direct", "Sunrise Direct", "旭日直销", 0.20),
    ("jade-insurance", "Jade Insurance", "玉泉保险", 0.10),
)
# Decided cases of the last year given a quote (kept small so the demo loads fast).
MAX_QUOTED = 6000
# Premium change of the last quote (mean, spread): leavers were quoted steeper rises.
CHANGE_RENEWED = (0.02, 0.05)
CHANGE_LEFT = (0.09, 0.08)
KNOWN_PREMIUM = 0.6  # share of competitor losses whose rival premium the specialist learnt
RESHOP_DECIDED = 0.08
RESHOP_OPEN = 0.12
CENT = Decimal("0.01")


def _money(value: float) -> Decimal:
    return Decimal(str(max(value, 1.0))).quantize(CENT, rounding=ROUND_HALF_UP)


def competitors_ensure() -> list[Competitor]:
    rows = []
    for order, (code, name, name_zh, _weight) in enumerate(COMPETITORS):
        row, _created = Competitor.objects.update_or_create(
            code=code, defaults={"name": name, "name_zh_hans": name_zh, "sort_order": order, "active": True}
        )
        rows.append(row)
    return rows


@transaction.atomic
def seed_competitor_history(*, seed: int, today: dt.date) -> dict[str, int]:
    rng = np.random.Generator(np.random.PCG64(seed + 104729))
    rivals = competitors_ensure()
    weights = np.array([w for *_rest, w in COMPETITORS])
    since = today - dt.timedelta(days=365)

    # A last quote on decided cases of the last year that have none.
    cases = list(
        RenewalCase.objects.filter(stage__in=DECIDED_STAGES, due_date__gte=since, current_quote__isnull=True)
        .select_related("successor_policy")
        .order_by("id")[:MAX_QUOTED]
    )
    quotes = []
    for case in cases:
        if case.stage == Stage.RENEWED and case.successor_policy is not None:
            premium = case.successor_policy.premium
        else:
            mean, spread = CHANGE_RENEWED if case.stage == Stage.RENEWED else CHANGE_LEFT
            premium = _money(float(case.expiring_premium) * (1 + rng.normal(mean, spread)))
        closed = case.closed_at or timezone.now()
        quotes.append(
            Quote(
                case=case,
                expiring_premium=case.expiring_premium,
                base_rate_factor=Decimal("1"),
                claims_factor=Decimal("1"),
                loyalty_factor=Decimal("1"),
                premium=premium,
                created_at=closed - dt.timedelta(days=int(rng.integers(3, 20))),
            )
        )
    Quote.objects.bulk_create(quotes, batch_size=2000)
    for quote in quotes:
        quote.case.current_quote_id = quote.pk
        quote.case.current_quote = quote
    RenewalCase.objects.bulk_update([q.case for q in quotes], ["current_quote"], batch_size=2000)

    rows = []

    def ours(case) -> Decimal:
        return case.current_quote.premium if case.current_quote_id else case.expiring_premium

    # The rival of each competitor loss of the last year, its premium when learnt (cheaper).
    lost = (
        RenewalCase.objects.filter(stage=Stage.LOST, lost_reason__code=COMPETITOR_REASON_CODE, due_date__gte=since)
        .select_related("current_quote")
        .order_by("id")
    )
    for case in lost:
        rival = rivals[int(rng.choice(len(rivals), p=weights))]
        premium = None
        if rng.random() < KNOWN_PREMIUM:
            premium = _money(float(ours(case)) * (1 - rng.uniform(0.03, 0.18)))
        rows.append(
            CompetitorQuote(
                case=case,
                competitor=rival,
                kind=CompetitorQuote.Kind.LOSS,
                premium=premium,
                our_premium=ours(case),
                recorded_by_id=case.closed_by_id,
                created_at=case.closed_at or timezone.now(),
            )
        )
    # Re-shopping: a share of last year's decided cases and of today's open ones brought a rival quote.
    reshopped = (
        RenewalCase.objects.filter(due_date__gte=since)
        .filter(stage__in=[*DECIDED_STAGES, *OPEN_STAGES])
        .select_related("current_quote")
        .order_by("id")
    )
    for case in reshopped:
        chance = RESHOP_OPEN if case.stage in OPEN_STAGES else RESHOP_DECIDED
        if rng.random() >= chance:
            continue
        rival = rivals[int(rng.choice(len(rivals), p=weights))]
        # Rivals undercut the customers who left more often than those who stayed.
        mean = -0.08 if case.stage in (Stage.LOST, Stage.LAPSED) else 0.01
        rows.append(
            CompetitorQuote(
                case=case,
                competitor=rival,
                kind=CompetitorQuote.Kind.RESHOP,
                premium=_money(float(ours(case)) * (1 + rng.normal(mean, 0.06))),
                our_premium=ours(case),
                cover_notes=str(
                    rng.choice(["same cover", "no glass cover", "higher deductible", "adds roadside help"])
                ),
                recorded_by_id=case.assignee_id,
                created_at=min(case.opened_at + dt.timedelta(days=int(rng.integers(5, 25))), timezone.now()),
            )
        )
    CompetitorQuote.objects.bulk_create(rows, batch_size=2000)
    return {"quotes": len(quotes), "competitor rows": len(rows)}
