import http.client
import ipaddress
import json
import logging
import urllib.parse

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

    One instance keeps one HTTP/1.1 connection open (keep-alive) across its sends; ``close()`` ends
    it. A kept-open connection the gateway closed meanwhile is reopened and the request sent once
    more: safe, as the gateway honours the idempotency key (a repeat is not a second SMS). An
    instance is used by one thread at a time (dispatch gives each sender thread its own).

    The URL must be https (the bearer token and the customers' numbers cross the network); plain
    http is accepted only with DEBUG on or to this machine (a gateway sidecar on loopback). Any other
    scheme (file:, ftp:) is refused.
    """

    def __init__(self, *, url: str, token: str):
        check_gateway_url(url)
        self.url = url
        self.token = token
        parts = urllib.parse.urlsplit(url)
        self._https = parts.scheme == "https"
        self._host = parts.hostname
        self._port = parts.port
        self._path = (parts.path or "/") + (f"?{parts.query}" if parts.query else "")
        self._connection = None

    def close(self) -> None:
        if self._connection is not None:
            self._connection.close()
            self._connection = None

    def _open(self):
        timeout = conf.sms_timeout_seconds()
        if self._https:
            return http.client.HTTPSConnection(self._host, self._port, timeout=timeout)
        connection = http.client.HTTPConnection(self._host, self._port, timeout=timeout)
        return connection

    def send(self, outgoing: Outgoing) -> str:
        payload = json.dumps({"to": outgoing.to, "text": outgoing.body, "reference": outgoing.idempotency_key}).encode(
            "utf-8"
        )
        headers = {
            "Content-Type": "application/json",
            "Authorization": f"Bearer {self.token}",
            "Idempotency-Key": outgoing.idempotency_key,
        }
        reused = self._connection is not None
        try:
            status, body = self._post(payload, headers)
        except (http.client.RemoteDisconnected, ConnectionResetError, BrokenPipeError) as exc:
            self.close()
            if not reused:
                raise TemporaryFailure(f"gateway unreachable: {type(exc).__name__}") from exc
            # The gateway closed the idle kept-open connection: once more on a new one, same key.
            try:
                status, body = self._post(payload, headers)
            except (http.client.HTTPException, OSError) as again:
                self.close()
                raise TemporaryFailure(f"gateway unreachable: {type(again).__name__}") from again
        except (http.client.HTTPException, OSError) as exc:
            self.close()
            raise TemporaryFailure(f"gateway unreachable: {type(exc).__name__}") from exc
        if status >= 400:
            text = f"gateway HTTP {status}"
            if status >= 500 or status == 429:
                raise TemporaryFailure(text)
            raise PermanentFailure(text)
        try:
            provider_id = str(json.loads(body or b"{}").get("id") or "")
        except (ValueError, AttributeError):
            provider_id = ""
        return provider_id or f"gw-{outgoing.idempotency_key}"

    def _post(self, payload: bytes, headers: dict) -> tuple[int, bytes]:
        if self._connection is None:
            self._connection = self._open()
        self._connection.request("POST", self._path, body=payload, headers=headers)
        response = self._connection.getresponse()
        body = response.read()
        if response.will_close:
            self.close()
        return response.status, body


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
