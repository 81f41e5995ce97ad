"""What the customer voice pages share: SLA text on complaints, page numbers, the customer in the URL."""

from django.utils import timezone
from django.utils.translation import gettext as _
from django.utils.translation import ngettext

from customers import selectors
from customers.models import Customer


def _duration_text(seconds: int) -> str:
    minutes = abs(seconds) // 60
    days, rest = divmod(minutes, 24 * 60)
    hours, mins = divmod(rest, 60)
    if days:
        return _("%(d)s d %(h)s h") % {"d": days, "h": hours}
    if hours:
        return _("%(h)s h %(m)s min") % {"h": hours, "m": mins}
    return ngettext("%(m)s minute", "%(m)s minutes", mins) % {"m": mins}


def _decorate(complaints, near_hours: int, now=None):
    """Attach ``sla`` (css class, due time) and ``sla_text`` to each complaint for the templates."""
    now = now or timezone.now()
    for complaint in complaints:
        state = selectors.complaint_sla_state(complaint, now=now, near_hours=near_hours)
        complaint.sla = state
        if state.seconds_left is None:
            complaint.sla_text = ""
        elif state.breached:
            complaint.sla_text = _("Overdue by %(t)s") % {"t": _duration_text(state.seconds_left)}
        else:
            complaint.sla_text = _("%(t)s left") % {"t": _duration_text(state.seconds_left)}
    return complaints


def _page_number(request) -> int:
    try:
        return max(1, int(request.GET.get("page", "1")))
    except ValueError:
        return 1


def _customer_or_none(value):
    try:
        return Customer.objects.filter(pk=int(value)).first() if value else None
    except (TypeError, ValueError):
        return None
