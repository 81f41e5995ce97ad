"""Request helpers shared by the apps: the client's address behind proxies and safe redirects."""

import ipaddress

from django.conf import settings
from django.utils.http import url_has_allowed_host_and_scheme


def client_ip(request) -> str:
    """The client's address for rate limits.

    With ``TRUSTED_PROXY_COUNT = n`` (> 0) the app sits behind n reverse proxies, each appending the
    address it saw to ``X-Forwarded-For``; the n-th entry from the right was written by our outermost
    proxy and is the client's address. Entries further left are supplied by the client and may be
    spoofed, so they are never used. With 0 (the default) the header is ignored entirely.
    """
    remote = request.META.get("REMOTE_ADDR") or "unknown"
    trusted = getattr(settings, "TRUSTED_PROXY_COUNT", 0)
    if trusted <= 0:
        return remote
    forwarded = [part.strip() for part in request.META.get("HTTP_X_FORWARDED_FOR", "").split(",")]
    forwarded = [part for part in forwarded if part]
    if not forwarded:
        return remote
    # Fewer entries than proxies: the request skipped a proxy; the leftmost entry is the best we have.
    return forwarded[-min(trusted, len(forwarded))]


def login_client_ip(request) -> str | None:
    """``client_ip`` for the login lockout (django-axes), which stores an address column: None when
    the request carries no usable address (a test client's ``force_login``)."""
    address = client_ip(request)
    try:
        ipaddress.ip_address(address)
    except ValueError:
        return None
    return address


def safe_next(request, target: str | None, default: str) -> str:
    """``target`` when it is a URL on this site (same host, no scheme change), else ``default``."""
    if target and url_has_allowed_host_and_scheme(
        target, allowed_hosts={request.get_host()}, require_https=request.is_secure()
    ):
        return target
    return default
