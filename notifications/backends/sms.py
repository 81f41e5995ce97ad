import ipaddress
import json
import logging
import urllib.error
import urllib.parse
import urllib.request

from django.conf import settings
from django.core.exceptions import ImproperlyConfigured

from notifications import conf
from notifications.backends import Outgoing, PermanentFailure, TemporaryFailure

logger = logging.getLogger(__name__)


class ConsoleSmsBackend:
    """The demo: prints the message (id and length only go to the log)."""

    def send(self, outgoing: Outgoing) -> str:
        print(f"SMS to {outgoing.to} [key {outgoing.idempotency_key}]: {outgoing.body}", flush=True)  # noqa: T201
        return f"console-{outgoing.idempotency_key}"


class HttpSmsBackend:
    """POST {"to", "text", "reference"} as JSON to SMS_GATEWAY_URL with a bearer token and an
    ``Idempotency-Key`` header (the outbox row id). The gateway answers {"id": "..."}.

    5xx, 429 and network errors are temporary; other 4xx are permanent.

    The URL must be https (the bearer token and the customers' numbers cross the network); plain
    http is accepted only with DEBUG on or to this machine (a gateway sidecar on loopback). Any other
    scheme (file:, ftp:) is refused, so urlopen can only make an HTTP(S) request.
    """

    def __init__(self, *, url: str, token: str):
        check_gateway_url(url)
        self.url = url
        self.token = token

    def send(self, outgoing: Outgoing) -> str:
        payload = json.dumps({"to": outgoing.to, "text": outgoing.body, "reference": outgoing.idempotency_key}).encode(
            "utf-8"
        )
        request = urllib.request.Request(  # noqa: S310 - the scheme is checked in __init__
            self.url,
            data=payload,
            method="POST",
            headers={
                "Content-Type": "application/json",
                "Authorization": f"Bearer {self.token}",
                "Idempotency-Key": outgoing.idempotency_key,
            },
        )
        try:
            timeout = conf.sms_timeout_seconds()
            # Bandit B310: the scheme is checked above (check_gateway_url in __init__: https only).
            with urllib.request.urlopen(request, timeout=timeout) as response:  # noqa: S310  # nosec B310
                body = response.read()
        except urllib.error.HTTPError as exc:
            text = f"gateway HTTP {exc.code}"
            if exc.code >= 500 or exc.code == 429:
                raise TemporaryFailure(text) from exc
            raise PermanentFailure(text) from exc
        except (urllib.error.URLError, OSError) as exc:
            raise TemporaryFailure(f"gateway unreachable: {type(exc).__name__}") from exc
        try:
            provider_id = str(json.loads(body or b"{}").get("id") or "")
        except (ValueError, AttributeError):
            provider_id = ""
        return provider_id or f"gw-{outgoing.idempotency_key}"


def _is_loopback(host: str) -> bool:
    if host == "localhost":
        return True
    try:
        return ipaddress.ip_address(host).is_loopback
    except ValueError:
        return False


def check_gateway_url(url: str) -> None:
    """Raise ImproperlyConfigured unless ``url`` is an https URL with a host (or plain http with
    DEBUG on or to a loopback address)."""
    parts = urllib.parse.urlsplit(url)
    host = parts.hostname or ""
    if parts.scheme == "https" and host:
        return
    if parts.scheme == "http" and host and (settings.DEBUG or _is_loopback(host)):
        return
    raise ImproperlyConfigured(
        "SMS_GATEWAY_URL must be an https:// URL (plain http only with DEBUG on or to this machine)."
    )
