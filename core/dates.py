"""The sane range for dates and times that people and systems enter (forms, the API, imports).

PostgreSQL stores years Python cannot read back (year 0 after a time-zone shift of 0001-01-01), so
a value outside the range would break every page that lists it. Services check entered values here
once, and every entry point answers the same field error.
"""

import datetime as dt

from django.utils import timezone
from django.utils.formats import date_format
from django.utils.translation import gettext as _

from core.errors import ApplicationError, ErrorCode

# Nothing the desk records (complaints, survey answers, contacts) happened before this.
EARLIEST_ENTERED = dt.datetime(2000, 1, 1, tzinfo=dt.UTC)


def too_early_message(earliest: dt.datetime) -> str:
    return _("Enter a date and time on or after %(earliest)s.") % {"earliest": date_format(earliest, "DATE_FORMAT")}


def too_late_message(latest: dt.datetime) -> str:
    return _("Enter a date and time no later than %(latest)s.") % {
        "latest": date_format(timezone.localtime(latest), "DATETIME_FORMAT")
    }


def require_in_range(value: dt.datetime, *, field: str, earliest: dt.datetime, latest: dt.datetime) -> dt.datetime:
    """``value`` if ``earliest <= value <= latest`` (aware datetimes), else a field error naming the bound."""
    if value < earliest:
        raise ApplicationError(too_early_message(earliest), field=field, code=ErrorCode.OUT_OF_RANGE)
    if value > latest:
        raise ApplicationError(too_late_message(latest), field=field, code=ErrorCode.OUT_OF_RANGE)
    return value
