"""API for renewal cases and their actions (routed in config/api_urls.py)."""

import django_filters
from django.contrib.auth import get_user_model
from django.db.models import Prefetch
from django.utils.translation import gettext_lazy as _
from drf_spectacular.utils import extend_schema, extend_schema_field
from rest_framework import serializers, viewsets
from rest_framework.decorators import action
from rest_framework.exceptions import PermissionDenied
from rest_framework.permissions import IsAuthenticated
from rest_framework.response import Response

from core.api import ApiFilterSet, ApiModelSerializer, StrictBooleanField, StrictCharField, StrictSlugField
from core.roles import STAFF_ROLES, HasRole, Role, has_role
from renewals import services
from renewals.addons.models import QuoteAddOn
from renewals.api._common import _Versioned, api_fields
from renewals.api.competitors import (
    PREMIUM,
    CompetitorQuoteInputSerializer,
    CompetitorQuoteSerializer,
    competitor_quote_record,
)
from renewals.competitors.models import Competitor
from renewals.competitors.selectors import case_competitor_quotes
from renewals.limits import COMMENT_MAX_LENGTH, NOTE_MAX_LENGTH, REOPEN_MAX_DAYS
from renewals.models import (
    ContactChannel,
    LostReason,
    Referral,
    RenewalCase,
    Stage,
)


def case_competitor_quotes_one(row_id: int):
    from renewals.competitors.models import CompetitorQuote

    return CompetitorQuote.objects.select_related("competitor", "recorded_by").get(pk=row_id)


# --- renewal cases -----------------------------------------------------------------------


class CaseSerializer(ApiModelSerializer):
    policy = serializers.SlugRelatedField(slug_field="number", read_only=True)
    line = serializers.SlugRelatedField(slug_field="code", read_only=True)
    assignee = serializers.SlugRelatedField(slug_field="username", read_only=True, allow_null=True)
    lost_reason = serializers.SlugRelatedField(slug_field="code", read_only=True, allow_null=True)
    successor_policy = serializers.SlugRelatedField(slug_field="number", read_only=True, allow_null=True)
    addons = serializers.SerializerMethodField(help_text="codes of the add-ons in the current quote")

    class Meta:
        model = RenewalCase
        fields = [
            "id",
            "policy",
            "customer",
            "line",
            "stage",
            "assignee",
            "opened_at",
            "due_date",
            "decision_date",
            "priority",
            "churn_risk",
            "lost_reason",
            "successor_policy",
            "addons",
            "version",
        ]
        read_only_fields = fields

    @extend_schema_field(serializers.ListField(child=StrictCharField()))
    def get_addons(self, case) -> list[str]:
        if case.current_quote is None:
            return []
        return [line.addon.code for line in case.current_quote.addon_lines.all()]


class CaseFilter(ApiFilterSet):
    stage = django_filters.ChoiceFilter(choices=Stage.choices)
    line = django_filters.CharFilter(field_name="line__code")
    assignee = django_filters.CharFilter(field_name="assignee__username", help_text="username")
    due_after = django_filters.DateFilter(field_name="due_date", lookup_expr="gte")
    due_before = django_filters.DateFilter(field_name="due_date", lookup_expr="lte")
    policy_number = django_filters.CharFilter(field_name="policy__number")

    class Meta:
        model = RenewalCase
        fields = ["stage", "line", "assignee", "due_after", "due_before", "policy_number"]


class ContactSerializer(_Versioned):
    channel = serializers.ChoiceField(choices=ContactChannel.values)
    reached = serializers.BooleanField()
    refused_calls = StrictBooleanField(
        required=False,
        default=False,
        help_text='channel "phone" only: the customer asked not to be called again (else 400)',
    )
    note = StrictCharField(required=False, allow_blank=True, default="", max_length=NOTE_MAX_LENGTH)
    next_action_date = serializers.DateField(required=False, allow_null=True, default=None)


class QuoteDiscountSerializer(_Versioned):
    discount_percent = serializers.DecimalField(
        max_digits=5, decimal_places=2, min_value=0, max_value=100, required=False, default="0"
    )
    addons = serializers.ListField(
        child=StrictSlugField(max_length=32),
        required=False,
        allow_null=True,
        default=None,
        max_length=20,
        help_text="Add-on codes on top of the base premium; omitted or null: the case's current add-ons "
        "(else the expiring policy's); [] for none.",
    )


class QuoteAddOnLineSerializer(serializers.Serializer):
    code = StrictCharField(source="addon.code")
    premium = serializers.DecimalField(max_digits=14, decimal_places=2)


class QuoteSerializer(serializers.Serializer):
    id = serializers.IntegerField()
    case = serializers.IntegerField(source="case_id")
    premium = serializers.DecimalField(max_digits=14, decimal_places=2)
    expiring_premium = serializers.DecimalField(max_digits=14, decimal_places=2)
    base_rate_factor = serializers.DecimalField(max_digits=7, decimal_places=4)
    claims_factor = serializers.DecimalField(max_digits=7, decimal_places=4)
    loyalty_factor = serializers.DecimalField(max_digits=7, decimal_places=4)
    discount_percent = serializers.DecimalField(max_digits=5, decimal_places=2)
    approval_status = StrictCharField()
    breakdown = serializers.ListField(
        child=serializers.DictField(), help_text="each factor and the running amount, then each add-on"
    )
    addons = QuoteAddOnLineSerializer(many=True, source="addon_lines")
    case_version = serializers.IntegerField(source="case.version")


class RenewSerializer(_Versioned):
    premium = serializers.DecimalField(
        max_digits=14,
        decimal_places=2,
        min_value=0,
        required=False,
        allow_null=True,
        default=None,
        help_text="Defaults to the accepted quote's premium.",
    )


class LoseSerializer(_Versioned):
    reason = serializers.SlugRelatedField(
        slug_field="code", queryset=LostReason.objects.filter(kind=LostReason.Kind.LOST, active=True)
    )
    note = StrictCharField(required=False, allow_blank=True, default="", max_length=NOTE_MAX_LENGTH)
    competitor = serializers.SlugRelatedField(
        slug_field="code",
        queryset=Competitor.objects.filter(active=True),
        required=False,
        allow_null=True,
        default=None,
        help_text='The competitor the customer went to (code of /competitors/); only with reason "competitor".',
    )
    competitor_premium = serializers.DecimalField(
        **PREMIUM, required=False, allow_null=True, default=None, help_text="Their premium, when known."
    )


class NotOfferedSerializer(_Versioned):
    reason = serializers.SlugRelatedField(
        slug_field="code", queryset=LostReason.objects.filter(kind=LostReason.Kind.NOT_OFFERED, active=True)
    )
    note = StrictCharField(required=False, allow_blank=True, default="", max_length=NOTE_MAX_LENGTH)


class AssignSerializer(_Versioned):
    assignee = serializers.SlugRelatedField(
        slug_field="username", queryset=get_user_model().objects.filter(groups__name=Role.SPECIALIST, is_active=True)
    )


class ReopenSerializer(_Versioned):
    decision_date = serializers.DateField(
        help_text=f"The day the reopened case must be decided by: today to {REOPEN_MAX_DAYS} days ahead."
    )


class ReferSerializer(serializers.Serializer):
    to = serializers.ChoiceField(choices=Referral.To.values)
    note = StrictCharField(max_length=NOTE_MAX_LENGTH, help_text="What you need from them.")


class ReferralSerializer(ApiModelSerializer):
    created_by = serializers.SlugRelatedField(slug_field="username", read_only=True, allow_null=True)
    resolved_by = serializers.SlugRelatedField(slug_field="username", read_only=True, allow_null=True)

    class Meta:
        model = Referral
        fields = ["id", "case", "to", "note", "created_by", "created_at", "resolved_at", "resolved_by", "resolution"]
        read_only_fields = fields


class ResolveReferralSerializer(serializers.Serializer):
    resolution = StrictCharField(required=False, allow_blank=True, default="", max_length=COMMENT_MAX_LENGTH)


class ApproveQuoteSerializer(serializers.Serializer):
    comment = StrictCharField(required=False, allow_blank=True, default="", max_length=COMMENT_MAX_LENGTH)


class RejectQuoteSerializer(serializers.Serializer):
    comment = StrictCharField(max_length=COMMENT_MAX_LENGTH, help_text="Why the discount is rejected.")


@extend_schema(tags=["cases"])
class CaseViewSet(viewsets.ReadOnlyModelViewSet):
    """Renewal cases. Everyone reads; the assigned specialist or a manager acts (support reads only);
    assigning is for managers. Each action calls the same service as the case page."""

    queryset = RenewalCase.objects.select_related(
        "policy", "line", "assignee", "lost_reason", "successor_policy", "current_quote"
    ).prefetch_related(Prefetch("current_quote__addon_lines", queryset=QuoteAddOn.objects.select_related("addon")))
    serializer_class = CaseSerializer
    permission_classes = [IsAuthenticated, HasRole]
    allowed_roles = STAFF_ROLES
    write_roles = (Role.SPECIALIST, Role.MANAGER)
    lookup_value_converter = "int"
    filterset_class = CaseFilter
    ordering_fields = ["id", "due_date", "priority", "opened_at"]
    ordering = ["-id"]

    def _case_for_action(self, *, managers_only: bool = False) -> RenewalCase:
        case = self.get_object()
        user = self.request.user
        if has_role(user, Role.MANAGER):
            return case
        if managers_only or case.assignee_id != user.pk:
            raise PermissionDenied(_("Only the assigned specialist or a manager can change this case."))
        return case

    def _input(self, serializer_class):
        data = serializer_class(data=self.request.data)
        data.is_valid(raise_exception=True)
        return data.validated_data

    def _answer_case(self, case_id: int) -> Response:
        return Response(CaseSerializer(self.get_queryset().get(pk=case_id)).data)

    @extend_schema(request=ContactSerializer, responses={200: CaseSerializer})
    @action(detail=True, methods=["post"])
    def contact(self, request, pk=None):
        """Log a call, email, visit or message; reaching the customer moves an open case to contacted."""
        case = self._case_for_action()
        data = self._input(ContactSerializer)
        with api_fields():
            services.case_log_contact(
                case_id=case.pk,
                actor=request.user,
                channel=data["channel"],
                reached=data["reached"],
                note=data["note"],
                next_action_date=data["next_action_date"],
                expected_version=data.get("version"),
                refused_calls=data["refused_calls"],
            )
        return self._answer_case(case.pk)

    @extend_schema(request=QuoteDiscountSerializer, responses={200: QuoteSerializer})
    @action(detail=True, methods=["post"])
    def quote(self, request, pk=None):
        """Price the renewal with an optional discount; answers the itemised breakdown. A discount above
        the specialist's authority waits for a manager (``approval_status`` "pending")."""
        case = self._case_for_action()
        data = self._input(QuoteDiscountSerializer)
        with api_fields():
            quote = services.quote_prepare(
                case_id=case.pk,
                actor=request.user,
                discount_percent=data["discount_percent"],
                addon_codes=data["addons"],
                expected_version=data.get("version"),
            )
        return Response(QuoteSerializer(quote).data)

    @extend_schema(request=RenewSerializer, responses={200: CaseSerializer})
    @action(detail=True, methods=["post"])
    def renew(self, request, pk=None):
        """Close as renewed: the successor policy is created from the accepted quote (or ``premium``)."""
        case = self._case_for_action()
        data = self._input(RenewSerializer)
        with api_fields():
            services.case_mark_renewed(
                case_id=case.pk, actor=request.user, premium=data["premium"], expected_version=data.get("version")
            )
        return self._answer_case(case.pk)

    @extend_schema(request=LoseSerializer, responses={200: CaseSerializer})
    @action(detail=True, methods=["post"])
    def lose(self, request, pk=None):
        """Close as lost, with a reason code (see the lost reasons of kind "lost")."""
        return self._close_with_reason(LoseSerializer, services.case_mark_lost)

    @extend_schema(request=NotOfferedSerializer, responses={200: CaseSerializer})
    @action(detail=True, methods=["post"], url_path="not-offered")
    def not_offered(self, request, pk=None):
        """Close as not offered (the insurer declines to renew), with a reason code."""
        return self._close_with_reason(NotOfferedSerializer, services.case_mark_not_offered)

    def _close_with_reason(self, serializer_class, close):
        """Lost and not offered: the same input (reason code, note, version), a different service;
        lost also takes the competitor and their premium."""
        case = self._case_for_action()
        data = self._input(serializer_class)
        extra = {}
        if "competitor" in data:
            competitor = data["competitor"]
            extra = {
                "competitor_code": competitor.code if competitor else None,
                "competitor_premium": data["competitor_premium"],
            }
        with api_fields():
            close(
                case_id=case.pk,
                actor=self.request.user,
                reason_code=data["reason"].code,
                note=data["note"],
                expected_version=data.get("version"),
                **extra,
            )
        return self._answer_case(case.pk)

    @extend_schema(methods=["GET"], request=None, responses={200: CompetitorQuoteSerializer(many=True)})
    @extend_schema(methods=["POST"], request=CompetitorQuoteInputSerializer, responses={201: CompetitorQuoteSerializer})
    @action(detail=True, methods=["get", "post"], url_path="competitor-quotes", pagination_class=None)
    def competitor_quotes(self, request, pk=None):
        """The case's competitor quotes (re-shopping) and the competitor it was lost to, newest first;
        the case's specialist or a manager records a competitor's offer on an open case."""
        if request.method == "GET":
            case = self.get_object()
            return Response(CompetitorQuoteSerializer(case_competitor_quotes(case_id=case.pk), many=True).data)
        case = self._case_for_action()
        row = competitor_quote_record(
            case_id=case.pk, actor=request.user, data=self._input(CompetitorQuoteInputSerializer)
        )
        return Response(CompetitorQuoteSerializer(case_competitor_quotes_one(row.pk)).data, status=201)

    @extend_schema(request=AssignSerializer, responses={200: CaseSerializer})
    @action(detail=True, methods=["post"])
    def assign(self, request, pk=None):
        """Assign to a specialist by username (managers only)."""
        case = self._case_for_action(managers_only=True)
        data = self._input(AssignSerializer)
        with api_fields():
            services.case_assign(
                case_id=case.pk,
                assignee_id=data["assignee"].pk,
                actor=request.user,
                expected_version=data.get("version"),
            )
        return self._answer_case(case.pk)

    @extend_schema(request=ReopenSerializer, responses={200: CaseSerializer})
    @action(detail=True, methods=["post"])
    def reopen(self, request, pk=None):
        """Reopen a lost, lapsed or not-offered case (managers only), with the day it must be decided
        by; the nightly lapse scan leaves it open until then."""
        case = self._case_for_action(managers_only=True)
        data = self._input(ReopenSerializer)
        with api_fields():
            services.case_reopen(
                case_id=case.pk,
                actor=request.user,
                decision_date=data["decision_date"],
                expected_version=data.get("version"),
            )
        return self._answer_case(case.pk)

    @extend_schema(request=ReferSerializer, responses={201: ReferralSerializer})
    @action(detail=True, methods=["post"])
    def refer(self, request, pk=None):
        """Ask underwriting or claims a question about an open case (its specialist or a manager)."""
        case = self._case_for_action()
        data = self._input(ReferSerializer)
        with api_fields():
            referral = services.case_refer(case_id=case.pk, actor=request.user, to=data["to"], note=data["note"])
        return Response(ReferralSerializer(referral).data, status=201)
