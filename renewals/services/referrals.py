"""Referrals: a specialist asks underwriting or claims for something on an open case, and marks
the answer in when it comes."""

from django.db import transaction
from django.utils import timezone
from django.utils.translation import gettext as _

from core.errors import ApplicationError, ErrorCode
from renewals.errors import RenewalsErrorCode
from renewals.models import CaseEvent, Referral
from renewals.services._common import _ensure_can_act, _event, _load_case, _require_open, _save_case


@transaction.atomic
def case_refer(*, case_id: int, actor, to: str, note: str) -> Referral:
    if to not in Referral.To.values:
        raise ApplicationError(_("Refer to underwriting or claims."), field="to", code=RenewalsErrorCode.INVALID_TARGET)
    if not (note or "").strip():
        raise ApplicationError(_("Write what you need from them."), field="note", code=ErrorCode.REQUIRED)
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
        raise ApplicationError(_("No such referral."), code=ErrorCode.NOT_FOUND, status=404)
    case = _load_case(referral.case_id)
    _ensure_can_act(case, actor)
    if referral.resolved_at is not None:
        raise ApplicationError(
            _("This referral is already resolved."), code=RenewalsErrorCode.ALREADY_RESOLVED, status=409
        )
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
