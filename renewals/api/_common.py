"""What the renewals API modules share: the optimistic-lock input and service field names."""

from contextlib import contextmanager

from rest_framework import serializers

from core.errors import ApplicationError


class _Versioned(serializers.Serializer):
    version = serializers.IntegerField(
        required=False, min_value=1, help_text="The case version you read; a stale one answers 409."
    )


# Service argument names -> the API's field names, for errors.
SERVICE_FIELDS = {"reason_code": "reason", "expected_version": "version", "assignee_id": "assignee"}


@contextmanager
def api_fields():
    """Re-raise service errors with the API's field names."""
    try:
        yield
    except ApplicationError as exc:
        if exc.field in SERVICE_FIELDS:
            exc.field = SERVICE_FIELDS[exc.field]
        raise
