"""GET /api/v1/kpis/: the KPI figures of DESIGN §2 for a period and filters (managers only)."""

from django.utils.translation import gettext as _
from drf_spectacular.types import OpenApiTypes
from drf_spectacular.utils import OpenApiParameter, extend_schema, inline_serializer
from rest_framework import serializers
from rest_framework.permissions import IsAuthenticated
from rest_framework.response import Response
from rest_framework.views import APIView

from campaigns import selectors as campaign_selectors
from core.errors import ApplicationError, ErrorCode
from core.roles import HasRole, Role

from . import kpis, selectors
from .params import Period, filters_from_query, period_from_api
from .selectors.addons import addon_kpi_figures_cached
from .selectors.competitors import competitor_kpi_figures_cached
from .team.selectors import kpi_api_figures


def campaign_kpi_figures(period: Period, filters) -> dict:
    """Issue 13: reactivation_rate of win-back campaigns (region and segment filters apply)."""
    counts = campaign_selectors.reactivation_counts(
        start=period.start, end=period.end, region=filters.region, segments=filters.segments
    )
    return {"reactivation_rate": kpis.reactivation_rate(**counts)}


def team_kpi_figures(period: Period, filters) -> dict:
    """The four issue-15 keys, money as a string like the API's other money fields."""
    figures = kpi_api_figures(period, filters)
    cost = figures["cost_per_renewal"]
    return {**figures, "cost_per_renewal": str(cost) if cost is not None else None}


_rate = serializers.FloatField(allow_null=True, min_value=0, max_value=1)


class KpiSerializer(serializers.Serializer):
    """The answer's shape (used for the schema): rates 0..1, NPS −100..100, null = no data."""

    cohort = serializers.IntegerField()
    not_offered = serializers.IntegerField()
    renewed = serializers.IntegerField()
    lost = serializers.IntegerField()
    lapsed = serializers.IntegerField()
    pending = serializers.IntegerField()
    decided = serializers.IntegerField()
    renewal_rate = _rate
    premium_retention = serializers.FloatField(allow_null=True, min_value=0)
    funnel = inline_serializer("KpiFunnel", {"contacted": _rate, "quoted": _rate, "renewed": _rate})
    lost_reasons = serializers.DictField(child=serializers.FloatField(), help_text="reason code → share of lost cases")
    nps = serializers.FloatField(allow_null=True, min_value=-100, max_value=100)
    nps_responses = serializers.IntegerField()
    promoters = serializers.IntegerField(help_text="number of responses scoring 9–10")
    passives = serializers.IntegerField(help_text="number of responses scoring 7–8")
    detractors = serializers.IntegerField(help_text="number of responses scoring 0–6")
    complaints = serializers.IntegerField()
    policies_in_force = serializers.IntegerField(help_text="on the last day of the period")
    complaint_rate_per_1000 = serializers.FloatField(allow_null=True)
    median_days_to_resolve = serializers.FloatField(allow_null=True)
    resolved_within_sla_share = _rate
    upheld_share = _rate
    renewal_premium_share = _rate
    # Issue 15 (analytics/team): processing time, touches, manual share, cost per renewal.
    processing_time_days = serializers.FloatField(allow_null=True, help_text="mean days from open to decision")
    touches_per_case = serializers.FloatField(allow_null=True)
    manual_share = serializers.FloatField(allow_null=True, min_value=0, max_value=1)
    cost_per_renewal = serializers.DecimalField(max_digits=18, decimal_places=2, allow_null=True)
    # Issue 13 (campaigns): win-back members reached who took a new policy in the window.
    reactivation_rate = _rate
    # Add-ons and cross-sell (analytics/selectors/addons.py).
    attach_rate = _rate
    attach_rate_by_addon = serializers.DictField(
        child=serializers.FloatField(allow_null=True, min_value=0, max_value=1), help_text="add-on code → attach rate"
    )
    cross_sell_rate = _rate
    premium_per_customer = serializers.DecimalField(max_digits=16, decimal_places=2, allow_null=True)
    service_satisfaction = serializers.FloatField(
        allow_null=True, min_value=0, max_value=10, help_text="mean 0-10 score of the per-service survey question"
    )
    service_satisfaction_responses = serializers.IntegerField()
    premium_per_customer_addons = serializers.DecimalField(
        max_digits=16, decimal_places=2, allow_null=True, help_text="the part of premium per customer add-ons explain"
    )
    # Issue 14 (renewals/competitors, analytics/selectors/competitors.py).
    competitor_losses = serializers.IntegerField(help_text="cases of the cohort lost with the competitor reason")
    competitor_losses_by_competitor = serializers.DictField(
        child=serializers.IntegerField(min_value=0), help_text='competitor code (or "unknown") → lost cases'
    )
    competitor_win_rate = serializers.FloatField(
        allow_null=True, min_value=0, max_value=1, help_text="renewed / decided among cases with a competitor quote"
    )


class KpiComparisonSerializer(KpiSerializer):
    """The same figures for a comparison period, with its first and last day."""

    start = serializers.DateField()
    end = serializers.DateField()


class KpiWithComparisonSerializer(KpiSerializer):
    comparison = inline_serializer(
        "KpiComparisons",
        {"previous_period": KpiComparisonSerializer(), "year_on_year": KpiComparisonSerializer()},
        required=False,
        help_text="only with compare=true: the previous period of the same length and the same days a year earlier",
    )


COMPARE_VALUES = {"true": True, "1": True, "false": False, "0": False, "": False}


def _compare(params) -> bool:
    text = (params.get("compare") or "").strip().lower()
    if text not in COMPARE_VALUES:
        raise ApplicationError(_("Use true or false."), field="compare", code=ErrorCode.INVALID)
    return COMPARE_VALUES[text]


def _comparison_block(period: Period, filters) -> dict:
    return {
        "start": period.start.isoformat(),
        "end": period.end.isoformat(),
        **selectors.kpi_figures(period, filters),
        **addon_kpi_figures_cached(period, filters),
        **team_kpi_figures(period, filters),
        **campaign_kpi_figures(period, filters),
        **competitor_kpi_figures_cached(period, filters),
    }


def _parameter(name, description, required=False, type_=str):
    return OpenApiParameter(name, type_, OpenApiParameter.QUERY, required=required, description=description)


class KpiView(APIView):
    permission_classes = [IsAuthenticated, HasRole]
    allowed_roles = (Role.MANAGER,)

    @extend_schema(
        summary="KPI figures for a period",
        description=(
            "Cohort = cases whose policy expires between start and end (inclusive); complaints, NPS answers "
            "and starting policies are counted by their own dates in the period. Days lie between 2000-01-01 "
            "and five years from today. Unknown codes or bad dates answer 400 naming the parameter. "
            "`from`/`to` (the dashboard's names) are accepted for `start`/`end`. Managers only."
        ),
        parameters=[
            _parameter("start", "first day, YYYY-MM-DD", True, OpenApiTypes.DATE),
            _parameter("end", "last day (inclusive), YYYY-MM-DD", True, OpenApiTypes.DATE),
            _parameter(
                "compare",
                "true: add `comparison` with the previous period of the same length and the same days a year earlier",
                type_=OpenApiTypes.BOOL,
            ),
            _parameter("line", "line of insurance code (auto, health, property, …)"),
            _parameter("region", "customer region"),
            _parameter("segment", "standard | high_value | vip"),
            _parameter("channel", "sales channel: direct | agent | broker | online"),
            _parameter("specialist", "username of the assigned specialist"),
        ],
        responses={200: KpiWithComparisonSerializer},
        tags=["kpis"],
    )
    def get(self, request):
        period = period_from_api(request.query_params)
        filters = filters_from_query(request.query_params, strict=True)
        compare = _compare(request.query_params)
        figures = selectors.kpi_figures(period, filters)
        figures.update(addon_kpi_figures_cached(period, filters))
        figures.update(team_kpi_figures(period, filters))
        figures.update(campaign_kpi_figures(period, filters))
        figures.update(competitor_kpi_figures_cached(period, filters))
        if compare:
            figures["comparison"] = {
                "previous_period": _comparison_block(period.previous(), filters),
                "year_on_year": _comparison_block(period.year_on_year(), filters),
            }
        return Response(figures)
