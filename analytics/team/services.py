"""Writes of the Team page: its rollup refresh, managers' settings and capacity, the bulk rebalance.

Each is one transaction; settings and rebalances are audited in ``TeamSettingsChange``.
"""

from __future__ import annotations

import datetime as dt
import logging
from decimal import Decimal, InvalidOperation

from django.contrib.auth import get_user_model
from django.db import connection, transaction
from django.db.models import Count, Q
from django.utils import timezone
from django.utils.translation import gettext as _

from core.errors import ApplicationError, ErrorCode, PermissionDeniedError
from core.roles import Role, has_role
from renewals.models import LineOfInsurance, Policy, RenewalCase, Stage
from renewals.services import cases_reassign

from ..models import RollupState
from ..rollup_build import _insert_finest, _rebuild_months
from .models import SpecialistCapacity, TeamDayRollup, TeamForecast, TeamSettings, TeamSettingsChange
from .rollup import team_table

logger = logging.getLogger(__name__)

ADVISORY_LOCK_KEY = 640_015  # "team rollups": two refreshes never run at once
FORECAST_WEEKS = 13
STATE_NAME = "team"
COST_FIELDS = ("sms_cost", "email_cost", "call_minute_cost", "letter_cost", "minutes_per_call")
WEIGHT_FIELDS = (
    "weight_renewal_rate",
    "weight_premium_retention",
    "weight_nps",
    "weight_complaints",
    "weight_notice_compliance",
    "weight_processing_time",
)
MAX_UNIT_COST = Decimal("100000")
MAX_WEIGHT = 10
MAX_CAPACITY = 10_000


def _ensure_manager(actor) -> None:
    if actor is None or not has_role(actor, Role.MANAGER):
        raise PermissionDeniedError(_("Only a manager can do this."))


def week_start(day: dt.date) -> dt.date:
    """The Monday of ``day``'s week."""
    return day - dt.timedelta(days=day.weekday())


@transaction.atomic
def team_rollups_refresh(*, today: dt.date | None = None) -> bool:
    """Rebuild the team rollup and the 13-week opening forecast from the raw rows (set-based).

    Returns False when another refresh holds the lock (PostgreSQL advisory lock: a no-op)."""
    if connection.vendor == "postgresql":
        with connection.cursor() as cursor:
            cursor.execute("SELECT pg_try_advisory_xact_lock(%s)", [ADVISORY_LOCK_KEY])
            if not cursor.fetchone()[0]:
                return False
    today = today or timezone.localdate()
    _rebuild_months(team_table(today), None)
    # The same sums per day at the finest grain: the KPI API's edge days (analytics/selectors/days.py).
    TeamDayRollup.objects.all().delete()
    _insert_finest(team_table(today, TeamDayRollup), None, by_day=True)
    _forecast_rebuild(today)
    now = timezone.now()
    RollupState.objects.update_or_create(name=STATE_NAME, defaults={"refreshed_at": now, "rebuilt_at": now})
    logger.info("team_rollups_refresh done")
    return True


def _forecast_rebuild(today: dt.date) -> None:
    """Cases expected to open each week: active policies without a case whose end date minus their
    line's renewal window falls in the week (week 0 runs from today to Sunday)."""
    TeamForecast.objects.all().delete()
    first_monday = week_start(today)
    rows = []
    for line in LineOfInsurance.objects.filter(active=True).only("pk", "renewal_window_days"):
        window = dt.timedelta(days=line.renewal_window_days)
        weeks = []
        for index in range(FORECAST_WEEKS):
            monday = first_monday + dt.timedelta(weeks=index)
            opens_from = max(monday, today)
            weeks.append((monday, opens_from + window, monday + dt.timedelta(days=6) + window))
        counts = (
            Policy.objects.order_by()
            .filter(
                line_id=line.pk,
                status=Policy.Status.ACTIVE,
                renewal_case__isnull=True,
                end_date__gte=weeks[0][1],
                end_date__lte=weeks[-1][2],
            )
            .values("customer__region")
            .annotate(
                **{
                    f"w{index}": Count("id", filter=Q(end_date__gte=low, end_date__lte=high))
                    for index, (_monday, low, high) in enumerate(weeks)
                }
            )
        )
        for row in counts:
            for index, (monday, _low, _high) in enumerate(weeks):
                if row[f"w{index}"]:
                    rows.append(
                        TeamForecast(
                            computed_on=today,
                            week=monday,
                            line_id=line.pk,
                            region=row["customer__region"] or "",
                            cases=row[f"w{index}"],
                        )
                    )
    TeamForecast.objects.bulk_create(rows, batch_size=2000)


def _decimal(raw, field: str, *, maximum: Decimal) -> Decimal:
    text = str(raw if raw is not None else "").strip().replace(",", "")
    if "\x00" in text:
        raise ApplicationError(_("Enter a number."), field=field, code=ErrorCode.INVALID)
    try:
        value = Decimal(text)
    except InvalidOperation:
        raise ApplicationError(_("Enter a number."), field=field, code=ErrorCode.INVALID) from None
    if not value.is_finite() or value < 0 or value > maximum:
        raise ApplicationError(
            _("Enter a number between 0 and %(max)s.") % {"max": maximum}, field=field, code=ErrorCode.OUT_OF_RANGE
        )
    return value.quantize(Decimal("0.1") if field == "minutes_per_call" else Decimal("0.01"))


def _whole(raw, field: str, *, minimum: int, maximum: int) -> int:
    text = str(raw if raw is not None else "").strip()
    try:
        value = int(text)
    except ValueError:
        raise ApplicationError(_("Enter a whole number."), field=field, code=ErrorCode.INVALID) from None
    if not minimum <= value <= maximum:
        raise ApplicationError(
            _("Enter a whole number between %(min)s and %(max)s.") % {"min": minimum, "max": maximum},
            field=field,
            code=ErrorCode.OUT_OF_RANGE,
        )
    return value


@transaction.atomic
def team_settings_save(*, actor, values: dict) -> TeamSettings:
    """Set unit costs (money, ≥ 0), minutes per call, the processing-time target (−100..100 %) and
    the scorecard weights (0..10, at least one above 0); audited with old and new values."""
    _ensure_manager(actor)
    unknown = set(values) - {*COST_FIELDS, *WEIGHT_FIELDS, "processing_time_target_percent"}
    if unknown:
        raise ApplicationError(_("Unknown field."), field=sorted(unknown)[0], code=ErrorCode.INVALID)
    clean: dict = {}
    for name in COST_FIELDS:
        if name in values:
            maximum = Decimal("600") if name == "minutes_per_call" else MAX_UNIT_COST
            clean[name] = _decimal(values[name], name, maximum=maximum)
    for name in WEIGHT_FIELDS:
        if name in values:
            clean[name] = _whole(values[name], name, minimum=0, maximum=MAX_WEIGHT)
    if "processing_time_target_percent" in values:
        clean["processing_time_target_percent"] = _whole(
            values["processing_time_target_percent"], "processing_time_target_percent", minimum=-100, maximum=100
        )
    current = TeamSettings.objects.select_for_update().filter(pk=1).first() or TeamSettings(pk=1)
    if all(clean.get(name, getattr(current, name)) == 0 for name in WEIGHT_FIELDS):
        raise ApplicationError(
            _("Give at least one part of the scorecard a weight."), field=WEIGHT_FIELDS[0], code=ErrorCode.INVALID
        )
    changes = {}
    for name, value in clean.items():
        old = getattr(current, name)
        if old != value:
            changes[name] = [str(old), str(value)]
            setattr(current, name, value)
    if changes or current._state.adding:
        current.updated_by = actor
        current.updated_at = timezone.now()
        current.save()
    if changes:
        TeamSettingsChange.objects.create(actor=actor, kind=TeamSettingsChange.Kind.SETTINGS, changes=changes)
    return current


def _specialist(user_id) -> object:
    user = get_user_model().objects.filter(pk=user_id, is_active=True).first()
    if user is None or not has_role(user, Role.SPECIALIST):
        raise ApplicationError(_("Choose an active specialist."), field="user_id", code=ErrorCode.INVALID)
    return user


@transaction.atomic
def specialist_capacities_set(*, actor, capacities: dict[int, object]) -> int:
    """Cases per week per specialist id (an empty value removes the capacity); audited. Returns how
    many changed."""
    _ensure_manager(actor)
    changed = {}
    existing = {c.user_id: c for c in SpecialistCapacity.objects.select_for_update().filter(user_id__in=capacities)}
    for user_id, raw in capacities.items():
        user = _specialist(user_id)
        field = f"capacity_{user.pk}"
        text = str(raw if raw is not None else "").strip()
        old = existing.get(user.pk)
        if not text:
            if old is not None:
                old.delete()
                changed[user.get_username()] = [str(old.cases_per_week), ""]
            continue
        value = _whole(text, field, minimum=0, maximum=MAX_CAPACITY)
        if old is not None and old.cases_per_week == value:
            continue
        SpecialistCapacity.objects.update_or_create(
            user=user, defaults={"cases_per_week": value, "updated_by": actor, "updated_at": timezone.now()}
        )
        changed[user.get_username()] = [str(old.cases_per_week) if old else "", str(value)]
    if changed:
        TeamSettingsChange.objects.create(actor=actor, kind=TeamSettingsChange.Kind.CAPACITY, changes=changed)
    return len(changed)


@transaction.atomic
def team_overflow_rebalance(*, actor, overflow: dict[int, int], spare: dict[int, int]) -> dict:
    """Move open cases away from the specialists whose coming weeks overflow their capacity.

    ``overflow`` is {specialist id: cases over capacity in the forecast}, ``spare`` {specialist id:
    cases under capacity}, both from ``selectors.capacity_ahead``. From each overflowing specialist,
    the untouched open cases (stage open, no contact yet) with the latest expiry go, up to the
    overflow, to the specialists with spare room (most room first), through renewals'
    ``cases_reassign`` (which writes an "assigned" event on every case). The whole move is recorded
    in the audit with who moved how many cases to whom. Returns {from id: {to id: cases}}.
    """
    _ensure_manager(actor)
    room = {user_id: left for user_id, left in spare.items() if left > 0}
    moves: dict[int, dict[int, int]] = {}
    for from_id, surplus in sorted(overflow.items(), key=lambda item: -item[1]):
        if surplus <= 0:
            continue
        candidates = list(
            RenewalCase.objects.filter(assignee_id=from_id, stage=Stage.OPEN, first_contact_at__isnull=True)
            .order_by("-due_date", "-pk")
            .values_list("pk", flat=True)[:surplus]
        )
        while candidates:
            receivers = [user_id for user_id in room if user_id != from_id]
            if not receivers:
                break
            to_id = max(receivers, key=lambda user_id: (room[user_id], -user_id))
            take = min(room[to_id], len(candidates))
            batch, candidates = candidates[:take], candidates[take:]
            moved = cases_reassign(case_ids=batch, assignee_id=to_id, actor=actor)
            if moved:
                moves.setdefault(from_id, {})[to_id] = moves.get(from_id, {}).get(to_id, 0) + moved
            room[to_id] -= take
            if room[to_id] <= 0:
                room.pop(to_id)
    if not moves:
        raise ApplicationError(
            _("Nothing to rebalance: no overflow, or no specialist with room."), code=ErrorCode.CONFLICT, status=409
        )
    users = {u.pk: u.get_username() for u in get_user_model().objects.filter(pk__in={*moves, *room, *spare})}
    TeamSettingsChange.objects.create(
        actor=actor,
        kind=TeamSettingsChange.Kind.REBALANCE,
        changes={
            users.get(from_id, str(from_id)): {users.get(to_id, str(to_id)): n for to_id, n in targets.items()}
            for from_id, targets in moves.items()
        },
    )
    return moves
