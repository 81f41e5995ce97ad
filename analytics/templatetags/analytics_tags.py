from django import template

register = template.Library()


@register.filter
def pct(value, digits=1):
    """A share 0..1 as a percentage ("85.0%"); None is "—"."""
    if value is None or value == "":
        return "—"
    return f"{float(value) * 100:.{int(digits)}f}%"


@register.filter
def num(value, digits=1):
    """A number with ``digits`` decimals; None is "—"."""
    if value is None or value == "":
        return "—"
    return f"{float(value):.{int(digits)}f}"
