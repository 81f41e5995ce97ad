"""Add-on prices and eligibility, free of the database (checked on worked examples).

Add-ons come on top of the base premium the line's factors price: a fixed amount per term, a share
of the base premium *before* the specialist's discount (a discount never shrinks a rider's price,
and discount authority covers the base premium only), or free.
"""

import datetime as dt
from decimal import Decimal, InvalidOperation

from django.utils.translation import gettext as _

from renewals.pricing import HUNDRED, money


def addon_premium(addon, *, base_before_discount: Decimal) -> Decimal:
    """The add-on's price for one term, rounded half-up to cents."""
    if addon.pricing == "fixed":
        return money(addon.amount)
    if addon.pricing == "share":
        return money(Decimal(base_before_discount) * Decimal(addon.amount) / HUNDRED)
    return Decimal("0.00")


def ineligibility(addon, *, segment: str, attributes: dict, line_id: int, day: dt.date) -> str | None:
    """Why ``addon`` cannot go on this policy (a sentence), or None when it can."""
    if addon.line_id != line_id:
        return _("%(addon)s belongs to another line.") % {"addon": addon.display_name}
    if not addon.is_active_on(day):
        return _("%(addon)s is not offered on %(day)s.") % {"addon": addon.display_name, "day": day.isoformat()}
    if addon.segments and segment not in addon.segments:
        return _("%(addon)s is not offered to this customer segment.") % {"addon": addon.display_name}
    if addon.attribute_name and addon.attribute_max is not None:
        raw = (attributes or {}).get(addon.attribute_name)
        try:
            value = Decimal(str(raw))
        except (InvalidOperation, ValueError):
            return _("%(addon)s needs the policy's %(attribute)s, which is not known.") % {
                "addon": addon.display_name,
                "attribute": addon.attribute_name,
            }
        if not value.is_finite() or value > addon.attribute_max:
            return _("%(addon)s requires %(attribute)s of at most %(limit)s.") % {
                "addon": addon.display_name,
                "attribute": addon.attribute_name,
                "limit": addon.attribute_max.normalize(),
            }
    return None
