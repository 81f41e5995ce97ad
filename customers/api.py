"""API for customers, complaints and survey responses (routed in config/api_urls.py)."""

import django_filters
from django.utils import timezone
from drf_spectacular.utils import extend_schema
from rest_framework import mixins, serializers, viewsets
from rest_framework.decorators import action
from rest_framework.permissions import IsAuthenticated
from rest_framework.response import Response

from core.api import ApiFilterSet, ApiModelSerializer, StrictCharField, UtcDateTimeFilter
from core.dates import EARLIEST_ENTERED, too_early_message, too_late_message
from core.errors import ErrorCode
from core.roles import STAFF_ROLES, HasRole
from customers import services
from customers.limits import (
    COMPLAINT_DESCRIPTION_MAX_LENGTH,
    COMPLAINT_NOTE_MAX_LENGTH,
    COMPLAINT_RESOLUTION_MAX_LENGTH,
    COMPLAINT_ROOT_CAUSE_MAX_LENGTH,
    SURVEY_COMMENT_MAX_LENGTH,
)
from customers.models import Complaint, ComplaintCategory, Customer, SurveyResponse
from customers.workflow import COMPLAINT_EDITORS


class EnteredDateTimeField(serializers.DateTimeField):
    """A time someone entered. DRF fails with OverflowError (500) when the site's time zone pushes a
    plain value past the calendar (0001-01-01T00:00 in Asia/Shanghai); answer the range error the
    service gives instead (``core.dates``), on this field."""

    def to_internal_value(self, value):
        try:
            return super().to_internal_value(value)
        except OverflowError:
            early = str(value).strip()[:4] < "5000"  # only year 1 or year 9999 can overflow
            message = too_early_message(EARLIEST_ENTERED) if early else too_late_message(timezone.now())
            raise serializers.ValidationError(message, code=ErrorCode.OUT_OF_RANGE) from None


class CustomerSerializer(ApiModelSerializer):
    class Meta:
        model = Customer
        fields = [
            "id",
            "external_ref",
            "name",
            "kind",
            "phone",
            "email",
            "region",
            "segment",
            "preferred_channel",
            "preferred_language",
            "consent_email",
            "consent_sms",
            "time_zone",
            "lifecycle_stage",
        ]
        read_only_fields = fields


class CustomerFilter(ApiFilterSet):
    class Meta:
        model = Customer
        fields = [
            "external_ref",
            "kind",
            "region",
            "segment",
            "preferred_channel",
            "preferred_language",
            "lifecycle_stage",
        ]


@extend_schema(tags=["customers"])
class CustomerViewSet(viewsets.ReadOnlyModelViewSet):
    """Customers (read only: they arrive from the core policy system by import)."""

    queryset = Customer.objects.all()
    serializer_class = CustomerSerializer
    permission_classes = [IsAuthenticated, HasRole]
    allowed_roles = STAFF_ROLES
    lookup_value_converter = "int"
    filterset_class = CustomerFilter
    ordering_fields = ["id", "external_ref"]
    ordering = ["-id"]


# --- complaints --------------------------------------------------------------------------


def related_id_field(help_text: str):
    """The id of a policy or case (renewals' models, which customers never imports): the service
    checks that it exists and belongs to the customer."""
    return serializers.IntegerField(min_value=1, required=False, allow_null=True, help_text=help_text)


class ComplaintSerializer(ApiModelSerializer):
    category = serializers.SlugRelatedField(slug_field="code", read_only=True)

    class Meta:
        model = Complaint
        fields = [
            "id",
            "customer",
            "policy",
            "case",
            "received_via",
            "received_at",
            "category",
            "severity",
            "description",
            "status",
            "sla_due_at",
            "acknowledged_at",
            "resolved_at",
            "upheld",
            "resolution",
        ]
        read_only_fields = fields


class ComplaintCreateSerializer(serializers.Serializer):
    customer = serializers.PrimaryKeyRelatedField(queryset=Customer.objects.all())
    policy = related_id_field("a policy of this customer")
    case = related_id_field("a renewal case of this customer")
    received_via = serializers.ChoiceField(choices=Complaint.ReceivedVia.choices)
    received_at = EnteredDateTimeField(required=False, allow_null=True, help_text="defaults to now")
    category = serializers.SlugRelatedField(slug_field="code", queryset=ComplaintCategory.objects.filter(active=True))
    severity = serializers.ChoiceField(choices=Complaint.Severity.choices, default=Complaint.Severity.NORMAL)
    description = StrictCharField(max_length=COMPLAINT_DESCRIPTION_MAX_LENGTH)


class NoteSerializer(serializers.Serializer):
    note = StrictCharField(required=False, allow_blank=True, default="", max_length=COMPLAINT_NOTE_MAX_LENGTH)


class ResolveSerializer(NoteSerializer):
    resolution = StrictCharField(max_length=COMPLAINT_RESOLUTION_MAX_LENGTH)
    upheld = serializers.BooleanField()
    root_cause = StrictCharField(max_length=COMPLAINT_ROOT_CAUSE_MAX_LENGTH)


class ComplaintFilter(ApiFilterSet):
    category = django_filters.CharFilter(field_name="category__code")
    received_after = UtcDateTimeFilter(field_name="received_at", lookup_expr="gte")
    received_before = UtcDateTimeFilter(field_name="received_at", lookup_expr="lte")

    class Meta:
        model = Complaint
        fields = ["status", "severity", "category", "customer", "case", "received_after", "received_before"]


@extend_schema(tags=["complaints"])
class ComplaintViewSet(mixins.CreateModelMixin, viewsets.ReadOnlyModelViewSet):
    """Complaints. Everyone reads; support staff and managers log and work them."""

    queryset = Complaint.objects.select_related("category")
    serializer_class = ComplaintSerializer
    permission_classes = [IsAuthenticated, HasRole]
    allowed_roles = STAFF_ROLES
    write_roles = COMPLAINT_EDITORS
    lookup_value_converter = "int"
    filterset_class = ComplaintFilter
    ordering_fields = ["id", "received_at", "sla_due_at"]
    ordering = ["-id"]

    def _input(self, serializer_class):
        data = serializer_class(data=self.request.data)
        data.is_valid(raise_exception=True)
        return data.validated_data

    def _answer(self, complaint_id: int, status=200) -> Response:
        return Response(ComplaintSerializer(self.get_queryset().get(pk=complaint_id)).data, status=status)

    @extend_schema(request=ComplaintCreateSerializer, responses={201: ComplaintSerializer})
    def create(self, request, *args, **kwargs):
        data = self._input(ComplaintCreateSerializer)
        complaint = services.complaint_log(
            customer_id=data["customer"].pk,
            policy_id=data.get("policy"),
            case_id=data.get("case"),
            received_via=data["received_via"],
            received_at=data.get("received_at"),
            category_id=data["category"].pk,
            severity=data["severity"],
            description=data["description"],
            actor=request.user,
        )
        return self._answer(complaint.pk, status=201)

    @extend_schema(request=NoteSerializer, responses={200: ComplaintSerializer})
    @action(detail=True, methods=["post"])
    def acknowledge(self, request, pk=None):
        complaint = self.get_object()
        data = self._input(NoteSerializer)
        services.complaint_acknowledge(complaint_id=complaint.pk, actor=request.user, note=data["note"])
        return self._answer(complaint.pk)

    @extend_schema(request=NoteSerializer, responses={200: ComplaintSerializer})
    @action(detail=True, methods=["post"])
    def start(self, request, pk=None):
        """Work starts (in progress), as "Start work" on the complaint page; a new complaint is
        acknowledged at the same time."""
        complaint = self.get_object()
        data = self._input(NoteSerializer)
        services.complaint_start(complaint_id=complaint.pk, actor=request.user, note=data["note"])
        return self._answer(complaint.pk)

    @extend_schema(request=ResolveSerializer, responses={200: ComplaintSerializer})
    @action(detail=True, methods=["post"])
    def resolve(self, request, pk=None):
        complaint = self.get_object()
        data = self._input(ResolveSerializer)
        services.complaint_resolve(
            complaint_id=complaint.pk,
            actor=request.user,
            resolution=data["resolution"],
            upheld=data["upheld"],
            root_cause=data["root_cause"],
            note=data["note"],
        )
        return self._answer(complaint.pk)

    @extend_schema(request=NoteSerializer, responses={200: ComplaintSerializer})
    @action(detail=True, methods=["post"])
    def close(self, request, pk=None):
        complaint = self.get_object()
        data = self._input(NoteSerializer)
        services.complaint_close(complaint_id=complaint.pk, actor=request.user, note=data["note"])
        return self._answer(complaint.pk)

    @extend_schema(request=NoteSerializer, responses={200: ComplaintSerializer})
    @action(detail=True, methods=["post"])
    def reopen(self, request, pk=None):
        complaint = self.get_object()
        data = self._input(NoteSerializer)
        services.complaint_reopen(complaint_id=complaint.pk, actor=request.user, note=data["note"])
        return self._answer(complaint.pk)


# --- survey responses --------------------------------------------------------------------


class SurveyResponseSerializer(ApiModelSerializer):
    customer = serializers.PrimaryKeyRelatedField(queryset=Customer.objects.all())
    case = serializers.IntegerField(
        source="case_id", min_value=1, required=False, allow_null=True, help_text="a renewal case of this customer"
    )
    score = serializers.IntegerField(min_value=0, max_value=10)
    comment = StrictCharField(required=False, allow_blank=True, default="", max_length=SURVEY_COMMENT_MAX_LENGTH)
    channel = serializers.ChoiceField(choices=SurveyResponse.Channel.choices)
    responded_at = EnteredDateTimeField(required=False, allow_null=True, help_text="defaults to now")

    class Meta:
        model = SurveyResponse
        fields = ["id", "customer", "case", "score", "comment", "channel", "responded_at"]


class SurveyResponseFilter(ApiFilterSet):
    responded_after = UtcDateTimeFilter(field_name="responded_at", lookup_expr="gte")
    responded_before = UtcDateTimeFilter(field_name="responded_at", lookup_expr="lte")

    class Meta:
        model = SurveyResponse
        fields = ["customer", "case", "channel", "responded_after", "responded_before"]


@extend_schema(tags=["survey-responses"])
class SurveyResponseViewSet(mixins.CreateModelMixin, viewsets.ReadOnlyModelViewSet):
    """NPS answers. Everyone reads; support staff and managers record answers given by phone."""

    queryset = SurveyResponse.objects.all()
    serializer_class = SurveyResponseSerializer
    permission_classes = [IsAuthenticated, HasRole]
    allowed_roles = STAFF_ROLES
    write_roles = COMPLAINT_EDITORS
    lookup_value_converter = "int"
    filterset_class = SurveyResponseFilter
    ordering_fields = ["id", "responded_at"]
    ordering = ["-id"]

    def create(self, request, *args, **kwargs):
        data = SurveyResponseSerializer(data=request.data)
        data.is_valid(raise_exception=True)
        values = data.validated_data
        response = services.survey_response_record(
            customer_id=values["customer"].pk,
            case_id=values.get("case_id"),
            score=values["score"],
            comment=values["comment"],
            channel=values["channel"],
            responded_at=values.get("responded_at"),
            actor=request.user,
        )
        return Response(SurveyResponseSerializer(response).data, status=201)
