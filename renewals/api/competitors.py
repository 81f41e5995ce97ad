"""API for the competitor list and the competitor quotes of a case (routed in config/api_urls.py)."""

from decimal import Decimal

from drf_spectacular.utils import extend_schema
from rest_framework import mixins, serializers, viewsets
from rest_framework.permissions import IsAuthenticated

from core.api import ApiModelSerializer, StrictBooleanField, StrictCharField, StrictNameField, StrictSlugField
from core.roles import STAFF_ROLES, HasRole, Role
from renewals.api._common import api_fields
from renewals.competitors import services as competitor_services
from renewals.competitors.models import Competitor, CompetitorQuote
from renewals.competitors.services import COVER_NOTES_MAX_LENGTH

PREMIUM = {"max_digits": 14, "decimal_places": 2, "min_value": Decimal("0.01"), "max_value": Decimal("9999999999.99")}


class CompetitorSerializer(ApiModelSerializer):
    code = StrictSlugField(max_length=32)
    active = StrictBooleanField(required=False, default=True)
    name = StrictNameField(max_length=100)
    name_zh_hans = StrictCharField(max_length=100, required=False, allow_blank=True, default="")
    sort_order = serializers.IntegerField(min_value=0, max_value=32767, required=False, default=0)

    class Meta:
        model = Competitor
        fields = ["code", "name", "name_zh_hans", "active", "sort_order"]


class CompetitorUpdateSerializer(CompetitorSerializer):
    code = serializers.SlugField(read_only=True)
    active = StrictBooleanField(required=False)
    name = StrictNameField(max_length=100, required=False)
    name_zh_hans = StrictCharField(max_length=100, required=False, allow_blank=True)
    sort_order = serializers.IntegerField(min_value=0, max_value=32767, required=False)


@extend_schema(tags=["competitors"])
class CompetitorViewSet(mixins.CreateModelMixin, mixins.UpdateModelMixin, viewsets.ReadOnlyModelViewSet):
    """The insurers customers leave for or quote against: staff read, managers add and change them
    (audited like every settings change). Never deleted: retire one with ``active: false``."""

    queryset = Competitor.objects.all()
    serializer_class = CompetitorSerializer
    permission_classes = [IsAuthenticated, HasRole]
    allowed_roles = STAFF_ROLES
    write_roles = (Role.MANAGER,)
    lookup_field = "code"
    lookup_value_converter = "slug"
    filterset_fields = ["active"]
    ordering_fields = ["code", "sort_order"]
    ordering = ["sort_order", "code"]
    http_method_names = ["get", "post", "patch", "head", "options"]

    def get_serializer_class(self):
        return CompetitorUpdateSerializer if self.action == "partial_update" else CompetitorSerializer

    def perform_create(self, serializer):
        data = dict(serializer.validated_data)
        with api_fields():
            serializer.instance = competitor_services.competitor_save(
                actor=self.request.user, code=data.pop("code"), **data
            )

    def perform_update(self, serializer):
        with api_fields():
            serializer.instance = competitor_services.competitor_save(
                actor=self.request.user, competitor_id=serializer.instance.pk, **serializer.validated_data
            )


class CompetitorQuoteSerializer(serializers.ModelSerializer):
    competitor = serializers.SlugRelatedField(slug_field="code", read_only=True)
    recorded_by = serializers.SlugRelatedField(slug_field="username", read_only=True, allow_null=True)
    gap_percent = serializers.SerializerMethodField(help_text="(their premium − ours) / ours × 100")

    class Meta:
        model = CompetitorQuote
        fields = [
            "id",
            "case",
            "competitor",
            "kind",
            "premium",
            "our_premium",
            "gap_percent",
            "cover_notes",
            "recorded_by",
            "created_at",
        ]
        read_only_fields = fields

    def get_gap_percent(self, row) -> float | None:
        gap = row.gap_percent
        return round(float(gap), 2) if gap is not None else None


class CompetitorQuoteInputSerializer(serializers.Serializer):
    competitor = serializers.SlugRelatedField(slug_field="code", queryset=Competitor.objects.filter(active=True))
    premium = serializers.DecimalField(**PREMIUM)
    cover_notes = StrictCharField(required=False, allow_blank=True, default="", max_length=COVER_NOTES_MAX_LENGTH)


def competitor_quote_record(*, case_id: int, actor, data: dict) -> CompetitorQuote:
    with api_fields():
        return competitor_services.competitor_quote_record(
            case_id=case_id,
            actor=actor,
            competitor_code=data["competitor"].code,
            premium=data["premium"],
            cover_notes=data["cover_notes"],
        )
