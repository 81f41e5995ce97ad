"""Writes of the add-on catalogue (managers, audited) and of value-added services used."""

import datetime as dt
from decimal import Decimal, InvalidOperation

from django.db import transaction
from django.utils import timezone
from django.utils.translation import gettext as _

from core.errors import ApplicationError, ErrorCode, PermissionDeniedError
from core.roles import STAFF_ROLES, Role, has_role
from renewals.addons.models import AddOn, PolicyAddOn, ServiceUse
from renewals.services._common import _audit, _ensure_manager

ADDON_FIELDS = (
    "name",
    "name_zh_hans",
    "description",
    "description_zh_hans",
    "kind",
    "pricing",
    "amount",
    "segments",
    "attribute_name",
    "attribute_max",
    "provider",
    "capacity_note",
    "active_from",
    "active_to",
)
MAX_AMOUNT = Decimal("9999999999.99")


def _clean(addon: AddOn) -> None:
    """The catalogue's rules, one field error each."""
    from customers.models import Customer

    if not (addon.name or "").strip():
        raise ApplicationError(_("Give the add-on a name."), field="name", code=ErrorCode.REQUIRED)
    if addon.kind not in AddOn.Kind.values:
        raise ApplicationError(_("Choose rider or service."), field="kind", code=ErrorCode.INVALID)
    if addon.pricing not in AddOn.Pricing.values:
        raise ApplicationError(_("Choose how the add-on is priced."), field="pricing", code=ErrorCode.INVALID)
    try:
        amount = Decimal(str(addon.amount))
    except (InvalidOperation, ValueError):
        raise ApplicationError(_("Enter the amount as a number."), field="amount", code=ErrorCode.INVALID) from None
    if not amount.is_finite() or amount < 0 or amount > MAX_AMOUNT or amount != amount.quantize(Decimal("0.01")):
        raise ApplicationError(
            _("The amount must be from 0 with at most two decimals."), field="amount", code=ErrorCode.OUT_OF_RANGE
        )
    if addon.pricing == AddOn.Pricing.SHARE and amount > 100:
        raise ApplicationError(_("A share is at most 100 percent."), field="amount", code=ErrorCode.OUT_OF_RANGE)
    if addon.pricing == AddOn.Pricing.FREE:
        amount = Decimal("0")
    addon.amount = amount
    segments = list(addon.segments or [])
    if any(s not in Customer.Segment.values for s in segments):
        raise ApplicationError(_("Choose segments from the list."), field="segments", code=ErrorCode.INVALID)
    addon.segments = sorted(set(segments))
    if bool(addon.attribute_name) != (addon.attribute_max is not None):
        raise ApplicationError(
            _("Give both the attribute and its maximum, or neither."), field="attribute_max", code=ErrorCode.INVALID
        )
    if not isinstance(addon.active_from, dt.date):
        raise ApplicationError(_("Enter the first day it is offered."), field="active_from", code=ErrorCode.REQUIRED)
    if addon.active_to is not None and addon.active_to < addon.active_from:
        raise ApplicationError(
            _("The last day must not be before the first."), field="active_to", code=ErrorCode.INVALID
        )


@transaction.atomic
def addon_save(*, actor, addon_id: int | None = None, code: str | None = None, line_id: int | None = None, **values):
    """Create (``code`` and ``line_id``) or change an add-on of the catalogue; audited."""
    _ensure_manager(actor)
    unknown = set(values) - set(ADDON_FIELDS)
    if unknown:
        raise ApplicationError(_("Unknown field."), field=sorted(unknown)[0], code=ErrorCode.INVALID)
    if addon_id is None:
        if not code or AddOn.objects.filter(code=code).exists():
            raise ApplicationError(_("Give the add-on a unique code."), field="code", code=ErrorCode.INVALID)
        addon = AddOn(code=code, line_id=line_id)
        before = {}
    else:
        addon = AddOn.objects.select_for_update().filter(pk=addon_id).first()
        if addon is None:
            raise ApplicationError(_("No such add-on."), code=ErrorCode.NOT_FOUND, status=404)
        before = {name: getattr(addon, name) for name in values}
    for name, value in values.items():
        setattr(addon, name, value)
    _clean(addon)
    addon.save()
    if addon_id is None:
        changes = {"code": ("", code), **{name: ("", getattr(addon, name)) for name in values}}
    else:
        changes = {name: (old, getattr(addon, name)) for name, old in before.items() if old != getattr(addon, name)}
    _audit(actor, "addon", addon.code, changes)
    return addon


@transaction.atomic
def service_use_record(*, actor, policy_id: int, addon_code: str, used_on: dt.date, note: str = "") -> ServiceUse:
    """Staff record a value-added service the customer used under a policy that carries it."""
    if not has_role(actor, *STAFF_ROLES):
        raise PermissionDeniedError(_("Only staff record services used."))
    if has_role(actor, Role.SPECIALIST) and not has_role(actor, Role.MANAGER, Role.SUPPORT):
        from renewals.models import RenewalCase

        own = RenewalCase.objects.filter(assignee=actor).filter(policy_id=policy_id).exists() or (
            RenewalCase.objects.filter(assignee=actor, successor_policy_id=policy_id).exists()
        )
        if not own:
            raise PermissionDeniedError(_("Only the policy's specialist, support or a manager can record this."))
    line = PolicyAddOn.objects.select_related("addon").filter(policy_id=policy_id, addon__code=addon_code).first()
    if line is None or line.addon.kind != AddOn.Kind.SERVICE:
        raise ApplicationError(_("The policy does not carry that service."), field="addon", code=ErrorCode.INVALID)
    today = timezone.localdate()
    if not isinstance(used_on, dt.date) or used_on > today or used_on < today - dt.timedelta(days=3 * 366):
        raise ApplicationError(
            _("Enter the day it was used (in the last three years, not in the future)."),
            field="used_on",
            code=ErrorCode.OUT_OF_RANGE,
        )
    return ServiceUse.objects.create(
        policy_id=policy_id, addon=line.addon, used_on=used_on, note=(note or "")[:300], recorded_by=actor
    )
