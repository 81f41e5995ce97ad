"""The complaint workflow: which status may follow which, in one table (like renewals' ``TRANSITIONS``).

The services refuse any other change, and the complaint page shows only the buttons the table allows.
"""

from core.roles import Role
from customers.models import Complaint

ComplaintStatus = Complaint.Status

# A status maps to the statuses the forward steps (acknowledge, start, resolve, close) may move it to.
COMPLAINT_TRANSITIONS: dict[str, frozenset[str]] = {
    ComplaintStatus.NEW: frozenset(
        {ComplaintStatus.ACKNOWLEDGED, ComplaintStatus.IN_PROGRESS, ComplaintStatus.RESOLVED}
    ),
    ComplaintStatus.ACKNOWLEDGED: frozenset({ComplaintStatus.IN_PROGRESS, ComplaintStatus.RESOLVED}),
    ComplaintStatus.IN_PROGRESS: frozenset({ComplaintStatus.RESOLVED}),
    ComplaintStatus.RESOLVED: frozenset({ComplaintStatus.CLOSED}),
    ComplaintStatus.CLOSED: frozenset(),
}
# Reopening sends these back to in progress. It stays out of the table so that "start" can never
# reach a finished complaint (both end in progress).
COMPLAINT_REOPENABLE = frozenset({ComplaintStatus.RESOLVED, ComplaintStatus.CLOSED})

# Who logs and works complaints (and may be assigned one).
COMPLAINT_EDITORS = (Role.SUPPORT, Role.MANAGER)


def complaint_can_transition(from_status: str, to_status: str) -> bool:
    return to_status in COMPLAINT_TRANSITIONS.get(from_status, frozenset())


def complaint_can_reopen(status: str) -> bool:
    return status in COMPLAINT_REOPENABLE


# Who changes any customer's contact details and consent; a specialist may change those of the
# customers whose renewal cases they work (customers.selectors.customer_contact_editable_by).
CONTACT_EDITORS = (Role.SUPPORT, Role.MANAGER)
