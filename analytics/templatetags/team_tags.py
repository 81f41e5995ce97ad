"""Filters of the Team page: signed changes and dictionary look-ups."""

from django import template

register = template.Library()


@register.filter
def signed_pct(value, digits=0):
    """A relative change (−0.3) as a signed percentage ("−30%"); None is "—"."""
    if value is None or value == "":
        return "—"
    number = float(value) * 100
    sign = "+" if number > 0 else ("−" if number < 0 else "±")
    return f"{sign}{abs(number):.{int(digits)}f}%"


@register.filter
def get(mapping, key):
    """``mapping[key]`` in a template (None when absent)."""
    if not mapping:
        return None
    return mapping.get(key)
