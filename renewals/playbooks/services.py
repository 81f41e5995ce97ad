"""Writes of playbooks (managers, audited): create, edit (a new version), retire, re-apply to open
cases; and the set-based choice of playbooks for freshly opened cases (the portable opening)."""

import datetime as dt
from decimal import Decimal, InvalidOperation

from django.conf import settings
from django.contrib.auth import get_user_model
from django.db import IntegrityError, connection, transaction
from django.utils import timezone
from django.utils.translation import gettext as _
from django.utils.translation import ngettext

from core.errors import ApplicationError, ConflictError, ErrorCode
from customers.models import Customer
from customers.regions import REGION_LABELS
from renewals.errors import RenewalsErrorCode
from renewals.models import OPEN_STAGES, CaseEvent, LineOfInsurance, Policy, RenewalCase
from renewals.playbooks import matching
from renewals.playbooks.models import MAX_WINDOW_DAYS, Playbook, PlaybookVersion
from renewals.services._common import _audit, _ensure_manager, user_display_name

# Every field of a version; changing any of them makes a new version.
RULE_FIELDS = (
    "segments",
    "regions",
    "channels",
    "lifecycle_stages",
    "churn_risk_min",
    "churn_risk_max",
    "premium_min",
    "premium_max",
)
EFFECT_FIELDS = (
    "remind_by_email",
    "remind_by_sms",
    "reminders_from_days",
    "call_tasks",
    "call_from_days",
    "assignment_skill",
    "discount_authority_percent",
    "first_contact_days",
)
VERSION_FIELDS = RULE_FIELDS + EFFECT_FIELDS + ("note",)
MAX_REGIONS = 50
MAX_PREMIUM = Decimal("999999999999.99")
MAX_POSITION = 10_000
# Case ids per statement when re-applying or choosing playbooks on the portable path.
REAPPLY_BATCH = 5_000


def _error(message, field, code=ErrorCode.INVALID):
    return ApplicationError(message, field=field, code=code)


def _choice_list(value, allowed, field: str) -> list[str]:
    values = sorted({str(v) for v in (value or [])})
    if any(v not in allowed for v in values):
        raise _error(_("Choose values from the list."), field)
    return values


def _band_int(value, field: str, top: int) -> int | None:
    if value in (None, ""):
        return None
    if isinstance(value, bool) or not isinstance(value, int) or not 0 <= value <= top:
        raise _error(_("Enter a whole number from 0 to %(top)d.") % {"top": top}, field, ErrorCode.OUT_OF_RANGE)
    return value


def _money(value, field: str, top: Decimal = MAX_PREMIUM) -> Decimal | None:
    if value in (None, ""):
        return None
    try:
        amount = Decimal(str(value))
    except (InvalidOperation, ValueError):
        raise _error(_("Enter a number."), field) from None
    if not amount.is_finite() or amount < 0 or amount > top:
        raise _error(_("Enter a number from 0 to %(top)s.") % {"top": top}, field, ErrorCode.OUT_OF_RANGE)
    return amount.quantize(Decimal("0.01"))


def _clean_version(data: dict) -> dict:
    """The version's fields checked and normalised; one field error each."""
    clean = {
        "segments": _choice_list(data.get("segments"), Customer.Segment.values, "segments"),
        "channels": _choice_list(data.get("channels"), Policy.Channel.values, "channels"),
        "lifecycle_stages": _choice_list(
            data.get("lifecycle_stages"), Customer.LifecycleStage.values, "lifecycle_stages"
        ),
        "churn_risk_min": _band_int(data.get("churn_risk_min"), "churn_risk_min", 100),
        "churn_risk_max": _band_int(data.get("churn_risk_max"), "churn_risk_max", 100),
        "premium_min": _money(data.get("premium_min"), "premium_min"),
        "premium_max": _money(data.get("premium_max"), "premium_max"),
        "remind_by_email": bool(data.get("remind_by_email", True)),
        "remind_by_sms": bool(data.get("remind_by_sms", True)),
        "reminders_from_days": _band_int(data.get("reminders_from_days"), "reminders_from_days", MAX_WINDOW_DAYS),
        "call_tasks": bool(data.get("call_tasks", True)),
        "call_from_days": _band_int(data.get("call_from_days"), "call_from_days", MAX_WINDOW_DAYS),
        "assignment_skill": str(data.get("assignment_skill") or "").strip().lower(),
        "discount_authority_percent": _money(
            data.get("discount_authority_percent"), "discount_authority_percent", Decimal("100")
        ),
        "first_contact_days": _band_int(data.get("first_contact_days"), "first_contact_days", MAX_WINDOW_DAYS),
        "note": str(data.get("note") or "").strip(),
    }
    regions = sorted({str(r).strip() for r in (data.get("regions") or []) if str(r).strip()})
    if len(regions) > MAX_REGIONS or any(len(r) > 64 or "\x00" in r for r in regions):
        raise _error(_("Name at most %(n)d regions of up to 64 characters.") % {"n": MAX_REGIONS}, "regions")
    clean["regions"] = known_regions(regions)
    skill = clean["assignment_skill"]
    if len(skill) > 32 or not all(ch.isascii() and (ch.isalnum() or ch in "-_") for ch in skill):
        raise _error(_("A skill is a short code of letters, digits and dashes."), "assignment_skill")
    if len(clean["note"]) > 300 or "\x00" in clean["note"]:
        raise _error(_("Keep the note under 300 characters."), "note")
    return clean


def known_regions(values) -> list[str]:
    """The regions as ``Customer.region`` stores them (any letter case accepted); an unknown one is
    an error naming it, so a typo cannot make a rule that silently matches nothing."""
    by_lower = {code.lower(): code for code in REGION_LABELS}
    unknown = [v for v in values if v.lower() not in by_lower]
    if unknown:
        raise _error(
            _("Unknown region: %(names)s. Use the regions' English names, e.g. Beijing, Guangdong.")
            % {"names": ", ".join(unknown[:5])},
            "regions",
        )
    return sorted({by_lower[v.lower()] for v in values})


def _has_conditions(clean: dict) -> bool:
    return any(clean[f] not in (None, [], "") for f in RULE_FIELDS)


def _clean_names(name, name_zh_hans) -> tuple[str, str]:
    name, name_zh_hans = str(name or "").strip(), str(name_zh_hans or "").strip()
    if not name:
        raise _error(_("Give the playbook a name."), "name", ErrorCode.REQUIRED)
    if len(name) > 100 or len(name_zh_hans) > 100 or "\x00" in name + name_zh_hans:
        raise _error(_("Keep the name under 100 characters."), "name")
    return name, name_zh_hans


def _position(value) -> int:
    if isinstance(value, bool) or not isinstance(value, int) or not 0 <= value <= MAX_POSITION:
        raise _error(_("Enter a whole number from 0 to %(top)d.") % {"top": MAX_POSITION}, "position")
    return value


def _version_create(playbook: Playbook, clean: dict, actor, number: int) -> PlaybookVersion:
    version = PlaybookVersion.objects.create(playbook=playbook, number=number, created_by=actor, **clean)
    playbook.current_version = version
    return version


@transaction.atomic
def playbook_create(
    *,
    actor,
    code: str,
    name: str,
    name_zh_hans: str = "",
    line_id: int | None = None,
    position: int = 100,
    is_default: bool = False,
    **version_fields,
) -> Playbook:
    """A new playbook with its version 1."""
    _ensure_manager(actor)
    code = str(code or "").strip().lower()
    if not code or len(code) > 32 or not all(ch.isascii() and (ch.isalnum() or ch in "-_") for ch in code):
        raise _error(_("A code is a short code of letters, digits and dashes."), "code", ErrorCode.REQUIRED)
    if Playbook.objects.filter(code=code).exists():
        raise ConflictError(_("A playbook with this code exists already."), field="code")
    line = None
    if line_id is not None:
        line = LineOfInsurance.objects.filter(pk=line_id).first()
        if line is None:
            raise _error(_("Choose a line from the list."), "line", ErrorCode.NOT_FOUND)
    name, name_zh_hans = _clean_names(name, name_zh_hans)
    clean = _clean_version(version_fields)
    if is_default:
        _check_default(line, clean, exclude_id=None)
    try:
        # A savepoint: a concurrent create can pass the checks above at the same moment.
        with transaction.atomic():
            playbook = Playbook.objects.create(
                code=code,
                name=name,
                name_zh_hans=name_zh_hans,
                line=line,
                position=_position(position),
                is_default=bool(is_default),
            )
    except IntegrityError as exc:
        if "playbook_one_default_per_line" in str(exc):
            raise ConflictError(_("This line has a default playbook already."), field="is_default") from None
        raise ConflictError(_("A playbook with this code exists already."), field="code") from None
    _version_create(playbook, clean, actor, 1)
    playbook.save(update_fields=["current_version", "updated_at"])
    _audit(
        actor,
        "playbook",
        code,
        {"version": ("", 1), **{f: ("", v) for f, v in clean.items() if v not in (None, [], "")}},
    )
    return playbook


def _check_default(line, clean: dict, exclude_id: int | None) -> None:
    if line is None:
        raise _error(_("A default playbook belongs to one line."), "line", ErrorCode.REQUIRED)
    if _has_conditions(clean):
        # 409: the conditions are fine for any other playbook, not for a default.
        raise ConflictError(
            _("A line's default takes every case of the line: leave its conditions empty."),
            field="segments",
            code=RenewalsErrorCode.PLAYBOOK_DEFAULT,
        )
    others = Playbook.objects.filter(line=line, is_default=True, status=Playbook.Status.ACTIVE)
    if exclude_id is not None:
        others = others.exclude(pk=exclude_id)
    if others.exists():
        raise ConflictError(_("This line has a default playbook already."), field="is_default")


def _locked_playbook(playbook_id: int) -> Playbook:
    playbook = (
        Playbook.objects.select_for_update(of=("self",))
        .select_related("current_version", "line")
        .filter(pk=playbook_id)
        .first()
    )
    if playbook is None:
        raise ApplicationError(_("No such playbook."), code=ErrorCode.NOT_FOUND, status=404)
    return playbook


@transaction.atomic
def playbook_update(
    *,
    actor,
    playbook_id: int,
    name: str | None = None,
    name_zh_hans: str | None = None,
    position: int | None = None,
    **version_fields,
) -> Playbook:
    """Rename or reorder a playbook, and change its rule or settings: any change of the latter makes
    a new version, which cases opened from now on get (open cases keep theirs until a re-apply).
    Fields not given keep their current value."""
    _ensure_manager(actor)
    playbook = _locked_playbook(playbook_id)
    if playbook.status == Playbook.Status.RETIRED:
        raise ConflictError(_("This playbook is retired."), field="status", code=RenewalsErrorCode.PLAYBOOK_RETIRED)
    changes = {}
    new_name, new_zh = _clean_names(
        playbook.name if name is None else name, playbook.name_zh_hans if name_zh_hans is None else name_zh_hans
    )
    for field, value in (("name", new_name), ("name_zh_hans", new_zh)):
        if getattr(playbook, field) != value:
            changes[field] = (getattr(playbook, field), value)
            setattr(playbook, field, value)
    if position is not None and _position(position) != playbook.position:
        changes["position"] = (playbook.position, position)
        playbook.position = position
    current = playbook.current_version
    merged = {f: getattr(current, f) for f in VERSION_FIELDS}
    merged.update({f: v for f, v in version_fields.items() if f in VERSION_FIELDS})
    clean = _clean_version(merged)
    if playbook.is_default:
        _check_default(playbook.line, clean, exclude_id=playbook.pk)
    differs = {f: (getattr(current, f), v) for f, v in clean.items() if getattr(current, f) != v and f != "note"}
    if differs:
        _version_create(playbook, clean, actor, current.number + 1)
        changes.update(differs)
        changes["version"] = (current.number, current.number + 1)
    elif clean["note"] != current.note:
        # The note describes the version and changes nothing a case does: kept on it, no new version.
        PlaybookVersion.objects.filter(pk=current.pk).update(note=clean["note"])
        changes["note"] = (current.note, clean["note"])
    if changes:
        playbook.save()
        _audit(actor, "playbook", playbook.code, changes)
    return playbook


@transaction.atomic
def playbook_retire(*, actor, playbook_id: int) -> Playbook:
    """Stop matching new cases (open cases keep their version). A line's default is not retired:
    it keeps the line's behaviour for every case no other playbook takes."""
    _ensure_manager(actor)
    playbook = _locked_playbook(playbook_id)
    if playbook.status == Playbook.Status.RETIRED:
        raise ConflictError(
            _("This playbook is retired already."), field="status", code=RenewalsErrorCode.PLAYBOOK_RETIRED
        )
    if playbook.is_default:
        raise ConflictError(
            _("A line's default playbook cannot be retired; edit it instead."),
            field="is_default",
            code=RenewalsErrorCode.PLAYBOOK_DEFAULT,
        )
    playbook.status = Playbook.Status.RETIRED
    playbook.save(update_fields=["status", "updated_at"])
    _audit(actor, "playbook", playbook.code, {"status": (Playbook.Status.ACTIVE, Playbook.Status.RETIRED)})
    return playbook


def _reapply_target(playbook_id: int) -> Playbook:
    playbook = Playbook.objects.select_related("current_version").filter(pk=playbook_id).first()
    if playbook is None:
        raise ApplicationError(_("No such playbook."), code=ErrorCode.NOT_FOUND, status=404)
    if playbook.status == Playbook.Status.RETIRED:
        raise ConflictError(_("This playbook is retired."), field="status", code=RenewalsErrorCode.PLAYBOOK_RETIRED)
    return playbook


@transaction.atomic
def playbook_reapply_start(*, actor, playbook_id: int) -> int | None:
    """Start a re-apply (the page and the API): checked here, done by the Celery task
    ``renewals.tasks.reapply_playbook`` after the commit. Under ``CELERY_TASK_ALWAYS_EAGER`` (tests,
    the demo) it runs now and answers the number of cases moved; otherwise None (started)."""
    _ensure_manager(actor)
    playbook = _reapply_target(playbook_id)
    if settings.CELERY_TASK_ALWAYS_EAGER:
        return playbook_reapply(actor=actor, playbook_id=playbook.pk)
    from renewals import tasks  # the task module imports the services

    actor_id, pk = actor.pk, playbook.pk
    transaction.on_commit(lambda: tasks.reapply_playbook.delay(pk, actor_id))
    return None


def reapply_message(moved: int | None) -> str:
    """What the manager reads after asking for a re-apply (None: started in the background)."""
    if moved is None:
        return _("Re-apply started: the matching open cases move to the current version in the background.")
    return ngettext(
        "%(n)d open case now follows the current version.",
        "%(n)d open cases now follow the current version.",
        moved,
    ) % {"n": moved}


def _matching_ids(rules: list, rule, version_id: int, after_id: int) -> list[int]:
    """The next batch of open cases (by id) that ``rule`` takes under first match and that do not
    carry ``version_id``."""
    return list(
        RenewalCase.objects.open()
        .filter(matching.first_match_q(rules, rule), pk__gt=after_id)
        .exclude(playbook_version_id=version_id)
        .order_by("pk")
        .values_list("pk", flat=True)[:REAPPLY_BATCH]
    )


def _move_cases(ids: list[int], version_id: int, actor, now) -> list[int]:
    """One UPDATE of the batch that re-checks each row (still open, not on the version yet) and
    answers exactly the ids it changed."""
    if not ids:
        return []
    table = connection.ops.quote_name(RenewalCase._meta.db_table)
    id_marks = ", ".join(["%s"] * len(ids))
    stage_marks = ", ".join(["%s"] * len(OPEN_STAGES))
    sql = (
        f"UPDATE {table} SET playbook_version_id = %s, version = version + 1, updated_at = %s, "  # nosec B608
        f"updated_by_id = %s WHERE id IN ({id_marks}) AND stage IN ({stage_marks}) "
        "AND (playbook_version_id IS NULL OR playbook_version_id <> %s) RETURNING id"
    )
    params = [version_id, now, actor.pk if actor else None, *ids, *[str(s) for s in OPEN_STAGES], version_id]
    with connection.cursor() as cursor:
        cursor.execute(sql, params)
        return sorted(row[0] for row in cursor.fetchall())


def playbook_reapply(*, actor, playbook_id: int) -> int:
    """Give the playbook's current version to the open cases it takes now under first match (the
    rules in force, churn scores as they stand) that do not carry that version yet: cases opened
    with an older version, or by another rule, or before a churn score. Batches of
    ``REAPPLY_BATCH`` cases, each its own transaction: one UPDATE … RETURNING that re-checks the
    case is still open and not on the version yet, then one timeline event per case it changed.
    Idempotent (a second run moves nothing), audited once when it moved cases. Stops if the playbook
    is edited or retired meanwhile. Assignees stay; the reminder variant and the authority apply from
    the next planning run and quote on. Open cases of an older version that the rule no longer
    matches keep theirs. Answers the number of cases moved."""
    _ensure_manager(actor)
    playbook = _reapply_target(playbook_id)
    version = playbook.current_version
    payload = {"playbook": playbook.code, "version": version.number, "reapplied_by": user_display_name(actor)}
    moved_total, after_id = 0, 0
    while True:
        with transaction.atomic():
            still = Playbook.objects.select_for_update().filter(
                pk=playbook.pk, status=Playbook.Status.ACTIVE, current_version_id=version.pk
            )
            if still.first() is None:
                break
            rules = matching.rules_in_force()
            rule = next(r for r in rules if r.playbook_id == playbook.pk)
            ids = _matching_ids(rules, rule, version.pk, after_id)
            if not ids:
                break
            now = timezone.now()
            moved = _move_cases(ids, version.pk, actor, now)
            CaseEvent.objects.bulk_create(
                [
                    CaseEvent(case_id=i, kind=CaseEvent.Kind.PLAYBOOK, actor=actor, payload=payload, created_at=now)
                    for i in moved
                ]
            )
            moved_total += len(moved)
            after_id = ids[-1]
            if len(ids) < REAPPLY_BATCH:
                break
    if moved_total:
        _audit(
            actor,
            "playbook",
            playbook.code,
            {"reapplied_to_open_cases": ("", moved_total), "version": ("", version.number)},
        )
    return moved_total


def playbook_reapply_job(*, playbook_id: int, actor_id: int | None) -> int:
    """The task's body: the re-apply as the manager who started it (nothing if they or the playbook
    are gone or retired by now)."""
    actor = get_user_model().objects.filter(pk=actor_id, is_active=True).first()
    if actor is None:
        return 0
    try:
        return playbook_reapply(actor=actor, playbook_id=playbook_id)
    except ApplicationError:
        return 0


def cases_choose_playbooks(*, case_ids: list[int], on_date: dt.date, rules: list | None = None) -> None:
    """The portable opening's choice: for each rule in order, one UPDATE of the new cases it matches
    that no earlier rule took (first match wins), with the first-contact target. Runs inside the
    opening's transaction."""
    rules = matching.rules_in_force() if rules is None else rules
    if not rules or not case_ids:
        return
    targets = dict(
        PlaybookVersion.objects.filter(pk__in=[r.version_id for r in rules]).values_list("pk", "first_contact_days")
    )
    for start in range(0, len(case_ids), REAPPLY_BATCH):
        chunk = case_ids[start : start + REAPPLY_BATCH]
        for rule in rules:
            fields = {"playbook_version_id": rule.version_id}
            if targets.get(rule.version_id) is not None:
                fields["next_action_date"] = on_date + dt.timedelta(days=targets[rule.version_id])
            RenewalCase.objects.filter(pk__in=chunk, playbook_version__isnull=True).filter(
                matching.rule_q(rule)
            ).update(**fields)
