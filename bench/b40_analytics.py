"""Analytics benchmark: rollup refresh time, dashboard and KPI API latency, churn model fit.

1. ``refresh_rollups`` full rebuild over the seeded book, then an incremental refresh after a
   thousand cases changed (the 10-minute periodic job).
2. p95 server time of the manager's dashboard for five filter combinations (month, year,
   quarter × line × region, month × specialist × segment, custom range × all five filters),
   with ``bench.common.time_requests`` and a logged-in manager. Target: < 300 ms.
3. p95 of ``GET /api/v1/kpis/`` for a month-aligned and a day-aligned (raw rows) period.
4. ``fit_churn_model``: fit on decided cases and score every open case.
"""

import datetime as dt

from django.contrib.auth.models import Group, User
from django.db import connection
from django.test import Client
from django.utils import timezone

from analytics.churn import churn_model_fit
from analytics.models import CaseRollup
from analytics.params import add_months, month_end, month_start
from analytics.services import rollups_refresh
from bench.common import Report, stopwatch, time_requests
from customers.models import Customer
from renewals.models import RenewalCase

TARGET_DASHBOARD_P95_MS = 300.0
# Full rebuild (once a day inside the periodic job, and `manage.py refresh_rollups`): ten minutes
# per million policies keeps it far inside the task's 30-minute time limit; 30 s floor.
TARGET_REBUILD_PER_MILLION = 600.0
TARGET_INCREMENTAL_SECONDS = 60.0
TOUCHED_CASES = 1000


def _manager_client() -> Client:
    user = User.objects.filter(groups__name="manager", is_active=True).order_by("pk").first()
    if user is None:
        user, _created = User.objects.get_or_create(username="bench-manager")
        user.groups.add(Group.objects.get(name="manager"))
    client = Client(HTTP_HOST="localhost")
    client.force_login(user)
    return client


def _time_refresh(report: Report) -> None:
    with stopwatch() as elapsed:
        rollups_refresh(full=True)
    target = max(30.0, TARGET_REBUILD_PER_MILLION * report.scale / 1_000_000)
    rows = CaseRollup.objects.count()
    report.add(
        "analytics",
        f"refresh_rollups full rebuild ({rows:,} case rollup rows)",
        f"{elapsed():.1f} s",
        f"< {target:g} s",
        elapsed() < target,
    )
    # Touch a thousand cases the way services do (updated_at), then run the periodic refresh.
    ids = list(RenewalCase.objects.order_by("-pk").values_list("pk", flat=True)[:TOUCHED_CASES])
    later = timezone.now() + dt.timedelta(minutes=30)
    RenewalCase.objects.filter(pk__in=ids).update(updated_at=later)
    with stopwatch() as incremental:
        result = rollups_refresh()
    report.add(
        "analytics",
        f"refresh_rollups incremental after {len(ids):,} cases changed ({result.months} months)",
        f"{incremental():.1f} s",
        f"< {TARGET_INCREMENTAL_SECONDS:g} s",
        incremental() < TARGET_INCREMENTAL_SECONDS,
    )


def _dashboard_paths() -> list[str]:
    month = month_start(timezone.localdate())
    region = Customer.objects.order_by("region").values_list("region", flat=True).first() or ""
    specialist = (
        User.objects.filter(groups__name="specialist", is_active=True).order_by("pk").values_list("username", flat=True)
    ).first() or ""
    start = add_months(month, -5)
    return [
        f"/analytics/?period=month&month={month:%Y-%m}",
        f"/analytics/?period=year&month={month:%Y-%m}",
        f"/analytics/?period=quarter&month={month:%Y-%m}&line=auto&region={region}",
        f"/analytics/?period=month&month={month:%Y-%m}&specialist={specialist}&segment=vip",
        f"/analytics/?period=custom&from={start:%Y-%m}&to={month:%Y-%m}&line=health&region={region}"
        f"&segment=high_value&channel=agent&specialist={specialist}",
    ]


def _time_pages(report: Report) -> None:
    client = _manager_client()
    paths = _dashboard_paths()
    samples = time_requests(client, paths)
    report.add_latency("analytics", "dashboard, 5 filter combinations", samples, TARGET_DASHBOARD_P95_MS)
    for path in paths:
        one = time_requests(client, [path], repeat=10)
        report.note(f"b40 dashboard {path}: p95 {sorted(one)[-1]:.0f} ms (max of 10)")
    month = month_start(timezone.localdate())
    api_paths = [
        f"/api/v1/kpis/?start={month:%Y-%m-%d}&end={month_end(month):%Y-%m-%d}",
        f"/api/v1/kpis/?start={month:%Y-%m}-05&end={month:%Y-%m}-20&line=auto",
    ]
    report.add_latency(
        "analytics", "KPI API (month from rollups, days from raw rows)", time_requests(client, api_paths), 1000
    )


def _time_churn(report: Report) -> None:
    with stopwatch() as elapsed:
        run = churn_model_fit()
    detail = f"AUC {run.auc:.3f}, scored {run.scored_cases:,}" if run.auc is not None else run.get_status_display()
    report.add("analytics", f"fit_churn_model ({detail})", f"{elapsed():.1f} s", "", None)
    if run.auc is not None:
        # Quality, not speed: the AUC on the later held-out period (time-based split).
        cutoff = run.diagnostics.get("cutoff", "?")
        report.add(
            "analytics",
            f"churn model held-out AUC (fitted on cases due before {cutoff}, {run.test_cases:,} later cases)",
            f"{run.auc:.3f}",
            "",
            None,
        )


def run(report: Report) -> None:
    with connection.cursor() as cursor:
        cursor.execute("ANALYZE")
    _time_refresh(report)
    _time_pages(report)
    _time_churn(report)
