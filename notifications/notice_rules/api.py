"""``/api/v1/notice-rules/``: staff read the notice rules; managers add a version (POST) and
end-date one (PATCH ``effective_to``). No delete: a rule that no longer applies is end-dated."""

import django_filters
from drf_spectacular.utils import extend_schema
from rest_framework import mixins, serializers, viewsets
from rest_framework.permissions import IsAuthenticated

from core.api import ApiFilterSet, ApiModelSerializer
from core.roles import STAFF_ROLES, HasRole, Role
from customers.regions import REGION_LABELS
from notifications.models import NOTICE_CHANNELS
from notifications.notice_rules import services
from notifications.notice_rules.models import ALL_REGIONS, NoticeRule, NoticeType
from renewals.models import LineOfInsurance

REGION_CHOICES = [ALL_REGIONS, *REGION_LABELS]


class NoticeRuleSerializer(ApiModelSerializer):
    line = serializers.SlugRelatedField(slug_field="code", queryset=LineOfInsurance.objects.all())
    region = serializers.ChoiceField(choices=REGION_CHOICES, help_text='a region, or "all"')
    notice_type = serializers.ChoiceField(choices=NoticeType.choices)
    min_days = serializers.IntegerField(min_value=0, max_value=services.MAX_DAYS_LIMIT)
    max_days = serializers.IntegerField(
        min_value=0, max_value=services.MAX_DAYS_LIMIT, required=False, allow_null=True, default=None
    )
    rate_rise_percent = serializers.DecimalField(
        max_digits=6, decimal_places=2, min_value=0, max_value=1000, required=False, allow_null=True, default=None
    )
    proof_channels = serializers.ListField(
        child=serializers.ChoiceField(choices=[(c.value, c.label) for c in NOTICE_CHANNELS]),
        min_length=1,
        max_length=len(NOTICE_CHANNELS),
    )
    effective_to = serializers.DateField(required=False, allow_null=True, default=None)

    class Meta:
        model = NoticeRule
        fields = [
            "id",
            "line",
            "region",
            "notice_type",
            "min_days",
            "max_days",
            "rate_rise_percent",
            "proof_channels",
            "effective_from",
            "effective_to",
            "created_at",
        ]
        read_only_fields = ["id", "created_at"]


class NoticeRuleEndSerializer(ApiModelSerializer):
    """End-dating: only ``effective_to`` changes."""

    effective_to = serializers.DateField()

    class Meta:
        model = NoticeRule
        fields = NoticeRuleSerializer.Meta.fields
        read_only_fields = [name for name in fields if name != "effective_to"]

    def to_representation(self, instance):
        return NoticeRuleSerializer(instance, context=self.context).data


class NoticeRuleFilter(ApiFilterSet):
    line = django_filters.CharFilter(field_name="line__code")

    class Meta:
        model = NoticeRule
        fields = ["line", "region", "notice_type"]


@extend_schema(tags=["notice-rules"])
class NoticeRuleViewSet(mixins.CreateModelMixin, mixins.UpdateModelMixin, viewsets.ReadOnlyModelViewSet):
    """Statutory notice rules: region × line × notice type → days before expiry (at least, at most),
    the channels accepted as proof, and the expiry dates the version is in force for."""

    queryset = NoticeRule.objects.select_related("line")
    serializer_class = NoticeRuleSerializer
    permission_classes = [IsAuthenticated, HasRole]
    allowed_roles = STAFF_ROLES
    write_roles = (Role.MANAGER,)
    lookup_value_converter = "int"
    filterset_class = NoticeRuleFilter
    ordering_fields = ["id", "effective_from"]
    ordering = ["id"]
    http_method_names = ["get", "post", "patch", "head", "options"]

    def get_serializer_class(self):
        return NoticeRuleEndSerializer if self.action == "partial_update" else NoticeRuleSerializer

    def perform_create(self, serializer):
        data = dict(serializer.validated_data)
        line = data.pop("line")
        serializer.instance = services.notice_rule_create(actor=self.request.user, line_id=line.pk, **data)

    def perform_update(self, serializer):
        if "effective_to" not in serializer.validated_data:
            return  # nothing to change: the rule as it is
        serializer.instance = services.notice_rule_end(
            actor=self.request.user,
            rule_id=serializer.instance.pk,
            effective_to=serializer.validated_data["effective_to"],
        )
