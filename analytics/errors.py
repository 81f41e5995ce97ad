"""Error codes of the analytics app's own rules (the shared ones are in ``core.errors.ErrorCode``).

API clients of ``/api/v1/kpis/`` read the value; callers match on the member.
"""

from django.db import models


class AnalyticsErrorCode(models.TextChoices):
    INVALID_DATE = "invalid_date"
    END_BEFORE_START = "end_before_start"
    RANGE_TOO_LONG = "range_too_long"
    UNKNOWN_CODE = "unknown_code"
    UNKNOWN_KPI = "unknown_kpi"
    UNKNOWN_PERIOD = "unknown_period"
