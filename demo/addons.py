"""The demo book's add-on history: the last year's renewals were offered riders and services from
the seeded catalogue, and some customers took them, at rates that depend on the segment (VIP and
high-value customers take more), so the dashboard's attach rates and the case page's suggestions
have something believable to show."""

from __future__ import annotations

import datetime as dt
from decimal import Decimal

import numpy as np
from django.db import transaction
from django.utils import timezone

from renewals.addons.pricing import addon_premium, ineligibility
from renewals.addons.selectors import attach_rates_refresh, catalogue
from renewals.models import PolicyAddOn, Quote, QuoteAddOn, RenewalCase, Stage

# Renewals of the last year that get an offer with add-ons (the demo keeps it small and fast).
MAX_CASES = 4000
OFFER_RIDER = 0.7
OFFER_SERVICE = {"vip": 1.0, "high_value": 1.0, "standard": 0.35}
TAKE_RIDER = {"vip": 0.45, "high_value": 0.35, "standard": 0.15}
TAKE_SERVICE = 0.8


@transaction.atomic
def seed_addon_history(*, seed: int, today: dt.date) -> int:
    """Offers (a quote with add-on lines) on up to MAX_CASES renewals closed in the last year, and
    the add-ons their successors carry. Answers the number of add-ons taken."""
    rng = np.random.Generator(np.random.PCG64(seed + 7919))
    since = dt.datetime.combine(today - dt.timedelta(days=365), dt.time.min, tzinfo=timezone.get_current_timezone())
    cases = list(
        RenewalCase.objects.filter(stage=Stage.RENEWED, closed_at__gte=since, current_quote__isnull=True)
        .select_related("customer", "policy", "successor_policy")
        .order_by("id")[:MAX_CASES]
    )
    by_line = {}
    quotes, lines, carried = [], [], []
    for case in cases:
        if case.line_id not in by_line:
            by_line[case.line_id] = catalogue(line_id=case.line_id, day=today)
        segment = case.customer.segment
        offered = []
        for addon in by_line[case.line_id]:
            day = timezone.localdate(case.closed_at)
            if ineligibility(addon, segment=segment, attributes=case.policy.attributes, line_id=case.line_id, day=day):
                continue
            chance = OFFER_RIDER if addon.kind == "rider" else OFFER_SERVICE.get(segment, 0.35)
            if rng.random() < chance:
                offered.append(addon)
        if not offered:
            continue
        base = case.successor_policy.premium
        prices = [addon_premium(a, base_before_discount=base) for a in offered]
        quote = Quote(
            case=case,
            expiring_premium=case.expiring_premium,
            base_rate_factor=Decimal("1"),
            claims_factor=Decimal("1"),
            loyalty_factor=Decimal("1"),
            premium=base + sum(prices, Decimal("0")),
            created_at=case.closed_at - dt.timedelta(days=7),
        )
        quotes.append(quote)
        for addon, price in zip(offered, prices, strict=True):
            lines.append((quote, addon, price))
            take = TAKE_RIDER.get(segment, 0.15) if addon.kind == "rider" else TAKE_SERVICE
            if rng.random() < take:
                carried.append(PolicyAddOn(policy_id=case.successor_policy_id, addon=addon, premium=price))
    Quote.objects.bulk_create(quotes, batch_size=2000)
    QuoteAddOn.objects.bulk_create([QuoteAddOn(quote=q, addon=a, premium=p) for q, a, p in lines], batch_size=2000)
    PolicyAddOn.objects.bulk_create(carried, batch_size=2000)
    for quote in quotes:
        quote.case.current_quote_id = quote.pk
    RenewalCase.objects.bulk_update([q.case for q in quotes], ["current_quote"], batch_size=2000)
    attach_rates_refresh(as_of=today)
    return len(carried)
