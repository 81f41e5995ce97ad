"""Helpers shared by the renewals services: actors and permissions, the optimistic lock, the audit log."""

from django.contrib.auth import get_user_model
from django.db import transaction
from django.db.models import F
from django.utils import timezone
from django.utils.formats import date_format
from django.utils.translation import gettext as _

from core.errors import ApplicationError, ConflictError, ErrorCode, PermissionDeniedError
from core.roles import Role, has_role
from renewals import selectors, signals
from renewals.errors import RenewalsErrorCode
from renewals.models import CaseEvent, RenewalCase, SettingsChange, Stage

User = get_user_model()

# Rows per statement when writing assignments and scores: a few MB of parameters at most.
WRITE_BATCH = 10_000


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


def _specialist_or_error(user_id: int):
    user = User.objects.filter(pk=user_id, is_active=True).first()
    if user is None or not has_role(user, Role.SPECIALIST):
        raise ApplicationError(
            _("Cases can only be assigned to an active specialist."),
            field="assignee_id",
            code=RenewalsErrorCode.NOT_SPECIALIST,
        )
    return user


def _conflict(case_id: int) -> ConflictError:
    fresh = RenewalCase.objects.select_related("updated_by").get(pk=case_id)
    when = date_format(timezone.localtime(fresh.updated_at), "DATETIME_FORMAT")
    return ConflictError(
        _("This case was changed by %(who)s at %(when)s. Reload it to see the changes; nothing was saved.")
        % {"who": user_display_name(fresh.updated_by), "when": when}
    )


def _load_case(case_id: int, *, expected_version: int | None = None, lock: bool = False) -> RenewalCase:
    queryset = RenewalCase.objects.select_related("policy", "line", "current_quote", "playbook_version")
    if lock:
        queryset = queryset.select_for_update(of=("self",))
    try:
        case = queryset.get(pk=case_id)
    except RenewalCase.DoesNotExist:
        raise ApplicationError(_("No such case."), field="case_id", code=ErrorCode.NOT_FOUND, status=404) from None
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
            code=RenewalsErrorCode.ALREADY_CLOSED,
            status=409,
        )


def _on_commit_closed(case: RenewalCase, stage: str, actor) -> None:
    signals.case_closed.send(sender=RenewalCase, case=case, stage=stage, actor=actor)


def _audit(actor, area: str, object_repr: str, changes: dict) -> SettingsChange | None:
    """One row of the settings audit log ({field: [old, new]} as strings); nothing when nothing changed."""
    if not changes:
        return None
    return SettingsChange.objects.create(
        actor=actor,
        area=area,
        object_repr=str(object_repr)[:200],
        changes={k: [str(v[0]), str(v[1])] for k, v in changes.items()},
    )
