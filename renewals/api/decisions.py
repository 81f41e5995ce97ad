"""API for quotes awaiting a manager's decision and for referrals (routed in config/api_urls.py)."""

import django_filters
from drf_spectacular.utils import extend_schema
from rest_framework import serializers, viewsets
from rest_framework.decorators import action
from rest_framework.permissions import IsAuthenticated
from rest_framework.response import Response

from core.api import ApiFilterSet, ApiModelSerializer
from core.roles import STAFF_ROLES, HasRole, Role
from renewals import services
from renewals.api._common import api_fields
from renewals.api.cases import (
    ApproveQuoteSerializer,
    ReferralSerializer,
    RejectQuoteSerializer,
    ResolveReferralSerializer,
)
from renewals.models import (
    Quote,
    Referral,
)

# --- quotes awaiting approval and referrals ---------------------------------------------------


class QuoteFilter(ApiFilterSet):
    approval_status = django_filters.ChoiceFilter(choices=Quote.Approval.choices)
    case = django_filters.NumberFilter(field_name="case_id", min_value=1)

    class Meta:
        model = Quote
        fields = ["approval_status", "case"]


class QuoteResourceSerializer(ApiModelSerializer):
    created_by = serializers.SlugRelatedField(slug_field="username", read_only=True, allow_null=True)
    decided_by = serializers.SlugRelatedField(slug_field="username", read_only=True, allow_null=True)

    class Meta:
        model = Quote
        fields = [
            "id",
            "case",
            "premium",
            "expiring_premium",
            "discount_percent",
            "approval_status",
            "approval_comment",
            "breakdown",
            "created_by",
            "created_at",
            "decided_by",
            "decided_at",
        ]
        read_only_fields = fields


@extend_schema(tags=["cases"])
class QuoteViewSet(viewsets.ReadOnlyModelViewSet):
    """Quotes. Staff read them (``?approval_status=pending`` is the approvals queue); managers
    approve or reject a discount above the specialist's authority."""

    queryset = Quote.objects.select_related("created_by", "decided_by")
    serializer_class = QuoteResourceSerializer
    permission_classes = [IsAuthenticated, HasRole]
    allowed_roles = STAFF_ROLES
    write_roles = (Role.MANAGER,)
    lookup_value_converter = "int"
    filterset_class = QuoteFilter
    ordering_fields = ["id", "created_at"]
    ordering = ["-id"]

    def _decide(self, serializer_class, decide):
        quote = self.get_object()
        data = serializer_class(data=self.request.data)
        data.is_valid(raise_exception=True)
        with api_fields():
            decide(quote_id=quote.pk, actor=self.request.user, comment=data.validated_data["comment"])
        return Response(QuoteResourceSerializer(self.get_queryset().get(pk=quote.pk)).data)

    @extend_schema(request=ApproveQuoteSerializer, responses={200: QuoteResourceSerializer})
    @action(detail=True, methods=["post"])
    def approve(self, request, pk=None):
        """Approve the pending discount of a case's current quote (managers only)."""
        return self._decide(ApproveQuoteSerializer, services.quote_approve)

    @extend_schema(request=RejectQuoteSerializer, responses={200: QuoteResourceSerializer})
    @action(detail=True, methods=["post"])
    def reject(self, request, pk=None):
        """Reject the pending discount, saying why (managers only); the specialist quotes again."""
        return self._decide(RejectQuoteSerializer, services.quote_reject)


class ReferralFilter(ApiFilterSet):
    case = django_filters.NumberFilter(field_name="case_id", min_value=1)
    open = django_filters.BooleanFilter(field_name="resolved_at", lookup_expr="isnull", help_text="true: unresolved")

    class Meta:
        model = Referral
        fields = ["case", "open"]


@extend_schema(tags=["cases"])
class ReferralViewSet(viewsets.ReadOnlyModelViewSet):
    """Referrals to underwriting or claims. Staff read them; the case's specialist or a manager
    resolves one with the answer received (``POST /cases/<id>/refer/`` creates one)."""

    queryset = Referral.objects.select_related("created_by", "resolved_by")
    serializer_class = ReferralSerializer
    permission_classes = [IsAuthenticated, HasRole]
    allowed_roles = STAFF_ROLES
    write_roles = (Role.SPECIALIST, Role.MANAGER)
    lookup_value_converter = "int"
    filterset_class = ReferralFilter
    ordering_fields = ["id", "created_at"]
    ordering = ["-id"]

    @extend_schema(request=ResolveReferralSerializer, responses={200: ReferralSerializer})
    @action(detail=True, methods=["post"])
    def resolve(self, request, pk=None):
        """Record the answer and close the referral."""
        referral = self.get_object()
        data = ResolveReferralSerializer(data=request.data)
        data.is_valid(raise_exception=True)
        with api_fields():
            services.referral_resolve(
                referral_id=referral.pk, actor=request.user, resolution=data.validated_data["resolution"]
            )
        return Response(ReferralSerializer(self.get_queryset().get(pk=referral.pk)).data)
