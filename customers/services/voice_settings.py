"""Managers' settings of the customer voice: SLAs per severity, survey delay, complaint categories."""

from django.db import transaction
from django.utils.translation import gettext as _

from core.errors import ApplicationError, ErrorCode
from customers.models import Complaint, ComplaintCategory, ComplaintSla, CustomerVoiceSettings


@transaction.atomic
def complaint_sla_update(*, severity: str, acknowledge_days: int, resolve_days: int) -> ComplaintSla:
    """Change the SLA of a severity; applies to complaints logged from now on."""
    if severity not in Complaint.Severity.values:
        raise ApplicationError(_("Unknown severity."), field="severity")
    if not 1 <= acknowledge_days <= 365:
        raise ApplicationError(_("Between 1 and 365 days."), field="acknowledge_days")
    if not 1 <= resolve_days <= 365:
        raise ApplicationError(_("Between 1 and 365 days."), field="resolve_days")
    if resolve_days < acknowledge_days:
        raise ApplicationError(_("Resolving cannot be due before acknowledging."), field="resolve_days")
    sla, _created = ComplaintSla.objects.update_or_create(
        severity=severity, defaults={"acknowledge_days": acknowledge_days, "resolve_days": resolve_days}
    )
    return sla


@transaction.atomic
def customer_voice_settings_update(*, survey_delay_days: int, sla_near_hours: int) -> CustomerVoiceSettings:
    if not 0 <= survey_delay_days <= 90:
        raise ApplicationError(_("Between 0 and 90 days."), field="survey_delay_days")
    if not 0 <= sla_near_hours <= 720:
        raise ApplicationError(_("Between 0 and 720 hours."), field="sla_near_hours")
    row, _created = CustomerVoiceSettings.objects.update_or_create(
        pk=1, defaults={"survey_delay_days": survey_delay_days, "sla_near_hours": sla_near_hours}
    )
    return row


@transaction.atomic
def complaint_category_save(
    *, code: str, name: str, name_zh_hans: str = "", active: bool = True, sort_order: int = 0
) -> ComplaintCategory:
    """Add a category or change one (by code). Categories in use are deactivated, never deleted."""
    code = (code or "").strip().lower()
    name = (name or "").strip()
    if not code or not code.replace("_", "").replace("-", "").isalnum():
        raise ApplicationError(_("Use letters, digits, - and _ for the code."), field="code")
    if not name:
        raise ApplicationError(_("Give the category a name."), field="name", code=ErrorCode.REQUIRED)
    category, _created = ComplaintCategory.objects.update_or_create(
        code=code,
        defaults={
            "name": name,
            "name_zh_hans": (name_zh_hans or "").strip(),
            "active": active,
            "sort_order": sort_order,
        },
    )
    return category
