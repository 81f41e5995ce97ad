"""Renewal pricing arithmetic, free of the database so it can be checked on worked examples.

Order: expiring premium × base rate factor × claims factor × loyalty factor × (1 − discount).
Every running amount is rounded half-up to cents, so the itemised breakdown the specialist sees
adds up exactly to the quoted premium.
"""

from dataclasses import dataclass, field
from decimal import ROUND_HALF_UP, Decimal, InvalidOperation

from django.utils.translation import gettext
from django.utils.translation import gettext_lazy as _

from core.errors import ApplicationError, ErrorCode

CENT = Decimal("0.01")
FACTOR_PLACES = Decimal("0.0001")
ONE = Decimal("1")
HUNDRED = Decimal("100")

STEP_LABELS = {
    "expiring": _("Expiring premium"),
    "base_rate": _("Base rate change"),
    "claims": _("Claims factor"),
    "loyalty": _("Loyalty factor"),
    "discount": _("Specialist discount"),
}


def money(value) -> Decimal:
    """Half-up rounding to cents."""
    return Decimal(value).quantize(CENT, rounding=ROUND_HALF_UP)


def parse_discount(value) -> Decimal:
    """A discount as typed (empty means 0): a number from 0 to 100 with at most two decimals."""
    try:
        discount = Decimal(str(value if value not in (None, "") else "0"))
    except (InvalidOperation, ValueError):
        raise ApplicationError(
            gettext("Enter the discount as a number."), field="discount_percent", code=ErrorCode.INVALID
        ) from None
    if not discount.is_finite() or discount < 0 or discount > 100:
        raise ApplicationError(
            gettext("The discount must be between 0 and 100%."), field="discount_percent", code=ErrorCode.OUT_OF_RANGE
        )
    if discount != discount.quantize(CENT):
        raise ApplicationError(
            gettext("Use at most two decimals for the discount."), field="discount_percent", code=ErrorCode.INVALID
        )
    return discount


def step_factor(table: list[tuple[int, Decimal]], value: int) -> Decimal:
    """The factor of the highest step not above ``value`` (tables are (threshold, factor)); 1 if none."""
    chosen = ONE
    best = -1
    for threshold, factor in table:
        if best < threshold <= value:
            best, chosen = threshold, Decimal(factor)
    return chosen


@dataclass
class PriceBreakdown:
    expiring_premium: Decimal
    base_rate_factor: Decimal
    claims_factor: Decimal
    loyalty_factor: Decimal
    discount_percent: Decimal
    premium: Decimal
    steps: list[dict] = field(default_factory=list)

    def as_json(self) -> list[dict]:
        return [{**s, "factor": str(s["factor"]), "amount": str(s["amount"])} for s in self.steps]


def price_renewal(
    *,
    expiring_premium: Decimal,
    base_rate_change_percent: Decimal,
    claims_factor: Decimal,
    loyalty_factor: Decimal,
    discount_percent: Decimal = Decimal("0"),
    claims_count: int | None = None,
    tenure_years: int | None = None,
) -> PriceBreakdown:
    expiring = money(expiring_premium)
    base_factor = (ONE + Decimal(base_rate_change_percent) / HUNDRED).quantize(FACTOR_PLACES)
    discount = Decimal(discount_percent).quantize(CENT)
    discount_factor = ONE - discount / HUNDRED
    steps = [{"code": "expiring", "factor": ONE, "amount": expiring, "detail": ""}]
    amount = expiring
    for code, factor, detail in (
        ("base_rate", base_factor, f"{Decimal(base_rate_change_percent):+}%"),
        ("claims", Decimal(claims_factor), "" if claims_count is None else str(claims_count)),
        ("loyalty", Decimal(loyalty_factor), "" if tenure_years is None else str(tenure_years)),
        ("discount", discount_factor, f"-{discount}%"),
    ):
        amount = money(amount * factor)
        steps.append({"code": code, "factor": factor.quantize(FACTOR_PLACES), "amount": amount, "detail": detail})
    return PriceBreakdown(
        expiring_premium=expiring,
        base_rate_factor=base_factor,
        claims_factor=Decimal(claims_factor).quantize(FACTOR_PLACES),
        loyalty_factor=Decimal(loyalty_factor).quantize(FACTOR_PLACES),
        discount_percent=discount,
        premium=amount,
        steps=steps,
    )
