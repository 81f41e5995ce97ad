"""`make bench`: run every bench/b<NN>_*.py module in order and write bench/report.md.

Environment: BENCH_DATABASE_URL (default: postgres://postgres@127.0.0.1:5432/renewal_desk_bench),
BENCH_POLICIES (default 1,000,000), BENCH_ONLY (comma-separated module names to run, e.g. b20_renewals).
"""

import datetime as dt
import importlib
import os
import platform
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))
os.environ["DATABASE_URL"] = os.environ.get(
    "BENCH_DATABASE_URL", "postgres://postgres@127.0.0.1:5432/renewal_desk_bench"
)
os.environ.setdefault("DJANGO_SETTINGS_MODULE", "config.settings")

import django  # noqa: E402

django.setup()

from django.core.management import call_command  # noqa: E402

from bench.common import Report  # noqa: E402


def main():
    scale = int(os.environ.get("BENCH_POLICIES", "1000000"))
    only = {name for name in os.environ.get("BENCH_ONLY", "").split(",") if name}
    _ensure_database()
    call_command("migrate", verbosity=0)
    report = Report(scale=scale)
    started = dt.datetime.now().astimezone()
    modules = sorted(p.stem for p in (ROOT / "bench").glob("b[0-9][0-9]_*.py"))
    selected = [name for name in modules if not only or name in only]
    for done, name in enumerate(selected, start=1):
        print(f"== {name}", flush=True)
        importlib.import_module(f"bench.{name}").run(report)
        # Written after every module, so a run stopped part-way still leaves what it measured.
        _write(report, started, scale, finished=done == len(selected), last=name)
    print(f"wrote bench/report.md ({len(report.rows)} rows)")
    return 1 if any(row.passed is False for row in report.rows) else 0


def _write(report: Report, started: dt.datetime, scale: int, *, finished: bool, last: str) -> None:
    minutes = (dt.datetime.now().astimezone() - started).total_seconds() / 60
    state = f"whole run {minutes:.0f} min" if finished else f"partial: {minutes:.0f} min so far, up to {last}"
    header = (
        f"# Benchmark report\n\n{started:%Y-%m-%d %H:%M %Z} · {scale:,} policies · {os.cpu_count()} cores · "
        f"Python {platform.python_version()} · PostgreSQL · {state}"
    )
    (ROOT / "bench" / "report.md").write_text(report.markdown(header), encoding="utf-8")


def _ensure_database():
    """Create the bench database if it does not exist yet (trust auth on localhost)."""
    import psycopg2
    from django.conf import settings

    db = settings.DATABASES["default"]
    conn = psycopg2.connect(dbname="postgres", user=db["USER"], host=db["HOST"] or "127.0.0.1", port=db["PORT"] or 5432)
    conn.autocommit = True
    with conn.cursor() as cursor:
        cursor.execute("SELECT 1 FROM pg_database WHERE datname = %s", [db["NAME"]])
        if not cursor.fetchone():
            cursor.execute(f'CREATE DATABASE "{db["NAME"]}"')
    conn.close()


if __name__ == "__main__":
    sys.exit(main())
