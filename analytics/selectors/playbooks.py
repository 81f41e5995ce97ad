"""Playbooks compared (definitions in docs/analytics.md): per playbook (all its versions), over the
renewal-rate cohort of the period with the dashboard filters, the renewal rate, premium retention
and the cost side, messages sent and calls made per case. Two aggregate queries, whatever the book's
size: one over the cohort's cases, one over their outbox rows, each grouped by playbook."""

from __future__ import annotations

from django.db.models import Count, Q, Sum
from django.db.models.functions import Coalesce

from notifications.models import OutboundMessage
from renewals.models import DECIDED_STAGES, Playbook, Stage

from .. import kpis, sources
from ..params import Filters, Period
from .cached import cached_figures
from .inputs import in_period

MessageStatus = OutboundMessage.Status


def cohort_cases(period: Period, filters: Filters):
    return (
        sources.filter_rows(sources.case_rows(), filters)
        .filter(in_period("due_date", period, is_datetime=False))
        .exclude(stage=Stage.NOT_OFFERED)
    )


def playbook_comparison_cached(period: Period, filters: Filters) -> list[dict]:
    """``playbook_comparison`` kept FIGURES_CACHE_SECONDS (about 2 s over a year of a 1M book)."""
    return cached_figures("playbooks", "card", period, filters, lambda: playbook_comparison(period, filters))


def playbook_comparison(period: Period, filters: Filters) -> list[dict]:
    """One row per playbook with cases in the cohort (cases opened before playbooks: "none"), biggest first."""
    cases = cohort_cases(period, filters)
    decided = Q(stage__in=DECIDED_STAGES)
    rows = (
        cases.values("playbook_version__playbook_id")
        .annotate(
            cohort=Count("id"),
            decided=Count("id", filter=decided),
            renewed=Count("id", filter=Q(stage=Stage.RENEWED)),
            decided_premium=Coalesce(Sum("expiring_premium", filter=decided), sources.ZERO_MONEY),
            successor_premium=Coalesce(
                Sum("successor_policy__premium", filter=Q(stage=Stage.RENEWED)), sources.ZERO_MONEY
            ),
        )
        .order_by()
    )
    sent = Q(status=MessageStatus.SENT)
    costs = {
        row["case__playbook_version__playbook_id"]: row
        for row in OutboundMessage.objects.filter(case__in=cases.values("id"), kind=OutboundMessage.Kind.REMINDER)
        .values("case__playbook_version__playbook_id")
        .annotate(
            messages=Count("id", filter=sent & Q(channel__in=("email", "sms"))),
            calls=Count("id", filter=sent & Q(channel="call")),
        )
        .order_by()
    }
    names = {p.pk: p for p in Playbook.objects.select_related("line")}
    result = []
    for row in rows:
        playbook_id = row["playbook_version__playbook_id"]
        cost = costs.get(playbook_id, {"messages": 0, "calls": 0})
        cohort = row["cohort"]
        result.append(
            {
                "playbook": names.get(playbook_id),
                "playbook_id": playbook_id,
                "cohort": cohort,
                "decided": row["decided"],
                "pending": cohort - row["decided"],
                "renewed": row["renewed"],
                "renewal_rate": kpis.renewal_rate(renewed=row["renewed"], decided_count=row["decided"]),
                "premium_retention": kpis.premium_retention(
                    successor_premium=row["successor_premium"], decided_expiring_premium=row["decided_premium"]
                ),
                "messages_per_case": kpis.per_case(cost["messages"], cohort),
                "calls_per_case": kpis.per_case(cost["calls"], cohort),
            }
        )
    result.sort(key=lambda r: (-r["cohort"], r["playbook_id"] or 0))
    return result
