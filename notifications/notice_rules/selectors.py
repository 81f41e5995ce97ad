"""Which notice rule is in force (reads only).

The rule for a case is chosen for its policy's expiry date: of the versions of (line, notice type)
in force on that date, the case's own region's wins over "all". An adverse-change rule applies when
the case's current quote raises the premium above the rule's threshold or drops a rider of the
expiring policy (reduced cover), and the rule asks at least as
many days as the renewal rule (the stricter minimum wins); otherwise the renewal rule.
``rule_in_force`` is the Python form (one case, the settings page); ``annotate_notice_rule`` adds
the same choice to a queryset of cases as SQL (planning, the watchlist), set-based.
"""

import datetime as dt
from decimal import Decimal

from django.db.models import (
    Case,
    DateField,
    DecimalField,
    Exists,
    ExpressionWrapper,
    F,
    Func,
    IntegerField,
    OuterRef,
    Q,
    QuerySet,
    Subquery,
    Value,
    When,
)
from django.db.models.functions import Coalesce
from django.utils.translation import gettext as _

from customers.regions import region_label
from notifications.notice_rules.models import ALL_REGIONS, NoticeRule, NoticeType
from renewals.addons.models import AddOn, PolicyAddOn, QuoteAddOn
from renewals.models import Stage

NOT_OFFERED = Stage.NOT_OFFERED


def rule_in_force(rules, *, region: str, on_date: dt.date) -> NoticeRule | None:
    """Of ``rules`` (one line and notice type), the one in force for ``region`` on ``on_date``:
    the region's own before "all", then the latest effective_from (then the newest row)."""
    candidates = [rule for rule in rules if rule.region in (region, ALL_REGIONS) and rule.in_force_on(on_date)]
    return min(candidates, key=lambda r: (r.region == ALL_REGIONS, -r.effective_from.toordinal(), -r.pk), default=None)


def line_rules(*, line_id: int, notice_type: str | None = None) -> list[NoticeRule]:
    rules = NoticeRule.objects.filter(line_id=line_id)
    if notice_type:
        rules = rules.filter(notice_type=notice_type)
    return list(rules)


def notice_rule_in_force(*, line_id: int, region: str, notice_type: str, on_date: dt.date) -> NoticeRule | None:
    """The rule in force (one query, the same choice as ``rule_in_force``)."""
    return _in_force(
        NoticeRule.objects.filter(line_id=line_id, notice_type=notice_type), region=region, on_date=on_date
    ).first()


def _in_force(rules: QuerySet, *, region, on_date) -> QuerySet:
    """``region`` and ``on_date`` are values or expressions (OuterRef) alike."""
    return (
        rules.filter(Q(region=region) | Q(region=ALL_REGIONS), effective_from__lte=on_date)
        .filter(Q(effective_to__isnull=True) | Q(effective_to__gte=on_date))
        .order_by(Case(When(region=ALL_REGIONS, then=Value(1)), default=Value(0)), "-effective_from", "-id")
    )


def is_adverse_rise(*, expiring: Decimal, quoted: Decimal | None, rise_percent: Decimal | None) -> bool:
    """A quoted premium above the expiring one by more than ``rise_percent`` (its SQL twin is in
    ``annotate_notice_rule``)."""
    if quoted is None or rise_percent is None or expiring <= 0:
        return False
    return quoted * 100 > expiring * (100 + rise_percent)


def _dropped_riders(*, policy_id, quote_id) -> QuerySet:
    """The riders the expiring policy carries that the quote does not (reduced cover); ``policy_id``
    and ``quote_id`` are values or expressions (OuterRef) alike."""
    return PolicyAddOn.objects.filter(policy_id=policy_id, addon__kind=AddOn.Kind.RIDER).exclude(
        Exists(QuoteAddOn.objects.filter(quote_id=quote_id, addon_id=OuterRef("addon_id")))
    )


def reduces_cover(case) -> bool:
    """The case's current quote drops a rider of the expiring policy (one query; its SQL twin is in
    ``annotate_notice_rule_id``)."""
    if not case.current_quote_id:
        return False
    return _dropped_riders(policy_id=case.policy_id, quote_id=case.current_quote_id).exists()


def case_notice_rule(case, *, region: str | None = None) -> NoticeRule | None:
    """The rule the case's statutory notice follows (one query for the rules, and the current quote
    when it is not loaded); ``region``: the customer's, when the caller has the customer at hand."""
    region = case.customer.region if region is None else region
    if case.stage == NOT_OFFERED:
        # The insurer declines to renew: the customer is owed the non-renewal notice instead.
        return rule_in_force(
            line_rules(line_id=case.line_id, notice_type=NoticeType.NON_RENEWAL), region=region, on_date=case.due_date
        )
    rules = list(
        NoticeRule.objects.filter(
            line_id=case.line_id,
            notice_type__in=[NoticeType.RENEWAL, NoticeType.ADVERSE_CHANGE],
            region__in=[region, ALL_REGIONS],
        )
    )
    adverse = rule_in_force(
        [r for r in rules if r.notice_type == NoticeType.ADVERSE_CHANGE], region=region, on_date=case.due_date
    )
    renewal = rule_in_force(
        [r for r in rules if r.notice_type == NoticeType.RENEWAL], region=region, on_date=case.due_date
    )
    if (
        adverse is not None
        and adverse_is_as_strict(adverse_min=adverse.min_days, renewal_min=renewal.min_days if renewal else None)
        and (_rises_above(case, adverse) or reduces_cover(case))
    ):
        return adverse
    return renewal


def _rises_above(case, adverse: NoticeRule) -> bool:
    quoted = case.current_quote.premium if case.current_quote_id else None
    return is_adverse_rise(expiring=case.expiring_premium, quoted=quoted, rise_percent=adverse.rate_rise_percent)


def adverse_is_as_strict(*, adverse_min: int, renewal_min: int | None) -> bool:
    """An adverse-change rule applies only when it asks at least as many days as the renewal rule in
    force for the case (or none is): the stricter minimum wins, so an "all regions" adverse rule
    never shortens a region's renewal deadline (its SQL twin is in ``annotate_notice_rule_id``)."""
    return renewal_min is None or adverse_min >= renewal_min


def case_notice_deadline(case) -> dt.date:
    """The last day the case's notice may go out: expiry − the rule's minimum (the line's lead days
    when no rule is in force)."""
    rule = case_notice_rule(case)
    days = rule.min_days if rule is not None else case.line.notice_lead_days
    return case.due_date - dt.timedelta(days=days)


def case_notice_kind(case) -> str:
    """What the case's notice announces, for its document: "" for a renewal notice; for an adverse
    change, the rise above the rule's threshold."""
    if case.stage == NOT_OFFERED:
        return _("Non-renewal notice: your insurer will not renew this policy when it expires.")
    rule = case_notice_rule(case)
    if rule is None or rule.notice_type != NoticeType.ADVERSE_CHANGE:
        return ""
    if not _rises_above(case, rule):
        return _("Adverse change notice: the renewal drops cover your policy has (a rider).")
    return _("Adverse change notice: the renewal premium rises by more than %(rise)s%%.") % {
        "rise": rule.rate_rise_percent
    }


class DateMinusDays(Func):
    """``date − integer days`` as a date, on PostgreSQL and SQLite."""

    arity = 2
    output_field = DateField()

    def as_sql(self, compiler, connection, **extra):
        return super().as_sql(compiler, connection, template="(%(expressions)s)", arg_joiner=" - ", **extra)

    def as_sqlite(self, compiler, connection, **extra):
        template = "date(%(expressions)s || ' days')"
        return super().as_sql(compiler, connection, template=template, arg_joiner=", '-' || ", **extra)


def _rule_column(notice_type: str, column: str, output_field):
    rules = _in_force(
        NoticeRule.objects.filter(line_id=OuterRef("line_id"), notice_type=notice_type),
        region=OuterRef("customer__region"),
        on_date=OuterRef("due_date"),
    )
    return Subquery(rules.values(column)[:1], output_field=output_field)


def annotate_notice_rule_id(cases: QuerySet) -> QuerySet:
    """Cases with ``notice_rule_id``: the rule their notice follows (None: no rule in force, the
    line's lead days apply). The one SQL home of the choice (planning and the watchlist use it)."""
    integer = IntegerField()
    adverse_rise = _rule_column(NoticeType.ADVERSE_CHANGE, "rate_rise_percent", DecimalField())
    cases = cases.alias(
        _adverse_id=_rule_column(NoticeType.ADVERSE_CHANGE, "id", integer),
        _adverse_min=_rule_column(NoticeType.ADVERSE_CHANGE, "min_days", integer),
        _renewal_id=_rule_column(NoticeType.RENEWAL, "id", integer),
        _renewal_min=_rule_column(NoticeType.RENEWAL, "min_days", integer),
    ).annotate(
        notice_rule_id=Case(
            # A case the insurer declines to renew follows the non-renewal rule (case_notice_rule).
            When(stage=NOT_OFFERED, then=_rule_column(NoticeType.NON_RENEWAL, "id", integer)),
            When(
                Q(_adverse_id__isnull=False)
                # adverse_is_as_strict: the stricter minimum wins
                & (Q(_renewal_min__isnull=True) | Q(_adverse_min__gte=F("_renewal_min")))
                & (
                    # is_adverse_rise
                    Q(
                        expiring_premium__gt=0,
                        current_quote__premium__isnull=False,
                        current_quote__premium__gt=ExpressionWrapper(
                            F("expiring_premium") * (100 + adverse_rise) / 100, output_field=DecimalField()
                        ),
                    )
                    # reduces_cover
                    | Q(
                        Exists(
                            _dropped_riders(
                                # the quote is the case's: two levels out, past the policy's add-on
                                policy_id=OuterRef("policy_id"),
                                quote_id=OuterRef(OuterRef("current_quote_id")),
                            )
                        ),
                        current_quote__isnull=False,
                    )
                ),
                then=F("_adverse_id"),
            ),
            default=F("_renewal_id"),
            output_field=integer,
        )
    )
    return cases


def annotate_notice_rule(cases: QuerySet, *, preferred_days: int | None = None) -> QuerySet:
    """Cases with ``notice_rule_id``, ``notice_min_days``, ``notice_max_days``, ``notice_deadline_date``
    and, with ``preferred_days`` (the notice step's days before expiry), ``notice_days_before`` and
    ``notice_date``: the step moved into the rule's window (NoticeRule.days_before's SQL twin).
    Each annotation repeats the rule's subqueries: for a bounded set of cases (the watchlist);
    planning joins the rule once instead."""
    integer = IntegerField()
    cases = annotate_notice_rule_id(cases)
    chosen = NoticeRule.objects.filter(pk=OuterRef("notice_rule_id"))
    cases = cases.annotate(
        notice_min_days=Coalesce(
            Subquery(chosen.values("min_days")[:1], output_field=integer),
            F("line__notice_lead_days"),
            output_field=integer,
        ),
        notice_max_days=Subquery(chosen.values("max_days")[:1], output_field=integer),
    ).annotate(notice_deadline_date=DateMinusDays(F("due_date"), F("notice_min_days")))
    if preferred_days is not None:
        preferred = Value(preferred_days, output_field=integer)
        at_least = Case(
            When(notice_min_days__gt=preferred, then=F("notice_min_days")), default=preferred, output_field=integer
        )
        cases = cases.annotate(
            notice_days_before=Case(
                When(notice_max_days__isnull=False, notice_max_days__lt=at_least, then=F("notice_max_days")),
                default=at_least,
                output_field=integer,
            )
        ).annotate(notice_date=DateMinusDays(F("due_date"), F("notice_days_before")))
    return cases


def line_max_min_days(line_ids) -> dict[int, int]:
    """Per line, the longest minimum of any of its rules (0 without)."""
    found: dict[int, int] = {}
    for line_id, min_days in NoticeRule.objects.filter(line_id__in=list(line_ids)).values_list("line_id", "min_days"):
        found[line_id] = max(found.get(line_id, 0), min_days)
    return found


def notice_rules_page(*, line_id: int | None = None) -> list[NoticeRule]:
    """Every version (they are few: regions × lines × types × versions), in reading order."""
    rules = NoticeRule.objects.select_related("line", "created_by")
    if line_id is not None:
        rules = rules.filter(line_id=line_id)
    return list(rules.order_by("line__sort_order", "line__code", "notice_type", "region", "-effective_from"))


def rule_summary(rule: NoticeRule) -> str:
    """How a rule reads in a list, e.g. "Adverse change notice · Zhejiang · 30–60 days · from 2027-01-01"."""
    region = _("all regions") if rule.region == ALL_REGIONS else str(region_label(rule.region))
    if rule.max_days is not None:
        days = _("%(min)s–%(max)s days before expiry") % {"min": rule.min_days, "max": rule.max_days}
    else:
        days = _("at least %(min)s days before expiry") % {"min": rule.min_days}
    parts = [str(NoticeType(rule.notice_type).label), region, days]
    if rule.rate_rise_percent is not None:
        parts.append(_("rise above %(rise)s%%") % {"rise": rule.rate_rise_percent})
    return " · ".join(parts)
