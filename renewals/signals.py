"""Signals the renewals app sends; higher apps connect to them in AppConfig.ready().

All are sent inside the service's transaction; a receiver that enqueues work must use
``transaction.on_commit``.
"""

from django.dispatch import Signal

# Cases were opened in bulk by the window scan. kwargs: case_ids (list[int])
cases_opened = Signal()
# A case was closed: renewed, lost, lapsed or not_offered. kwargs: case, stage, actor (None for the system)
case_closed = Signal()
# A manager reopened a closed case. kwargs: case, actor
case_reopened = Signal()
