"""Shared API plumbing: one error shape, the schema class, the serializer and filter bases.

Every error the API answers has the same JSON shape::

    {"status": 409, "code": "conflict", "message": "…", "errors": {"version": ["…"]}}

``errors`` maps a field name to its messages (``non_field_errors`` for the whole request) and
is empty when no field is at fault. DRF's own exceptions, Django's Http404/PermissionDenied and
``core.errors.ApplicationError`` (by its ``status``, ``field`` and ``code``) all go through
:func:`exception_handler`.

The published schema and the behaviour agree (docs/api.md, "What the schema guarantees"):
:class:`ApiModelSerializer` answers a blank choice or e-mail as ``null`` (declared nullable), and
:class:`ApiFilterSet` refuses every query value its schema refuses, with a 400 naming the parameter.
Pagination (``core.api_base.Cursor``) does the same for ``page_size``.
"""

import datetime as dt

import django_filters
from django import forms
from django.core.exceptions import PermissionDenied
from django.core.validators import MaxValueValidator, RegexValidator
from django.db import DataError, models
from django.http import Http404, JsonResponse
from django.utils.translation import gettext_lazy as _
from django.views.defaults import page_not_found
from django_filters import rest_framework as rest_filters
from drf_spectacular.openapi import AutoSchema as SpectacularAutoSchema
from drf_spectacular.utils import OpenApiResponse, extend_schema_field
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


# core.middleware.InputRulesMiddleware and DRF's CharField refuse a NUL byte in any text the client
# sends (PostgreSQL cannot hold one), so the schema says so on every free-text parameter and field.
NO_NUL_PATTERN = "^[^\\x00]*$"


class _StringOnly:
    """A text input that is a JSON string, as the schema says: DRF's text fields also take numbers
    (``"name": 0`` would be stored as "0"), which the schema refuses."""

    def to_internal_value(self, data):
        if not isinstance(data, str):
            self.fail("invalid")
        return super().to_internal_value(data)


class StrictCharField(_StringOnly, serializers.CharField):
    pass


class StrictSlugField(_StringOnly, serializers.SlugField):
    pass


# What str.strip() (DRF's trim_whitespace) removes, spelt out so Python and the schema's regex
# dialect read the class alike (their \s differ). A name is trimmed, so it needs one other character.
_SPACES = "\\t\\n\\x0b\\x0c\\r\\x1c-\\x1f \\x85\\xa0\\u1680\\u2000-\\u200a\\u2028\\u2029\\u202f\\u205f\\u3000"
NOT_BLANK_PATTERN = f"^[^\\x00]*[^\\x00{_SPACES}][^\\x00]*$"


class StrictNameField(StrictCharField):
    """A required name: trimmed, and refused when nothing but spaces is left; the schema states
    that with ``NOT_BLANK_PATTERN`` (one character that is neither a space nor NUL), so a name the
    schema accepts is a name the API accepts."""

    def __init__(self, **kwargs):
        super().__init__(**kwargs)
        self.validators.append(RegexValidator(NOT_BLANK_PATTERN, message=_("Enter a name, not only spaces.")))


class StrictBooleanField(serializers.BooleanField):
    """A JSON true or false, as the schema says: DRF's BooleanField also takes 0, 1, "yes", "on"…"""

    def to_internal_value(self, data):
        if not isinstance(data, bool):
            self.fail("invalid", input=data)
        return data


_STRICT_TEXT = {serializers.CharField: StrictCharField, serializers.SlugField: StrictSlugField}


def _forbid_nul(schema: dict) -> None:
    if schema.get("type") == "string" and not {"enum", "format", "pattern"} & schema.keys():
        schema["pattern"] = NO_NUL_PATTERN


class AutoSchema(SpectacularAutoSchema):
    """Adds the error responses every endpoint can answer and the NUL rule of every text input, so
    the schema matches reality."""

    def get_operation(self, *args, **kwargs):
        operation = super().get_operation(*args, **kwargs)
        for parameter in (operation or {}).get("parameters", []):
            _forbid_nul(parameter.get("schema", {}))
        return operation

    def _map_serializer_field(self, field, direction, bypass_extensions=False):
        schema = super()._map_serializer_field(field, direction, bypass_extensions)
        # A field with its own pattern (a slug, a regex) keeps it: spectacular adds validators'
        # patterns after this, only where none is set, and none of them lets a NUL byte through.
        if direction == "request" and not any(isinstance(v, RegexValidator) for v in field.validators):
            _forbid_nul(schema)
        return schema

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


# --- serializers: a blank is answered as null ----------------------------------------------

# PostgreSQL bigint, the type of every id column.
BIGINT_MAX = 2**63 - 1


class BlankAsNullMixin:
    """Django stores "none" in a ``CharField(blank=True)`` as ``""``, which is outside the field's
    ``enum`` or ``format: email``. The API answers it as ``null`` (declared nullable) and reads
    ``null`` back as blank, so the schema can keep its enum and format."""

    def __init__(self, **kwargs):
        kwargs["allow_null"] = True
        kwargs["allow_blank"] = False
        super().__init__(**kwargs)

    def to_representation(self, value):
        return None if value == "" else super().to_representation(value)

    def validate_empty_values(self, data):
        is_empty, value = super().validate_empty_values(data)
        return is_empty, ("" if is_empty and value is None else value)


class BlankAsNullChoiceField(BlankAsNullMixin, serializers.ChoiceField):
    pass


class BlankAsNullEmailField(BlankAsNullMixin, serializers.EmailField):
    pass


class ApiModelSerializer(serializers.ModelSerializer):
    """The base of every API model serializer: text columns take JSON strings only, and blank-able
    choice and e-mail columns answer null."""

    def build_standard_field(self, field_name, model_field):
        field_class, field_kwargs = super().build_standard_field(field_name, model_field)
        field_class = _STRICT_TEXT.get(field_class, field_class)
        if model_field.blank and not model_field.null:
            if field_class is serializers.ChoiceField:
                field_class = BlankAsNullChoiceField
            elif field_class is serializers.EmailField:
                field_class = BlankAsNullEmailField
        return field_class, field_kwargs


# --- filters: refuse what the schema refuses -----------------------------------------------

ISO_DATE = "%Y-%m-%d"


@extend_schema_field({"type": "integer", "minimum": 1, "maximum": BIGINT_MAX})
class IdFilter(django_filters.NumberFilter):
    """A related record by id. An id that matches nothing finds nothing (200, empty list), like any
    other filter value; only a value that is not an id answers 400."""

    field_class = forms.IntegerField

    def __init__(self, *args, **kwargs):
        kwargs.setdefault("min_value", 1)
        super().__init__(*args, **kwargs)

    def get_max_validator(self):
        return MaxValueValidator(BIGINT_MAX)


class ApiFilterForm(forms.Form):
    """Query values the schema refuses but a Django form lets through: an empty value for anything
    but free text (``?kind=``, ``?received_before=``, ``?customer=``) and a boolean other than
    true/false (django-filter reads ``?active=maybe`` as "not given")."""

    filter_kinds: dict[str, django_filters.Filter] = {}

    def clean(self):
        cleaned = super().clean()
        for name, filter_ in self.filter_kinds.items():
            raw = self.data.get(name)
            if raw is None or name in self.errors:
                continue
            if raw == "" and not isinstance(filter_, django_filters.CharFilter):
                self.add_error(name, forms.ValidationError(_("Give a value, or leave the parameter out."), "invalid"))
            elif isinstance(filter_, django_filters.BooleanFilter) and raw.lower() not in ("true", "false"):
                self.add_error(name, forms.ValidationError(_("Use true or false."), "invalid"))
        return cleaned


class ApiFilterSet(rest_filters.FilterSet):
    """The base of every API filterset (and of ``filterset_fields``, through ``core.api_base.FilterBackend``).

    Besides :class:`ApiFilterForm`'s rules: related records filter by id (:class:`IdFilter`, not a
    choice among every row), and dates are ISO 8601 only (``format: date``), not the locale's
    other input formats. Errors reach the client in the API's error shape (400, ``errors`` keyed by
    parameter) through django-filter's backend and :func:`exception_handler`."""

    FILTER_DEFAULTS = {
        **rest_filters.FilterSet.FILTER_DEFAULTS,
        models.ForeignKey: {"filter_class": IdFilter},
        models.OneToOneField: {"filter_class": IdFilter},
    }

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        for filter_ in self.filters.values():
            if isinstance(filter_, django_filters.DateFilter):
                filter_.extra.setdefault("input_formats", [ISO_DATE])

    def get_form_class(self):
        form_class = super().get_form_class()
        return type(f"{form_class.__name__}Strict", (ApiFilterForm, form_class), {"filter_kinds": self.filters})
