"""API pagination, throttles and the filter backend. Their own module because DRF imports DEFAULT_THROTTLE_CLASSES and
DEFAULT_PAGINATION_CLASS while it defines APIView/GenericAPIView: this must not import DRF views."""

from django.utils.translation import gettext_lazy as _
from django_filters.rest_framework import DjangoFilterBackend
from rest_framework.exceptions import ValidationError
from rest_framework.pagination import CursorPagination
from rest_framework.throttling import ScopedRateThrottle, SimpleRateThrottle


class AuthThrottle(ScopedRateThrottle):
    """The token endpoint: keyed by client IP (the caller is anonymous), rate "auth"."""

    scope_attr = "throttle_scope"

    def get_cache_key(self, request, view):
        return self.cache_format % {"scope": self.scope, "ident": self.get_ident(request)}


class WriteThrottle(SimpleRateThrottle):
    """Unsafe methods only, per user (or IP), rate "writes"."""

    scope = "writes"

    def get_cache_key(self, request, view):
        if request.method in ("GET", "HEAD", "OPTIONS"):
            return None
        ident = request.user.pk if request.user and request.user.is_authenticated else self.get_ident(request)
        return self.cache_format % {"scope": self.scope, "ident": ident}


class Cursor(CursorPagination):
    """Cursor pagination (no COUNT over million-row tables); ``?page_size=`` from 1 to 200.

    A page size that is not a whole number in that range answers 400 naming ``page_size`` (DRF would
    quietly use the default or cut it off), so the parameter behaves as the schema declares it."""

    page_size = 50
    page_size_query_param = "page_size"
    max_page_size = 200
    ordering = "-id"

    def get_page_size(self, request):
        text = request.query_params.get(self.page_size_query_param)
        if text is None:
            return self.page_size
        # Plain ASCII digits only: int() would also take " 5", "+5" and "5_0".
        size = int(text) if text.isascii() and text.isdigit() else 0
        if not 1 <= size <= self.max_page_size:
            message = _("Enter a whole number from 1 to %(max)d.") % {"max": self.max_page_size}
            raise ValidationError({self.page_size_query_param: [message]}, code="invalid")
        return size

    def get_schema_operation_parameters(self, view):
        parameters = super().get_schema_operation_parameters(view)
        for parameter in parameters:
            if parameter["name"] == self.page_size_query_param:
                parameter["schema"].update(minimum=1, maximum=self.max_page_size)
        return parameters


class FilterBackend(DjangoFilterBackend):
    """REST_FRAMEWORK["DEFAULT_FILTER_BACKENDS"]: ``filterset_fields`` get ``core.api.ApiFilterSet``
    as their base, so they refuse what the schema refuses like the declared filtersets."""

    @property
    def filterset_base(self):
        from core.api import ApiFilterSet  # not at import time: core.api imports DRF's views

        return ApiFilterSet
