"""Team performance benchmark (issue 15): the team rollup rebuild and the Team page.

1. ``team_rollups_refresh`` over the seeded book (the hourly job): the team rollup's seven sources
   into the finest grain, every coarser grain, and the 13-week opening forecast.
2. p95 server time of the manager's Team page for three views (month; quarter × line; year ×
   segment), with ``bench.common.time_requests``. Target: < 300 ms at 1,000,000 policies.
3. p95 of ``GET /api/v1/team/`` (manager) and of the specialist's "My performance" panel.

Capacities are set for every specialist first so the capacity table has overflow to show.
"""

from django.contrib.auth.models import Group, User
from django.test import Client
from django.utils import timezone

from analytics.models import SpecialistCapacity, TeamRollup
from analytics.params import month_start
from analytics.team.services import team_rollups_refresh
from bench.common import Report, stopwatch, time_requests

TARGET_TEAM_PAGE_P95_MS = 300.0
TARGET_PANEL_P95_MS = 300.0
# The hourly rebuild must stay well inside its 30-minute time limit: ten minutes per million
# policies, with a 30 s floor for small books.
TARGET_REBUILD_PER_MILLION = 600.0


def _client(role: str) -> Client:
    user = User.objects.filter(groups__name=role, is_active=True).order_by("pk").first()
    if user is None:
        user, _created = User.objects.get_or_create(username=f"bench-{role}")
        user.groups.add(Group.objects.get(name=role))
    client = Client(HTTP_HOST="localhost")
    client.force_login(user)
    return client


def _capacities() -> None:
    for user in User.objects.filter(groups__name="specialist", is_active=True):
        SpecialistCapacity.objects.update_or_create(user=user, defaults={"cases_per_week": 500})


def run(report: Report) -> None:
    _capacities()
    with stopwatch() as elapsed:
        team_rollups_refresh()
    target = max(30.0, TARGET_REBUILD_PER_MILLION * report.scale / 1_000_000)
    report.add(
        "team",
        f"refresh_team_rollups full rebuild ({TeamRollup.objects.count():,} rollup rows)",
        f"{elapsed():.1f} s",
        f"< {target:g} s",
        elapsed() < target,
    )
    time_pages(report)


def time_pages(report: Report) -> None:
    """The Team page's views, its API and the specialist's panel (team rollups already built)."""
    month = f"{month_start(timezone.localdate()):%Y-%m}"
    paths = [
        f"/analytics/team/?period=month&month={month}",
        f"/analytics/team/?period=quarter&month={month}&line=auto",
        f"/analytics/team/?period=year&month={month}&segment=vip",
    ]
    manager = _client("manager")
    report.add_latency("team", "Team page, 3 views", time_requests(manager, paths, repeat=10), TARGET_TEAM_PAGE_P95_MS)
    report.add_latency(
        "team",
        "GET /api/v1/team/ (manager)",
        time_requests(manager, [f"/api/v1/team/?period=month&month={month}"], repeat=10),
        TARGET_TEAM_PAGE_P95_MS,
    )
    report.add_latency(
        "team",
        "My performance panel (specialist)",
        time_requests(_client("specialist"), ["/analytics/team/panel/"], repeat=10),
        TARGET_PANEL_P95_MS,
    )
