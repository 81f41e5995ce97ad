"""Reads of playbooks: the list in matching order, one playbook, the live match count of a rule and
what the case page says about a case's playbook."""

from django.utils.translation import gettext as _

from core.templatetags.money import format_money
from customers.models import Customer
from renewals.models import Policy, RenewalCase
from renewals.playbooks import matching
from renewals.playbooks.models import Playbook, PlaybookVersion

# The live count stops here: counting every open case of a million-policy book on each keystroke
# is what the page must not do; "more than 10,000" is enough to judge a rule.
MATCH_COUNT_CAP = 10_000


def playbooks_all():
    """Every playbook with its current version, in matching order."""
    return Playbook.objects.select_related("line", "current_version").order_by("status", "is_default", "position", "id")


def playbook_or_none(playbook_id: int | None) -> Playbook | None:
    if playbook_id is None:
        return None
    return playbooks_all().filter(pk=playbook_id).first()


def versions_of(playbook: Playbook) -> list[PlaybookVersion]:
    return list(playbook.versions.select_related("created_by").order_by("-number")[:20])


def open_cases_matching(*, draft: matching.Rule) -> dict:
    """How many open cases a (draft) rule matches, and how many of them it would get under first
    match at its place in the order (the draft replaces the playbook it edits); each count capped."""
    rules = [r for r in matching.rules_in_force() if draft.playbook_id is None or r.playbook_id != draft.playbook_id]
    ordered = sorted([*rules, draft], key=matching.order_key)
    matched = _capped(RenewalCase.objects.open().filter(matching.rule_q(draft)))
    won = _capped(RenewalCase.objects.open().filter(matching.first_match_q(ordered, draft)))
    return {"matched": matched, "won": won, "cap": MATCH_COUNT_CAP}


def _capped(queryset) -> int:
    """The count up to MATCH_COUNT_CAP + 1 (a LIMITed subquery, never a full count)."""
    return queryset.values("pk")[: MATCH_COUNT_CAP + 1].count()


def case_playbook(case: RenewalCase) -> dict | None:
    """What the case page says: the playbook, its version and why it applies (its conditions, or
    "the line's default"). ``case.playbook_version`` is select_related by ``case_detail``."""
    version = case.playbook_version
    if version is None:
        return None
    playbook = version.playbook
    return {"playbook": playbook, "version": version, "reasons": rule_reasons(version, playbook)}


def rule_reasons(version: PlaybookVersion, playbook: Playbook) -> list[str]:
    if playbook.is_default:
        return [_("No earlier playbook matched: the line's default.")]
    reasons = []
    labels = {
        "segments": (_("Segment"), dict(Customer.Segment.choices)),
        "channels": (_("Sales channel"), dict(Policy.Channel.choices)),
        "lifecycle_stages": (_("Lifecycle stage"), dict(Customer.LifecycleStage.choices)),
    }
    for field, (label, names) in labels.items():
        values = getattr(version, field)
        if values:
            reasons.append(f"{label}: {', '.join(str(names.get(v, v)) for v in values)}")
    if version.regions:
        reasons.append(f"{_('Region')}: {', '.join(version.regions)}")
    if version.churn_risk_min is not None or version.churn_risk_max is not None:
        reasons.append(
            _("Churn risk %(low)s–%(high)s")
            % {
                "low": version.churn_risk_min if version.churn_risk_min is not None else 0,
                "high": version.churn_risk_max if version.churn_risk_max is not None else 100,
            }
        )
    if version.premium_min is not None or version.premium_max is not None:
        low = format_money(version.premium_min) if version.premium_min is not None else "0"
        high = format_money(version.premium_max) if version.premium_max is not None else "∞"
        reasons.append(_("Premium %(low)s–%(high)s") % {"low": low, "high": high})
    if playbook.line_id is None:
        reasons.append(_("Every line"))
    return reasons or [_("Matches every case of the line.")]
