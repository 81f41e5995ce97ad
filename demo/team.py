"""The demo's team history (issue 15): a processing time that falls month by month, a spread between
the specialists, a week away, capacities, and the team figures computed.

Called once by ``seed_demo`` after the derived jobs. Deterministic: the same book gives the same
history. Demo data, not application code: it writes the rows directly.
"""

from __future__ import annotations

import datetime as dt

from django.contrib.auth import get_user_model
from django.db import transaction
from django.utils import timezone

from analytics.models import SpecialistCapacity
from analytics.services import rollups_refresh
from analytics.team.services import team_rollups_refresh
from demo.reference import SPECIALISTS
from renewals.models import DECIDED_STAGES, Policy, RenewalCase, SettingsChange, SpecialistProfile

# Over the last two years cases are worked faster: the cycle of a case decided this month is
# IMPROVEMENT_SHARE shorter than one decided 24 months ago (the team's "−30 %" goal, reached).
IMPROVEMENT_SHARE = 0.35
MONTHS = 24
# Each specialist's pace against the team (1.0 = the team's), so the scorecard has a spread.
PACE = [0.85, 1.05, 0.95, 1.2]
# Cases per week each can take, as a share of an even split of the book's weekly openings: the
# slowest is short of room in the coming weeks.
CAPACITY_SHARE = [1.4, 1.25, 1.4, 0.7]
WEEKS_PER_YEAR = 52
BATCH = 2000


def _months_ago(today: dt.date, day: dt.date) -> int:
    return (today.year - day.year) * 12 + today.month - day.month


@transaction.atomic
def team_history_seed(*, today: dt.date | None = None) -> dict:
    """Shorten decided cases' first contact, quote and decision (relative to opening) by month and
    specialist, record a week away for one specialist, set capacities, then rebuild the rollups."""
    today = today or timezone.localdate()
    users = {u.username: u for u in get_user_model().objects.filter(username__in=[name for name, _ in SPECIALISTS])}
    pace = {users[name].pk: PACE[i] for i, (name, _full) in enumerate(SPECIALISTS) if name in users}
    changed = []
    cases = RenewalCase.objects.filter(stage__in=DECIDED_STAGES, closed_at__isnull=False).only(
        "id", "due_date", "assignee_id", "opened_at", "first_contact_at", "quoted_at", "closed_at"
    )
    for case in cases.iterator(chunk_size=BATCH):
        age = min(max(_months_ago(today, case.due_date), 0), MONTHS)
        factor = (1 - IMPROVEMENT_SHARE * (MONTHS - age) / MONTHS) * pace.get(case.assignee_id, 1.0)
        factor = min(factor, 1.0)  # never past the original closing (successor policy dates hold)
        for name in ("first_contact_at", "quoted_at", "closed_at"):
            value = getattr(case, name)
            if value is not None:
                setattr(case, name, case.opened_at + (value - case.opened_at) * factor)
        changed.append(case)
    RenewalCase.objects.bulk_update(changed, ["first_contact_at", "quoted_at", "closed_at"], batch_size=BATCH)
    manager = get_user_model().objects.filter(groups__name="manager").order_by("pk").first()
    away_name = SPECIALISTS[1][0]
    if away_name in users:
        SpecialistProfile.objects.get_or_create(user=users[away_name])
        # A week away last month (Monday to Friday), as the settings page records it.
        first = (today.replace(day=1) - dt.timedelta(days=1)).replace(day=8)
        monday = first - dt.timedelta(days=first.weekday())
        for day, old, new in ((monday, "False", "True"), (monday + dt.timedelta(days=7), "True", "False")):
            SettingsChange.objects.create(
                actor=manager,
                area="specialist",
                object_repr=away_name,
                changes={"away": [old, new]},
                created_at=timezone.make_aware(dt.datetime.combine(day, dt.time(9))),
            )
    weekly = Policy.objects.filter(status=Policy.Status.ACTIVE).count() / WEEKS_PER_YEAR / max(len(users), 1)
    for i, (name, _full) in enumerate(SPECIALISTS):
        if name in users:
            cases_per_week = max(1, round(weekly * CAPACITY_SHARE[i]))
            SpecialistCapacity.objects.update_or_create(user=users[name], defaults={"cases_per_week": cases_per_week})
    rollups_refresh(full=True)
    team_rollups_refresh(today=today)
    return {"cases": len(changed)}
