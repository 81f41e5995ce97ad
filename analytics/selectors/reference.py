"""Small reads for the pages: filter choices, labels, targets, the rollup state, the churn page's count."""

from __future__ import annotations

import datetime as dt

from django.contrib.auth import get_user_model
from django.db.models import Max
from django.utils import timezone

from core.roles import Role
from customers.models import ComplaintCategory
from renewals.models import DECIDED_STAGES, LineOfInsurance, LostReason, RenewalCase

from ..models import CaseRollup, KpiTarget, RollupState
from ..params import Filters
from .inputs import rollup_rows


def line_choices() -> list[LineOfInsurance]:
    return list(LineOfInsurance.objects.order_by("sort_order", "code"))


def complaint_category_choices() -> list[ComplaintCategory]:
    return list(ComplaintCategory.objects.order_by("sort_order", "code"))


def region_choices() -> list[str]:
    """Regions that have cases, from the region grain of the rollups (a few hundred rows at most)."""
    return list(
        CaseRollup.objects.filter(grain="region").order_by("region").values_list("region", flat=True).distinct()
    )


def specialist_choices() -> list:
    return list(
        get_user_model()
        .objects.filter(groups__name=Role.SPECIALIST, is_active=True)
        .order_by("username")
        .only("id", "username", "first_name", "last_name")
    )


def lost_reason_labels() -> dict[str, str]:
    return {reason.code: reason.display_name for reason in LostReason.objects.all()}


def kpi_targets() -> dict[str, float]:
    return {target.kpi: float(target.value) for target in KpiTarget.objects.all()}


def rollup_state() -> RollupState | None:
    return RollupState.objects.filter(name="default").first()


def open_cases_scored() -> int:
    """Open cases that carry a churn score (the model page)."""
    return RenewalCase.objects.open().filter(churn_risk__isnull=False).count()


def latest_decided_month(filters: Filters) -> dt.date | None:
    """The latest month, up to the current one, whose cohort (cases expiring in it) has decided
    cases under ``filters``: where the dashboard opens, so the first days of a month do not show
    an empty month. One indexed query on the rollups."""
    return (
        rollup_rows(CaseRollup, filters, end=timezone.localdate())
        .filter(stage__in=DECIDED_STAGES, cases__gt=0)
        .aggregate(latest=Max("month"))["latest"]
    )
