"""Money for display: ``{% load money %}`` then ``{{ amount|money }}`` → "181,244.48", or
``{{ amount|money_currency }}`` → "CNY 181,244.48" (the configured ``CURRENCY`` first).

Amounts are Decimals and stay Decimals: rounded half-up to cents, then grouped per the active
locale by ``django.utils.formats.number_format`` with forced grouping (a float would lose cents
on large amounts). ``None`` or an empty value shows as nothing.
"""

from decimal import ROUND_HALF_UP, Decimal, InvalidOperation

from django import template
from django.conf import settings
from django.utils.formats import number_format

register = template.Library()

CENT = Decimal("0.01")


def _as_decimal(value) -> Decimal | None:
    if value is None or value == "":
        return None
    if isinstance(value, float):
        # Never through binary floating point: the shortest repr is the number the caller meant.
        value = repr(value)
    try:
        amount = value if isinstance(value, Decimal) else Decimal(str(value))
    except InvalidOperation:
        return None
    return amount if amount.is_finite() else None


def format_money(value, *, currency: bool = False) -> str:
    """An amount as shown on screen: two decimals, thousands grouped per the user's locale."""
    amount = _as_decimal(value)
    if amount is None:
        return ""
    shown = number_format(amount.quantize(CENT, rounding=ROUND_HALF_UP), decimal_pos=2, force_grouping=True)
    return f"{settings.CURRENCY} {shown}" if currency else shown


@register.filter
def money(value) -> str:
    """``{{ amount|money }}`` → "181,244.48"."""
    return format_money(value)


@register.filter
def money_currency(value) -> str:
    """``{{ amount|money_currency }}`` → "CNY 181,244.48"."""
    return format_money(value, currency=True)
