"""The case's statutory notice deadline, as the app that owns the notice rules decides it.

The rule table (region × line × notice type, versioned) lives in notifications, above this app;
it provides the deadline in NotificationsConfig.ready(). Without it, the line's lead days apply.
"""

import datetime as dt
from collections.abc import Callable

_provided: list[Callable] = []


def provide(deadline: Callable) -> None:
    """``deadline(case) -> date``: the last day the case's notice may go out."""
    _provided[:] = [deadline]


def notice_deadline(case) -> dt.date:
    if _provided:
        return _provided[0](case)
    return case.line.notice_deadline(case.due_date)
