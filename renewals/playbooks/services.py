"""Writes of playbooks (managers, audited): create, edit (a new version), retire, re-apply to open
cases; and the set-based choice of playbooks for freshly opened cases (the portable opening)."""

import datetime as dt
from decimal import Decimal, InvalidOperation

from django.db import transaction
from django.db.models import F
from django.utils import timezone
from django.utils.translation import gettext as _

from core.errors import ApplicationError, ConflictError, ErrorCode
from customers.models import Customer
from renewals.errors import RenewalsErrorCode
from renewals.models import CaseEvent, LineOfInsurance, Policy, RenewalCase
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
    clean["regions"] = regions
    skill = clean["assignment_skill"]
    if len(skill) > 32 or not all(ch.isascii() and (ch.isalnum() or ch in "-_") for ch in skill):
        raise _error(_("A skill is a short code of letters, digits and dashes."), "assignment_skill")
    if len(clean["note"]) > 300 or "\x00" in clean["note"]:
        raise _error(_("Keep the note under 300 characters."), "note")
    return clean


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
    playbook = Playbook.objects.create(
        code=code,
        name=name,
        name_zh_hans=name_zh_hans,
        line=line,
        position=_position(position),
        is_default=bool(is_default),
    )
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


@transaction.atomic
def playbook_reapply(*, actor, playbook_id: int) -> int:
    """Give the playbook's current version to the open cases it takes now under first match (the
    rules in force, churn scores as they stand) that do not carry that version yet: cases opened
    with an older version, or by another rule, or before a churn score. Set-based, batched UPDATEs,
    one timeline event per case, audited. Assignees stay; the reminder variant and the authority
    apply from the next planning run and quote on. Open cases of an older version that the rule no
    longer matches keep theirs."""
    _ensure_manager(actor)
    playbook = _locked_playbook(playbook_id)
    if playbook.status == Playbook.Status.RETIRED:
        raise ConflictError(_("This playbook is retired."), field="status", code=RenewalsErrorCode.PLAYBOOK_RETIRED)
    version = playbook.current_version
    rules = matching.rules_in_force()
    rule = next(r for r in rules if r.playbook_id == playbook.pk)
    ids = list(
        RenewalCase.objects.open()
        .filter(matching.first_match_q(rules, rule))
        .exclude(playbook_version_id=version.pk)
        .values_list("pk", flat=True)
    )
    now = timezone.now()
    payload = {"playbook": playbook.code, "version": version.number, "reapplied_by": user_display_name(actor)}
    for start in range(0, len(ids), REAPPLY_BATCH):
        chunk = ids[start : start + REAPPLY_BATCH]
        RenewalCase.objects.filter(pk__in=chunk).update(
            playbook_version_id=version.pk, version=F("version") + 1, updated_at=now, updated_by=actor
        )
        CaseEvent.objects.bulk_create(
            [
                CaseEvent(case_id=i, kind=CaseEvent.Kind.PLAYBOOK, actor=actor, payload=payload, created_at=now)
                for i in chunk
            ]
        )
    _audit(
        actor, "playbook", playbook.code, {"reapplied_to_open_cases": ("", len(ids)), "version": ("", version.number)}
    )
    return len(ids)


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
