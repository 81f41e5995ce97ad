"""Reads of the add-on catalogue, the add-ons a case proposes, and suggestions from the book.

Attach rates are computed set-based over the last 12 months of renewals (one INSERT … SELECT per
refresh, reading renewed cases by their closing date and the add-on tables by add-on), and kept in
``AttachRate`` so a case page reads a handful of rows, whatever the size of the book.
"""

import datetime as dt
from dataclasses import dataclass
from decimal import Decimal

from django.db import transaction
from django.db.models import F
from django.utils import timezone
from django.utils.translation import gettext as _

from core.errors import ApplicationError, ErrorCode
from renewals.addons.models import AddOn, AttachRate, PolicyAddOn, QuoteAddOn
from renewals.addons.pricing import ineligibility

# A rider is suggested when at least this share of the segment took it when offered, over at
# least ATTACH_MIN_OFFERED offers (fewer is too thin to say "often").
ATTACH_SUGGEST_RATE = Decimal("0.20")
ATTACH_MIN_OFFERED = 20
# Segments for whom value-added services are suggested whatever the attach rate.
SERVICE_SEGMENTS = ("high_value", "vip")
ATTACH_WINDOW_DAYS = 365
MAX_ADDONS_PER_QUOTE = 20


def catalogue(*, line_id: int | None = None, day: dt.date | None = None, segment: str | None = None) -> list[AddOn]:
    """Active add-ons (of one line), riders first; with ``segment``, each carries that segment's
    attach rate counts (``attach_offered``, ``attach_taken``; None when never offered)."""
    from django.db.models import OuterRef, Subquery

    day = day or timezone.localdate()
    items = AddOn.objects.filter(active_from__lte=day).exclude(active_to__lt=day).select_related("line")
    if line_id is not None:
        items = items.filter(line_id=line_id)
    if segment is not None:
        rate = AttachRate.objects.filter(addon_id=OuterRef("pk"), segment=segment)
        items = items.annotate(
            attach_offered=Subquery(rate.values("offered")[:1]), attach_taken=Subquery(rate.values("taken")[:1])
        )
    return list(items.order_by("line_id", "kind", "code"))


def catalogue_all() -> list[AddOn]:
    """The whole catalogue, retired add-ons too (the settings page)."""
    return list(AddOn.objects.select_related("line").order_by("line__sort_order", "kind", "code"))


def addon_or_none(addon_id: int) -> AddOn | None:
    return AddOn.objects.filter(pk=addon_id).first()


def resolve_addons(*, case, codes, day: dt.date | None = None) -> list[AddOn]:
    """The add-ons ``codes`` name for ``case`` (unknown, repeated or ineligible codes are a field error)."""
    day = day or timezone.localdate()
    codes = [str(code).strip() for code in codes or []]
    if len(codes) > MAX_ADDONS_PER_QUOTE:
        raise ApplicationError(
            _("A quote takes at most %(n)d add-ons.") % {"n": MAX_ADDONS_PER_QUOTE},
            field="addons",
            code=ErrorCode.OUT_OF_RANGE,
        )
    if len(set(codes)) != len(codes):
        raise ApplicationError(_("Each add-on can be chosen once."), field="addons", code=ErrorCode.INVALID)
    found = {a.code: a for a in AddOn.objects.filter(code__in=codes)}
    unknown = [code for code in codes if code not in found]
    if unknown:
        raise ApplicationError(
            _("Unknown add-on: %(codes)s.") % {"codes": ", ".join(unknown)}, field="addons", code=ErrorCode.INVALID
        )
    chosen = [found[code] for code in codes]
    for addon in chosen:
        reason = ineligibility(
            addon,
            segment=case.customer.segment,
            attributes=case.policy.attributes,
            line_id=case.line_id,
            day=day,
        )
        if reason:
            raise ApplicationError(reason, field="addons", code=ErrorCode.INVALID)
    return chosen


def proposed_addons(*, case, day: dt.date | None = None) -> list[AddOn]:
    """What a new quote proposes: the current quote's add-ons, else the expiring policy's (the
    renewal of a policy with add-ons proposes them again), keeping those still eligible."""
    day = day or timezone.localdate()
    if case.current_quote_id:
        rows = QuoteAddOn.objects.filter(quote_id=case.current_quote_id)
    else:
        rows = PolicyAddOn.objects.filter(policy_id=case.policy_id)
    addons = [row.addon for row in rows.select_related("addon").order_by("addon__kind", "addon__code")]
    return [
        a
        for a in addons
        if ineligibility(
            a, segment=case.customer.segment, attributes=case.policy.attributes, line_id=case.line_id, day=day
        )
        is None
    ]


def quote_addons(*, quote_id: int) -> list[QuoteAddOn]:
    return list(QuoteAddOn.objects.filter(quote_id=quote_id).select_related("addon").order_by("id"))


def policy_addons(*, policy_id: int) -> list[PolicyAddOn]:
    return list(PolicyAddOn.objects.filter(policy_id=policy_id).select_related("addon").order_by("addon__code"))


# --- attach rates, set-based ---------------------------------------------------------------------
@transaction.atomic
def attach_rates_refresh(*, as_of: dt.date | None = None) -> int:
    """Recompute every add-on's attach rate per segment over the 12 months before ``as_of``
    (renewed cases closed in that window): one aggregate query grouped by add-on and segment, and
    one bulk insert of its few rows. Answers the rows written."""
    from django.db.models import Count, Exists, OuterRef, Q

    as_of = as_of or timezone.localdate()
    end = dt.datetime.combine(as_of, dt.time.min, tzinfo=timezone.get_current_timezone())
    start = end - dt.timedelta(days=ATTACH_WINDOW_DAYS)
    taken = PolicyAddOn.objects.filter(
        policy_id=OuterRef("quote__case__successor_policy_id"), addon_id=OuterRef("addon_id")
    )
    rows = (
        QuoteAddOn.objects.filter(
            quote__case__stage="renewed", quote__case__closed_at__gte=start, quote__case__closed_at__lt=end
        )
        .values("addon_id", segment=F("quote__case__customer__segment"))
        .annotate(
            offered=Count("quote__case_id", distinct=True),
            taken=Count("quote__case_id", distinct=True, filter=Q(Exists(taken))),
        )
        .order_by()
    )
    now = timezone.now()
    fresh = [
        AttachRate(
            addon_id=r["addon_id"], segment=r["segment"], offered=r["offered"], taken=r["taken"], computed_at=now
        )
        for r in rows
    ]
    AttachRate.objects.all().delete()
    AttachRate.objects.bulk_create(fresh)
    return len(fresh)


# --- suggestions -----------------------------------------------------------------------------------
@dataclass(frozen=True)
class Suggestion:
    kind: str  # "rider", "service" or "line"
    code: str  # the add-on code, or the line code for the next line
    name: str
    reason: str


def suggestions(*, case, chosen_codes=(), addons=None, day: dt.date | None = None) -> list[Suggestion]:
    """Add-ons and the next line to offer this customer, each with a one-line reason.

    Riders the customer's segment often takes (attach rate from the book), services for
    high-value and VIP customers, and each active line the customer holds no policy of. Two
    queries: the line's catalogue with the segment's attach rates (unless given as ``addons`` from
    ``catalogue(segment=…)``), and the active lines the customer holds no policy of.
    """
    from django.db.models import Exists, OuterRef

    from renewals.models import LineOfInsurance, Policy

    day = day or timezone.localdate()
    segment = case.customer.segment
    chosen = set(chosen_codes)
    found: list[Suggestion] = []
    for addon in catalogue(line_id=case.line_id, day=day, segment=segment) if addons is None else addons:
        if addon.code in chosen:
            continue
        if ineligibility(addon, segment=segment, attributes=case.policy.attributes, line_id=case.line_id, day=day):
            continue
        offered, taken = getattr(addon, "attach_offered", None), getattr(addon, "attach_taken", None)
        rate = Decimal(taken) / Decimal(offered) if offered else None
        if rate is not None and offered >= ATTACH_MIN_OFFERED and rate >= ATTACH_SUGGEST_RATE:
            found.append(
                Suggestion(
                    addon.kind,
                    addon.code,
                    addon.display_name,
                    _("%(rate)s of %(segment)s customers offered it took it (last 12 months, %(n)s offers).")
                    % {
                        "rate": f"{rate * 100:.0f} %",
                        "segment": case.customer.get_segment_display(),
                        "n": f"{offered:,}",
                    },
                )
            )
        elif addon.kind == AddOn.Kind.SERVICE and segment in SERVICE_SEGMENTS:
            found.append(
                Suggestion(
                    addon.kind,
                    addon.code,
                    addon.display_name,
                    _("A service we offer %(segment)s customers to keep them with us.")
                    % {"segment": case.customer.get_segment_display()},
                )
            )
    held = Policy.objects.filter(customer_id=case.customer_id, line_id=OuterRef("pk"), status=Policy.Status.ACTIVE)
    lines = (
        LineOfInsurance.objects.filter(active=True)
        .exclude(pk=case.line_id)
        .annotate(held=Exists(held))
        .filter(held=False)
        .order_by("sort_order")
    )
    for line in lines:
        found.append(
            Suggestion(
                "line",
                line.code,
                line.display_name,
                _("The customer has no %(line)s policy with us: the renewal call is the moment to offer one.")
                % {"line": line.display_name},
            )
        )
    return found
