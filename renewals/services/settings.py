"""Managers' settings: lines, pricing rules, discount authority, lost reasons, specialists' profiles.

One service per settings screen, one transaction per save; every change is written to the audit
log (``SettingsChange``) with its old and new values.
"""

from decimal import Decimal

from django.core.cache import cache
from django.db import transaction
from django.utils.translation import gettext as _

from core.errors import ApplicationError, ErrorCode
from renewals import selectors, signals
from renewals.errors import RenewalsErrorCode
from renewals.models import (
    ClaimsFactor,
    DiscountAuthority,
    LineOfInsurance,
    LostReason,
    LoyaltyFactor,
    PricingRule,
    SpecialistProfile,
)
from renewals.pricing import parse_discount
from renewals.services._common import User, _audit, _ensure_manager, _specialist_or_error

LINE_FIELDS = (
    "name",
    "name_zh_hans",
    "renewal_window_days",
    "grace_days",
    "notice_lead_days",
    "term_months",
    "rate_shock_percent",
    "active",
)


def _apply_fields(obj, values: dict) -> dict:
    """Set ``values`` on ``obj``; return {field: (old, new)} of those that changed."""
    changes = {}
    for name, value in values.items():
        old = getattr(obj, name)
        if old != value:
            changes[name] = (old, value)
            setattr(obj, name, value)
    return changes


@transaction.atomic
def line_save(*, actor, line_id: int | None = None, code: str | None = None, **values) -> LineOfInsurance:
    _ensure_manager(actor)
    unknown = set(values) - set(LINE_FIELDS)
    if unknown:
        raise ApplicationError(_("Unknown field."), field=sorted(unknown)[0], code=RenewalsErrorCode.UNKNOWN_FIELD)
    if line_id is None:
        if not code or LineOfInsurance.objects.filter(code=code).exists():
            raise ApplicationError(_("Give the new line a unique code."), field="code", code=ErrorCode.INVALID)
        line = LineOfInsurance(code=code)
    else:
        line = LineOfInsurance.objects.select_for_update().get(pk=line_id)
    changes = _apply_fields(line, values)
    window = line.renewal_window_days
    if window is not None and line.notice_lead_days is not None and line.notice_lead_days > window:
        raise ApplicationError(
            _("The notice lead time must fit inside the renewal window."),
            field="notice_lead_days",
            code=ErrorCode.INVALID,
        )
    if line.term_months is not None and line.term_months < 1:
        raise ApplicationError(_("The term must be at least one month."), field="term_months", code=ErrorCode.INVALID)
    created = line.pk is None
    line.save()
    signals.line_saved.send(sender=LineOfInsurance, line=line, created=created, actor=actor)
    if created:
        PricingRule.objects.get_or_create(line=line)
        changes["code"] = ("", code)
    _audit(actor, "line", line.code, changes)
    return line


def _table_repr(rows) -> str:
    return ", ".join(f"{t}:{f}" for t, f in rows)


@transaction.atomic
def pricing_rule_save(
    *,
    actor,
    line_id: int,
    base_rate_change_percent: Decimal,
    claims_factors: list[tuple[int, Decimal]],
    loyalty_factors: list[tuple[int, Decimal]],
) -> PricingRule:
    """Replace a line's pricing: the base rate change and both factor tables."""
    _ensure_manager(actor)
    base = Decimal(str(base_rate_change_percent))
    if base <= -100 or base > 1000:
        raise ApplicationError(
            _("The base rate change is out of range."), field="base_rate_change_percent", code=ErrorCode.INVALID
        )
    for field, table in (("claims_factors", claims_factors), ("loyalty_factors", loyalty_factors)):
        thresholds = [int(t) for t, _f in table]
        if len(set(thresholds)) != len(thresholds) or any(t < 0 for t in thresholds):
            raise ApplicationError(
                _("Each step needs its own non-negative threshold."), field=field, code=ErrorCode.INVALID
            )
        if any(Decimal(str(f)) <= 0 for _t, f in table):
            raise ApplicationError(_("Factors must be above zero."), field=field, code=ErrorCode.INVALID)
    rule, _created = PricingRule.objects.select_for_update().get_or_create(line_id=line_id)
    changes = _apply_fields(rule, {"base_rate_change_percent": base})
    rule.save()
    old_claims = sorted((c.min_claims, c.factor) for c in ClaimsFactor.objects.filter(line_id=line_id))
    old_loyalty = sorted((c.min_years, c.factor) for c in LoyaltyFactor.objects.filter(line_id=line_id))
    new_claims = sorted((int(t), Decimal(str(f)).quantize(Decimal("0.0001"))) for t, f in claims_factors)
    new_loyalty = sorted((int(t), Decimal(str(f)).quantize(Decimal("0.0001"))) for t, f in loyalty_factors)
    if old_claims != new_claims:
        ClaimsFactor.objects.filter(line_id=line_id).delete()
        ClaimsFactor.objects.bulk_create([ClaimsFactor(line_id=line_id, min_claims=t, factor=f) for t, f in new_claims])
        changes["claims_factors"] = (_table_repr(old_claims), _table_repr(new_claims))
    if old_loyalty != new_loyalty:
        LoyaltyFactor.objects.filter(line_id=line_id).delete()
        LoyaltyFactor.objects.bulk_create(
            [LoyaltyFactor(line_id=line_id, min_years=t, factor=f) for t, f in new_loyalty]
        )
        changes["loyalty_factors"] = (_table_repr(old_loyalty), _table_repr(new_loyalty))
    _audit(actor, "pricing", LineOfInsurance.objects.get(pk=line_id).code, changes)
    transaction.on_commit(lambda: cache.delete(selectors.pricing_cache_key(line_id)))
    return rule


@transaction.atomic
def discount_authorities_set(*, actor, rows: list[dict]) -> list[DiscountAuthority]:
    """Set the discount authority grid in one go: each row is ``{"user_id", "line_id",
    "max_discount_percent"}``. All or nothing: one bad cell saves no cell."""
    _ensure_manager(actor)
    cells = [(row["user_id"], row["line_id"], parse_discount(row["max_discount_percent"])) for row in rows]
    return [_authority_set(actor, user_id, line_id, value) for user_id, line_id, value in cells]


def _authority_set(actor, user_id: int, line_id: int, value: Decimal) -> DiscountAuthority:
    _specialist_or_error(user_id)
    authority, created = DiscountAuthority.objects.select_for_update().get_or_create(
        user_id=user_id, line_id=line_id, defaults={"max_discount_percent": value}
    )
    old = None if created else authority.max_discount_percent
    if not created and old != value:
        authority.max_discount_percent = value
        authority.save(update_fields=["max_discount_percent"])
    if created or old != value:
        user = User.objects.get(pk=user_id)
        line = LineOfInsurance.objects.get(pk=line_id)
        _audit(actor, "authority", f"{user.get_username()} / {line.code}", {"max_discount_percent": (old, value)})
    return authority


@transaction.atomic
def lost_reason_save(
    *,
    actor,
    reason_id: int | None = None,
    code: str | None = None,
    name: str,
    name_zh_hans: str = "",
    kind: str = LostReason.Kind.LOST,
    active: bool = True,
    sort_order: int = 0,
) -> LostReason:
    _ensure_manager(actor)
    if kind not in LostReason.Kind.values:
        raise ApplicationError(_("Unknown reason kind."), field="kind", code=ErrorCode.INVALID)
    if not (name or "").strip():
        raise ApplicationError(_("Give the reason a name."), field="name", code=ErrorCode.REQUIRED)
    if reason_id is None:
        if not code or LostReason.objects.filter(code=code).exists():
            raise ApplicationError(_("Give the new reason a unique code."), field="code", code=ErrorCode.INVALID)
        reason = LostReason(code=code)
    else:
        reason = LostReason.objects.select_for_update().get(pk=reason_id)
    created = reason.pk is None
    changes = _apply_fields(
        reason, {"name": name, "name_zh_hans": name_zh_hans, "kind": kind, "active": active, "sort_order": sort_order}
    )
    reason.save()
    if created:
        changes["code"] = ("", code)
    _audit(actor, "lost_reason", reason.code, changes)
    transaction.on_commit(lambda: cache.delete(selectors.LOST_REASONS_CACHE_KEY))
    return reason


@transaction.atomic
def specialist_profile_save(
    *, actor, user_id: int, line_ids: list[int], regions: list[str], away: bool, skills: list[str] | None = None
) -> SpecialistProfile:
    """Lines, regions and skill tags (a playbook's assignment pool names one, e.g. "senior")."""
    _ensure_manager(actor)
    user = _specialist_or_error(user_id)
    profile, _created = SpecialistProfile.objects.select_for_update().get_or_create(user=user)
    old_lines = sorted(profile.lines.values_list("code", flat=True))
    clean_regions = sorted({r.strip() for r in regions if r and r.strip()})
    fields = {"regions": clean_regions, "away": bool(away)}
    if skills is not None:
        fields["skills"] = sorted({s.strip().lower() for s in skills if s and s.strip()})
        if any(
            len(s) > 32 or not all(ch.isascii() and (ch.isalnum() or ch in "-_") for ch in s) for s in fields["skills"]
        ):
            raise ApplicationError(
                _("A skill is a short code of letters, digits and dashes."), field="skills", code=ErrorCode.INVALID
            )
    changes = _apply_fields(profile, fields)
    profile.save()
    profile.lines.set(line_ids)
    new_lines = sorted(LineOfInsurance.objects.filter(pk__in=line_ids).values_list("code", flat=True))
    if old_lines != new_lines:
        changes["lines"] = (",".join(old_lines), ",".join(new_lines))
    _audit(actor, "specialist", user.get_username(), changes)
    return profile
