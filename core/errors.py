"""The one error type for rule violations; views turn it into a form error or a 400/409."""


class ApplicationError(Exception):
    """A business rule refused the operation.

    ``field`` names the input at fault (None for the whole form); ``code`` is stable for
    API clients. ``status`` is the HTTP status an API answers with (400, 403 or 409).
    """

    def __init__(self, message, *, field=None, code="invalid", status=400):
        super().__init__(message)
        self.message = message
        self.field = field
        self.code = code
        self.status = status


class ConflictError(ApplicationError):
    """Someone else changed the record since it was read (optimistic lock)."""

    def __init__(self, message, *, field="version", code="conflict"):
        super().__init__(message, field=field, code=code, status=409)


class PermissionDeniedError(ApplicationError):
    def __init__(self, message, *, field=None, code="forbidden"):
        super().__init__(message, field=field, code=code, status=403)
