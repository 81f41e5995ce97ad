"""Channel backends behind one interface: ``backend.send(outgoing) -> provider message id``.

A backend raises TemporaryFailure when a retry may succeed (timeouts, 5xx, 429) and
PermanentFailure when it cannot (bad address, 4xx). ``outgoing.idempotency_key`` is the outbox
row id: a resend after an expired lease carries the same key.
"""

import threading
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass

from django.conf import settings


@dataclass(frozen=True)
class Outgoing:
    idempotency_key: str
    channel: str
    to: str
    subject: str
    body: str
    # (file name, bytes, MIME type): the statutory notice e-mail carries its PDF.
    attachments: tuple[tuple[str, bytes, str], ...] = ()


class TemporaryFailure(Exception):
    pass


class PermanentFailure(Exception):
    pass


class Backends:
    """The backends of one dispatch run, created on first use and closed at the end."""

    def __init__(self):
        self._by_channel = {}

    def get(self, channel: str):
        if channel not in self._by_channel:
            self._by_channel[channel] = get_backend(channel)
        return self._by_channel[channel]

    def close(self) -> None:
        for backend in self._by_channel.values():
            close = getattr(backend, "close", None)
            if close:
                close()
        self._by_channel.clear()


class SenderPool:
    """A few threads that make provider calls side by side, each with its own backends (so its own
    SMTP connection and HTTP keep-alive connection, kept open across the run); ``close()`` ends them.

    Only provider calls run on these threads: they never touch the database. ``submit(fn, *args)``
    runs ``fn(pool.backend, *args)`` on a pool thread; ``pool.backend(channel)`` there is that
    thread's backend for the channel.
    """

    def __init__(self, size: int):
        self.size = max(1, size)
        self._executor = ThreadPoolExecutor(max_workers=self.size, thread_name_prefix="dispatch-send")
        self._local = threading.local()
        self._all: list[Backends] = []
        self._lock = threading.Lock()

    def _backends(self) -> "Backends":
        backends = getattr(self._local, "backends", None)
        if backends is None:
            backends = self._local.backends = Backends()
            with self._lock:
                self._all.append(backends)
        return backends

    def backend(self, channel: str):
        return self._backends().get(channel)

    def submit(self, fn, *args):
        return self._executor.submit(fn, self.backend, *args)

    def close(self) -> None:
        self._executor.shutdown(wait=True)
        with self._lock:
            for backends in self._all:
                backends.close()
            self._all.clear()


def get_backend(channel: str):
    if channel == "email":
        from notifications.backends.email import EmailBackend

        return EmailBackend()
    if channel == "sms":
        if settings.SMS_BACKEND == "http":
            from notifications.backends.sms import HttpSmsBackend

            return HttpSmsBackend(url=settings.SMS_GATEWAY_URL, token=settings.SMS_GATEWAY_TOKEN)
        from notifications.backends.sms import ConsoleSmsBackend

        return ConsoleSmsBackend()
    raise PermanentFailure(f"No backend for channel {channel!r}.")
