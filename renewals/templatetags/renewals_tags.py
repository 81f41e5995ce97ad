from django import template
from django.utils.translation import ngettext

register = template.Library()


@register.filter
def days_from(value, today) -> int | None:
    """Whole days from ``today`` to the date ``value`` (negative when past)."""
    if not value or not today:
        return None
    return (value - today).days


@register.filter
def days_label(value, today) -> str:
    days = days_from(value, today)
    if days is None:
        return ""
    if days >= 0:
        return ngettext("in %(n)d day", "in %(n)d days", days) % {"n": days}
    return ngettext("%(n)d day ago", "%(n)d days ago", -days) % {"n": -days}


@register.filter
def stage_label(value) -> str:
    from renewals.models import Stage

    try:
        return Stage(value).label
    except ValueError:
        return value or ""


@register.filter
def get_item(mapping, key):
    return mapping.get(key, "") if mapping else ""
