"""What the reminder services share: the customer's column per channel and the case timeline entry."""

import datetime as dt

from notifications.models import CUSTOMER_CHANNEL_COLUMNS

__all__ = ["CUSTOMER_CHANNEL_COLUMNS", "record_case_event"]


def record_case_event(*, case_id: int, payload: dict, actor=None, at: dt.datetime | None = None) -> None:
    """A "reminder" event on the case timeline (sent, failed, call done)."""
    from renewals.services import case_event_record

    case_event_record(case_id=case_id, kind="reminder", actor=actor, payload=payload, at=at)
