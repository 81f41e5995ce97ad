"""Rates and differences as the experiment and campaign pages show them (one decimal, localised)."""

from django import template
from django.utils.formats import number_format

register = template.Library()


@register.filter
def percent(value) -> str:
    """0.1234 -> "12.3 %"; None -> "—"."""
    if value is None:
        return "—"
    return f"{number_format(100 * value, 1)} %"


@register.filter
def points(value) -> str:
    """A difference of rates in percentage points, signed: 0.052 -> "+5.2"."""
    if value is None:
        return "—"
    sign = "+" if value > 0 else ("−" if value < 0 else "±")
    return f"{sign}{number_format(abs(100 * value), 1)}"


@register.filter
def p_value(value) -> str:
    if value is None:
        return "—"
    if value < 0.001:
        return "< 0.001"
    return number_format(value, 3)


@register.filter
def ratio(value) -> str:
    if value is None:
        return "—"
    return number_format(value, 1, force_grouping=True)
