"""Shared API plumbing: one error shape, cursor pagination, throttles, the schema class.

Every error the API answers has the same JSON shape::

    {"status": 409, "code": "conflict", "message": "…", "errors": {"version": ["…"]}}

``errors`` maps a field name to its messages (``non_field_errors`` for the whole request) and
is empty when no field is at fault. DRF's own exceptions, Django's Http404/PermissionDenied and
``core.errors.ApplicationError`` (by its ``status``, ``field`` and ``code``) all go through
:func:`exception_handler`.
"""

import datetime as dt

import django_filters
from django.core.exceptions import PermissionDenied
from django.db import DataError
from django.http import Http404, JsonResponse
from django.utils.translation import gettext_lazy as _
from django.views.defaults import page_not_found
from drf_spectacular.openapi import AutoSchema as SpectacularAutoSchema
from drf_spectacular.utils import OpenApiResponse
from rest_framework import exceptions, serializers, status
from rest_framework.response import Response
from rest_framework.views import exception_handler as drf_exception_handler

from core.errors import ApplicationError

NON_FIELD = "non_field_errors"


def _flatten(detail, prefix="") -> dict[str, list[str]]:
    """DRF error details (nested dicts/lists) as ``{"field": ["message", ...]}``."""
    out: dict[str, list[str]] = {}
    if isinstance(detail, dict):
        for key, value in detail.items():
            name = f"{prefix}.{key}" if prefix else str(key)
            for field, messages in _flatten(value, name).items():
                out.setdefault(field, []).extend(messages)
    elif isinstance(detail, list):
        for index, value in enumerate(detail):
            if isinstance(value, dict | list):
                name = f"{prefix}.{index}" if prefix else str(index)
                for field, messages in _flatten(value, name).items():
                    out.setdefault(field, []).extend(messages)
            else:
                out.setdefault(prefix or NON_FIELD, []).append(str(value))
    else:
        out.setdefault(prefix or NON_FIELD, []).append(str(detail))
    return out


def error_body(status_code: int, code: str, message, errors: dict | None = None) -> dict:
    return {"status": status_code, "code": code, "message": str(message), "errors": errors or {}}


def exception_handler(exc, context):
    """REST_FRAMEWORK["EXCEPTION_HANDLER"]: every error in the one JSON shape."""
    if isinstance(exc, ApplicationError):
        errors = {exc.field: [str(exc.message)]} if exc.field else {}
        return Response(error_body(exc.status, exc.code, exc.message, errors), status=exc.status)
    if isinstance(exc, DataError):
        # The database refused a value (out of range for its column): the client's input, not a crash.
        exc = exceptions.ValidationError({NON_FIELD: [_("A value is out of range.")]})
    if isinstance(exc, Http404):
        exc = exceptions.NotFound()
    elif isinstance(exc, PermissionDenied):
        exc = exceptions.PermissionDenied()

    response = drf_exception_handler(exc, context)
    if response is None:
        return None  # an unexpected error: Django's 500 handling and logging take over
    if isinstance(exc, exceptions.ValidationError):
        errors = _flatten(exc.detail)
        codes = exc.get_codes()
        code = "invalid"
        if isinstance(codes, dict) and len(codes) == 1:
            only = next(iter(codes.values()))
            if isinstance(only, list) and len(only) == 1 and isinstance(only[0], str):
                code = only[0]
        response.data = error_body(response.status_code, code, _("Invalid input."), errors)
    else:
        detail = getattr(exc, "detail", "")
        code = getattr(detail, "code", None) or getattr(exc, "default_code", "error")
        response.data = error_body(response.status_code, code, detail)
    return response


class ErrorSerializer(serializers.Serializer):
    """The one error shape (documented for every operation)."""

    status = serializers.IntegerField()
    code = serializers.CharField()
    message = serializers.CharField()
    errors = serializers.DictField(child=serializers.ListField(child=serializers.CharField()))


_ERROR_CODES = {
    "400": _("Invalid input: `errors` maps each field to its messages."),
    "401": _("Not authenticated."),
    "403": _("Your role may not do this."),
    "404": _("Not found."),
    "409": _("Conflict: the record changed since it was read (stale `version`) or the action does not apply."),
    "429": _("Too many requests."),
}


class AutoSchema(SpectacularAutoSchema):
    """Adds the error responses every endpoint can answer, so the schema matches reality."""

    def _get_response_bodies(self, direction="response"):
        responses = super()._get_response_bodies(direction)
        if direction != "response":
            return responses
        for code, description in _ERROR_CODES.items():
            if code in responses:
                continue
            if code == "409" and self.method == "GET":
                continue
            responses[code] = self._get_response_for_code(
                OpenApiResponse(ErrorSerializer, description=str(description)), code, direction=direction
            )
        return responses


def conflict(message) -> Response:
    return Response(error_body(status.HTTP_409_CONFLICT, "conflict", message), status=status.HTTP_409_CONFLICT)


def handler404(request, exception):
    """config.urls.handler404: unknown /api/ paths answer the JSON error shape, others the page."""
    if request.path.startswith("/api/"):
        return JsonResponse(error_body(404, "not_found", _("Not found.")), status=404)
    return page_not_found(request, exception)


class UtcDateTimeFilter(django_filters.IsoDateTimeFilter):
    """ISO 8601 date-time filter whose value goes to the database in UTC (PostgreSQL refuses
    offsets beyond ±15:59, which ISO 8601 allows)."""

    def filter(self, qs, value):
        if value is not None:
            try:
                value = value.astimezone(dt.UTC)
            except OverflowError:
                raise exceptions.ValidationError({self.field_name: [_("Enter a valid date/time.")]}) from None
        return super().filter(qs, value)
