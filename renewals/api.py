"""API for lines, policies and renewal cases (routed in config/api_urls.py)."""

import django_filters
from rest_framework import serializers, viewsets
from rest_framework.permissions import IsAuthenticated

from customers.roles import HasRole, Role
from renewals.models import LineOfInsurance, Policy

ALL_ROLES = (Role.SPECIALIST, Role.MANAGER, Role.SUPPORT)


class LineSerializer(serializers.ModelSerializer):
    class Meta:
        model = LineOfInsurance
        fields = ["code", "name", "renewal_window_days", "grace_days", "notice_lead_days", "term_months"]
        read_only_fields = fields


class LineViewSet(viewsets.ReadOnlyModelViewSet):
    """Lines of insurance with their renewal calendar (read only; managers edit them in Settings)."""

    queryset = LineOfInsurance.objects.all()
    serializer_class = LineSerializer
    permission_classes = [IsAuthenticated, HasRole]
    allowed_roles = ALL_ROLES
    lookup_field = "code"
    filterset_fields = ["active"]
    ordering_fields = ["code"]
    ordering = ["code"]


class PolicySerializer(serializers.ModelSerializer):
    line = serializers.SlugRelatedField(slug_field="code", read_only=True)
    previous_policy = serializers.SlugRelatedField(slug_field="number", read_only=True, allow_null=True)

    class Meta:
        model = Policy
        fields = [
            "id",
            "number",
            "customer",
            "line",
            "product",
            "start_date",
            "end_date",
            "premium",
            "sum_insured",
            "channel",
            "status",
            "previous_policy",
            "claims_count",
        ]
        read_only_fields = fields


class PolicyFilter(django_filters.FilterSet):
    line = django_filters.CharFilter(field_name="line__code")
    end_after = django_filters.DateFilter(field_name="end_date", lookup_expr="gte")
    end_before = django_filters.DateFilter(field_name="end_date", lookup_expr="lte")

    class Meta:
        model = Policy
        fields = ["number", "customer", "line", "channel", "status", "end_after", "end_before"]


class PolicyViewSet(viewsets.ReadOnlyModelViewSet):
    """Policies (read only: they arrive from the core policy system by import)."""

    queryset = Policy.objects.select_related("line", "previous_policy")
    serializer_class = PolicySerializer
    permission_classes = [IsAuthenticated, HasRole]
    allowed_roles = ALL_ROLES
    filterset_class = PolicyFilter
    ordering_fields = ["id", "number", "end_date"]
    ordering = ["-id"]
