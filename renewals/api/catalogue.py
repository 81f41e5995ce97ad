"""API for lines, policies, the policy import and the add-on catalogue (routed in config/api_urls.py)."""

import django_filters
from django.db.models import Prefetch
from drf_spectacular.utils import extend_schema, extend_schema_field
from rest_framework import mixins, serializers, viewsets
from rest_framework.parsers import MultiPartParser
from rest_framework.permissions import IsAuthenticated
from rest_framework.response import Response
from rest_framework.views import APIView

from core.api import ApiFilterSet, ApiModelSerializer
from core.roles import STAFF_ROLES, HasRole, Role
from customers.models import Customer
from renewals.addons import services as addon_services
from renewals.addons.models import AddOn
from renewals.api._common import api_fields
from renewals.imports import policies_import
from renewals.models import (
    LineOfInsurance,
    Policy,
    PolicyAddOn,
)


class LineSerializer(ApiModelSerializer):
    class Meta:
        model = LineOfInsurance
        fields = ["code", "name", "renewal_window_days", "grace_days", "notice_lead_days", "term_months"]
        read_only_fields = fields


@extend_schema(tags=["lines"])
class LineViewSet(viewsets.ReadOnlyModelViewSet):
    """Lines of insurance with their renewal calendar (read only; managers edit them in Settings)."""

    queryset = LineOfInsurance.objects.all()
    serializer_class = LineSerializer
    permission_classes = [IsAuthenticated, HasRole]
    allowed_roles = STAFF_ROLES
    lookup_field = "code"
    lookup_value_converter = "slug"
    filterset_fields = ["active"]
    ordering_fields = ["code"]
    ordering = ["code"]


ADDON_LINES = Prefetch("addon_lines", queryset=PolicyAddOn.objects.select_related("addon"))


class PolicySerializer(ApiModelSerializer):
    line = serializers.SlugRelatedField(slug_field="code", read_only=True)
    addons = serializers.SerializerMethodField(help_text="codes of the add-ons the policy carries")
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
            "addons",
        ]
        read_only_fields = fields

    @extend_schema_field(serializers.ListField(child=serializers.CharField()))
    def get_addons(self, policy) -> list[str]:
        return [line.addon.code for line in policy.addon_lines.all()]


class PolicyFilter(ApiFilterSet):
    line = django_filters.CharFilter(field_name="line__code")
    end_after = django_filters.DateFilter(field_name="end_date", lookup_expr="gte")
    end_before = django_filters.DateFilter(field_name="end_date", lookup_expr="lte")

    class Meta:
        model = Policy
        fields = ["number", "customer", "line", "channel", "status", "end_after", "end_before"]


@extend_schema(tags=["policies"])
class PolicyViewSet(viewsets.ReadOnlyModelViewSet):
    """Policies (read only: they arrive from the core policy system by import)."""

    queryset = Policy.objects.select_related("line", "previous_policy").prefetch_related(ADDON_LINES)
    serializer_class = PolicySerializer
    permission_classes = [IsAuthenticated, HasRole]
    allowed_roles = STAFF_ROLES
    lookup_value_converter = "int"
    filterset_class = PolicyFilter
    ordering_fields = ["id", "number", "end_date"]
    ordering = ["-id"]


class ImportUploadSerializer(serializers.Serializer):
    file = serializers.FileField(help_text="CSV (UTF-8, BOM optional) or XLSX with the import columns.")
    dry_run = serializers.BooleanField(default=False, help_text="Check and count, save nothing.")


class ImportCountsSerializer(serializers.Serializer):
    created = serializers.IntegerField()
    updated = serializers.IntegerField()
    unchanged = serializers.IntegerField()


class ImportRowErrorSerializer(serializers.Serializer):
    row = serializers.IntegerField(help_text="Row number in the file; the header is row 1.")
    column = serializers.CharField()
    message = serializers.CharField()


class ImportResultSerializer(serializers.Serializer):
    dry_run = serializers.BooleanField()
    rows = serializers.IntegerField()
    applied_rows = serializers.IntegerField()
    error_rows = serializers.IntegerField()
    changed = serializers.BooleanField()
    customers = ImportCountsSerializer()
    policies = ImportCountsSerializer()
    summary = serializers.CharField()
    errors = ImportRowErrorSerializer(many=True)
    errors_truncated = serializers.BooleanField()


class ImportView(APIView):
    """``POST /api/v1/imports/`` (managers): import a policy file now and answer the counts and
    every row error. Same rules as ``manage.py import_policies``."""

    permission_classes = [IsAuthenticated, HasRole]
    allowed_roles = (Role.MANAGER,)
    parser_classes = [MultiPartParser]  # a file upload: multipart only (a urlencoded form cannot carry it)

    @extend_schema(request=ImportUploadSerializer, responses={200: ImportResultSerializer}, tags=["imports"])
    def post(self, request):
        data = ImportUploadSerializer(data=request.data)
        data.is_valid(raise_exception=True)
        upload = data.validated_data["file"]
        result = policies_import(source=upload, filename=upload.name, dry_run=data.validated_data["dry_run"])
        return Response(result.as_dict())


# --- the add-on catalogue ---------------------------------------------------------------------


class AddOnSerializer(ApiModelSerializer):
    line = serializers.SlugRelatedField(slug_field="code", queryset=LineOfInsurance.objects.all())
    segments = serializers.ListField(
        child=serializers.ChoiceField(choices=Customer.Segment.choices), required=False, max_length=10
    )
    amount = serializers.DecimalField(max_digits=12, decimal_places=2, min_value=0, max_value=9999999999)
    attribute_max = serializers.DecimalField(
        max_digits=12, decimal_places=2, required=False, allow_null=True, min_value=0, max_value=9999999999
    )

    class Meta:
        model = AddOn
        fields = [
            "code",
            "line",
            "kind",
            "name",
            "name_zh_hans",
            "description",
            "description_zh_hans",
            "pricing",
            "amount",
            "segments",
            "attribute_name",
            "attribute_max",
            "provider",
            "capacity_note",
            "active_from",
            "active_to",
        ]


class AddOnUpdateSerializer(AddOnSerializer):
    class Meta(AddOnSerializer.Meta):
        read_only_fields = ["code", "line"]


@extend_schema(tags=["add-ons"])
class AddOnViewSet(mixins.CreateModelMixin, mixins.UpdateModelMixin, viewsets.ReadOnlyModelViewSet):
    """The catalogue of riders and value-added services per line: staff read, managers create and
    change (audited like every settings change). Add-ons are retired with ``active_to``, never deleted."""

    queryset = AddOn.objects.select_related("line")
    serializer_class = AddOnSerializer
    permission_classes = [IsAuthenticated, HasRole]
    allowed_roles = STAFF_ROLES
    write_roles = (Role.MANAGER,)
    lookup_field = "code"
    lookup_value_converter = "slug"
    filterset_fields = ["kind"]
    ordering_fields = ["code"]
    ordering = ["code"]
    http_method_names = ["get", "post", "patch", "head", "options"]

    def get_serializer_class(self):
        return AddOnUpdateSerializer if self.action == "partial_update" else AddOnSerializer

    def perform_create(self, serializer):
        data = dict(serializer.validated_data)
        code, line = data.pop("code"), data.pop("line")
        with api_fields():
            serializer.instance = addon_services.addon_save(actor=self.request.user, code=code, line_id=line.pk, **data)

    def perform_update(self, serializer):
        with api_fields():
            serializer.instance = addon_services.addon_save(
                actor=self.request.user, addon_id=serializer.instance.pk, **serializer.validated_data
            )
