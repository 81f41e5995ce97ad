"""Run the locustfile against a real stack: gunicorn over TLS with the production settings, a
Celery worker and beat, then check the database against locust's log of successful writes.

Used by ``bench/b90_load.py`` (the bench book, 5 minutes) and ``tests/load/test_locust_smoke.py``
(the test database, ~20 s). Processes are started with ``subprocess.Popen`` in their own process
group and stopped by their id (SIGTERM, then SIGKILL after a grace period).
"""

from __future__ import annotations

import csv
import json
import os
import signal
import socket
import ssl
import subprocess
import sys
import tempfile
import time
import urllib.error
import urllib.request
from collections import Counter
from dataclasses import dataclass, field
from pathlib import Path

ROOT = Path(__file__).resolve().parents[2]
VENV_BIN = Path(sys.executable).parent
LOCUSTFILE = Path(__file__).with_name("locustfile.py")

# Two cores: three sync-free gthread workers with four threads each keep both cores busy while
# requests wait on PostgreSQL, and leave room for locust, PostgreSQL, the worker and beat.
GUNICORN_WORKERS = int(os.environ.get("BENCH_LOAD_WORKERS", "3"))
GUNICORN_THREADS = int(os.environ.get("BENCH_LOAD_THREADS", "4"))


def free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return probe.getsockname()[1]


def production_env(database_url: str, redis_url: str, **extra) -> dict:
    """The process environment of a production deployment on this machine: DEBUG off, HTTPS and
    secure cookies on, hashed static files, Redis for cache and broker."""
    env = {k: v for k, v in os.environ.items() if not k.startswith(("PYTEST", "DJANGO_LIVE"))}
    env.update(
        DEBUG="0",
        SECURE_HTTPS="1",
        STATIC_MANIFEST="1",
        DATABASE_URL=database_url,
        REDIS_URL=redis_url,
        CELERY_BROKER_URL=redis_url,
        CELERY_TASK_ALWAYS_EAGER="0",
        DJANGO_SETTINGS_MODULE="config.settings",
        PYTHONUNBUFFERED="1",
    )
    env.setdefault("SECRET_KEY", "load-test-secret-key-0123456789-abcdefghijklmnopqrstuvwxyz-ABCDEFGHIJ")
    env.setdefault("EMAIL_URL", "consolemail://")
    env.setdefault("SMS_BACKEND", "console")
    env.update(extra)
    return env


def self_signed_cert(directory: Path) -> tuple[Path, Path]:
    """A throw-away certificate for 127.0.0.1/localhost, made with openssl for this run only."""
    cert, key = directory / "cert.pem", directory / "key.pem"
    subprocess.run(
        [
            "openssl", "req", "-x509", "-newkey", "rsa:2048", "-nodes", "-days", "1",
            "-subj", "/CN=localhost", "-addext", "subjectAltName=DNS:localhost,IP:127.0.0.1",
            "-keyout", str(key), "-out", str(cert),
        ],
        check=True,
        capture_output=True,
    )  # fmt: skip
    return cert, key


@dataclass
class Stack:
    """gunicorn + Celery worker + beat, started together and stopped together."""

    env: dict
    workdir: Path
    port: int = 0
    processes: list = field(default_factory=list)
    logs: list = field(default_factory=list)

    @property
    def url(self) -> str:
        return f"https://127.0.0.1:{self.port}"

    def _spawn(self, name: str, args: list[str]) -> subprocess.Popen:
        log = open(self.workdir / f"{name}.log", "w", encoding="utf-8")  # noqa: SIM115 - closed in stop()
        self.logs.append(log)
        process = subprocess.Popen(
            args, cwd=ROOT, env=self.env, stdout=log, stderr=subprocess.STDOUT, start_new_session=True
        )
        self.processes.append((name, process))
        return process

    def start(self, *, celery: bool = True) -> Stack:
        if self.env.get("STATIC_MANIFEST") != "0":
            # Hashed, compressed static files as in production (1-2 minutes on this machine).
            subprocess.run(
                [str(VENV_BIN / "python"), "manage.py", "collectstatic", "--noinput", "-v", "0"],
                cwd=ROOT, env=self.env, check=True,
            )  # fmt: skip
        cert, key = self_signed_cert(self.workdir)
        self.port = free_port()
        self._spawn(
            "gunicorn",
            [
                str(VENV_BIN / "gunicorn"), "config.wsgi:application",
                "--bind", f"127.0.0.1:{self.port}",
                "--certfile", str(cert), "--keyfile", str(key),
                "--worker-class", "gthread", "--workers", str(GUNICORN_WORKERS), "--threads", str(GUNICORN_THREADS),
                "--keep-alive", "30", "--timeout", "120", "--log-level", "warning",
            ],
        )  # fmt: skip
        if celery:
            self._spawn(
                "worker",
                [str(VENV_BIN / "celery"), "-A", "config", "worker", "--loglevel", "WARNING", "--concurrency", "1",
                 "--pool", "prefork"],
            )  # fmt: skip
            self._spawn(
                "beat",
                [str(VENV_BIN / "celery"), "-A", "config", "beat", "--loglevel", "WARNING",
                 "--pidfile", str(self.workdir / "beat.pid")],
            )  # fmt: skip
        self._wait_ready()
        return self

    def _wait_ready(self, timeout: float = 90) -> None:
        context = ssl.create_default_context()
        context.check_hostname = False
        context.verify_mode = ssl.CERT_NONE
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            for name, process in self.processes:
                if process.poll() is not None:
                    raise RuntimeError(f"{name} exited with {process.returncode}: {self.log_tail(name)}")
            try:
                with urllib.request.urlopen(f"{self.url}/healthz", context=context, timeout=5) as answer:  # noqa: S310
                    if answer.status == 200:
                        return
            except (urllib.error.URLError, OSError):
                time.sleep(0.5)
        raise RuntimeError(f"gunicorn did not answer /healthz: {self.log_tail('gunicorn')}")

    def log_tail(self, name: str, lines: int = 30) -> str:
        path = self.workdir / f"{name}.log"
        return (
            "\n".join(path.read_text(encoding="utf-8", errors="replace").splitlines()[-lines:]) if path.exists() else ""
        )

    def cpu_seconds(self) -> dict[str, float]:
        """CPU time (user + system) used so far by each started process and its children."""
        import psutil

        used = {}
        for name, process in self.processes:
            try:
                root = psutil.Process(process.pid)
                total = 0.0
                for proc in [root, *root.children(recursive=True)]:
                    times = proc.cpu_times()
                    total += times.user + times.system
                used[name] = total
            except psutil.Error:
                used[name] = float("nan")
        return used

    def alive(self) -> dict[str, bool]:
        return {name: process.poll() is None for name, process in self.processes}

    def stop(self, grace: float = 20) -> dict[str, int | None]:
        """SIGTERM each process group we started (warm shutdown for Celery), SIGKILL what is left."""
        codes = {}
        for _name, process in reversed(self.processes):
            if process.poll() is None:
                os.killpg(process.pid, signal.SIGTERM)
        deadline = time.monotonic() + grace
        for name, process in reversed(self.processes):
            try:
                codes[name] = process.wait(timeout=max(0.1, deadline - time.monotonic()))
            except subprocess.TimeoutExpired:
                os.killpg(process.pid, signal.SIGKILL)
                codes[name] = process.wait()
        for log in self.logs:
            log.close()
        return codes


@dataclass
class LocustRun:
    stats: list[dict]
    samples: dict[str, list[float]]
    writes: list[dict]
    seconds: float
    returncode: int
    output: str


def run_locust(
    *, host: str, users: dict, seconds: int, counts: tuple[int, int, int], workdir: Path, env: dict, warmup: int = 0
) -> LocustRun:
    """locust for ``warmup + seconds`` plus the ramp-up (the logins); the figures are reset ``warmup``
    seconds after the last login, so they cover at most the last ``seconds``."""
    users_file = workdir / "users.json"
    users_file.write_text(json.dumps(users, ensure_ascii=False), encoding="utf-8")
    write_log, samples_file = workdir / "writes.jsonl", workdir / "samples.json"
    write_log.write_text("", encoding="utf-8")
    total = sum(counts)
    # 2-3 users a second: fifty logins at once (PBKDF2, slow on purpose) would stall the machine;
    # the run is lengthened by the ramp and a margin for the logins to finish.
    ramp = total // max(1, total // 20) + 15 if warmup else 0
    locust_env = {
        **env,
        "LOAD_USERS_FILE": str(users_file),
        "LOAD_WRITE_LOG": str(write_log),
        "LOAD_SAMPLES_FILE": str(samples_file),
        "LOAD_COUNTS": ",".join(str(n) for n in counts),
        "LOAD_WARMUP": str(warmup),
    }
    started = time.monotonic()
    result = subprocess.run(
        [
            str(VENV_BIN / "locust"), "-f", str(LOCUSTFILE), "--headless", "--host", host,
            "-u", str(total), "-r", str(max(1, total // 20)), "--run-time", f"{seconds + warmup + ramp}s",
            "--stop-timeout", "10", "--csv", str(workdir / "locust"), "--only-summary", "--loglevel", "WARNING",
            "--exit-code-on-error", "0",
        ],
        cwd=ROOT, env=locust_env, capture_output=True, text=True, timeout=seconds + warmup + 300,
    )  # fmt: skip
    elapsed = time.monotonic() - started
    stats_path = workdir / "locust_stats.csv"
    stats = list(csv.DictReader(stats_path.open(encoding="utf-8"))) if stats_path.exists() else []
    samples = (
        json.loads(samples_file.read_text(encoding="utf-8")) if samples_file.exists() else {"page": [], "write": []}
    )
    writes = [json.loads(line) for line in write_log.read_text(encoding="utf-8").splitlines() if line.strip()]
    return LocustRun(stats, samples, writes, elapsed, result.returncode, (result.stdout + result.stderr)[-4000:])


def verify_writes(writes: list[dict]) -> dict:
    """Compare the database with locust's own log of successful writes (not the app's code).

    - every logged contact note is on exactly one contact event of its case (the timeline);
    - no note of a stale form the lock refused reached the database;
    - every decided case is in the stage locust saw and has exactly one closing event, and a
      renewed one its successor policy;
    - every logged complaint and survey answer is in its table exactly once.
    """
    from django.db.models import Count, Q

    from customers.models import Complaint, SurveyResponse
    from renewals.models import CaseEvent, RenewalCase

    kinds = Counter(w["kind"] for w in writes)
    contacts = [w for w in writes if w["kind"] == "contact"]
    refused = [w for w in writes if w["kind"] == "conflict"]
    notes = {w["note"] for w in contacts} | {w["note"] for w in refused}
    found = Counter(
        (case_id, note)
        for case_id, note in CaseEvent.objects.filter(
            kind=CaseEvent.Kind.CONTACT, payload__note__in=list(notes)
        ).values_list("case_id", "payload__note")
    )
    contacts_missing = [w for w in contacts if found[(w["case"], w["note"])] != 1]
    refused_landed = [w for w in refused if found[(w["case"], w["note"])] != 0]

    decided = {w["case"]: w["outcome"] for w in writes if w["kind"] == "decide"}
    closing = [CaseEvent.Kind.RENEWED, CaseEvent.Kind.LOST, CaseEvent.Kind.NOT_OFFERED]
    rows = (
        RenewalCase.objects.filter(pk__in=list(decided))
        .annotate(closings=Count("events", filter=Q(events__kind__in=closing)))
        .values_list("pk", "stage", "closings", "successor_policy_id")
    )
    bad_decisions = [
        pk
        for pk, stage, closings, successor in rows
        if stage != decided[pk] or closings != 1 or (stage == "renewed") != (successor is not None)
    ]
    bad_decisions += sorted(set(decided) - {row[0] for row in rows})

    descriptions = [w["description"] for w in writes if w["kind"] == "complaint"]
    complaint_counts = Counter(
        Complaint.objects.filter(description__in=descriptions).values_list("description", flat=True)
    )
    complaints_missing = [d for d in descriptions if complaint_counts[d] != 1]
    comments = [w["comment"] for w in writes if w["kind"] == "survey"]
    survey_counts = Counter(SurveyResponse.objects.filter(comment__in=comments).values_list("comment", flat=True))
    surveys_missing = [c for c in comments if survey_counts[c] != 1]
    return {
        "kinds": dict(kinds),
        "contacts": len(contacts),
        "contacts_missing": contacts_missing,
        "refused": len(refused),
        "refused_landed": refused_landed,
        "decided": len(decided),
        "bad_decisions": bad_decisions,
        "complaints": len(descriptions),
        "complaints_missing": complaints_missing,
        "surveys": len(comments),
        "surveys_missing": surveys_missing,
        "lost_updates": len(contacts_missing) + len(refused_landed) + len(bad_decisions)
        + len(complaints_missing) + len(surveys_missing),
    }  # fmt: skip


def workdir() -> Path:
    return Path(tempfile.mkdtemp(prefix="rd-load-"))
