"""API for lines, policies and renewal cases (routed in config/api_urls.py)."""

import django_filters
from drf_spectacular.utils import extend_schema
from rest_framework import serializers, viewsets
from rest_framework.parsers import FormParser, MultiPartParser
from rest_framework.permissions import IsAuthenticated
from rest_framework.response import Response
from rest_framework.views import APIView

from customers.roles import HasRole, Role
from renewals.imports import policies_import
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


class ImportRequestSerializer(serializers.Serializer):
    file = serializers.FileField(help_text="CSV (UTF-8, BOM optional) or XLSX with the import columns.")
    dry_run = serializers.BooleanField(default=False, help_text="Check and count, save nothing.")


class _CountsSerializer(serializers.Serializer):
    created = serializers.IntegerField()
    updated = serializers.IntegerField()
    unchanged = serializers.IntegerField()


class _RowErrorSerializer(serializers.Serializer):
    row = serializers.IntegerField(help_text="Row number in the file; the header is row 1.")
    column = serializers.CharField()
    message = serializers.CharField()


class ImportResultSerializer(serializers.Serializer):
    dry_run = serializers.BooleanField()
    rows = serializers.IntegerField()
    applied_rows = serializers.IntegerField()
    error_rows = serializers.IntegerField()
    changed = serializers.BooleanField()
    customers = _CountsSerializer()
    policies = _CountsSerializer()
    summary = serializers.CharField()
    errors = _RowErrorSerializer(many=True)
    errors_truncated = serializers.BooleanField()


class ImportView(APIView):
    """``POST /api/v1/imports/`` (managers): import a policy file now and answer the counts and
    every row error. Same rules as ``manage.py import_policies``."""

    permission_classes = [IsAuthenticated, HasRole]
    allowed_roles = (Role.MANAGER,)
    parser_classes = [MultiPartParser, FormParser]

    @extend_schema(request=ImportRequestSerializer, responses={200: ImportResultSerializer}, tags=["imports"])
    def post(self, request):
        data = ImportRequestSerializer(data=request.data)
        data.is_valid(raise_exception=True)
        upload = data.validated_data["file"]
        result = policies_import(source=upload, filename=upload.name, dry_run=data.validated_data["dry_run"])
        return Response(result.as_dict())
