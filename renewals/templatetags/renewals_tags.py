import datetime as dt

from django import template
from django.utils.translation import gettext_lazy as _
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


@register.filter
def code_label(value, kind: str) -> str:
    """The translated label of a code stored in a timeline payload or the audit log."""
    from renewals import selectors
    from renewals.models import ContactChannel, Referral

    if kind == "channel":
        return dict(ContactChannel.choices).get(value, value)
    if kind == "message_channel":
        return MESSAGE_CHANNEL_LABELS.get(value, value)
    if kind == "referral":
        return dict(Referral.To.choices).get(value, value)
    if kind == "reason":
        return next((r.display_name for r in selectors.lost_reasons() if r.code == value), value)
    if kind == "area":
        return AUDIT_AREAS.get(value, value)
    if kind == "competitor":
        from renewals.competitors.selectors import competitors

        # The cached active list (the case page reads it anyway); a retired competitor shows its code.
        return next((c.display_name for c in competitors() if c.code == value), value)
    return value


# Channels of reminders recorded on the timeline by the notifications app.
MESSAGE_CHANNEL_LABELS = {"email": _("Email"), "sms": _("SMS"), "call": _("Phone call"), "letter": _("Letter")}

AUDIT_AREAS = {
    "line": _("Line"),
    "pricing": _("Pricing"),
    "authority": _("Discount authority"),
    "lost_reason": _("Lost reason"),
    "specialist": _("Specialist"),
    "reminder_step": _("Reminder step"),
    "notice_channels": _("Notice channels"),
    "message_template": _("Message template"),
}


@register.filter
def iso_date(value):
    """An ISO date string kept in an event's payload, as a date for the ``date`` filter (else as it is)."""
    try:
        return dt.date.fromisoformat(value)
    except (TypeError, ValueError):
        return value
