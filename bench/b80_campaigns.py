"""Campaigns benchmark: the nightly lifecycle refresh over the whole book, a win-back campaign's
targeting (preview and start), and enrolling 100,000 cases into an experiment.

Runs inside one transaction that is rolled back at the end, so the modules after this one see the
book as the earlier ones left it.

1. ``lifecycle_refresh`` twice: the first run gives every customer a stage (every row changes,
   the heaviest run); the second finds nothing to change (a quiet night). Target: < 60 s.
2. A campaign over lapsed and dormant customers with a premium floor and a months-since window:
   the preview's counts and the start's INSERT … SELECT of the members. Target: < 10 s together.
3. A schedule experiment on the line with the most open cases; 100,000 of its open cases count as
   opened after the start (more are opened, set-based, if the book has fewer), then one
   enrolment run assigns them (stratified, seeded). Target: < 10 s.
"""

import datetime as dt
from decimal import Decimal

from django.contrib.auth.models import User
from django.db import connection, transaction
from django.utils import timezone

from bench.common import Report, stopwatch

TARGET_LIFECYCLE_SECONDS = 60.0
TARGET_TARGETING_SECONDS = 10.0
TARGET_ENROL_SECONDS = 10.0
ENROL_CASES = 100_000


class _Rollback(Exception):
    pass


def run(report: Report) -> None:
    try:
        with transaction.atomic():
            _lifecycle(report)
            _targeting(report)
            _enrolment(report)
            raise _Rollback
    except _Rollback:
        pass


def _lifecycle(report: Report) -> None:
    from campaigns.services import lifecycle_refresh

    today = timezone.localdate()
    with stopwatch() as first:
        changed = lifecycle_refresh(on_date=today)
    report.add(
        "campaigns",
        f"lifecycle refresh, first run ({changed:,} customers get a stage)",
        f"{first():.1f} s",
        f"< {TARGET_LIFECYCLE_SECONDS:g} s",
        first() < TARGET_LIFECYCLE_SECONDS,
    )
    with stopwatch() as second:
        again = lifecycle_refresh(on_date=today)
    report.add(
        "campaigns",
        f"lifecycle refresh, nothing changed ({again:,} changes)",
        f"{second():.1f} s",
        f"< {TARGET_LIFECYCLE_SECONDS:g} s",
        second() < TARGET_LIFECYCLE_SECONDS,
    )
    with connection.cursor() as cursor:
        cursor.execute("SELECT lifecycle_stage, count(*) FROM customers_customer GROUP BY 1 ORDER BY 2 DESC")
        stages = ", ".join(f"{stage or '—'} {count:,}" for stage, count in cursor.fetchall())
    report.note(f"Lifecycle stages after the refresh: {stages}.")


def _manager() -> User:
    user, _created = User.objects.get_or_create(username="bench-campaigns")
    return user


def _targeting(report: Report) -> None:
    from campaigns.services import campaign_create, campaign_preview, campaign_start

    today = timezone.localdate()
    campaign = campaign_create(
        name="Bench win-back",
        actor=_manager(),
        starts_on=today,
        ends_on=today + dt.timedelta(days=60),
        stages=["lapsed", "dormant"],
        min_last_premium=Decimal("500"),
        min_months_since=1,
        max_months_since=36,
        steps=[{"offset_days": 0, "channel": "sms", "body": "Welcome back"}],
    )
    with stopwatch() as preview_time:
        preview = campaign_preview(campaign, on_date=today)
    with stopwatch() as start_time:
        members = campaign_start(campaign_id=campaign.pk, actor=_manager(), on_date=today)
    total = preview_time() + start_time()
    report.add(
        "campaigns",
        f"campaign targeting: preview ({preview['total']:,} customers, {preview['unreachable']:,} unreachable) "
        f"+ start ({members:,} members)",
        f"{preview_time():.1f} s + {start_time():.1f} s = {total:.1f} s",
        f"< {TARGET_TARGETING_SECONDS:g} s",
        total < TARGET_TARGETING_SECONDS,
    )


def _enrolment(report: Report) -> None:
    from campaigns.services import experiment_create, experiment_enrol_cases, experiment_start

    with connection.cursor() as cursor:
        cursor.execute(
            "SELECT line_id, count(*) FROM renewals_renewalcase WHERE stage IN ('open', 'contacted', 'quoted') "
            "GROUP BY line_id ORDER BY 2 DESC LIMIT 1"
        )
        row = cursor.fetchone()
        if row is None or row[1] < ENROL_CASES:
            _open_more_cases()
            cursor.execute(
                "SELECT line_id, count(*) FROM renewals_renewalcase WHERE stage IN ('open', 'contacted', 'quoted') "
                "GROUP BY line_id ORDER BY 2 DESC LIMIT 1"
            )
            row = cursor.fetchone()
    line_id = row[0]
    experiment = experiment_create(
        name="Bench cadence",
        actor=_manager(),
        line_id=line_id,
        arms=[
            {"code": "current", "name": "Today", "step_ids": None},
            {"code": "short", "name": "Short", "step_ids": []},
        ],
    )
    experiment = experiment_start(experiment_id=experiment.pk, actor=_manager())
    with connection.cursor() as cursor:
        cursor.execute(
            """
            UPDATE renewals_renewalcase SET opened_at = %s
            WHERE id IN (
                SELECT id FROM renewals_renewalcase
                WHERE line_id = %s AND stage IN ('open', 'contacted', 'quoted') ORDER BY id LIMIT %s
            )
            """,
            [experiment.started_at + dt.timedelta(seconds=1), line_id, ENROL_CASES],
        )
        moved = cursor.rowcount
    with stopwatch() as elapsed:
        enrolled = experiment_enrol_cases(experiment_id=experiment.pk)
    report.add(
        "campaigns",
        f"experiment enrolment of {enrolled:,} cases (stratified, seeded; {moved:,} eligible)",
        f"{elapsed():.1f} s",
        f"< {TARGET_ENROL_SECONDS:g} s",
        elapsed() < TARGET_ENROL_SECONDS and enrolled >= min(ENROL_CASES, moved),
    )


def _open_more_cases() -> None:
    """Make every active policy without a case an open case (as b30 does), inside the rollback."""
    with connection.cursor() as cursor:
        cursor.execute(
            """
            INSERT INTO renewals_renewalcase (
                policy_id, customer_id, line_id, expiring_premium, due_date, stage, opened_at, priority,
                churn_reasons, outcome_note, has_open_complaint, version, updated_at
            )
            SELECT p.id, p.customer_id, p.line_id, p.premium, p.end_date, 'open', now(), 0, '[]'::jsonb, '',
                   false, 1, now()
            FROM renewals_policy p
            WHERE p.status = 'active'
              AND NOT EXISTS (SELECT 1 FROM renewals_renewalcase c WHERE c.policy_id = p.id)
            ON CONFLICT DO NOTHING
            """
        )
        cursor.execute("ANALYZE renewals_renewalcase")
