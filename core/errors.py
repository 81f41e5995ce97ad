"""The one error type for rule violations; views turn it into a form error or a 400/403/409.

Codes are ``TextChoices``: the shared ones below, and one enum per app (``customers.errors``,
``renewals.errors``, ``notifications.errors``, ``analytics.errors``) for its own rules. API clients
read the code's value; views and callers match on the enum member, never on a string literal.
"""

from django.db import models


class ErrorCode(models.TextChoices):
    INVALID = "invalid"
    REQUIRED = "required"
    NOT_FOUND = "not_found"
    OUT_OF_RANGE = "out_of_range"
    FORBIDDEN = "forbidden"
    CONFLICT = "conflict"


class ApplicationError(Exception):
    """A business rule refused the operation.

    ``field`` names the input at fault (None for the whole form); ``code`` (an ``ErrorCode`` or an
    app's own enum member) is stable for API clients. ``status`` is the HTTP status an API answers
    with (400, 403, 404 or 409).
    """

    def __init__(self, message, *, field=None, code=ErrorCode.INVALID, status=400):
        super().__init__(message)
        self.message = message
        self.field = field
        self.code = code
        self.status = status


class ConflictError(ApplicationError):
    """Someone else changed the record since it was read (optimistic lock)."""

    def __init__(self, message, *, field="version", code=ErrorCode.CONFLICT):
        super().__init__(message, field=field, code=code, status=409)


class PermissionDeniedError(ApplicationError):
    def __init__(self, message, *, field=None, code=ErrorCode.FORBIDDEN):
        super().__init__(message, field=field, code=code, status=403)
