"""Playbooks benchmark: opening with playbooks over the seeded book, the settings page's live count,
a bulk re-apply and the dashboard's comparison.

Inside a transaction rolled back at the end: a dozen playbooks across the lines (VIP and high-value
pools with their own cadence, premium, channel, region and lifecycle rules, before each line's
default), then ``cases_open_due`` 90 days ahead (every policy whose window opens in the next three
months gets its playbook, first match, and an assignee within the playbook's pool), the live count
of a rule, the re-apply of one playbook to the open cases it takes, and the comparison card's
selector over the last year. Target (the issue's): opening under 60 s at 1,000,000 policies.
"""

import datetime as dt
import time

from django.contrib.auth import get_user_model
from django.db import connection, transaction
from django.utils import timezone

from analytics.params import Filters, Period
from analytics.selectors.playbooks import playbook_comparison
from bench.common import Report
from renewals import services
from renewals.models import LineOfInsurance, Playbook, RenewalCase, SpecialistProfile
from renewals.playbooks import matching, selectors
from renewals.playbooks import services as playbook_services

TARGET_OPEN_SECONDS = 60.0
TARGET_COUNT_SECONDS = 1.0
LOOKAHEAD_DAYS = 90
REGIONS = ["广东", "江苏", "山东", "浙江", "河南"]


class _Rollback(Exception):
    pass


def _playbooks(manager) -> int:
    """Twelve rules across the lines (codes prefixed "bench-")."""
    created = 0
    for i, line in enumerate(LineOfInsurance.objects.filter(active=True)):
        rules = [
            {"segments": ["vip"], "assignment_skill": "senior", "remind_by_sms": False, "first_contact_days": 2},
            {"segments": ["high_value"], "premium_min": "20000", "assignment_skill": "senior", "call_from_days": 14},
            {"channels": ["broker", "agent"], "regions": REGIONS, "reminders_from_days": 20},
            {"lifecycle_stages": ["at_risk"], "discount_authority_percent": "10", "first_contact_days": 3},
        ]
        for j, fields in enumerate(rules):
            code = f"bench-{line.code}-{j}"[:32]
            if not Playbook.objects.filter(code=code).exists():
                playbook_services.playbook_create(
                    actor=manager, code=code, name=code, line_id=line.pk, position=10 * (i + 1) + j, **fields
                )
                created += 1
    return created


def _manager():
    User = get_user_model()
    manager = User.objects.filter(groups__name="manager", is_active=True).first()
    if manager is None:
        from demo.services import ensure_demo_users

        ensure_demo_users()
        manager = User.objects.filter(groups__name="manager", is_active=True).first()
    return manager


def run(report: Report) -> None:
    manager = _manager()
    today = timezone.localdate()
    try:
        with transaction.atomic():
            created = _playbooks(manager)
            for profile in SpecialistProfile.objects.all()[:2]:
                profile.skills = ["senior"]
                profile.save()
            started = time.perf_counter()
            opened = services.cases_open_due(on_date=today + dt.timedelta(days=LOOKAHEAD_DAYS))
            with connection.cursor() as cursor:
                cursor.execute("SET CONSTRAINTS ALL IMMEDIATE")  # the deferred checks a commit would run
            seconds = time.perf_counter() - started
            report.add(
                "playbooks",
                f"cases_open_due {LOOKAHEAD_DAYS} days ahead with {created + 3} playbooks: {opened:,} cases "
                "opened, each with its playbook and an assignee in its pool (rolled back)",
                f"{seconds:.1f} s ({opened / max(seconds, 0.001):,.0f} cases/s)",
                f"< {TARGET_OPEN_SECONDS:g} s",
                seconds < TARGET_OPEN_SECONDS,
            )
            with_playbook = RenewalCase.objects.open().filter(playbook_version__isnull=False).values("pk")[:1].exists()
            report.note(f"playbooks: open cases carry a playbook: {with_playbook}.")
            rules = matching.rules_in_force()
            started = time.perf_counter()
            counts = selectors.open_cases_matching(draft=rules[len(rules) // 2])
            seconds = time.perf_counter() - started
            report.add(
                "playbooks",
                f"settings page's live count of one rule (matched {counts['matched']:,}, "
                f"would get {counts['won']:,}; capped at {counts['cap']:,})",
                f"{seconds * 1000:.0f} ms",
                f"< {TARGET_COUNT_SECONDS:g} s",
                seconds < TARGET_COUNT_SECONDS,
            )
            target = Playbook.objects.get(code=f"bench-{LineOfInsurance.objects.filter(active=True).first().code}-3")
            playbook_services.playbook_update(actor=manager, playbook_id=target.pk, first_contact_days=1)
            started = time.perf_counter()
            moved = playbook_services.playbook_reapply(actor=manager, playbook_id=target.pk)
            seconds = time.perf_counter() - started
            report.add("playbooks", f"re-apply one playbook to open cases ({moved:,} moved)", f"{seconds:.1f} s")
            period = Period(today - dt.timedelta(days=365), today, "custom")
            started = time.perf_counter()
            rows = playbook_comparison(period, Filters())
            seconds = time.perf_counter() - started
            report.add(
                "playbooks",
                f"dashboard comparison over the last year ({len(rows)} playbooks)",
                f"{seconds * 1000:.0f} ms",
            )
            raise _Rollback
    except _Rollback:
        pass
