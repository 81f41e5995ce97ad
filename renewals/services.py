"""Every write of the renewals app. Keyword-only, one transaction each.

The case workflow (DESIGN §2) lives in ``TRANSITIONS``: a stage maps to the stages it may move to.
Every transition and action writes one ``CaseEvent`` with its actor. Concurrent edits are caught
by the case's ``version``: each write is ``UPDATE … WHERE id = … AND version = <read version>``
and a miss (or a caller's stale ``expected_version``) raises ``ConflictError`` naming who
changed the case and when.
"""

import datetime as dt
import heapq
import json
import logging
from collections import defaultdict
from decimal import Decimal, InvalidOperation

from dateutil.relativedelta import relativedelta
from django.contrib.auth import get_user_model
from django.core.cache import cache
from django.db import connection, transaction
from django.db.models import Case, DecimalField, ExpressionWrapper, F, Q, Sum, Value, When
from django.utils import timezone
from django.utils.formats import date_format
from django.utils.translation import gettext as _

from core.errors import ApplicationError, ConflictError, PermissionDeniedError
from core.roles import Role, has_role
from customers.models import Complaint, Customer
from renewals import selectors, signals
from renewals.models import (
    CaseEvent,
    ClaimsFactor,
    DiscountAuthority,
    LineOfInsurance,
    LostReason,
    LoyaltyFactor,
    Policy,
    PricingRule,
    Quote,
    Referral,
    RenewalCase,
    SettingsChange,
    SpecialistProfile,
    Stage,
)
from renewals.pricing import money

logger = logging.getLogger(__name__)
User = get_user_model()

# ---------------------------------------------------------------------------------------------
# The workflow: one table, one module.
# ---------------------------------------------------------------------------------------------
TRANSITIONS: dict[str, frozenset[str]] = {
    Stage.OPEN: frozenset({Stage.CONTACTED, Stage.QUOTED, Stage.LOST, Stage.NOT_OFFERED, Stage.LAPSED}),
    Stage.CONTACTED: frozenset({Stage.QUOTED, Stage.LOST, Stage.NOT_OFFERED, Stage.LAPSED}),
    Stage.QUOTED: frozenset({Stage.RENEWED, Stage.LOST, Stage.NOT_OFFERED, Stage.LAPSED}),
    Stage.RENEWED: frozenset(),
    Stage.LOST: frozenset(),
    Stage.LAPSED: frozenset(),
    Stage.NOT_OFFERED: frozenset(),
}
# A manager may reopen these; a renewed case has a successor policy and stays closed.
REOPENABLE = frozenset({Stage.LOST, Stage.LAPSED, Stage.NOT_OFFERED})

CONTACT_CHANNELS = ("phone", "email", "visit", "message")
REFERRAL_TARGETS = ("underwriting", "claims")
# An open complaint makes a case this much more urgent.
COMPLAINT_PRIORITY_FACTOR = Decimal("1.5")
# Rows per statement when writing assignments and scores: a few MB of parameters at most.
WRITE_BATCH = 10_000
# Cases lapsed per transaction; each batch holds its row locks only briefly.
LAPSE_BATCH = 1_000


def can_transition(from_stage: str, to_stage: str) -> bool:
    return to_stage in TRANSITIONS.get(from_stage, frozenset())


def case_priority(*, expiring_premium: Decimal, churn_risk: int | None, has_open_complaint: bool) -> Decimal:
    """Churn risk × premium at stake (the premium itself while unscored), raised by an open complaint."""
    value = Decimal(expiring_premium)
    if churn_risk is not None:
        value = value * Decimal(churn_risk) / Decimal(100)
    if has_open_complaint:
        value *= COMPLAINT_PRIORITY_FACTOR
    return money(value)


def _priority_expression():
    """``case_priority`` as SQL, for set-based updates."""
    money_field = DecimalField(max_digits=16, decimal_places=2)
    at_stake = Case(
        When(churn_risk__isnull=True, then=F("expiring_premium")),
        default=ExpressionWrapper(F("expiring_premium") * F("churn_risk") / Value(Decimal(100)), money_field),
        output_field=money_field,
    )
    factor = Case(
        When(has_open_complaint=True, then=Value(COMPLAINT_PRIORITY_FACTOR)),
        default=Value(Decimal(1)),
        output_field=money_field,
    )
    return ExpressionWrapper(at_stake * factor, money_field)


# ---------------------------------------------------------------------------------------------
# Helpers: actors, permissions, the optimistic lock.
# ---------------------------------------------------------------------------------------------
def user_display_name(user) -> str:
    if user is None:
        return _("the system")
    return user.get_full_name() or user.get_username()


def _ensure_can_act(case: RenewalCase, actor) -> None:
    """The assigned specialist or a manager; ``None`` is the system or the customer's signed link."""
    if actor is None or has_role(actor, Role.MANAGER):
        return
    if has_role(actor, Role.SPECIALIST) and case.assignee_id == actor.pk:
        return
    raise PermissionDeniedError(_("Only the assigned specialist or a manager can change this case."))


def _ensure_manager(actor) -> None:
    if actor is None or not has_role(actor, Role.MANAGER):
        raise PermissionDeniedError(_("Only a manager can do this."))


def _conflict(case_id: int) -> ConflictError:
    fresh = RenewalCase.objects.select_related("updated_by").get(pk=case_id)
    when = date_format(timezone.localtime(fresh.updated_at), "DATETIME_FORMAT")
    return ConflictError(
        _("This case was changed by %(who)s at %(when)s. Reload it to see the changes; nothing was saved.")
        % {"who": user_display_name(fresh.updated_by), "when": when}
    )


def _load_case(case_id: int, *, expected_version: int | None = None, lock: bool = False) -> RenewalCase:
    queryset = RenewalCase.objects.select_related("policy", "line", "current_quote")
    if lock:
        queryset = queryset.select_for_update(of=("self",))
    try:
        case = queryset.get(pk=case_id)
    except RenewalCase.DoesNotExist:
        raise ApplicationError(_("No such case."), field="case_id", code="not_found", status=404) from None
    if expected_version is not None and int(expected_version) != case.version:
        raise _conflict(case_id)
    return case


def _save_case(case: RenewalCase, actor, **fields) -> RenewalCase:
    """Write ``fields`` only if the row still has the version we read, and bump the version."""
    now = timezone.now()
    actor_id = actor.pk if actor is not None else None
    changed = RenewalCase.objects.filter(pk=case.pk, version=case.version).update(
        **fields, version=F("version") + 1, updated_at=now, updated_by_id=actor_id
    )
    if changed != 1:
        raise _conflict(case.pk)
    owners = {case.assignee_id, fields.get("assignee_id", case.assignee_id)}
    transaction.on_commit(lambda: selectors.forget_queue_counts(*owners))
    for name, value in fields.items():
        setattr(case, name, value)
    case.version += 1
    case.updated_at = now
    case.updated_by_id = actor_id
    return case


def _event(case: RenewalCase, kind: str, actor, payload: dict | None = None) -> CaseEvent:
    return CaseEvent.objects.create(case=case, kind=kind, actor=actor, payload=payload or {})


def _require_open(case: RenewalCase) -> None:
    if not case.is_open:
        raise ApplicationError(
            _("This case is already closed (%(stage)s).") % {"stage": Stage(case.stage).label},
            field="stage",
            code="already_closed",
            status=409,
        )


def _require_transition(case: RenewalCase, to_stage: str) -> None:
    _require_open(case)
    if not can_transition(case.stage, to_stage):
        raise ApplicationError(
            _("A case cannot move from %(from)s to %(to)s.")
            % {"from": Stage(case.stage).label, "to": Stage(to_stage).label},
            field="stage",
            code="invalid_transition",
        )


def _on_commit_closed(case: RenewalCase, stage: str, actor) -> None:
    signals.case_closed.send(sender=RenewalCase, case=case, stage=stage, actor=actor)


# ---------------------------------------------------------------------------------------------
# Timeline
# ---------------------------------------------------------------------------------------------
@transaction.atomic
def case_event_record(
    *, case_id: int, kind: str, actor=None, payload: dict | None = None, at: dt.datetime | None = None
) -> CaseEvent:
    """Add an entry to a case's timeline (reminders sent, complaints, survey answers, notes);
    ``at`` is when it happened (default: now), e.g. the time a reminder was sent."""
    if kind not in CaseEvent.Kind.values:
        raise ApplicationError(_("Unknown timeline event kind."), field="kind", code="invalid_kind")
    if not RenewalCase.objects.filter(pk=case_id).exists():
        raise ApplicationError(_("No such case."), field="case_id", code="not_found", status=404)
    return CaseEvent.objects.create(
        case_id=case_id, kind=kind, actor=actor, payload=payload or {}, created_at=at or timezone.now()
    )


# ---------------------------------------------------------------------------------------------
# Opening, assignment, lapsing (set-based)
# ---------------------------------------------------------------------------------------------
def _available_specialists(exclude_ids=()) -> list[dict]:
    """Active, not-away specialists with their skills (empty skills mean any)."""
    users = list(
        User.objects.filter(is_active=True, groups__name=Role.SPECIALIST.value)
        .exclude(pk__in=list(exclude_ids))
        .exclude(specialist_profile__away=True)
        .distinct()
        .values_list("pk", flat=True)
    )
    profiles = {
        p.user_id: p for p in SpecialistProfile.objects.filter(user_id__in=users).prefetch_related("lines").all()
    }
    result = []
    for user_id in sorted(users):
        profile = profiles.get(user_id)
        result.append(
            {
                "id": user_id,
                "lines": {line.pk for line in profile.lines.all()} if profile else set(),
                "regions": set(profile.regions or []) if profile else set(),
            }
        )
    return result


def _open_loads(user_ids: list[int]) -> dict[int, Decimal]:
    rows = (
        RenewalCase.objects.open()
        .filter(assignee_id__in=user_ids)
        .values("assignee_id")
        .annotate(total=Sum("expiring_premium"))
    )
    loads = {user_id: Decimal("0") for user_id in user_ids}
    for row in rows:
        loads[row["assignee_id"]] = row["total"] or Decimal("0")
    return loads


def _distribute(rows: list[tuple[int, int, str, Decimal]], specialists: list[dict]) -> dict[int, int]:
    """Greedy least-loaded assignment (open premium), biggest cases first, within skills.

    ``rows`` are (case id, line id, region, premium). Cases whose line/region nobody covers go to
    the least-loaded of all available specialists rather than staying unassigned.
    """
    if not specialists:
        return {}
    loads = _open_loads([s["id"] for s in specialists])
    buckets: dict[tuple[int, str], list[tuple[Decimal, int]]] = defaultdict(list)
    for case_id, line_id, region, premium in rows:
        buckets[(line_id, region)].append((premium or Decimal("0"), case_id))
    assignment: dict[int, int] = {}
    for (line_id, region), cases in buckets.items():
        eligible = [
            s["id"]
            for s in specialists
            if (not s["lines"] or line_id in s["lines"]) and (not s["regions"] or region in s["regions"])
        ] or [s["id"] for s in specialists]
        heap = [(loads[user_id], user_id) for user_id in eligible]
        heapq.heapify(heap)
        cases.sort(reverse=True)
        for premium, case_id in cases:
            load, user_id = heapq.heappop(heap)
            assignment[case_id] = user_id
            heapq.heappush(heap, (load + premium, user_id))
        for load, user_id in heap:
            loads[user_id] = load
    return assignment


def _write_assignments(assignment: dict[int, int], actor_id: int | None, now, bump_version: bool = True) -> None:
    """Set assignees set-based: one UPDATE … FROM unnest per batch on PostgreSQL."""
    items = list(assignment.items())
    step = 1 if bump_version else 0
    if connection.vendor == "postgresql":
        table = RenewalCase._meta.db_table
        with connection.cursor() as cursor:
            for start in range(0, len(items), WRITE_BATCH):
                chunk = items[start : start + WRITE_BATCH]
                cursor.execute(
                    f"""UPDATE {table} AS c SET assignee_id = v.assignee_id, version = c.version + %s,
                               updated_at = %s, updated_by_id = %s
                        FROM unnest(%s::bigint[], %s::integer[]) AS v(case_id, assignee_id)
                        WHERE c.id = v.case_id""",
                    [step, now, actor_id, [c for c, _a in chunk], [a for _c, a in chunk]],
                )
        return
    by_assignee: dict[int, list[int]] = defaultdict(list)
    for case_id, user_id in items:
        by_assignee[user_id].append(case_id)
    for user_id, case_ids in by_assignee.items():
        for start in range(0, len(case_ids), 500):
            RenewalCase.objects.filter(pk__in=case_ids[start : start + 500]).update(
                assignee_id=user_id, version=F("version") + step, updated_at=now, updated_by_id=actor_id
            )


def _insert_open_cases(line: LineOfInsurance, on_date: dt.date, now) -> list[int]:
    """One INSERT … SELECT … ON CONFLICT (policy_id) DO NOTHING RETURNING id for one line."""
    case_table = RenewalCase._meta.db_table
    policy_table = Policy._meta.db_table
    complaint_table = Complaint._meta.db_table
    json_empty = "'[]'::jsonb" if connection.vendor == "postgresql" else "'[]'"
    open_statuses = ", ".join(f"'{s}'" for s in Complaint.OPEN_STATUSES)
    sql = f"""
        INSERT INTO {case_table} (policy_id, customer_id, line_id, expiring_premium, due_date, stage,
                                  opened_at, priority, churn_reasons, has_open_complaint, outcome_note,
                                  version, updated_at)
        SELECT d.id, d.customer_id, d.line_id, d.premium, d.end_date, 'open',
               %s, CASE WHEN d.complaint THEN d.premium * {COMPLAINT_PRIORITY_FACTOR} ELSE d.premium END,
               {json_empty}, d.complaint, '', 1, %s
        FROM (
            SELECT p.id, p.customer_id, p.line_id, p.premium, p.end_date,
                   EXISTS (SELECT 1 FROM {complaint_table} k
                           WHERE k.customer_id = p.customer_id AND k.status IN ({open_statuses})) AS complaint
            FROM {policy_table} p
            WHERE p.line_id = %s AND p.status = 'active' AND p.end_date BETWEEN %s AND %s
              AND NOT EXISTS (SELECT 1 FROM {policy_table} n WHERE n.previous_policy_id = p.id)
        ) AS d
        WHERE true
        ON CONFLICT (policy_id) DO NOTHING
        RETURNING id
    """
    window_end = on_date + dt.timedelta(days=line.renewal_window_days)
    grace_start = on_date - dt.timedelta(days=line.grace_days)
    with connection.cursor() as cursor:
        cursor.execute(sql, [now, now, line.pk, grace_start, window_end])
        return [row[0] for row in cursor.fetchall()]


def _record_opened_events(case_ids: list[int], now) -> None:
    if not case_ids:
        return
    if connection.vendor == "postgresql":
        event_table = CaseEvent._meta.db_table
        case_table = RenewalCase._meta.db_table
        user_table = User._meta.db_table
        with connection.cursor() as cursor:
            for start in range(0, len(case_ids), WRITE_BATCH * 5):
                cursor.execute(
                    f"""INSERT INTO {event_table} (case_id, kind, actor_id, payload, created_at)
                        SELECT c.id, 'opened', NULL,
                               CASE WHEN u.id IS NULL THEN '{{}}'::jsonb
                                    ELSE jsonb_build_object('assignee_id', u.id, 'assignee',
                                         COALESCE(NULLIF(TRIM(u.first_name || ' ' || u.last_name), ''), u.username))
                               END,
                               %s
                        FROM {case_table} c LEFT JOIN {user_table} u ON u.id = c.assignee_id
                        WHERE c.id = ANY(%s::bigint[])""",
                    [now, case_ids[start : start + WRITE_BATCH * 5]],
                )
        return
    names = {}
    for start in range(0, len(case_ids), 500):
        chunk = case_ids[start : start + 500]
        rows = list(RenewalCase.objects.filter(pk__in=chunk).values_list("pk", "assignee_id"))
        missing = {a for _c, a in rows if a and a not in names}
        for user in User.objects.filter(pk__in=missing):
            names[user.pk] = user_display_name(user)
        CaseEvent.objects.bulk_create(
            [
                CaseEvent(
                    case_id=case_id,
                    kind=CaseEvent.Kind.OPENED,
                    payload={"assignee_id": a, "assignee": names[a]} if a else {},
                    created_at=now,
                )
                for case_id, a in rows
            ]
        )


def _case_rows_for_assignment(case_ids: list[int]) -> list[tuple[int, int, str, Decimal]]:
    rows = []
    for start in range(0, len(case_ids), WRITE_BATCH * 5):
        chunk = case_ids[start : start + WRITE_BATCH * 5]
        if connection.vendor == "postgresql":
            with connection.cursor() as cursor:
                cursor.execute(
                    f"""SELECT c.id, c.line_id, cu.region, c.expiring_premium
                        FROM {RenewalCase._meta.db_table} c JOIN {Customer._meta.db_table} cu ON cu.id = c.customer_id
                        WHERE c.id = ANY(%s::bigint[])""",
                    [chunk],
                )
                rows.extend(cursor.fetchall())
        else:
            for sub in range(0, len(chunk), 500):
                rows.extend(
                    RenewalCase.objects.filter(pk__in=chunk[sub : sub + 500]).values_list(
                        "pk", "line_id", "customer__region", "expiring_premium"
                    )
                )
    return rows


@transaction.atomic
def cases_open_due(*, on_date: dt.date) -> int:
    """Open a case for every active policy whose line's renewal window has opened by ``on_date``
    (expiry − window ≤ on_date) and which is not yet past expiry + grace; assign the new cases.

    Idempotent: the unique policy on the case makes a second run open nothing new.
    """
    now = timezone.now()
    lines = list(LineOfInsurance.objects.filter(active=True))
    if connection.vendor == "postgresql":
        new_ids = _open_assigned_postgres(lines, on_date, now)
    else:
        new_ids = []
        for line in lines:
            new_ids.extend(_insert_open_cases(line, on_date, now))
        if new_ids:
            assignment = _distribute(_case_rows_for_assignment(new_ids), _available_specialists())
            # Writing the assignee is part of opening, not a change: fresh cases keep version 1.
            _write_assignments(assignment, None, now, bump_version=False)
    if not new_ids:
        return 0
    _record_opened_events(new_ids, now)
    signals.cases_opened.send(sender=RenewalCase, case_ids=new_ids)
    logger.info("cases_open_due on %s opened %d cases", on_date, len(new_ids))
    return len(new_ids)


# Cases inserted per statement on PostgreSQL: two int8 arrays of this length as parameters.
OPEN_BATCH = 50_000


def _open_assigned_postgres(lines: list[LineOfInsurance], on_date: dt.date, now) -> list[int]:
    """Find the due policies without a case, choose their assignees, then insert each case once with
    its assignee (no second write of every new row). ON CONFLICT keeps a concurrent run harmless."""
    policy_table = Policy._meta.db_table
    case_table = RenewalCase._meta.db_table
    customer_table = Customer._meta.db_table
    complaint_table = Complaint._meta.db_table
    open_statuses = ", ".join(f"'{s}'" for s in Complaint.OPEN_STATUSES)
    candidates: list[tuple[int, int, str, Decimal]] = []
    with connection.cursor() as cursor:
        for line in lines:
            cursor.execute(
                f"""SELECT p.id, p.line_id, cu.region, p.premium
                    FROM {policy_table} p JOIN {customer_table} cu ON cu.id = p.customer_id
                    WHERE p.line_id = %s AND p.status = 'active' AND p.end_date BETWEEN %s AND %s
                      AND NOT EXISTS (SELECT 1 FROM {case_table} c WHERE c.policy_id = p.id)
                      AND NOT EXISTS (SELECT 1 FROM {policy_table} n WHERE n.previous_policy_id = p.id)""",
                [
                    line.pk,
                    on_date - dt.timedelta(days=line.grace_days),
                    on_date + dt.timedelta(days=line.renewal_window_days),
                ],
            )
            candidates.extend(cursor.fetchall())
        if not candidates:
            return []
        assignment = _distribute(candidates, _available_specialists())
        policy_ids = [row[0] for row in candidates]
        new_ids: list[int] = []
        for start in range(0, len(policy_ids), OPEN_BATCH):
            chunk = policy_ids[start : start + OPEN_BATCH]
            cursor.execute(
                f"""INSERT INTO {case_table} (policy_id, customer_id, line_id, expiring_premium, due_date, stage,
                                              assignee_id, opened_at, priority, churn_reasons, has_open_complaint,
                                              outcome_note, version, updated_at)
                    SELECT d.id, d.customer_id, d.line_id, d.premium, d.end_date, 'open', d.assignee_id, %s,
                           CASE WHEN d.complaint THEN d.premium * {COMPLAINT_PRIORITY_FACTOR} ELSE d.premium END,
                           '[]'::jsonb, d.complaint, '', 1, %s
                    FROM (
                        SELECT p.id, p.customer_id, p.line_id, p.premium, p.end_date, v.assignee_id,
                               EXISTS (SELECT 1 FROM {complaint_table} k WHERE k.customer_id = p.customer_id
                                       AND k.status IN ({open_statuses})) AS complaint
                        FROM unnest(%s::bigint[], %s::integer[]) AS v(policy_id, assignee_id)
                        JOIN {policy_table} p ON p.id = v.policy_id
                    ) AS d
                    ON CONFLICT (policy_id) DO NOTHING
                    RETURNING id""",
                [now, now, chunk, [assignment.get(pid) for pid in chunk]],
            )
            new_ids.extend(row[0] for row in cursor.fetchall())
    return new_ids


def cases_lapse_due(*, on_date: dt.date) -> int:
    """Move undecided cases whose expiry + grace is before ``on_date`` to ``lapsed``.

    Works in batches of ``LAPSE_BATCH``, one transaction each, claiming rows with
    ``FOR UPDATE SKIP LOCKED`` so two workers never lapse the same case.
    """
    lines = list(LineOfInsurance.objects.all())
    if not lines:
        return 0
    past_grace = Q()
    for line in lines:
        past_grace |= Q(line_id=line.pk, due_date__lt=on_date - dt.timedelta(days=line.grace_days))
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


@transaction.atomic
def case_assign(*, case_id: int, assignee_id: int, actor, expected_version: int | None = None) -> RenewalCase:
    _ensure_manager(actor)
    case = _load_case(case_id, expected_version=expected_version)
    _require_open(case)
    assignee = _specialist_or_error(assignee_id)
    if case.assignee_id == assignee.pk:
        return case
    old = case.assignee_id
    _save_case(case, actor, assignee_id=assignee.pk)
    case.assignee = assignee
    _event(
        case,
        CaseEvent.Kind.ASSIGNED,
        actor,
        {"from_id": old, "assignee_id": assignee.pk, "assignee": user_display_name(assignee)},
    )
    return case


def _specialist_or_error(user_id: int):
    user = User.objects.filter(pk=user_id, is_active=True).first()
    if user is None or not has_role(user, Role.SPECIALIST):
        raise ApplicationError(
            _("Cases can only be assigned to an active specialist."), field="assignee_id", code="not_specialist"
        )
    return user


@transaction.atomic
def cases_reassign(*, case_ids: list[int], assignee_id: int, actor) -> int:
    """Hand open cases to one specialist in one step (managers)."""
    _ensure_manager(actor)
    assignee = _specialist_or_error(assignee_id)
    ids = list(
        RenewalCase.objects.open()
        .filter(pk__in=list(case_ids))
        .exclude(assignee_id=assignee.pk)
        .values_list("pk", flat=True)
    )
    if not ids:
        return 0
    now = timezone.now()
    old_owners = set(RenewalCase.objects.filter(pk__in=ids).values_list("assignee_id", flat=True).distinct())
    RenewalCase.objects.filter(pk__in=ids).update(
        assignee_id=assignee.pk, version=F("version") + 1, updated_at=now, updated_by=actor
    )
    transaction.on_commit(lambda: selectors.forget_queue_counts(assignee.pk, *old_owners))
    payload = {"assignee_id": assignee.pk, "assignee": user_display_name(assignee)}
    CaseEvent.objects.bulk_create(
        [CaseEvent(case_id=i, kind=CaseEvent.Kind.ASSIGNED, actor=actor, payload=payload, created_at=now) for i in ids]
    )
    return len(ids)


@transaction.atomic
def specialist_cases_handover(*, from_user_id: int, actor) -> int:
    """Give every open case of one (typically away) specialist to the least-loaded others."""
    _ensure_manager(actor)
    ids = list(RenewalCase.objects.open().filter(assignee_id=from_user_id).values_list("pk", flat=True))
    if not ids:
        return 0
    assignment = _distribute(_case_rows_for_assignment(ids), _available_specialists(exclude_ids=[from_user_id]))
    if not assignment:
        raise ApplicationError(_("No other available specialist can take these cases."), code="no_specialist")
    now = timezone.now()
    _write_assignments(assignment, actor.pk, now)
    transaction.on_commit(lambda: selectors.forget_queue_counts(from_user_id, *set(assignment.values())))
    names = {u.pk: user_display_name(u) for u in User.objects.filter(pk__in=set(assignment.values()))}
    CaseEvent.objects.bulk_create(
        [
            CaseEvent(
                case_id=case_id,
                kind=CaseEvent.Kind.ASSIGNED,
                actor=actor,
                payload={"from_id": from_user_id, "assignee_id": user_id, "assignee": names[user_id]},
                created_at=now,
            )
            for case_id, user_id in assignment.items()
        ],
        batch_size=2000,
    )
    from_user = User.objects.get(pk=from_user_id)
    _audit(actor, "specialist", from_user.get_username(), {"open_cases_handed_over": ("", len(assignment))})
    return len(assignment)


# ---------------------------------------------------------------------------------------------
# Working a case
# ---------------------------------------------------------------------------------------------
@transaction.atomic
def case_log_contact(
    *,
    case_id: int,
    actor,
    channel: str,
    reached: bool,
    note: str = "",
    next_action_date: dt.date | None = None,
    expected_version: int | None = None,
) -> RenewalCase:
    """Record a call, email, visit or message. Reaching the customer moves an open case to contacted."""
    if channel not in CONTACT_CHANNELS:
        raise ApplicationError(_("Choose how you contacted the customer."), field="channel", code="invalid_channel")
    case = _load_case(case_id, expected_version=expected_version)
    _ensure_can_act(case, actor)
    _require_open(case)
    fields = {"next_action_date": next_action_date}
    from_stage = case.stage
    if reached and case.stage == Stage.OPEN:
        _require_transition(case, Stage.CONTACTED)
        fields["stage"] = Stage.CONTACTED.value
    if reached and case.first_contact_at is None:
        fields["first_contact_at"] = timezone.now()
    _save_case(case, actor, **fields)
    payload = {
        "channel": channel,
        "reached": bool(reached),
        "note": note,
        "next_action_date": next_action_date.isoformat() if next_action_date else None,
    }
    if case.stage != from_stage:
        payload.update({"from": from_stage, "to": case.stage})
    _event(case, CaseEvent.Kind.CONTACT, actor, payload)
    return case


def _parse_discount(value) -> Decimal:
    try:
        discount = Decimal(str(value if value not in (None, "") else "0"))
    except (InvalidOperation, ValueError):
        raise ApplicationError(_("Enter the discount as a number."), field="discount_percent", code="invalid") from None
    if not discount.is_finite() or discount < 0 or discount > 100:
        raise ApplicationError(
            _("The discount must be between 0 and 100%."), field="discount_percent", code="out_of_range"
        )
    if discount != discount.quantize(Decimal("0.01")):
        raise ApplicationError(
            _("Use at most two decimals for the discount."), field="discount_percent", code="invalid"
        )
    return discount


@transaction.atomic
def quote_prepare(
    *, case_id: int, actor, discount_percent: Decimal = Decimal("0"), expected_version: int | None = None
) -> Quote:
    """Price the renewal from the line's rules plus the discount; above the actor's authority it waits for a manager."""
    discount = _parse_discount(discount_percent)
    case = _load_case(case_id, expected_version=expected_version)
    _ensure_can_act(case, actor)
    _require_open(case)
    if case.stage != Stage.QUOTED:
        _require_transition(case, Stage.QUOTED)
    preview = selectors.quote_preview(case=case, discount_percent=discount, actor=actor if actor else None)
    limit = selectors.discount_authority(user=actor, line_id=case.line_id)
    needs_approval = limit is not None and discount > limit
    now = timezone.now()
    quote = Quote.objects.create(
        case=case,
        expiring_premium=preview["expiring_premium"],
        base_rate_factor=preview["base_rate_factor"],
        claims_factor=preview["claims_factor"],
        loyalty_factor=preview["loyalty_factor"],
        discount_percent=discount,
        premium=preview["premium"],
        breakdown=preview["breakdown_json"],
        approval_status=Quote.Approval.PENDING if needs_approval else Quote.Approval.NOT_REQUIRED,
        created_by=actor,
        created_at=now,
    )
    from_stage = case.stage
    fields = {"current_quote_id": quote.pk, "stage": Stage.QUOTED.value}
    if case.quoted_at is None:
        fields["quoted_at"] = now
    _save_case(case, actor, **fields)
    case.current_quote = quote
    payload = {
        "quote_id": quote.pk,
        "premium": str(quote.premium),
        "discount_percent": str(discount),
        "approval_status": quote.approval_status,
    }
    if from_stage != case.stage:
        payload.update({"from": from_stage, "to": case.stage})
    _event(case, CaseEvent.Kind.QUOTE, actor, payload)
    if needs_approval:
        _event(
            case,
            CaseEvent.Kind.APPROVAL_REQUESTED,
            actor,
            {"quote_id": quote.pk, "discount_percent": str(discount), "authority_percent": str(limit)},
        )
    return quote


def _pending_current_quote(quote_id: int) -> tuple[Quote, RenewalCase]:
    quote = Quote.objects.select_for_update().filter(pk=quote_id).first()
    if quote is None:
        raise ApplicationError(_("No such quote."), field="quote_id", code="not_found", status=404)
    case = _load_case(quote.case_id)
    if quote.approval_status != Quote.Approval.PENDING:
        raise ApplicationError(_("This quote is not waiting for approval."), code="not_pending", status=409)
    if case.current_quote_id != quote.pk:
        raise ApplicationError(_("A newer quote replaced this one."), code="superseded", status=409)
    _require_open(case)
    return quote, case


@transaction.atomic
def quote_approve(*, quote_id: int, actor, comment: str = "") -> Quote:
    _ensure_manager(actor)
    quote, case = _pending_current_quote(quote_id)
    quote.approval_status = Quote.Approval.APPROVED
    quote.approval_comment = comment
    quote.decided_by = actor
    quote.decided_at = timezone.now()
    quote.save(update_fields=["approval_status", "approval_comment", "decided_by", "decided_at"])
    _save_case(case, actor)
    _event(
        case, CaseEvent.Kind.APPROVED, actor, {"quote_id": quote.pk, "comment": comment, "premium": str(quote.premium)}
    )
    return quote


@transaction.atomic
def quote_reject(*, quote_id: int, actor, comment: str) -> Quote:
    _ensure_manager(actor)
    if not (comment or "").strip():
        raise ApplicationError(_("Say why the discount is rejected."), field="comment", code="required")
    quote, case = _pending_current_quote(quote_id)
    quote.approval_status = Quote.Approval.REJECTED
    quote.approval_comment = comment
    quote.decided_by = actor
    quote.decided_at = timezone.now()
    quote.save(update_fields=["approval_status", "approval_comment", "decided_by", "decided_at"])
    _save_case(case, actor)
    _event(case, CaseEvent.Kind.REJECTED, actor, {"quote_id": quote.pk, "comment": comment})
    return quote


def _successor_number(policy: Policy, start: dt.date) -> str:
    return f"R{start.year}-{policy.pk:09d}"


@transaction.atomic
def case_mark_renewed(
    *, case_id: int, actor, premium: Decimal | None = None, expected_version: int | None = None
) -> RenewalCase:
    """Create the successor policy from the accepted quote, link both, close the case.

    ``actor=None`` is the customer confirming through the signed offer link.
    """
    case = _load_case(case_id, expected_version=expected_version, lock=True)
    _ensure_can_act(case, actor)
    _require_transition(case, Stage.RENEWED)
    quote = case.current_quote
    if quote is None:
        raise ApplicationError(_("Prepare a quote before renewing."), field="quote", code="no_quote")
    if not quote.is_usable:
        raise ApplicationError(
            _("The quote's discount is waiting for (or was refused) a manager's approval."),
            field="quote",
            code="quote_not_approved",
        )
    final_premium = money(premium) if premium is not None else quote.premium
    if final_premium < 0:
        raise ApplicationError(_("The premium cannot be negative."), field="premium", code="invalid")
    if final_premium < quote.premium and not (actor is None or has_role(actor, Role.MANAGER)):
        # A lower premium is a discount: it goes through a quote (and approval), never round it.
        raise PermissionDeniedError(
            _("Only a manager can renew below the accepted quote; prepare a new quote with the discount instead."),
            field="premium",
            code="below_quote",
        )
    old = case.policy
    start = old.end_date + dt.timedelta(days=1)
    end = start + relativedelta(months=case.line.term_months) - dt.timedelta(days=1)
    successor = Policy.objects.create(
        number=_successor_number(old, start),
        customer_id=old.customer_id,
        line_id=old.line_id,
        product=old.product,
        start_date=start,
        end_date=end,
        premium=final_premium,
        sum_insured=old.sum_insured,
        channel=old.channel,
        status=Policy.Status.ACTIVE,
        previous_policy=old,
    )
    from_stage = case.stage
    now = timezone.now()
    _save_case(
        case,
        actor,
        stage=Stage.RENEWED.value,
        successor_policy_id=successor.pk,
        closed_at=now,
        closed_by_id=actor.pk if actor else None,
        next_action_date=None,
    )
    case.successor_policy = successor
    _event(
        case,
        CaseEvent.Kind.RENEWED,
        actor,
        {
            "from": from_stage,
            "to": Stage.RENEWED.value,
            "successor_policy_id": successor.pk,
            "successor_number": successor.number,
            "premium": str(final_premium),
            "by_customer": actor is None,
        },
    )
    _on_commit_closed(case, Stage.RENEWED.value, actor)
    return case


def _reason(code: str, kind: str) -> LostReason:
    reason = LostReason.objects.filter(code=code, kind=kind, active=True).first()
    if reason is None:
        raise ApplicationError(_("Choose a reason from the list."), field="reason_code", code="invalid_reason")
    return reason


def _close_with_reason(*, case_id, actor, reason_code, note, expected_version, stage, kind, event_kind) -> RenewalCase:
    case = _load_case(case_id, expected_version=expected_version)
    _ensure_can_act(case, actor)
    _require_transition(case, stage)
    reason = _reason(reason_code, kind)
    from_stage = case.stage
    _save_case(
        case,
        actor,
        stage=stage,
        lost_reason_id=reason.pk,
        outcome_note=note or "",
        closed_at=timezone.now(),
        closed_by_id=actor.pk if actor else None,
        next_action_date=None,
    )
    case.lost_reason = reason
    _event(case, event_kind, actor, {"from": from_stage, "to": stage, "reason": reason.code, "note": note or ""})
    _on_commit_closed(case, stage, actor)
    return case


@transaction.atomic
def case_mark_lost(
    *, case_id: int, actor, reason_code: str, note: str = "", expected_version: int | None = None
) -> RenewalCase:
    return _close_with_reason(
        case_id=case_id,
        actor=actor,
        reason_code=reason_code,
        note=note,
        expected_version=expected_version,
        stage=Stage.LOST.value,
        kind=LostReason.Kind.LOST,
        event_kind=CaseEvent.Kind.LOST,
    )


@transaction.atomic
def case_mark_not_offered(
    *, case_id: int, actor, reason_code: str, note: str = "", expected_version: int | None = None
) -> RenewalCase:
    return _close_with_reason(
        case_id=case_id,
        actor=actor,
        reason_code=reason_code,
        note=note,
        expected_version=expected_version,
        stage=Stage.NOT_OFFERED.value,
        kind=LostReason.Kind.NOT_OFFERED,
        event_kind=CaseEvent.Kind.NOT_OFFERED,
    )


@transaction.atomic
def case_refer(*, case_id: int, actor, to: str, note: str) -> Referral:
    if to not in REFERRAL_TARGETS:
        raise ApplicationError(_("Refer to underwriting or claims."), field="to", code="invalid_target")
    if not (note or "").strip():
        raise ApplicationError(_("Write what you need from them."), field="note", code="required")
    case = _load_case(case_id)
    _ensure_can_act(case, actor)
    _require_open(case)
    referral = Referral.objects.create(case=case, to=to, note=note, created_by=actor)
    _save_case(case, actor)
    _event(case, CaseEvent.Kind.REFERRAL, actor, {"referral_id": referral.pk, "to": to, "note": note})
    return referral


@transaction.atomic
def referral_resolve(*, referral_id: int, actor, resolution: str) -> Referral:
    referral = Referral.objects.select_for_update().filter(pk=referral_id).first()
    if referral is None:
        raise ApplicationError(_("No such referral."), code="not_found", status=404)
    case = _load_case(referral.case_id)
    _ensure_can_act(case, actor)
    if referral.resolved_at is not None:
        raise ApplicationError(_("This referral is already resolved."), code="already_resolved", status=409)
    referral.resolved_at = timezone.now()
    referral.resolved_by = actor
    referral.resolution = resolution or ""
    referral.save(update_fields=["resolved_at", "resolved_by", "resolution"])
    _event(
        case,
        CaseEvent.Kind.REFERRAL_RESOLVED,
        actor,
        {"referral_id": referral.pk, "to": referral.to, "resolution": referral.resolution},
    )
    return referral


@transaction.atomic
def case_reopen(*, case_id: int, actor) -> RenewalCase:
    """Managers reopen a lost, lapsed or not-offered case at the furthest stage it had reached."""
    _ensure_manager(actor)
    case = _load_case(case_id)
    if case.is_open:
        raise ApplicationError(_("This case is already open."), code="already_open", status=409)
    if case.stage not in REOPENABLE:
        raise ApplicationError(
            _("A renewed case cannot be reopened: its successor policy exists."), code="cannot_reopen", status=409
        )
    if case.current_quote_id:
        to_stage = Stage.QUOTED.value
    elif case.first_contact_at:
        to_stage = Stage.CONTACTED.value
    else:
        to_stage = Stage.OPEN.value
    from_stage = case.stage
    _save_case(case, actor, stage=to_stage, closed_at=None, closed_by_id=None, lost_reason_id=None, outcome_note="")
    _event(case, CaseEvent.Kind.REOPENED, actor, {"from": from_stage, "to": to_stage})
    signals.case_reopened.send(sender=RenewalCase, case=case, actor=actor)
    return case


# ---------------------------------------------------------------------------------------------
# Priority: churn scores and complaints
# ---------------------------------------------------------------------------------------------
@transaction.atomic
def cases_score_update(*, scores: dict[int, tuple[int, list[str]]]) -> int:
    """Set churn risk (0–100) and its top reasons per case id and recompute priority, set-based."""
    items = []
    for case_id, (risk, reasons) in scores.items():
        risk = int(risk)
        if not 0 <= risk <= 100:
            raise ApplicationError(_("Churn risk must be between 0 and 100."), field="churn_risk", code="out_of_range")
        items.append((int(case_id), risk, json.dumps(list(reasons or []))))
    if not items:
        return 0
    updated = 0
    if connection.vendor == "postgresql":
        table = RenewalCase._meta.db_table
        with connection.cursor() as cursor:
            for start in range(0, len(items), WRITE_BATCH):
                chunk = items[start : start + WRITE_BATCH]
                cursor.execute(
                    f"""UPDATE {table} AS c
                        SET churn_risk = v.risk, churn_reasons = v.reasons::jsonb,
                            priority = ROUND(c.expiring_premium * v.risk / 100.0 * CASE
                                WHEN c.has_open_complaint THEN {COMPLAINT_PRIORITY_FACTOR} ELSE 1 END, 2)
                        FROM unnest(%s::bigint[], %s::smallint[], %s::text[]) AS v(case_id, risk, reasons)
                        WHERE c.id = v.case_id""",
                    [[i[0] for i in chunk], [i[1] for i in chunk], [i[2] for i in chunk]],
                )
                updated += cursor.rowcount
        return updated
    by_id = {i[0]: i for i in items}
    for start in range(0, len(items), 500):
        chunk_ids = [i[0] for i in items[start : start + 500]]
        cases = list(RenewalCase.objects.filter(pk__in=chunk_ids).only("pk", "expiring_premium", "has_open_complaint"))
        for case in cases:
            _id, risk, reasons = by_id[case.pk]
            case.churn_risk = risk
            case.churn_reasons = json.loads(reasons)
            case.priority = case_priority(
                expiring_premium=case.expiring_premium, churn_risk=risk, has_open_complaint=case.has_open_complaint
            )
        RenewalCase.objects.bulk_update(cases, ["churn_risk", "churn_reasons", "priority"])
        updated += len(cases)
    return updated


def _complaint_cases(complaint) -> list[int]:
    if complaint.case_id:
        return [complaint.case_id]
    return list(RenewalCase.objects.open().filter(customer_id=complaint.customer_id).values_list("pk", flat=True))


@transaction.atomic
def cases_note_complaint(*, complaint, old_status: str | None = None, actor=None) -> int:
    """Put a complaint (logged or moved on) on the timeline of the customer's open cases and set
    the complaint flag that raises their priority while any complaint of the customer is open."""
    case_ids = _complaint_cases(complaint)
    if not case_ids:
        return 0
    customer_has_open = Complaint.objects.filter(
        customer_id=complaint.customer_id, status__in=[s.value for s in Complaint.OPEN_STATUSES]
    ).exists()
    RenewalCase.objects.open().filter(pk__in=case_ids).exclude(has_open_complaint=customer_has_open).update(
        has_open_complaint=customer_has_open
    )
    RenewalCase.objects.open().filter(pk__in=case_ids).update(priority=_priority_expression())
    payload = {
        "complaint_id": complaint.pk,
        "category": getattr(complaint.category, "code", ""),
        "severity": complaint.severity,
        "status": complaint.status,
    }
    if old_status:
        payload["old_status"] = old_status
    now = timezone.now()
    CaseEvent.objects.bulk_create(
        [
            CaseEvent(case_id=i, kind=CaseEvent.Kind.COMPLAINT, actor=actor, payload=payload, created_at=now)
            for i in case_ids
        ]
    )
    return len(case_ids)


@transaction.atomic
def case_note_survey(*, response) -> CaseEvent | None:
    if not response.case_id:
        return None
    return CaseEvent.objects.create(
        case_id=response.case_id,
        kind=CaseEvent.Kind.SURVEY,
        actor=response.recorded_by,
        payload={
            "score": response.score,
            "comment": response.comment,
            "channel": response.channel,
            "response_id": response.pk,
        },
    )


# ---------------------------------------------------------------------------------------------
# Settings (managers); every change is audited
# ---------------------------------------------------------------------------------------------
def _audit(actor, area: str, object_repr: str, changes: dict) -> SettingsChange | None:
    if not changes:
        return None
    return SettingsChange.objects.create(
        actor=actor,
        area=area,
        object_repr=str(object_repr)[:200],
        changes={k: [str(v[0]), str(v[1])] for k, v in changes.items()},
    )


def _apply_fields(obj, values: dict) -> dict:
    changes = {}
    for name, value in values.items():
        old = getattr(obj, name)
        if old != value:
            changes[name] = (old, value)
            setattr(obj, name, value)
    return changes


LINE_FIELDS = ("name", "name_zh_hans", "renewal_window_days", "grace_days", "notice_lead_days", "term_months", "active")


@transaction.atomic
def line_save(*, actor, line_id: int | None = None, code: str | None = None, **values) -> LineOfInsurance:
    _ensure_manager(actor)
    unknown = set(values) - set(LINE_FIELDS)
    if unknown:
        raise ApplicationError(_("Unknown field."), field=sorted(unknown)[0], code="unknown_field")
    if line_id is None:
        if not code or LineOfInsurance.objects.filter(code=code).exists():
            raise ApplicationError(_("Give the new line a unique code."), field="code", code="invalid")
        line = LineOfInsurance(code=code)
    else:
        line = LineOfInsurance.objects.select_for_update().get(pk=line_id)
    changes = _apply_fields(line, values)
    window = line.renewal_window_days
    if window is not None and line.notice_lead_days is not None and line.notice_lead_days > window:
        raise ApplicationError(
            _("The notice lead time must fit inside the renewal window."), field="notice_lead_days", code="invalid"
        )
    if line.term_months is not None and line.term_months < 1:
        raise ApplicationError(_("The term must be at least one month."), field="term_months", code="invalid")
    created = line.pk is None
    line.save()
    if created:
        PricingRule.objects.get_or_create(line=line)
        changes["code"] = ("", code)
    _audit(actor, "line", line.code, changes)
    return line


@transaction.atomic
def pricing_rule_save(
    *,
    actor,
    line_id: int,
    base_rate_change_percent: Decimal,
    claims_factors: list[tuple[int, Decimal]],
    loyalty_factors: list[tuple[int, Decimal]],
) -> PricingRule:
    """Replace a line's pricing: the base rate change and both factor tables."""
    _ensure_manager(actor)
    base = Decimal(str(base_rate_change_percent))
    if base <= -100 or base > 1000:
        raise ApplicationError(
            _("The base rate change is out of range."), field="base_rate_change_percent", code="invalid"
        )
    for field, table in (("claims_factors", claims_factors), ("loyalty_factors", loyalty_factors)):
        thresholds = [int(t) for t, _f in table]
        if len(set(thresholds)) != len(thresholds) or any(t < 0 for t in thresholds):
            raise ApplicationError(_("Each step needs its own non-negative threshold."), field=field, code="invalid")
        if any(Decimal(str(f)) <= 0 for _t, f in table):
            raise ApplicationError(_("Factors must be above zero."), field=field, code="invalid")
    rule, _created = PricingRule.objects.select_for_update().get_or_create(line_id=line_id)
    changes = _apply_fields(rule, {"base_rate_change_percent": base})
    rule.save()
    old_claims = sorted((c.min_claims, c.factor) for c in ClaimsFactor.objects.filter(line_id=line_id))
    old_loyalty = sorted((c.min_years, c.factor) for c in LoyaltyFactor.objects.filter(line_id=line_id))
    new_claims = sorted((int(t), Decimal(str(f)).quantize(Decimal("0.0001"))) for t, f in claims_factors)
    new_loyalty = sorted((int(t), Decimal(str(f)).quantize(Decimal("0.0001"))) for t, f in loyalty_factors)
    if old_claims != new_claims:
        ClaimsFactor.objects.filter(line_id=line_id).delete()
        ClaimsFactor.objects.bulk_create([ClaimsFactor(line_id=line_id, min_claims=t, factor=f) for t, f in new_claims])
        changes["claims_factors"] = (_table_repr(old_claims), _table_repr(new_claims))
    if old_loyalty != new_loyalty:
        LoyaltyFactor.objects.filter(line_id=line_id).delete()
        LoyaltyFactor.objects.bulk_create(
            [LoyaltyFactor(line_id=line_id, min_years=t, factor=f) for t, f in new_loyalty]
        )
        changes["loyalty_factors"] = (_table_repr(old_loyalty), _table_repr(new_loyalty))
    _audit(actor, "pricing", LineOfInsurance.objects.get(pk=line_id).code, changes)
    transaction.on_commit(lambda: cache.delete(selectors.pricing_cache_key(line_id)))
    return rule


def _table_repr(rows) -> str:
    return ", ".join(f"{t}:{f}" for t, f in rows)


@transaction.atomic
def discount_authority_set(*, actor, user_id: int, line_id: int, max_discount_percent: Decimal) -> DiscountAuthority:
    _ensure_manager(actor)
    value = _parse_discount(max_discount_percent)
    _specialist_or_error(user_id)
    authority, created = DiscountAuthority.objects.select_for_update().get_or_create(
        user_id=user_id, line_id=line_id, defaults={"max_discount_percent": value}
    )
    old = None if created else authority.max_discount_percent
    if not created and old != value:
        authority.max_discount_percent = value
        authority.save(update_fields=["max_discount_percent"])
    if created or old != value:
        user = User.objects.get(pk=user_id)
        line = LineOfInsurance.objects.get(pk=line_id)
        _audit(actor, "authority", f"{user.get_username()} / {line.code}", {"max_discount_percent": (old, value)})
    return authority


@transaction.atomic
def lost_reason_save(
    *,
    actor,
    reason_id: int | None = None,
    code: str | None = None,
    name: str,
    name_zh_hans: str = "",
    kind: str = LostReason.Kind.LOST,
    active: bool = True,
    sort_order: int = 0,
) -> LostReason:
    _ensure_manager(actor)
    if kind not in LostReason.Kind.values:
        raise ApplicationError(_("Unknown reason kind."), field="kind", code="invalid")
    if not (name or "").strip():
        raise ApplicationError(_("Give the reason a name."), field="name", code="required")
    if reason_id is None:
        if not code or LostReason.objects.filter(code=code).exists():
            raise ApplicationError(_("Give the new reason a unique code."), field="code", code="invalid")
        reason = LostReason(code=code)
    else:
        reason = LostReason.objects.select_for_update().get(pk=reason_id)
    created = reason.pk is None
    changes = _apply_fields(
        reason, {"name": name, "name_zh_hans": name_zh_hans, "kind": kind, "active": active, "sort_order": sort_order}
    )
    reason.save()
    if created:
        changes["code"] = ("", code)
    _audit(actor, "lost_reason", reason.code, changes)
    transaction.on_commit(lambda: cache.delete(selectors.LOST_REASONS_CACHE_KEY))
    return reason


@transaction.atomic
def specialist_profile_save(
    *, actor, user_id: int, line_ids: list[int], regions: list[str], away: bool
) -> SpecialistProfile:
    _ensure_manager(actor)
    user = _specialist_or_error(user_id)
    profile, _created = SpecialistProfile.objects.select_for_update().get_or_create(user=user)
    old_lines = sorted(profile.lines.values_list("code", flat=True))
    clean_regions = sorted({r.strip() for r in regions if r and r.strip()})
    changes = _apply_fields(profile, {"regions": clean_regions, "away": bool(away)})
    profile.save()
    profile.lines.set(line_ids)
    new_lines = sorted(LineOfInsurance.objects.filter(pk__in=line_ids).values_list("code", flat=True))
    if old_lines != new_lines:
        changes["lines"] = (",".join(old_lines), ",".join(new_lines))
    _audit(actor, "specialist", user.get_username(), changes)
    return profile
