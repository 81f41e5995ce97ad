"""Reads for the renewals app: query building lives here so each page's query count is decided in one place."""

from decimal import Decimal

from django.db.models import Q

from customers.roles import Role, has_role
from renewals import pricing
from renewals.models import (
    ClaimsFactor,
    DiscountAuthority,
    LoyaltyFactor,
    Policy,
    PricingRule,
    RenewalCase,
)

MAX_CHAIN_DEPTH = 50


def policy_chain(*, policy_id: int) -> list[Policy]:
    """The renewal chain ending at ``policy_id``, oldest first, in one query."""
    table = Policy._meta.db_table
    sql = f"""
        WITH RECURSIVE chain(id, depth) AS (
            SELECT CAST(%s AS bigint), 0
            UNION ALL
            SELECT p.previous_policy_id, chain.depth + 1
            FROM {table} p JOIN chain ON p.id = chain.id
            WHERE p.previous_policy_id IS NOT NULL AND chain.depth < {MAX_CHAIN_DEPTH}
        )
        SELECT p.* FROM chain JOIN {table} p ON p.id = chain.id ORDER BY chain.depth DESC
    """
    return list(Policy.objects.raw(sql, [policy_id]))


def discount_authority(*, user, line_id: int) -> Decimal | None:
    """The user's discount limit on the line in percent; None means unlimited (managers)."""
    if user is not None and has_role(user, Role.MANAGER):
        return None
    if user is None:
        return Decimal("0")
    value = (
        DiscountAuthority.objects.filter(user=user, line_id=line_id)
        .values_list("max_discount_percent", flat=True)
        .first()
    )
    return value if value is not None else Decimal("0")


def pricing_inputs(*, line_id: int) -> dict:
    rule = PricingRule.objects.filter(line_id=line_id).values_list("base_rate_change_percent", flat=True).first()
    return {
        "base_rate_change_percent": rule if rule is not None else Decimal("0"),
        "claims_table": list(ClaimsFactor.objects.filter(line_id=line_id).values_list("min_claims", "factor")),
        "loyalty_table": list(LoyaltyFactor.objects.filter(line_id=line_id).values_list("min_years", "factor")),
    }


def quote_preview(*, case: RenewalCase, discount_percent, actor=None, tenure_years: int | None = None) -> dict:
    """The priced renewal of ``case`` with ``discount_percent``: the itemised breakdown, no write.

    With ``actor`` the answer also says whether the discount needs a manager's approval.
    """
    discount = Decimal(str(discount_percent or "0"))
    inputs = pricing_inputs(line_id=case.line_id)
    if tenure_years is None:
        tenure_years = len(policy_chain(policy_id=case.policy_id))
    claims_count = case.policy.claims_count
    result = pricing.price_renewal(
        expiring_premium=case.expiring_premium,
        base_rate_change_percent=inputs["base_rate_change_percent"],
        claims_factor=pricing.step_factor(inputs["claims_table"], claims_count),
        loyalty_factor=pricing.step_factor(inputs["loyalty_table"], tenure_years),
        discount_percent=discount,
        claims_count=claims_count,
        tenure_years=tenure_years,
    )
    steps = [{**step, "label": pricing.STEP_LABELS[step["code"]]} for step in result.steps]
    answer = {
        "premium": result.premium,
        "expiring_premium": result.expiring_premium,
        "base_rate_factor": result.base_rate_factor,
        "claims_factor": result.claims_factor,
        "loyalty_factor": result.loyalty_factor,
        "discount_percent": result.discount_percent,
        "claims_count": claims_count,
        "tenure_years": tenure_years,
        "steps": steps,
        "breakdown_json": result.as_json(),
    }
    if actor is not None:
        limit = discount_authority(user=actor, line_id=case.line_id)
        answer["authority_percent"] = limit
        answer["needs_approval"] = limit is not None and result.discount_percent > limit
    return answer


def open_cases_q() -> Q:
    from renewals.models import OPEN_STAGES

    return Q(stage__in=[s.value for s in OPEN_STAGES])
