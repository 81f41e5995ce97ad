"""API pagination and throttles. Their own module because DRF imports DEFAULT_THROTTLE_CLASSES and
DEFAULT_PAGINATION_CLASS while it defines APIView/GenericAPIView: this must not import DRF views."""

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
    """Cursor pagination (no COUNT over million-row tables); ``?page_size=`` up to 200."""

    page_size = 50
    page_size_query_param = "page_size"
    max_page_size = 200
    ordering = "-id"
