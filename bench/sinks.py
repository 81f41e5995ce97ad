"""Local stand-ins for the providers, each in its own process (so it never shares the dispatcher's
GIL): an SMTP sink (aiosmtpd) and an HTTP SMS gateway that honours the ``Idempotency-Key`` header.

Both count what they get: the SMTP sink counts messages per Message-ID (a repeat is a second
message with an id already seen); the gateway accepts the first request of each idempotency key and
suppresses a repeat (answers it with the same id, counted apart, no second SMS). ``GET /stats`` on
the stats port gives the counts as JSON; ``POST /reset`` clears them.

Used by bench/b30_notifications.py (throughput) and bench/b32_dispatch_crash.py (crash and race)::

    with SinkProcess("smtp") as smtp, SinkProcess("gateway") as gateway:
        ... smtp.port, gateway.url ...; smtp.stats() -> {"received": ..., "distinct": ..., "repeats": ...}

Run by hand: ``python -m bench.sinks smtp`` (prints "ready <port> <stats port>").
"""

import json
import logging
import re
import socket
import subprocess
import sys
import threading
import urllib.request
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
_MESSAGE_ID = re.compile(rb"^Message-ID:\s*(\S+)", re.IGNORECASE | re.MULTILINE)


class Counts:
    """What a sink got, by key (Message-ID or idempotency key)."""

    def __init__(self):
        self.lock = threading.Lock()
        self.reset()

    def reset(self) -> None:
        self.by_key: dict[str, int] = {}
        self.received = 0

    def add(self, key: str) -> bool:
        """Count one arrival; True when the key is new."""
        with self.lock:
            self.received += 1
            seen = self.by_key.get(key, 0)
            self.by_key[key] = seen + 1
            return seen == 0

    def stats(self) -> dict:
        with self.lock:
            repeated = {key: n for key, n in self.by_key.items() if n > 1}
            return {
                "received": self.received,
                "distinct": len(self.by_key),
                "repeats": self.received - len(self.by_key),
                "repeated_keys": sorted(repeated)[:50],
            }


class _Server(ThreadingHTTPServer):
    daemon_threads = True

    def handle_error(self, request, client_address):
        # A client killed mid-request (the crash bench's SIGKILL) resets its connection: not an error.
        if not isinstance(sys.exc_info()[1], ConnectionError):
            super().handle_error(request, client_address)


def _stats_server(counts: Counts, extra=None) -> ThreadingHTTPServer:
    class Stats(BaseHTTPRequestHandler):
        def do_GET(self):  # noqa: N802
            body = json.dumps({**counts.stats(), **(extra() if extra else {})}).encode()
            self.send_response(200)
            self.send_header("Content-Type", "application/json")
            self.send_header("Content-Length", str(len(body)))
            self.end_headers()
            self.wfile.write(body)

        def do_POST(self):  # noqa: N802
            with counts.lock:
                counts.reset()
            self.send_response(204)
            self.end_headers()

        def log_message(self, *args):
            pass

    server = _Server(("127.0.0.1", 0), Stats)
    threading.Thread(target=server.serve_forever, daemon=True).start()
    return server


def serve_smtp() -> None:
    from aiosmtpd.controller import Controller

    logging.getLogger("mail.log").setLevel(logging.WARNING)
    counts = Counts()

    class Sink:
        async def handle_DATA(self, server, session, envelope):  # noqa: N802 (aiosmtpd's hook name)
            header_end = envelope.original_content.find(b"\n\r\n")
            content = envelope.original_content
            match = _MESSAGE_ID.search(content, 0, header_end if header_end > 0 else len(content))
            counts.add(match.group(1).decode() if match else f"no-id-{counts.received}")
            return "250 OK"

    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        port = probe.getsockname()[1]
    controller = Controller(Sink(), hostname="127.0.0.1", port=port)
    controller.start()
    stats = _stats_server(counts)
    print(f"ready {port} {stats.server_address[1]}", flush=True)
    sys.stdin.read()  # until the parent closes our stdin (or dies)
    controller.stop()


def serve_gateway() -> None:
    counts = Counts()
    suppressed = {"n": 0}

    class Gateway(BaseHTTPRequestHandler):
        protocol_version = "HTTP/1.1"  # keep-alive
        disable_nagle_algorithm = True

        def do_POST(self):  # noqa: N802
            body = json.loads(self.rfile.read(int(self.headers.get("Content-Length", 0))) or b"{}")
            key = self.headers.get("Idempotency-Key") or f"no-key-{counts.received}"
            if not counts.add(key):
                with counts.lock:
                    suppressed["n"] += 1  # a repeat of an accepted key: answered, not sent again
            answer = json.dumps({"id": f"gw-{body.get('reference')}"}).encode()
            self.send_response(200)
            self.send_header("Content-Type", "application/json")
            self.send_header("Content-Length", str(len(answer)))
            self.end_headers()
            self.wfile.write(answer)

        def log_message(self, *args):
            pass

    server = _Server(("127.0.0.1", 0), Gateway)
    threading.Thread(target=server.serve_forever, daemon=True).start()
    stats = _stats_server(counts, lambda: {"suppressed": suppressed["n"], "accepted": len(counts.by_key)})
    print(f"ready {server.server_address[1]} {stats.server_address[1]}", flush=True)
    sys.stdin.read()
    server.shutdown()


class SinkProcess:
    """A sink ("smtp" or "gateway") in a child process; ``port``, ``url`` (gateway), ``stats()``."""

    def __init__(self, kind: str):
        self.kind = kind
        self.process = None

    def __enter__(self):
        self.process = subprocess.Popen(
            [sys.executable, "-m", "bench.sinks", self.kind],
            cwd=ROOT,
            stdin=subprocess.PIPE,
            stdout=subprocess.PIPE,
            text=True,
        )
        line = self.process.stdout.readline().split()
        if not line or line[0] != "ready":
            self.process.kill()
            raise RuntimeError(f"{self.kind} sink did not start")
        self.port, self.stats_port = int(line[1]), int(line[2])
        return self

    @property
    def url(self) -> str:
        return f"http://127.0.0.1:{self.port}/messages"

    def stats(self) -> dict:
        with urllib.request.urlopen(f"http://127.0.0.1:{self.stats_port}/stats", timeout=10) as response:  # noqa: S310
            return json.loads(response.read())

    def reset(self) -> None:
        request = urllib.request.Request(f"http://127.0.0.1:{self.stats_port}/reset", method="POST")  # noqa: S310
        urllib.request.urlopen(request, timeout=10).close()  # noqa: S310

    def __exit__(self, *exc):
        self.process.stdin.close()
        try:
            self.process.wait(timeout=10)
        except subprocess.TimeoutExpired:
            self.process.kill()
            self.process.wait()


if __name__ == "__main__":
    {"smtp": serve_smtp, "gateway": serve_gateway}[sys.argv[1]]()
