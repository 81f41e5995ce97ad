"""Who works which case: least-loaded balancing within skills, a manager's reassignment, hand-over."""

import heapq
from collections import defaultdict
from decimal import Decimal

from django.db import connection, transaction
from django.db.models import F, Sum
from django.utils import timezone
from django.utils.translation import gettext as _

from core.errors import ApplicationError
from core.roles import Role
from renewals import selectors
from renewals.errors import RenewalsErrorCode
from renewals.models import CaseEvent, RenewalCase, SpecialistProfile
from renewals.services import _sql
from renewals.services._common import (
    WRITE_BATCH,
    User,
    _audit,
    _ensure_manager,
    _event,
    _load_case,
    _require_open,
    _save_case,
    _specialist_or_error,
    user_display_name,
)

# Ids per ORM statement on the portable path: under SQLite's limit on bound parameters.
PORTABLE_BATCH = 500


def _available_specialists(exclude_ids=()) -> list[dict]:
    """Active, not-away specialists with their lines, regions (empty means any) and skill tags."""
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
                "skills": set(profile.skills or []) if profile else set(),
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


def _eligible(specialists: list[dict], line_id: int, region: str, skill: str) -> list[int]:
    """Who may take a case: within the line and region skills; a playbook's pool (``skill``) first
    narrows to the specialists with that tag (ignoring line and region if none of them covers
    those). Cases nobody covers go to all available specialists rather than staying unassigned."""
    pool = [s for s in specialists if skill in s["skills"]] if skill else specialists
    if not pool:
        pool = specialists
    covering = [
        s["id"]
        for s in pool
        if (not s["lines"] or line_id in s["lines"]) and (not s["regions"] or region in s["regions"])
    ]
    return covering or [s["id"] for s in pool]


def _distribute(rows: list[tuple], specialists: list[dict]) -> dict[int, int]:
    """Greedy least-loaded assignment (open premium), biggest cases first, within skills.

    ``rows`` are (case id, line id, region, premium) or (…, the playbook's assignment skill).
    """
    if not specialists:
        return {}
    loads = _open_loads([s["id"] for s in specialists])
    buckets: dict[tuple[int, str, str], list[tuple[Decimal, int]]] = defaultdict(list)
    for row in rows:
        case_id, line_id, region, premium = row[:4]
        skill = row[4] if len(row) > 4 else ""
        buckets[(line_id, region, skill or "")].append((premium or Decimal("0"), case_id))
    assignment: dict[int, int] = {}
    for (line_id, region, skill), cases in buckets.items():
        eligible = _eligible(specialists, line_id, region, skill)
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


# --- (case id, line id, region, premium) of cases, for _distribute ---------------------------
def _case_rows_for_assignment(case_ids: list[int]) -> list[tuple[int, int, str, Decimal]]:
    if connection.vendor == "postgresql":
        return _case_rows_postgres(case_ids)
    return _case_rows_portable(case_ids)


def _case_rows_postgres(case_ids: list[int]) -> list[tuple[int, int, str, Decimal]]:
    rows = []
    with connection.cursor() as cursor:
        for start in range(0, len(case_ids), WRITE_BATCH * 5):
            cursor.execute(_sql.CASE_ROWS_FOR_ASSIGNMENT, [case_ids[start : start + WRITE_BATCH * 5]])
            rows.extend(cursor.fetchall())
    return rows


def _case_rows_portable(case_ids: list[int]) -> list[tuple[int, int, str, Decimal]]:
    rows = []
    for start in range(0, len(case_ids), PORTABLE_BATCH):
        rows.extend(
            RenewalCase.objects.filter(pk__in=case_ids[start : start + PORTABLE_BATCH]).values_list(
                "pk", "line_id", "customer__region", "expiring_premium", "playbook_version__assignment_skill"
            )
        )
    return rows


# --- writing assignees set-based --------------------------------------------------------------
def _write_assignments(assignment: dict[int, int], actor_id: int | None, now, bump_version: bool = True) -> None:
    """Set the assignee of each case id in ``assignment``; ``bump_version=False`` when opening (fresh
    cases keep version 1)."""
    step = 1 if bump_version else 0
    if connection.vendor == "postgresql":
        _write_assignments_postgres(assignment, actor_id, now, step)
    else:
        _write_assignments_portable(assignment, actor_id, now, step)


def _write_assignments_postgres(assignment: dict[int, int], actor_id: int | None, now, step: int) -> None:
    """One UPDATE … FROM unnest per batch."""
    items = list(assignment.items())
    with connection.cursor() as cursor:
        for start in range(0, len(items), WRITE_BATCH):
            chunk = items[start : start + WRITE_BATCH]
            cursor.execute(
                _sql.ASSIGNMENTS_WRITE, [step, now, actor_id, [c for c, _a in chunk], [a for _c, a in chunk]]
            )


def _write_assignments_portable(assignment: dict[int, int], actor_id: int | None, now, step: int) -> None:
    """One UPDATE per assignee and batch of ids."""
    by_assignee: dict[int, list[int]] = defaultdict(list)
    for case_id, user_id in assignment.items():
        by_assignee[user_id].append(case_id)
    for user_id, case_ids in by_assignee.items():
        for start in range(0, len(case_ids), PORTABLE_BATCH):
            RenewalCase.objects.filter(pk__in=case_ids[start : start + PORTABLE_BATCH]).update(
                assignee_id=user_id, version=F("version") + step, updated_at=now, updated_by_id=actor_id
            )


# --- managers' assignment ---------------------------------------------------------------------
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
        raise ApplicationError(
            _("No other available specialist can take these cases."), code=RenewalsErrorCode.NO_SPECIALIST
        )
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


def work_balance(*, rows: list[tuple[int, int | None, str, Decimal | None]]) -> dict[int, int]:
    """The usual balancing for work that is not a renewal case (a campaign's call tasks): ``rows``
    are (item id, line id or None, region, premium or None); returns item id -> specialist id, the
    biggest items first to the least-loaded available specialist within line and region skills.
    A read: the caller records the result."""
    return _distribute(rows, _available_specialists())
