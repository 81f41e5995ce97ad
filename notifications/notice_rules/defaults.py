"""The default rules' first day: before any policy the desk holds, so they cover every expiry."""

import datetime as dt

DEFAULT_RULES_FROM = dt.date(2000, 1, 1)
