"""What every customers service shares: the clock, entered-time and free-text checks, the customer's cases."""

from datetime import datetime

from django.utils import timezone
from django.utils.translation import gettext as _

from core.dates import EARLIEST_ENTERED, require_in_range
from core.errors import ApplicationError, ErrorCode
from customers.errors import CustomersErrorCode
from customers.models import Customer


def _now() -> datetime:
    return timezone.now()


def _require_aware(value: datetime, field: str) -> datetime:
    if timezone.is_naive(value):
        raise ApplicationError(_("A time zone is required."), field=field, code=CustomersErrorCode.NAIVE_DATETIME)
    return value


def _require_sane_past(value: datetime, field: str, *, now: datetime, future_message: str) -> datetime:
    """A time something happened, as a person or system entered it: aware, not in the future (no
    clock skew allowed), not before ``core.dates.EARLIEST_ENTERED``."""
    _require_aware(value, field)
    if value > now:
        raise ApplicationError(future_message, field=field, code=CustomersErrorCode.FUTURE)
    return require_in_range(value, field=field, earliest=EARLIEST_ENTERED, latest=now)


def _text(value: str | None, *, field: str, max_length: int, required_message: str | None = None) -> str:
    """``value`` stripped; refused when longer than ``max_length`` (customers.limits) or, with a
    ``required_message``, when empty."""
    value = (value or "").strip()
    if required_message and not value:
        raise ApplicationError(required_message, field=field, code=ErrorCode.REQUIRED)
    if len(value) > max_length:
        raise ApplicationError(
            _("At most %(limit)d characters.") % {"limit": max_length}, field=field, code=ErrorCode.OUT_OF_RANGE
        )
    return value


def _customer_has(relation: str, *, customer_id: int, object_id: int) -> bool:
    """Whether the customer's ``policies`` or ``renewal_cases`` include ``object_id``.

    Policies and cases live in renewals, which customers never imports; the customer's own reverse
    relations reach them (docs/architecture.md, "The one upward reference").
    """
    return getattr(Customer(pk=customer_id), relation).filter(pk=object_id).exists()
