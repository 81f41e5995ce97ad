"""The window scan that opens cases (and assigns them), the lapse of cases past grace and the expiry of
policies past their end date; set-based.

Each operation has one vendor switch: a PostgreSQL version built on arrays and ``unnest``, and a
portable one (SQLite, the embedded demo) next to it.
"""

import datetime as dt
import logging

from django.db import connection, transaction
from django.db.models import F, Q
from django.utils import timezone

from renewals.models import CaseEvent, LineOfInsurance, Policy, RenewalCase, Stage
from renewals.playbooks import matching as playbook_matching
from renewals.playbooks.services import cases_choose_playbooks
from renewals.services import _sql
from renewals.services._common import WRITE_BATCH, User, _on_commit_closed, user_display_name
from renewals.services.assignment import (
    PORTABLE_BATCH,
    _available_specialists,
    _case_rows_for_assignment,
    _distribute,
    _write_assignments,
)
from renewals.services.priority import COMPLAINT_PRIORITY_FACTOR, unscored_share

logger = logging.getLogger(__name__)

# Cases inserted per statement on PostgreSQL: two int8 arrays of this length as parameters.
OPEN_BATCH = 50_000
# Cases lapsed per transaction; each batch holds its row locks only briefly.
LAPSE_BATCH = 1_000


def _due_range(line: LineOfInsurance, on_date: dt.date) -> tuple[dt.date, dt.date]:
    """Expiry dates whose window has opened by ``on_date`` and which are not yet past grace."""
    return on_date - dt.timedelta(days=line.grace_days), on_date + dt.timedelta(days=line.renewal_window_days)


@transaction.atomic
def cases_open_due(*, on_date: dt.date) -> int:
    """Open a case for every active policy whose line's renewal window has opened by ``on_date``
    (expiry − window ≤ on_date) and which is not yet past expiry + grace; give each new case its
    playbook (first matching rule) and assign it within the playbook's pool.

    Idempotent: the unique policy on the case makes a second run open nothing new.
    """
    now = timezone.now()
    lines = list(LineOfInsurance.objects.filter(active=True))
    if connection.vendor == "postgresql":
        new_ids = _open_postgres(lines, on_date, now)
    else:
        new_ids = _open_portable(lines, on_date, now)
    if not new_ids:
        return 0
    _record_opened_events(new_ids, now)
    logger.info("cases_open_due on %s opened %d cases", on_date, len(new_ids))
    return len(new_ids)


def _open_postgres(lines: list[LineOfInsurance], on_date: dt.date, now) -> list[int]:
    """Find the due policies without a case, choose their playbooks (the rules in Python over the
    rows already fetched) and assignees, then insert each case once with both (no second write of
    every new row)."""
    candidates: list[tuple] = []
    with connection.cursor() as cursor:
        for line in lines:
            cursor.execute(_sql.OPEN_CANDIDATES, [line.pk, *_due_range(line, on_date)])
            candidates.extend(cursor.fetchall())
        if not candidates:
            return []
        rules = playbook_matching.rules_in_force()
        chosen: dict[int, playbook_matching.Rule] = {}
        for policy_id, line_id, region, premium, channel, segment, stage in candidates:
            rule = playbook_matching.first_match(
                rules,
                line_id=line_id,
                segment=segment,
                region=region,
                channel=channel,
                lifecycle_stage=stage,
                churn_risk=None,
                premium=premium,
            )
            if rule is not None:
                chosen[policy_id] = rule
        rows = [
            (row[0], row[1], row[2], row[3], chosen[row[0]].assignment_skill if row[0] in chosen else "")
            for row in candidates
        ]
        assignment = _distribute(rows, _available_specialists())
        policy_ids = [row[0] for row in candidates]
        new_ids: list[int] = []
        for start in range(0, len(policy_ids), OPEN_BATCH):
            chunk = policy_ids[start : start + OPEN_BATCH]
            versions = [chosen[pid].version_id if pid in chosen else None for pid in chunk]
            cursor.execute(
                _sql.OPEN_INSERT_ASSIGNED,
                [
                    now,
                    unscored_share(),
                    COMPLAINT_PRIORITY_FACTOR,
                    now,
                    on_date,
                    chunk,
                    [assignment.get(pid) for pid in chunk],
                    versions,
                ],
            )
            new_ids.extend(row[0] for row in cursor.fetchall())
    return new_ids


def _open_portable(lines: list[LineOfInsurance], on_date: dt.date, now) -> list[int]:
    """Insert each line's due cases unassigned (one INSERT … SELECT … ON CONFLICT DO NOTHING per line),
    then assign the new ones."""
    new_ids: list[int] = []
    with connection.cursor() as cursor:
        for line in lines:
            cursor.execute(
                _sql.OPEN_CASES_PORTABLE,
                [now, unscored_share(), COMPLAINT_PRIORITY_FACTOR, now, line.pk, *_due_range(line, on_date)],
            )
            new_ids.extend(row[0] for row in cursor.fetchall())
    if new_ids:
        cases_choose_playbooks(case_ids=new_ids, on_date=on_date)
        assignment = _distribute(_case_rows_for_assignment(new_ids), _available_specialists())
        # Writing the assignee is part of opening, not a change: fresh cases keep version 1.
        _write_assignments(assignment, None, now, bump_version=False)
    return new_ids


def _record_opened_events(case_ids: list[int], now) -> None:
    """One "opened" event per new case, naming its assignee."""
    if connection.vendor == "postgresql":
        _opened_events_postgres(case_ids, now)
    else:
        _opened_events_portable(case_ids, now)


def _opened_events_postgres(case_ids: list[int], now) -> None:
    with connection.cursor() as cursor:
        for start in range(0, len(case_ids), WRITE_BATCH * 5):
            cursor.execute(_sql.OPENED_EVENTS, [now, case_ids[start : start + WRITE_BATCH * 5]])


def _opened_events_portable(case_ids: list[int], now) -> None:
    names: dict[int, str] = {}
    for start in range(0, len(case_ids), PORTABLE_BATCH):
        rows = list(
            RenewalCase.objects.filter(pk__in=case_ids[start : start + PORTABLE_BATCH]).values_list("pk", "assignee_id")
        )
        missing = {assignee_id for _c, assignee_id in rows if assignee_id and assignee_id not in names}
        for user in User.objects.filter(pk__in=missing):
            names[user.pk] = user_display_name(user)
        CaseEvent.objects.bulk_create(
            [
                CaseEvent(
                    case_id=case_id,
                    kind=CaseEvent.Kind.OPENED,
                    payload={"assignee_id": assignee_id, "assignee": names[assignee_id]} if assignee_id else {},
                    created_at=now,
                )
                for case_id, assignee_id in rows
            ]
        )


def cases_lapse_due(*, on_date: dt.date) -> int:
    """Move undecided cases past their last day to ``lapsed``: expiry + grace, or the decision date
    a manager chose when reopening the case.

    Works in batches of ``LAPSE_BATCH``, one transaction each, claiming rows with
    ``FOR UPDATE SKIP LOCKED`` so two workers never lapse the same case.
    """
    lines = list(LineOfInsurance.objects.all())
    if not lines:
        return 0
    # A case a manager reopened lapses after its decision date; every other one after due date + grace.
    past_grace = Q(decision_date__isnull=False, decision_date__lt=on_date)
    for line in lines:
        past_grace |= Q(
            line_id=line.pk, decision_date__isnull=True, due_date__lt=on_date - dt.timedelta(days=line.grace_days)
        )
    total = 0
    while True:
        with transaction.atomic():
            cases = list(
                RenewalCase.objects.open()
                .filter(past_grace)
                .select_for_update(skip_locked=True, of=("self",))
                .order_by("due_date", "pk")[:LAPSE_BATCH]
            )
            if not cases:
                break
            now = timezone.now()
            ids = [c.pk for c in cases]
            RenewalCase.objects.open().filter(pk__in=ids).update(
                stage=Stage.LAPSED,
                closed_at=now,
                closed_by=None,
                version=F("version") + 1,
                updated_at=now,
                updated_by=None,
            )
            CaseEvent.objects.bulk_create(
                [
                    CaseEvent(
                        case_id=c.pk,
                        kind=CaseEvent.Kind.LAPSED,
                        payload={"from": c.stage, "to": Stage.LAPSED.value},
                        created_at=now,
                    )
                    for c in cases
                ]
            )
            for case in cases:
                case.stage, case.closed_at, case.version = Stage.LAPSED.value, now, case.version + 1
                _on_commit_closed(case, Stage.LAPSED.value, None)
            total += len(cases)
    if total:
        logger.info("cases_lapse_due on %s lapsed %d cases", on_date, total)
    return total


# Policies marked expired per transaction.
EXPIRE_BATCH = 10_000


def policies_expire_due(*, on_date: dt.date) -> int:
    """Mark active policies whose end date is before ``on_date`` as ``expired``; set-based, batched.

    A policy's term is over the day after its end date whether or not it was renewed: a renewed
    customer's cover continues in the successor policy, which is active. Cancelled policies keep
    their status. Rows are claimed with ``SKIP LOCKED`` so a concurrent run or an import holding a
    policy never blocks the scan, and each batch commits on its own.
    """
    total = 0
    # Per line, so each batch reads the active-policies-by-expiry index (line, end_date) by range.
    for line_id in LineOfInsurance.objects.values_list("pk", flat=True):
        while True:
            with transaction.atomic():
                ids = list(
                    Policy.objects.filter(line_id=line_id, status=Policy.Status.ACTIVE, end_date__lt=on_date)
                    .select_for_update(skip_locked=True)
                    .values_list("pk", flat=True)[:EXPIRE_BATCH]
                )
                if not ids:
                    break
                total += Policy.objects.filter(pk__in=ids, status=Policy.Status.ACTIVE).update(
                    status=Policy.Status.EXPIRED, updated_at=timezone.now()
                )
    if total:
        logger.info("policies_expire_due on %s expired %d policies", on_date, total)
    return total
