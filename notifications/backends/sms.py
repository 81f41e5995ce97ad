import json
import logging
import urllib.error
import urllib.request

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
    """

    def __init__(self, *, url: str, token: str):
        self.url = url
        self.token = token

    def send(self, outgoing: Outgoing) -> str:
        payload = json.dumps({"to": outgoing.to, "text": outgoing.body, "reference": outgoing.idempotency_key}).encode(
            "utf-8"
        )
        request = urllib.request.Request(  # noqa: S310 (URL comes from settings)
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
            with urllib.request.urlopen(request, timeout=conf.sms_timeout_seconds()) as response:  # noqa: S310
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
