"""The desk under concurrent load (issue 18): locust against gunicorn with the production settings.

1. 40 specialist, 5 support and 5 manager accounts (``bench.load.setup``: the demo users' way of
   making users, and the managers' bulk reassignment to give each load specialist 60 open cases).
2. gunicorn (gthread, ``bench.load.runner.GUNICORN_WORKERS`` × ``GUNICORN_THREADS``) serving TLS
   with a self-signed certificate made by openssl for the run, DEBUG=0, SECURE_HTTPS=1 (secure
   cookies, HSTS, SSL redirect), hashed static files; a Celery worker and beat beside it, on the
   bench database and the bench's Redis.
3. ``bench/load/locustfile.py`` headless for BENCH_LOAD_SECONDS (default 300) with --csv: one row
   per request kind (requests/s, p50/p95/p99), target rows for errors, page and write p95, and the
   conflicts the optimistic lock answered (expected, not errors).
4. Afterwards the database is checked against locust's own log of successful writes: no lost
   update (``bench.load.runner.verify_writes``).
"""

import os

from django.conf import settings
from django.contrib.auth.models import User
from django.db import connection

from bench.common import Report, percentile
from bench.load import runner
from bench.load.setup import load_accounts_prepare

TARGET_PAGE_P95_MS = 250.0
TARGET_WRITE_P95_MS = 400.0
COUNTS = (40, 5, 5)


def _kind_rows(report: Report, run: runner.LocustRun) -> None:
    for row in sorted(run.stats, key=lambda r: (r["Type"], r["Name"])):
        if row["Name"] == "Aggregated" or row["Type"] == "CONFLICT" or not int(row["Request Count"]):
            continue  # the logins happen before the figures are reset
        count, failures = int(row["Request Count"]), int(row["Failure Count"])
        report.add(
            "load",
            f"{row['Name']}",
            f"{float(row['Requests/s']):.2f} req/s, p50 {row['50%']} / p95 {row['95%']} / p99 {row['99%']} ms "
            f"(n={count}{f', {failures} failed' if failures else ''})",
        )


def run(report: Report) -> None:
    seconds = int(os.environ.get("BENCH_LOAD_SECONDS", "300"))
    warmup = int(os.environ.get("BENCH_LOAD_WARMUP", "45"))
    accounts = load_accounts_prepare(specialists=COUNTS[0], support=COUNTS[1], managers=COUNTS[2])
    with connection.cursor() as cursor:
        cursor.execute("ANALYZE renewals_renewalcase")
    connection.close()  # gunicorn, Celery and locust open their own connections
    workdir = runner.workdir()
    env = runner.production_env(os.environ["DATABASE_URL"], settings.REDIS_URL)
    stack = runner.Stack(env=env, workdir=workdir).start()
    cpu_before = stack.cpu_seconds()
    try:
        result = runner.run_locust(
            host=stack.url, users=accounts, seconds=seconds, counts=COUNTS, workdir=workdir, env=env, warmup=warmup
        )
        alive = stack.alive()
        cpu_after = stack.cpu_seconds()
        load_average = os.getloadavg()
    finally:
        codes = stack.stop()
        # Leave the book's team as b10 made it for the modules after this one (b95 compares the
        # bench database with freshly seeded ones): the load accounts stop counting as specialists.
        User.objects.filter(username__startswith="load-").update(is_active=False)
    report.note(
        f"b90_load: gunicorn gthread {runner.GUNICORN_WORKERS} workers × {runner.GUNICORN_THREADS} threads over TLS "
        f"(self-signed, openssl), DEBUG=0, SECURE_HTTPS=1; Celery worker (concurrency 1) and beat alive through the "
        f"run: {all(alive.values())}, exit codes after SIGTERM {codes}; locust {sum(COUNTS)} users "
        f"({COUNTS[0]} specialists, {COUNTS[1]} support, {COUNTS[2]} managers, a click every 2-6 s each) measured "
        f"for up to {seconds} s, from {warmup} s after the last login "
        f"(ramp 2 users/s; wall {result.seconds:.0f} s in all); "
        f"{accounts['cases_handed']:,} cases handed to the load specialists; "
        f"logs in {workdir}."
    )
    rows = [r for r in result.stats if r["Type"] in ("GET", "POST")]
    requests = sum(int(r["Request Count"]) for r in rows)
    web_cpu = cpu_after["gunicorn"] - cpu_before["gunicorn"]
    report.note(
        f"b90_load: gunicorn used {web_cpu:.0f} CPU-seconds over the whole locust run ({result.seconds:.0f} s, "
        f"{os.cpu_count()} cores = {os.cpu_count() * result.seconds:.0f} CPU-seconds available), Celery worker + beat "
        f"{cpu_after['worker'] + cpu_after['beat'] - cpu_before['worker'] - cpu_before['beat']:.0f}; "
        f"load average at the end {load_average[0]:.1f} / {load_average[1]:.1f} / {load_average[2]:.1f} "
        "(1 / 5 / 15 min; other work on the machine counts too)."
    )
    failures = sum(int(r["Failure Count"]) for r in rows)
    aggregated = next((r for r in result.stats if r["Name"] == "Aggregated"), None)
    rate = float(aggregated["Requests/s"]) if aggregated else 0.0
    report.add(
        "load",
        f"errors over {requests:,} requests ({rate:.1f} req/s overall)",
        f"{failures}",
        "0",
        failures == 0 and requests > 0,
    )
    if failures:
        failed = [r for r in rows if int(r["Failure Count"])]
        report.note("b90_load failures: " + "; ".join(f"{r['Name']}: {r['Failure Count']}" for r in failed))
        failures_csv = workdir / "locust_failures.csv"
        if failures_csv.exists():
            report.note(
                "b90_load failure messages: " + failures_csv.read_text(encoding="utf-8")[:1500].replace("\n", " | ")
            )
    for kind, target in (("page", TARGET_PAGE_P95_MS), ("write", TARGET_WRITE_P95_MS)):
        samples = result.samples.get(kind) or [0.0]
        p50, p95, p99 = (percentile(samples, q) for q in (50, 95, 99))
        report.add(
            "load",
            f"all {kind}s ({'GET, fragments included' if kind == 'page' else 'POST, login excluded'})",
            f"p50 {p50:.0f} / p95 {p95:.0f} / p99 {p99:.0f} ms (n={len(samples):,})",
            f"p95 < {target:g} ms",
            p95 < target,
        )
    conflicts = {r["Name"]: int(r["Request Count"]) for r in result.stats if r["Type"] == "CONFLICT"}
    check = runner.verify_writes(result.writes)
    report.add(
        "load",
        "conflicts answered clearly by the optimistic lock (expected, not errors)",
        f"{check['refused']} stale forms refused (write log); locust CONFLICT rows: "
        + (", ".join(f"{name} {n}" for name, n in sorted(conflicts.items())) or "none"),
    )
    report.add(
        "load",
        f"lost updates (DB vs locust's log: {check['contacts']:,} contacts, {check['refused']} stale forms refused, "
        f"{check['decided']:,} decided cases, {check['complaints']:,} complaints, {check['surveys']:,} NPS answers)",
        f"{check['lost_updates']}",
        "0",
        check["lost_updates"] == 0 and check["contacts"] > 0,
    )
    if check["lost_updates"]:
        report.note(f"b90_load lost updates: {check}"[:2000])
    _kind_rows(report, result)
