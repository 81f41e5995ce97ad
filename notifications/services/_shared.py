"""What the reminder services share: the customer's column per channel and the case timeline entry."""

import datetime as dt

# Per channel: (consent column, address column) on customers_customer.
CUSTOMER_CHANNEL_COLUMNS = {
    "email": ("consent_email", "email"),
    "sms": ("consent_sms", "phone"),
    "call": ("consent_phone", "phone"),
}


def record_case_event(*, case_id: int, payload: dict, actor=None, at: dt.datetime | None = None) -> None:
    """A "reminder" event on the case timeline (sent, failed, call done)."""
    from renewals.services import case_event_record

    case_event_record(case_id=case_id, kind="reminder", actor=actor, payload=payload, at=at)
