"""Growth curve (issue 18): the same pages and batch jobs at 100k, 1M and 5M policies.

Each size other than the report's scale is seeded into its own database, named after the bench
database (``<name>_100k``, ``<name>_5m``), with b10_seed's own ``_seed`` (seed_demo --reset, seed
2026, half as many customers); the report's scale is measured in the main bench database as the
modules before this one left it. Every size is measured by a child process of this module (its own
DATABASE_URL, so Django connects to that database only) that:

1. times the batch jobs: ``cases_open_due`` 90 days ahead (rolled back, as b20), the daily
   reminder planning run (rolled back), ``refresh_rollups`` full and incremental after 1,000
   changed cases (as b40), ``refresh_team_rollups`` (b70) and ``lifecycle_refresh`` (rolled back,
   as b80);
2. times the pages with the other modules' own functions (b20 queue and case pages, b40 dashboard
   and KPI API, b70 Team page, its API and the specialist's panel), reading the samples back from
   a scratch report (``bench.common.Row.samples_ms``), so the page lists live in one place.

Targets, with the report's scale as the reference: every page's p95 at the largest size is at most
1.3 × its p95 at the reference; every job grows at most linearly: its time per policy at the
largest size is at most 1.2 × its time per policy at the reference (jobs under 2 s at the largest
size pass: fixed costs and noise dominate there). The notes say what each extra size needed: seed
time, database size on disk (pg_database_size) and the child's total time.

Environment: BENCH_GROWTH_SIZES (default: a tenth of BENCH_POLICIES, BENCH_POLICIES and five times
it, so "100000,1000000,5000000" at the full scale), BENCH_KEEP_GROWTH=1 keeps the extra databases
(they are dropped by default).
"""

from __future__ import annotations

import datetime as dt
import json
import os
import re
import subprocess
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
PAGE_RATIO = 1.3
JOB_RATIO = 1.2
JOB_FLOOR_SECONDS = 2.0
TOUCHED_CASES = 1000


def _label(size: int) -> str:
    if size % 1_000_000 == 0:
        return f"{size // 1_000_000}m"
    if size % 1000 == 0:
        return f"{size // 1000}k"
    return str(size)


def _sizes(scale: int) -> list[int]:
    """BENCH_GROWTH_SIZES, or a tenth of the report's scale, the scale and five times it
    (100k, 1M, 5M at the full scale)."""
    raw = os.environ.get("BENCH_GROWTH_SIZES") or f"{max(1000, scale // 10)},{scale},{scale * 5}"
    sizes = sorted({int(part.replace("_", "")) for part in raw.split(",") if part.strip()})
    return sizes or [scale]


# --- the parent: one child per size, then the rows ------------------------------------------


def _admin():
    import psycopg2
    from django.conf import settings

    db = settings.DATABASES["default"]
    conn = psycopg2.connect(dbname="postgres", user=db["USER"], host=db["HOST"] or "127.0.0.1", port=db["PORT"] or 5432)
    conn.autocommit = True
    return conn, db


def _url(db: dict, name: str) -> str:
    return f"postgres://{db['USER']}@{db['HOST'] or '127.0.0.1'}:{db['PORT'] or 5432}/{name}"


def _measure(url: str, size: int, seed: bool) -> dict:
    out = Path(tempfile.mkstemp(prefix="rd-growth-", suffix=".json")[1])
    env = {**os.environ, "DATABASE_URL": url}
    started = time.monotonic()
    subprocess.run(
        [sys.executable, str(Path(__file__)), "child", str(size), "seed" if seed else "reuse", str(out)],
        cwd=ROOT,
        env=env,
        check=True,
    )
    result = json.loads(out.read_text(encoding="utf-8"))
    out.unlink()
    result["total_seconds"] = time.monotonic() - started
    return result


def run(report) -> None:
    from django.db import connection

    sizes = _sizes(report.scale)
    reference = report.scale if report.scale in sizes else sizes[len(sizes) // 2]
    conn, db = _admin()
    results: dict[int, dict] = {}
    connection.close()
    try:
        for size in sizes:
            if size == report.scale:
                name, seed = db["NAME"], False
            else:
                name, seed = f"{db['NAME']}_{_label(size)}", True
                with conn.cursor() as cursor:
                    cursor.execute(f'DROP DATABASE IF EXISTS "{name}"')
                    cursor.execute(f'CREATE DATABASE "{name}"')
            print(f"-- growth: {size:,} policies in {name} (the child prints its raw timings)", flush=True)
            results[size] = _measure(_url(db, name), size, seed)
            with conn.cursor() as cursor:
                cursor.execute("SELECT pg_database_size(%s)", [name])
                results[size]["db_bytes"] = cursor.fetchone()[0]
            results[size]["database"] = name
            if seed and os.environ.get("BENCH_KEEP_GROWTH") != "1":
                with conn.cursor() as cursor:
                    cursor.execute(f'DROP DATABASE IF EXISTS "{name}"')
    finally:
        conn.close()
    _rows(report, sizes, reference, results)


def _rows(report, sizes: list[int], reference: int, results: dict[int, dict]) -> None:
    largest = sizes[-1]
    labels = " / ".join(_label(s) for s in sizes)
    for size in sizes:
        r = results[size]
        seeded = f"seeded in {r['seed_seconds']:.0f} s, " if r.get("seed_seconds") is not None else "main bench DB, "
        report.note(
            f"b95_growth {_label(size)} ({r['policies']:,} policies, {r['open_cases']:,} open cases, "
            f"{r['database']}): {seeded}database {r['db_bytes'] / 1e9:.1f} GB on disk, "
            f"{r['total_seconds']:.0f} s in all"
            + ("" if size == reference or os.environ.get("BENCH_KEEP_GROWTH") == "1" else ", dropped afterwards")
        )
    ref, big = results[reference], results[largest]
    for key in ref["pages"]:
        values = [results[s]["pages"].get(key) for s in sizes]
        shown = " / ".join("—" if v is None else f"{v:.0f}" for v in values)
        if largest == reference or key not in big["pages"]:
            report.add("growth", f"page p95 {key} at {labels}", f"{shown} ms")
            continue
        ratio = big["pages"][key] / max(ref["pages"][key], 0.1)
        report.add(
            "growth",
            f"page p95 {key} at {labels}",
            f"{shown} ms ({_label(largest)}/{_label(reference)} × {ratio:.2f})",
            f"≤ {PAGE_RATIO:g} ×",
            ratio <= PAGE_RATIO,
        )
    for key in ref["jobs"]:
        values = [results[s]["jobs"].get(key) for s in sizes]
        shown = " / ".join("—" if v is None else f"{v:.1f}" for v in values)
        if largest == reference or key not in big["jobs"]:
            report.add("growth", f"job {key} at {labels}", f"{shown} s")
            continue
        per_ref = ref["jobs"][key] / ref["policies"]
        per_big = big["jobs"][key] / big["policies"]
        ratio = per_big / max(per_ref, 1e-12)
        report.add(
            "growth",
            f"job {key} at {labels}",
            f"{shown} s (time per policy {_label(largest)}/{_label(reference)} × {ratio:.2f})",
            f"≤ {JOB_RATIO:g} × per policy (or < {JOB_FLOOR_SECONDS:g} s)",
            ratio <= JOB_RATIO or big["jobs"][key] < JOB_FLOOR_SECONDS,
        )


# --- the child: one database, one size ------------------------------------------------------


class _Rollback(Exception):
    pass


def _rolled_back(work) -> float:
    """Seconds ``work()`` takes inside a transaction that is rolled back (deferred checks timed)."""
    from django.db import connection, transaction

    seconds = 0.0
    try:
        with transaction.atomic():
            started = time.perf_counter()
            work()
            with connection.cursor() as cursor:
                cursor.execute("SET CONSTRAINTS ALL IMMEDIATE")
            seconds = time.perf_counter() - started
            raise _Rollback
    except _Rollback:
        pass
    return seconds


def _timed(work) -> float:
    started = time.perf_counter()
    work()
    return time.perf_counter() - started


def _jobs() -> dict[str, float]:
    from django.utils import timezone

    from analytics.services import rollups_refresh
    from analytics.team.services import team_rollups_refresh
    from bench import b70_team
    from campaigns.services import lifecycle_refresh
    from notifications import services as notification_services
    from renewals import services as renewal_services
    from renewals.models import RenewalCase

    today = timezone.localdate()
    jobs = {
        "cases_open_due 90 days ahead (rolled back)": _rolled_back(
            lambda: renewal_services.cases_open_due(on_date=today + dt.timedelta(days=90))
        ),
        "reminder planning, daily run (rolled back)": _rolled_back(
            lambda: notification_services.reminders_plan(on_date=today)
        ),
        "refresh_rollups full": _timed(lambda: rollups_refresh(full=True)),
    }
    ids = list(RenewalCase.objects.order_by("-pk").values_list("pk", flat=True)[:TOUCHED_CASES])
    RenewalCase.objects.filter(pk__in=ids).update(updated_at=timezone.now() + dt.timedelta(minutes=30))
    jobs[f"refresh_rollups incremental after {len(ids):,} changed cases"] = _timed(rollups_refresh)
    b70_team._capacities()
    jobs["refresh_team_rollups"] = _timed(team_rollups_refresh)
    jobs["lifecycle_refresh (rolled back)"] = _rolled_back(lambda: lifecycle_refresh(on_date=today))
    return jobs


def _pages() -> dict[str, float]:
    from bench import b20_renewals, b40_analytics, b70_team
    from bench.common import Report, percentile

    scratch = Report(scale=0)
    b20_renewals._time_pages(scratch)
    b40_analytics._time_pages(scratch)
    b70_team.time_pages(scratch)
    pages = {}
    for row in scratch.rows:
        if row.samples_ms:
            # The metric without its figures in brackets (open-case counts differ between sizes).
            key = re.sub(r"\s*\([^)]*\)", "", row.metric).strip()
            pages[key] = percentile(row.samples_ms, 95)
    return pages


def child(size: int, seed: bool, out: str) -> None:
    sys.path.insert(0, str(ROOT))
    os.environ.setdefault("DJANGO_SETTINGS_MODULE", "config.settings")
    import django

    django.setup()
    from django.core.management import call_command
    from django.db import connection

    from bench import b10_seed
    from bench.common import Report
    from renewals.models import OPEN_STAGES, Policy, RenewalCase

    call_command("migrate", verbosity=0)
    result: dict = {"size": size, "seed_seconds": None}
    if seed:
        result["seed_seconds"] = _timed(lambda: b10_seed._seed(Report(scale=size), size))
    with connection.cursor() as cursor:
        cursor.execute("ANALYZE")
    result["policies"] = Policy.objects.count()
    result["open_cases"] = RenewalCase.objects.filter(stage__in=list(OPEN_STAGES)).count()
    result["jobs"] = _jobs()
    with connection.cursor() as cursor:
        cursor.execute("ANALYZE")
    result["pages"] = _pages()
    Path(out).write_text(json.dumps(result), encoding="utf-8")


if __name__ == "__main__":
    if len(sys.argv) == 5 and sys.argv[1] == "child":
        child(int(sys.argv[2]), sys.argv[3] == "seed", sys.argv[4])
    else:
        sys.exit("usage: b95_growth.py child SIZE seed|reuse OUT.json (run.py calls run(report))")
