"""A customer's contact details and consent: every change audited (``CustomerChange``)."""

from django.core.exceptions import ValidationError
from django.core.validators import validate_email
from django.db import transaction
from django.utils.translation import gettext as _

from core.errors import ApplicationError
from customers import regions
from customers.models import Customer, CustomerChange
from customers.phones import phone_digits
from customers.services._common import _now

# Consent column per contact channel (Customer.Channel).
_CONSENT_FIELDS = {
    Customer.Channel.EMAIL: "consent_email",
    Customer.Channel.SMS: "consent_sms",
    Customer.Channel.PHONE: "consent_phone",
}
_PHONE_MAX_LENGTH = Customer._meta.get_field("phone").max_length
_EMAIL_MAX_LENGTH = Customer._meta.get_field("email").max_length


def _clean_phone(phone: str) -> str:
    phone = phone.strip()
    if len(phone) > _PHONE_MAX_LENGTH:
        raise ApplicationError(_("At most %(limit)d characters.") % {"limit": _PHONE_MAX_LENGTH}, field="phone")
    if phone and not phone_digits(phone):
        raise ApplicationError(_("Enter a phone number (digits)."), field="phone")
    return phone


def _clean_email(email: str) -> str:
    email = email.strip()
    if email:
        try:
            validate_email(email)
        except ValidationError:
            raise ApplicationError(_("Enter a valid email address."), field="email") from None
        if len(email) > _EMAIL_MAX_LENGTH:
            raise ApplicationError(_("At most %(limit)d characters.") % {"limit": _EMAIL_MAX_LENGTH}, field="email")
    return email


def _clean_time_zone(time_zone: str, region: str) -> str:
    """An IANA name; empty means the region's zone where the product knows one (else the site's)."""
    time_zone = time_zone.strip()
    if not time_zone:
        return regions.default_time_zone(region)
    if not regions.is_time_zone(time_zone):
        raise ApplicationError(_("Choose a time zone from the list (e.g. Asia/Shanghai)."), field="time_zone")
    return time_zone


def _require_bool(value, field: str) -> bool:
    if not isinstance(value, bool):
        raise ApplicationError(_("Yes or no."), field=field)
    return value


@transaction.atomic
def customer_update_contact(
    *,
    customer_id: int,
    actor=None,
    phone: str | None = None,
    email: str | None = None,
    preferred_channel: str | None = None,
    preferred_language: str | None = None,
    consent_email: bool | None = None,
    consent_sms: bool | None = None,
    consent_phone: bool | None = None,
    marketing_opt_out: bool | None = None,
    time_zone: str | None = None,
) -> Customer:
    """Change a customer's contact details and consent (None: leave as is).

    Keeps ``phone_digits`` (used by the search) in step and writes one ``CustomerChange`` per value
    that really changed, with ``actor`` and the time. ``time_zone=""`` sets the region's zone.
    """
    customer = Customer.objects.select_for_update().get(pk=customer_id)
    wanted = {}
    if phone is not None:
        wanted["phone"] = _clean_phone(phone)
    if email is not None:
        wanted["email"] = _clean_email(email)
    if preferred_channel is not None:
        if preferred_channel not in Customer.Channel.values:
            raise ApplicationError(_("Unknown channel."), field="preferred_channel")
        wanted["preferred_channel"] = preferred_channel
    if preferred_language is not None:
        if preferred_language not in Customer.Language.values:
            raise ApplicationError(_("Unknown language."), field="preferred_language")
        wanted["preferred_language"] = preferred_language
    for field, value in (
        ("consent_email", consent_email),
        ("consent_sms", consent_sms),
        ("consent_phone", consent_phone),
        ("marketing_opt_out", marketing_opt_out),
    ):
        if value is not None:
            wanted[field] = _require_bool(value, field)
    if time_zone is not None:
        wanted["time_zone"] = _clean_time_zone(time_zone, customer.region)

    now = _now()
    changes = []
    for field, value in wanted.items():
        old = getattr(customer, field)
        if old == value:
            continue
        changes.append(
            CustomerChange(
                customer=customer,
                field=field,
                old_value=CustomerChange.as_text(old),
                new_value=CustomerChange.as_text(value),
                changed_by=actor if getattr(actor, "pk", None) else None,
                changed_at=now,
            )
        )
        setattr(customer, field, value)
    if not changes:
        return customer
    update_fields = [change.field for change in changes]
    if "phone" in update_fields:
        customer.phone_digits = phone_digits(customer.phone)
        update_fields.append("phone_digits")
    customer.save(update_fields=[*update_fields, "updated_at"])
    CustomerChange.objects.bulk_create(changes)
    return customer


@transaction.atomic
def customer_consent_set(*, customer_id: int, channel: str, allowed: bool) -> bool:
    """Allow or stop contact on one channel (the customer's own unsubscribe link).
    Returns whether it changed (False when it already was ``allowed``)."""
    field = _CONSENT_FIELDS.get(channel)
    if field is None:
        raise ApplicationError(_("Unknown channel."), field="channel")
    customer = Customer.objects.select_for_update().get(pk=customer_id)
    if getattr(customer, field) == allowed:
        return False
    setattr(customer, field, allowed)
    customer.save(update_fields=[field, "updated_at"])
    return True


@transaction.atomic
def customer_marketing_opt_out_set(*, customer_id: int, actor=None) -> bool:
    """Set the marketing opt-out (the customer's own link in a campaign message) in one conditional
    UPDATE, so two requests at once change it once; the change is kept only when this call made it.
    Returns whether it changed (False when the customer had opted out already)."""
    now = _now()
    changed = Customer.objects.filter(pk=customer_id, marketing_opt_out=False).update(
        marketing_opt_out=True, updated_at=now
    )
    if not changed:
        return False
    CustomerChange.objects.create(
        customer_id=customer_id,
        field="marketing_opt_out",
        old_value=CustomerChange.as_text(False),
        new_value=CustomerChange.as_text(True),
        changed_by=actor if getattr(actor, "pk", None) else None,
        changed_at=now,
    )
    return True
