"""Signals the renewals app sends; higher apps connect to them in AppConfig.ready().

All are sent inside the service's transaction; a receiver that enqueues work must use
``transaction.on_commit``.
"""

from django.dispatch import Signal

# A case was closed: renewed, lost, lapsed or not_offered. kwargs: case, stage, actor (None for the system)
case_closed = Signal()
# A manager reopened a closed case. kwargs: case, actor
case_reopened = Signal()
# A manager saved a line of insurance (added or changed). kwargs: line, created, actor. Sent inside
# line_save's transaction: a receiver that raises ApplicationError refuses the change (notifications
# refuses a notice lead time its notice step does not meet, and gives a new line its schedule).
line_saved = Signal()
