"""Reads for the renewals app: query building lives here so each page's query count is decided in one place."""

import datetime as dt
from decimal import Decimal

from django.contrib.auth import get_user_model
from django.core.cache import cache
from django.db.models import BooleanField, Count, ExpressionWrapper, F, Prefetch, Q, Sum

from core.roles import Role, has_role
from customers.models import Customer
from renewals import pricing
from renewals.addons.pricing import addon_premium
from renewals.models import (
    ClaimsFactor,
    DiscountAuthority,
    LineOfInsurance,
    LostReason,
    LoyaltyFactor,
    Policy,
    PolicyAddOn,
    PricingRule,
    Quote,
    Referral,
    RenewalCase,
    SettingsChange,
    SpecialistProfile,
    TimelineEvent,
    rate_shock_q,
)

MAX_CHAIN_DEPTH = 50


def policy_chain(*, policy_id: int) -> list[Policy]:
    """The renewal chain ending at ``policy_id``, oldest first, in one query."""
    table = Policy._meta.db_table
    sql = f"""
        WITH RECURSIVE chain(id, depth) AS (
            SELECT CAST(%s AS bigint), 0
            UNION ALL
            SELECT p.previous_policy_id, chain.depth + 1
            FROM {table} p JOIN chain ON p.id = chain.id
            WHERE p.previous_policy_id IS NOT NULL AND chain.depth < {MAX_CHAIN_DEPTH}
        )
        SELECT p.* FROM chain JOIN {table} p ON p.id = chain.id ORDER BY chain.depth DESC
    """
    return list(Policy.objects.raw(sql, [policy_id]))


def discount_authority(*, user, line_id: int, case=None) -> Decimal | None:
    """The user's discount limit on the line in percent; None means unlimited (managers). The case's
    playbook may override it for the specialists working its cases (``discount_authority_percent``)."""
    if user is not None and has_role(user, Role.MANAGER):
        return None
    if user is None:
        return Decimal("0")
    if case is not None and case.playbook_version_id is not None:
        override = case.playbook_version.discount_authority_percent
        if override is not None:
            return override
    value = (
        DiscountAuthority.objects.filter(user=user, line_id=line_id)
        .values_list("max_discount_percent", flat=True)
        .first()
    )
    return value if value is not None else Decimal("0")


# Reference data read on every case page; the settings services forget it when it changes.
REFERENCE_CACHE_SECONDS = 300


def pricing_cache_key(line_id: int) -> str:
    return f"renewals:pricing:{line_id}"


def pricing_inputs(*, line_id: int) -> dict:
    key = pricing_cache_key(line_id)
    inputs = cache.get(key)
    if inputs is None:
        rule = PricingRule.objects.filter(line_id=line_id).values_list("base_rate_change_percent", flat=True).first()
        inputs = {
            "base_rate_change_percent": rule if rule is not None else Decimal("0"),
            "claims_table": list(ClaimsFactor.objects.filter(line_id=line_id).values_list("min_claims", "factor")),
            "loyalty_table": list(LoyaltyFactor.objects.filter(line_id=line_id).values_list("min_years", "factor")),
        }
        cache.set(key, inputs, REFERENCE_CACHE_SECONDS)
    return inputs


def quote_preview(
    *, case: RenewalCase, discount_percent, actor=None, tenure_years: int | None = None, addons=None
) -> dict:
    """The priced renewal of ``case`` with ``discount_percent``: the itemised breakdown, no write.

    ``addons`` (``AddOn`` rows, already checked for the case) come on top of the base premium, each
    its own line after the factors (``renewals.addons.pricing``). With ``actor`` the answer also
    says whether the discount needs a manager's approval.
    """
    discount = Decimal(str(discount_percent or "0"))
    inputs = pricing_inputs(line_id=case.line_id)
    if tenure_years is None:
        tenure_years = len(policy_chain(policy_id=case.policy_id))
    claims_count = case.policy.claims_count
    result = pricing.price_renewal(
        expiring_premium=case.expiring_premium,
        base_rate_change_percent=inputs["base_rate_change_percent"],
        claims_factor=pricing.step_factor(inputs["claims_table"], claims_count),
        loyalty_factor=pricing.step_factor(inputs["loyalty_table"], tenure_years),
        discount_percent=discount,
        claims_count=claims_count,
        tenure_years=tenure_years,
    )
    steps = [{**step, "label": pricing.STEP_LABELS[step["code"]]} for step in result.steps]
    breakdown = result.as_json()
    before_discount = result.steps[-2]["amount"]  # after the loyalty factor
    running = result.premium
    addon_lines = []
    for addon in addons or []:
        price = addon_premium(addon, base_before_discount=before_discount)
        running += price
        addon_lines.append({"code": addon.code, "name": addon.display_name, "kind": addon.kind, "premium": price})
        step = {"code": "addon", "factor": pricing.ONE, "amount": running, "detail": addon.code, "price": price}
        steps.append({**step, "label": addon.display_name})
        breakdown.append({**step, "factor": "1", "amount": str(running), "price": str(price)})
    answer = {
        "premium": running,
        "base_premium": result.premium,
        "before_discount": before_discount,
        "addons": addon_lines,
        "expiring_premium": result.expiring_premium,
        "base_rate_factor": result.base_rate_factor,
        "claims_factor": result.claims_factor,
        "loyalty_factor": result.loyalty_factor,
        "discount_percent": result.discount_percent,
        "claims_count": claims_count,
        "tenure_years": tenure_years,
        "steps": steps,
        "breakdown_json": breakdown,
    }
    if actor is not None:
        limit = discount_authority(user=actor, line_id=case.line_id, case=case)
        answer["authority_percent"] = limit
        answer["needs_approval"] = limit is not None and result.discount_percent > limit
    return answer


# ---------------------------------------------------------------------------------------------
# Queue, case page, customer page: a fixed number of queries each, whatever the book's size.
# ---------------------------------------------------------------------------------------------
QUEUE_PAGE_SIZE = 25
# The deepest queue page anyone is served (2.5 M rows in): past it, and past bigint, the page is refused.
QUEUE_MAX_PAGE = 100_000
HIGH_VALUE_SEGMENTS = ("high_value", "vip")


def specialists_with_workload() -> list[dict]:
    """Active specialists with their skills, availability and open workload (three queries)."""
    specialists = specialists_list()
    profiles = {p.user_id: p for p in SpecialistProfile.objects.prefetch_related("lines")}
    loads = {
        row["assignee_id"]: row
        for row in RenewalCase.objects.open()
        .filter(assignee__in=specialists)
        .values("assignee_id")
        .annotate(n=Count("id"), premium=Sum("expiring_premium"))
        .order_by()
    }
    rows = []
    for user in specialists:
        profile = profiles.get(user.pk)
        load = loads.get(user.pk, {})
        rows.append(
            {
                "user": user,
                "away": bool(profile and profile.away),
                "line_ids": {line.pk for line in profile.lines.all()} if profile else set(),
                "regions": ", ".join(profile.regions) if profile else "",
                "skills": ", ".join(profile.skills) if profile else "",
                "open": load.get("n", 0),
                "premium": load.get("premium") or Decimal("0"),
            }
        )
    return rows


def specialists_list():
    """Active specialists for pickers (one query)."""
    return list(
        get_user_model()
        .objects.filter(is_active=True, groups__name=Role.SPECIALIST.value)
        .order_by("first_name", "last_name", "username")
        .distinct()
        .only("id", "username", "first_name", "last_name")
    )


def _queue_owner(*, user, filters: dict):
    """Open cases of the queue's owner: the specialist, or for managers everyone / one assignee."""
    qs = RenewalCase.objects.open()
    if not has_role(user, Role.MANAGER):
        return qs.filter(assignee=user)
    assignee = filters.get("assignee")
    if assignee == "none":
        return qs.filter(assignee__isnull=True)
    if assignee:
        return qs.filter(assignee_id=assignee)
    return qs


# Shorter searches cannot use the customers' trigram index; they match the start of the name.
TRIGRAM_MIN_LENGTH = 3


def queue_filter(*, user, filters: dict, today) -> tuple:
    """(queryset of open cases after every filter but stage, stage filter Q) for the queue."""
    qs = _queue_owner(user=user, filters=filters)
    if filters.get("line"):
        qs = qs.filter(line__code=filters["line"])
    due = filters.get("due")
    if due in ("7", "30"):
        qs = qs.filter(due_date__lte=today + dt.timedelta(days=int(due)))
    if filters.get("overdue"):
        qs = qs.filter(next_action_date__lt=today)
    if filters.get("high_value"):
        qs = qs.filter(customer__segment__in=HIGH_VALUE_SEGMENTS)
    q = (filters.get("q") or "").strip()
    if q:
        if any(ch.isdigit() for ch in q):
            # A policy number: one unique-index lookup.
            qs = qs.filter(policy_id__in=Policy.objects.filter(number__in={q, q.upper()}).values("id"))
        elif len(q) >= TRIGRAM_MIN_LENGTH:
            qs = qs.filter(customer_id__in=Customer.objects.filter(name__icontains=q).values("id"))
        else:
            # One or two characters (a Chinese surname, a short name): a prefix on the name index.
            qs = qs.filter(customer_id__in=Customer.objects.filter(name__startswith=q).values("id"))
    stage_q = Q(stage=filters["stage"]) if filters.get("stage") else Q()
    return qs, stage_q


# Stage counts may be this old after set-based changes (opening, lapsing); single-case writes
# forget the counts of the cases' owners at once.
QUEUE_COUNTS_SECONDS = 60


def queue_counts_key(owner) -> str:
    return f"renewals:queue-counts:{owner}"


def forget_queue_counts(*owners) -> None:
    cache.delete_many([queue_counts_key(o) for o in {*owners, "all", "none"} if o is not None])


def _stage_counts(qs) -> dict[str, int]:
    return {row["stage"]: row["n"] for row in qs.values("stage").annotate(n=Count("id")).order_by()}


def queue_page(*, user, filters: dict, today, page: int = 1) -> dict:
    """One page of the queue (no full count: one row more tells whether a next page exists)
    plus the counts per stage under the same filters. Three queries."""
    qs, stage_q = queue_filter(user=user, filters=filters, today=today)
    page = min(max(1, int(page or 1)), QUEUE_MAX_PAGE)
    offset = (page - 1) * QUEUE_PAGE_SIZE
    rows = list(
        qs.filter(stage_q)
        .select_related("policy", "customer", "line", "assignee")
        # The line's rate-shock rule on the current quote: specialists call those customers first.
        .annotate(rate_shock=ExpressionWrapper(rate_shock_q(), output_field=BooleanField()))
        .only(
            "id",
            "stage",
            "priority",
            "due_date",
            "next_action_date",
            "expiring_premium",
            "churn_risk",
            "has_open_complaint",
            "version",
            "assignee_id",
            "policy__id",
            "policy__number",
            "customer__id",
            "customer__name",
            "customer__segment",
            "line__id",
            "line__code",
            "line__name",
            "line__name_zh_hans",
            "assignee__id",
            "assignee__username",
            "assignee__first_name",
            "assignee__last_name",
        )
        .order_by("-priority", "due_date", "id")[offset : offset + QUEUE_PAGE_SIZE + 1]
    )
    # Counts per stage of the owner's whole open queue (the other filters only narrow the list),
    # cached: the case services forget an owner's counts when they change one of its cases.
    owner_key = (filters.get("assignee") or "all") if has_role(user, Role.MANAGER) else user.pk
    key = queue_counts_key(owner_key)
    counts = cache.get(key)
    if counts is None:
        counts = _stage_counts(_queue_owner(user=user, filters=filters))
        cache.set(key, counts, QUEUE_COUNTS_SECONDS)
    return {
        "cases": rows[:QUEUE_PAGE_SIZE],
        "has_next": len(rows) > QUEUE_PAGE_SIZE,
        "page": page,
        "stage_counts": counts,
        "total_open": sum(counts.values()),
    }


def case_exists(*, case_id: int) -> bool:
    return RenewalCase.objects.filter(pk=case_id).exists()


def case_referral_exists(*, case_id: int, referral_id: int) -> bool:
    return Referral.objects.filter(pk=referral_id, case_id=case_id).exists()


def case_detail(*, case_id: int) -> RenewalCase:
    """The case with what every case page shows. Few joins on purpose: planning a ten-way join
    costs more than the two or three primary-key lookups the page may add for closed cases."""
    return RenewalCase.objects.select_related(
        "policy", "customer", "line", "assignee", "current_quote", "playbook_version__playbook__current_version"
    ).get(pk=case_id)


TIMELINE_LIMIT = 100


def case_timeline(*, case_id: int) -> list:
    """The case's newest events, hot and archived (docs/retention.md): one query on the timeline view."""
    return list(
        TimelineEvent.objects.filter(case_id=case_id)
        .select_related("actor")
        .order_by("-created_at", "-id")[:TIMELINE_LIMIT]
    )


def case_quotes(*, case_id: int) -> list:
    return list(
        Quote.objects.filter(case_id=case_id)
        .select_related("created_by", "decided_by")
        .order_by("-created_at", "-id")[:20]
    )


def case_referrals(*, case_id: int) -> list:
    return list(
        Referral.objects.filter(case_id=case_id)
        .select_related("created_by", "resolved_by")
        .order_by("resolved_at", "-created_at")[:20]
    )


LOST_REASONS_CACHE_KEY = "renewals:lost-reasons"


def lost_reasons() -> list:
    reasons = cache.get(LOST_REASONS_CACHE_KEY)
    if reasons is None:
        reasons = list(LostReason.objects.filter(active=True))
        cache.set(LOST_REASONS_CACHE_KEY, reasons, REFERENCE_CACHE_SECONDS)
    return reasons


def pending_approvals(*, limit: int = 100) -> list:
    return list(
        Quote.objects.filter(approval_status=Quote.Approval.PENDING, case__current_quote=F("id"))
        .select_related("case", "case__customer", "case__line", "case__policy", "created_by")
        .order_by("created_at")[:limit]
    )


CUSTOMER_LIST_LIMIT = 50


def customer_page(*, customer_id: int) -> dict:
    customer = Customer.objects.get(pk=customer_id)
    policies = list(
        Policy.objects.filter(customer_id=customer_id)
        .select_related("line", "previous_policy")
        .prefetch_related(Prefetch("addon_lines", queryset=PolicyAddOn.objects.select_related("addon")))
        .order_by("-end_date", "-id")[:CUSTOMER_LIST_LIMIT]
    )
    cases = list(
        RenewalCase.objects.filter(customer_id=customer_id)
        .select_related("line", "policy", "assignee", "successor_policy", "lost_reason")
        .order_by("-due_date", "-id")[:CUSTOMER_LIST_LIMIT]
    )
    return {"customer": customer, "policies": policies, "cases": cases}


# ---------------------------------------------------------------------------------------------
# Settings pages (managers)
# ---------------------------------------------------------------------------------------------
def lines(*, active_only: bool = False) -> list:
    queryset = LineOfInsurance.objects.all()
    return list(queryset.filter(active=True) if active_only else queryset)


def line_or_none(line_id):
    """The line a settings row names by its hidden id; None for the "add" form or a bogus id."""
    if not str(line_id or "").isdigit():
        return None
    return LineOfInsurance.objects.filter(pk=line_id).first()


def lost_reasons_all() -> list:
    """Every reason, retired ones too (the settings page edits them all)."""
    return list(LostReason.objects.all())


def lost_reason_or_none(reason_id):
    if not str(reason_id or "").isdigit():
        return None
    return LostReason.objects.filter(pk=reason_id).first()


# Empty rows under each factor table, for adding a step.
SPARE_PRICING_ROWS = 2


def pricing_settings() -> list[dict]:
    """Per line: its base rate change and both factor tables (four queries, whatever the lines)."""
    rules = {r.line_id: r for r in PricingRule.objects.all()}
    claims, loyalty = {}, {}
    for row in ClaimsFactor.objects.all():
        claims.setdefault(row.line_id, []).append(row)
    for row in LoyaltyFactor.objects.all():
        loyalty.setdefault(row.line_id, []).append(row)
    return [
        {
            "line": line,
            "base": rules[line.pk].base_rate_change_percent if line.pk in rules else Decimal("0"),
            "claims": claims.get(line.pk, []),
            "loyalty": loyalty.get(line.pk, []),
            "spare": range(SPARE_PRICING_ROWS),
        }
        for line in lines()
    ]


def discount_authority_grid(*, specialists: list, lines: list) -> list[tuple]:
    """(specialist, [(line, max discount or "")]) rows of the discount authority page (one query)."""
    current = {(a.user_id, a.line_id): a.max_discount_percent for a in DiscountAuthority.objects.all()}
    return [(user, [(line, current.get((user.pk, line.pk), "")) for line in lines]) for user in specialists]


def settings_changes(*, limit: int) -> list:
    """The newest entries of the settings audit log."""
    return list(SettingsChange.objects.select_related("actor")[:limit])
