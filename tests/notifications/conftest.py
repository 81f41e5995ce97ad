"""Local stand-ins for the outside world: a real SMTP server (aiosmtpd) and an HTTP SMS gateway."""

import json
import socket
import threading
import time
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer

import pytest
from aiosmtpd.controller import Controller
from django.test import override_settings


def _free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return probe.getsockname()[1]


class _Sink:
    def __init__(self):
        self.messages = []

    async def handle_DATA(self, server, session, envelope):  # noqa: N802 (aiosmtpd's hook name)
        self.messages.append(envelope)
        return "250 OK"


@pytest.fixture
def smtp_server():
    """A real SMTP server on a free port; Django's SMTP backend points at it (with the project's
    EMAIL_TIMEOUT)."""
    sink = _Sink()
    port = sink.port = _free_port()
    controller = Controller(sink, hostname="127.0.0.1", port=port)
    controller.start()
    with override_settings(
        EMAIL_BACKEND="django.core.mail.backends.smtp.EmailBackend",
        EMAIL_HOST="127.0.0.1",
        EMAIL_PORT=port,
        EMAIL_HOST_USER="",
        EMAIL_HOST_PASSWORD="",
        EMAIL_USE_TLS=False,
        EMAIL_USE_SSL=False,
    ):
        yield sink
    controller.stop()


class Gateway:
    """Records every request; answers with the queued statuses, then 200 {"id": ...}, after
    ``delay_seconds`` (a real gateway's latency)."""

    def __init__(self):
        self.requests = []
        self.statuses = []
        self.delay_seconds = 0.0
        self.lock = threading.Lock()


@pytest.fixture
def sms_gateway():
    gateway = Gateway()

    class Handler(BaseHTTPRequestHandler):
        disable_nagle_algorithm = True

        def do_POST(self):  # noqa: N802
            length = int(self.headers.get("Content-Length", 0))
            body = json.loads(self.rfile.read(length) or b"{}")
            with gateway.lock:
                gateway.requests.append({"headers": dict(self.headers), "body": body})
                status = gateway.statuses.pop(0) if gateway.statuses else 200
            if gateway.delay_seconds:
                time.sleep(gateway.delay_seconds)
            self.send_response(status)
            self.send_header("Content-Type", "application/json")
            self.end_headers()
            if status == 200:
                self.wfile.write(json.dumps({"id": f"gw-{body.get('reference')}"}).encode())

        def log_message(self, *args):
            pass

    server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    url = f"http://127.0.0.1:{server.server_address[1]}/messages"
    with override_settings(SMS_BACKEND="http", SMS_GATEWAY_URL=url, SMS_GATEWAY_TOKEN="gw-token"):
        yield gateway
    server.shutdown()
    server.server_close()
