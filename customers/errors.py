"""Error codes of the customers app's own rules (the shared ones are in ``core.errors.ErrorCode``).

API clients read the value; views and tests match on the member.
"""

from django.db import models


class CustomersErrorCode(models.TextChoices):
    NAIVE_DATETIME = "naive_datetime"
    FUTURE = "future"
    INVALID_TRANSITION = "invalid_transition"
    ALREADY_ANSWERED = "already_answered"
    ALREADY_DONE = "already_done"
