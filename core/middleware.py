"""Request rules that hold for every page and API endpoint, one middleware per class of input.

Each class of bad input is refused here once, before any view sees it, instead of in each view:
a NUL byte in a parameter, JSON nested deeper than any real client sends, ``HEAD`` requests
(answered like ``GET``), and responses with personal data kept out of caches.
"""

import re

from django.http import HttpResponse, JsonResponse
from django.utils.cache import add_never_cache_headers
from django.utils.translation import gettext as _

# No real client nests JSON deeper than this; Python's parser would hit its recursion limit long
# before the 5,000 levels an attacker sends (a RecursionError, answered 500 before this rule).
MAX_JSON_DEPTH = 64
_JSON_STRING = re.compile(rb'"(?:[^"\\]|\\.)*"', re.DOTALL)
_JSON_BRACKET = re.compile(rb"[\[\]{}]")


def _bad_request(request, message: str, field: str | None = None) -> HttpResponse:
    """400 in the API's JSON error shape for API paths, a short text for pages."""
    if request.path.startswith("/api/"):
        errors = {field: [message]} if field else {}
        return JsonResponse({"status": 400, "code": "invalid", "message": message, "errors": errors}, status=400)
    return HttpResponse(message, status=400, content_type="text/plain; charset=utf-8")


def json_depth(body: bytes) -> int:
    """The deepest nesting of arrays and objects in a JSON document (strings are skipped)."""
    depth = deepest = 0
    for bracket in _JSON_BRACKET.findall(_JSON_STRING.sub(b'""', body)):
        if bracket in (b"[", b"{"):
            depth += 1
            deepest = max(deepest, depth)
        else:
            depth -= 1
    return deepest


def _nul_parameter(query_dict) -> str | None:
    for key, values in query_dict.lists():
        if "\x00" in key:
            return key.replace("\x00", "")
        for value in values:
            if isinstance(value, str) and "\x00" in value:
                return key
    return None


class InputRulesMiddleware:
    """400 for a NUL byte in any query or form parameter, and for JSON nested too deep.

    PostgreSQL cannot store or compare text with a NUL byte, so such a value would otherwise reach
    the database and fail there (500). Placed after the session and CSRF middleware need nothing
    from the body, before any view reads it.
    """

    def __init__(self, get_response):
        self.get_response = get_response

    def __call__(self, request):
        field = _nul_parameter(request.GET)
        content_type = request.META.get("CONTENT_TYPE", "")
        if (
            field is None
            and request.method == "POST"
            and content_type.startswith(("application/x-www-form-urlencoded", "multipart/form-data"))
        ):
            field = _nul_parameter(request.POST)
        if field is not None:
            return _bad_request(request, _("A value contains a NUL character, which is not allowed."), field)
        if content_type.startswith("application/json") and json_depth(request.body) > MAX_JSON_DEPTH:
            message = _("The JSON body is nested more than %(depth)d levels deep.") % {"depth": MAX_JSON_DEPTH}
            return _bad_request(request, message)
        return self.get_response(request)


class HeadAsGetMiddleware:
    """Answer ``HEAD`` exactly like ``GET`` (same status and headers), without the body.

    Load balancers and link checkers send ``HEAD``; views written for ``GET`` would answer 405.
    """

    def __init__(self, get_response):
        self.get_response = get_response

    def __call__(self, request):
        if request.method != "HEAD":
            return self.get_response(request)
        request.method = "GET"
        response = self.get_response(request)
        request.method = "HEAD"
        if not response.streaming:
            length = len(response.content)
            response.content = b""
            response["Content-Length"] = str(length)
        return response


class NoStoreMiddleware:
    """``Cache-Control: no-store`` on every page and API answer that does not say otherwise.

    Queues, cases, customers, tokens and the customers' own offer pages carry personal data; no
    browser or proxy cache may keep them. Static files are served before this (WhiteNoise) and keep
    their long cache lifetimes.
    """

    def __init__(self, get_response):
        self.get_response = get_response

    def __call__(self, request):
        response = self.get_response(request)
        if not response.has_header("Cache-Control"):
            add_never_cache_headers(response)
        return response
