"""Renewals benchmark: opening cases over the seeded book, and the queue and case page latency.

1. ``cases_open_due`` as of today (the nightly run over a book that seeding already opened:
   a full scan that must open nothing twice).
2. ``cases_open_due`` as of today + 90 days inside a transaction that is rolled back: every
   policy whose window opens in the next three months is opened and assigned at once, the
   heaviest realistic run (about a quarter of the book). Target: < 60 s at 1,000,000 policies.
3. p95 server time of the specialist's queue (plain, filtered, searched, page 2), the manager's
   team queue and case pages, with ``bench.common.time_requests``. Target: < 100 ms.
"""

import datetime as dt

from django.contrib.auth.models import Group, User
from django.db import connection, transaction
from django.db.models import Count
from django.test import Client
from django.utils import timezone

from bench.common import Report, stopwatch, time_requests
from renewals import services
from renewals.models import OPEN_STAGES, RenewalCase

TARGET_OPEN_SECONDS = 60.0
TARGET_PAGE_P95_MS = 100.0
LOOKAHEAD_DAYS = 90


class _Rollback(Exception):
    pass


def _user(role: str, username: str) -> User:
    user = User.objects.filter(groups__name=role, is_active=True).order_by("pk").first()
    if user is None:
        user, _created = User.objects.get_or_create(username=username)
        user.groups.add(Group.objects.get(name=role))
    return user


def _client(user: User) -> Client:
    client = Client(HTTP_HOST="localhost")
    client.force_login(user)
    return client


def _time_opening(report: Report) -> None:
    today = timezone.localdate()
    with stopwatch() as elapsed:
        opened_today = services.cases_open_due(on_date=today)
    report.add(
        "renewals",
        f"cases_open_due nightly run on the seeded book ({opened_today:,} opened)",
        f"{elapsed():.1f} s",
        f"< {TARGET_OPEN_SECONDS:g} s",
        elapsed() < TARGET_OPEN_SECONDS,
    )
    with stopwatch() as again:
        second = services.cases_open_due(on_date=today)
    report.add(
        "renewals", "cases_open_due re-run (idempotent)", f"{again():.1f} s, {second} opened", "0 opened", second == 0
    )
    opened = 0
    try:
        with transaction.atomic():
            with stopwatch() as elapsed:
                opened = services.cases_open_due(on_date=today + dt.timedelta(days=LOOKAHEAD_DAYS))
                # Run the deferred foreign-key checks now, as a commit would, so they are timed too.
                with connection.cursor() as cursor:
                    cursor.execute("SET CONSTRAINTS ALL IMMEDIATE")
            seconds = elapsed()
            raise _Rollback
    except _Rollback:
        pass
    report.add(
        "renewals",
        f"cases_open_due {LOOKAHEAD_DAYS} days ahead: {opened:,} cases opened and assigned (rolled back)",
        f"{seconds:.1f} s ({opened / max(seconds, 0.001):,.0f} cases/s)",
        f"< {TARGET_OPEN_SECONDS:g} s",
        seconds < TARGET_OPEN_SECONDS,
    )


def _time_pages(report: Report) -> None:
    open_values = list(OPEN_STAGES)
    busiest = (
        RenewalCase.objects.filter(stage__in=open_values, assignee__isnull=False)
        .values("assignee_id")
        .annotate(n=Count("id"))
        .order_by("-n")
        .first()
    )
    if busiest is None:
        report.note("b20_renewals: no assigned open cases; page latency not measured.")
        return
    specialist = User.objects.get(pk=busiest["assignee_id"])
    manager = _user("manager", "bench-manager")
    cases = list(
        RenewalCase.objects.filter(assignee=specialist, stage__in=open_values)
        .select_related("customer")
        .order_by("-priority", "due_date", "id")[:5]
    )
    name_part = cases[0].customer.name[:2]
    queue_paths = [
        "/cases/",
        "/cases/?due=30",
        "/cases/?stage=contacted&high_value=on",
        f"/cases/?q={name_part}",
        "/cases/?page=2",
    ]
    case_paths = [f"/cases/{case.pk}/" for case in cases]
    with connection.cursor() as cursor:
        cursor.execute("ANALYZE renewals_renewalcase")
    spec_client = _client(specialist)
    report.add_latency(
        "renewals",
        f"specialist queue ({busiest['n']:,} open cases)",
        time_requests(spec_client, queue_paths),
        TARGET_PAGE_P95_MS,
    )
    report.add_latency("renewals", "case page", time_requests(spec_client, case_paths), TARGET_PAGE_P95_MS)
    manager_client = _client(manager)
    report.add_latency(
        "renewals",
        "manager team queue (all open cases)",
        time_requests(manager_client, ["/cases/", "/cases/?due=7", f"/cases/?assignee={specialist.pk}"]),
        TARGET_PAGE_P95_MS,
    )


def run(report: Report) -> None:
    _time_opening(report)
    _time_pages(report)
