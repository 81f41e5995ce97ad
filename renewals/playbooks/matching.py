"""Which playbook a case gets: the rule in Python (opening, where the due policies are already rows in
memory) and as an ORM condition (the live count, the portable opening). Both forms are tested
against the same cases (tests/renewals/test_playbooks.py).

Order: the active playbooks' current versions by position then id, each line's default last; the
first whose every condition holds wins. No match (a line without a default): no playbook, which is
today's behaviour.
"""

from dataclasses import dataclass
from decimal import Decimal

from django.db.models import F, Q

from renewals.playbooks.models import Playbook, PlaybookVersion


@dataclass(frozen=True)
class Rule:
    version_id: int
    playbook_id: int
    line_id: int | None
    is_default: bool
    position: int
    segments: frozenset
    regions: frozenset
    channels: frozenset
    lifecycle_stages: frozenset
    churn_risk_min: int | None
    churn_risk_max: int | None
    premium_min: Decimal | None
    premium_max: Decimal | None
    assignment_skill: str


def rule_of(version: PlaybookVersion) -> Rule:
    playbook = version.playbook
    return Rule(
        version_id=version.pk,
        playbook_id=playbook.pk,
        line_id=playbook.line_id,
        is_default=playbook.is_default,
        position=playbook.position,
        segments=frozenset(version.segments or ()),
        regions=frozenset(version.regions or ()),
        channels=frozenset(version.channels or ()),
        lifecycle_stages=frozenset(version.lifecycle_stages or ()),
        churn_risk_min=version.churn_risk_min,
        churn_risk_max=version.churn_risk_max,
        premium_min=version.premium_min,
        premium_max=version.premium_max,
        assignment_skill=version.assignment_skill,
    )


def rules_in_force() -> list[Rule]:
    """The active playbooks' current versions in matching order (one query)."""
    versions = (
        PlaybookVersion.objects.filter(playbook__status=Playbook.Status.ACTIVE, playbook__current_version_id=F("id"))
        .select_related("playbook")
        .order_by("playbook__is_default", "playbook__position", "playbook_id")
    )
    return [rule_of(v) for v in versions]


def matches(
    rule: Rule,
    *,
    line_id: int,
    segment: str,
    region: str,
    channel: str,
    lifecycle_stage: str,
    churn_risk: int | None,
    premium: Decimal,
) -> bool:
    """Whether every condition of ``rule`` holds for a case with these attributes (the Python twin
    of ``rule_q``)."""
    if rule.line_id is not None and rule.line_id != line_id:
        return False
    if rule.segments and segment not in rule.segments:
        return False
    if rule.regions and region not in rule.regions:
        return False
    if rule.channels and channel not in rule.channels:
        return False
    if rule.lifecycle_stages and lifecycle_stage not in rule.lifecycle_stages:
        return False
    if rule.churn_risk_min is not None and (churn_risk is None or churn_risk < rule.churn_risk_min):
        return False
    if rule.churn_risk_max is not None and (churn_risk is None or churn_risk > rule.churn_risk_max):
        return False
    if rule.premium_min is not None and premium < rule.premium_min:
        return False
    return not (rule.premium_max is not None and premium > rule.premium_max)


def order_key(rule: Rule) -> tuple:
    """Matching order: by position, then id (a draft without an id after its peers), defaults last."""
    return (rule.is_default, rule.position, rule.playbook_id if rule.playbook_id is not None else 2**62)


def first_match(rules: list[Rule], **attributes) -> Rule | None:
    """The first rule (in ``rules_in_force`` order) that matches, or None."""
    for rule in rules:
        if matches(rule, **attributes):
            return rule
    return None


def rule_q(rule: Rule) -> Q:
    """The rule as a condition on ``RenewalCase`` (the ORM twin of ``matches``)."""
    condition = Q()
    if rule.line_id is not None:
        condition &= Q(line_id=rule.line_id)
    if rule.segments:
        condition &= Q(customer__segment__in=sorted(rule.segments))
    if rule.regions:
        condition &= Q(customer__region__in=sorted(rule.regions))
    if rule.channels:
        condition &= Q(policy__channel__in=sorted(rule.channels))
    if rule.lifecycle_stages:
        condition &= Q(customer__lifecycle_stage__in=sorted(rule.lifecycle_stages))
    if rule.churn_risk_min is not None:
        condition &= Q(churn_risk__gte=rule.churn_risk_min)
    if rule.churn_risk_max is not None:
        condition &= Q(churn_risk__lte=rule.churn_risk_max)
    if rule.premium_min is not None:
        condition &= Q(expiring_premium__gte=rule.premium_min)
    if rule.premium_max is not None:
        condition &= Q(expiring_premium__lte=rule.premium_max)
    return condition


def first_match_q(rules: list[Rule], rule: Rule) -> Q:
    """Cases ``rule`` would get under first match: it matches and no rule before it does."""
    condition = rule_q(rule)
    for earlier in rules:
        if earlier == rule:
            break
        earlier_q = rule_q(earlier)
        if not earlier_q:
            # An earlier rule without conditions takes every case (``~Q()`` would exclude none).
            return Q(pk__in=[])
        condition &= ~earlier_q
    return condition
