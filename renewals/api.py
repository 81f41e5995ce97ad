"""API for lines, policies and renewal cases (routed in config/api_urls.py)."""

from contextlib import contextmanager

import django_filters
from django.contrib.auth import get_user_model
from django.db.models import Prefetch
from django.utils.translation import gettext_lazy as _
from drf_spectacular.utils import extend_schema, extend_schema_field
from rest_framework import mixins, serializers, viewsets
from rest_framework.decorators import action
from rest_framework.exceptions import PermissionDenied
from rest_framework.parsers import MultiPartParser
from rest_framework.permissions import IsAuthenticated
from rest_framework.response import Response
from rest_framework.views import APIView

from core.api import ApiFilterSet, ApiModelSerializer
from core.errors import ApplicationError
from core.roles import STAFF_ROLES, HasRole, Role, has_role
from customers.models import Customer
from renewals import services
from renewals.addons import services as addon_services
from renewals.addons.models import AddOn, QuoteAddOn
from renewals.imports import policies_import
from renewals.limits import COMMENT_MAX_LENGTH, NOTE_MAX_LENGTH, REOPEN_MAX_DAYS
from renewals.models import (
    ContactChannel,
    LineOfInsurance,
    LostReason,
    Policy,
    PolicyAddOn,
    Quote,
    Referral,
    RenewalCase,
    Stage,
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

    @extend_schema_field(serializers.ListField(child=serializers.CharField()))
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


class _Versioned(serializers.Serializer):
    version = serializers.IntegerField(
        required=False, min_value=1, help_text="The case version you read; a stale one answers 409."
    )


class ContactSerializer(_Versioned):
    channel = serializers.ChoiceField(choices=ContactChannel.values)
    reached = serializers.BooleanField()
    note = serializers.CharField(required=False, allow_blank=True, default="", max_length=NOTE_MAX_LENGTH)
    next_action_date = serializers.DateField(required=False, allow_null=True, default=None)


class QuoteDiscountSerializer(_Versioned):
    discount_percent = serializers.DecimalField(
        max_digits=5, decimal_places=2, min_value=0, max_value=100, required=False, default="0"
    )
    addons = serializers.ListField(
        child=serializers.SlugField(max_length=32),
        required=False,
        allow_null=True,
        default=None,
        max_length=20,
        help_text="Add-on codes on top of the base premium; omitted or null: the case's current add-ons "
        "(else the expiring policy's); [] for none.",
    )


class QuoteAddOnLineSerializer(serializers.Serializer):
    code = serializers.CharField(source="addon.code")
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
    approval_status = serializers.CharField()
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
    note = serializers.CharField(required=False, allow_blank=True, default="", max_length=NOTE_MAX_LENGTH)


class NotOfferedSerializer(_Versioned):
    reason = serializers.SlugRelatedField(
        slug_field="code", queryset=LostReason.objects.filter(kind=LostReason.Kind.NOT_OFFERED, active=True)
    )
    note = serializers.CharField(required=False, allow_blank=True, default="", max_length=NOTE_MAX_LENGTH)


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
    note = serializers.CharField(max_length=NOTE_MAX_LENGTH, help_text="What you need from them.")


class ReferralSerializer(ApiModelSerializer):
    created_by = serializers.SlugRelatedField(slug_field="username", read_only=True, allow_null=True)
    resolved_by = serializers.SlugRelatedField(slug_field="username", read_only=True, allow_null=True)

    class Meta:
        model = Referral
        fields = ["id", "case", "to", "note", "created_by", "created_at", "resolved_at", "resolved_by", "resolution"]
        read_only_fields = fields


class ResolveReferralSerializer(serializers.Serializer):
    resolution = serializers.CharField(required=False, allow_blank=True, default="", max_length=COMMENT_MAX_LENGTH)


class ApproveQuoteSerializer(serializers.Serializer):
    comment = serializers.CharField(required=False, allow_blank=True, default="", max_length=COMMENT_MAX_LENGTH)


class RejectQuoteSerializer(serializers.Serializer):
    comment = serializers.CharField(max_length=COMMENT_MAX_LENGTH, help_text="Why the discount is rejected.")


# Service argument names -> the API's field names, for errors.
SERVICE_FIELDS = {"reason_code": "reason", "expected_version": "version", "assignee_id": "assignee"}


@contextmanager
def api_fields():
    """Re-raise service errors with the API's field names."""
    try:
        yield
    except ApplicationError as exc:
        if exc.field in SERVICE_FIELDS:
            exc.field = SERVICE_FIELDS[exc.field]
        raise


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
        """Lost and not offered: the same input (reason code, note, version), a different service."""
        case = self._case_for_action()
        data = self._input(serializer_class)
        with api_fields():
            close(
                case_id=case.pk,
                actor=self.request.user,
                reason_code=data["reason"].code,
                note=data["note"],
                expected_version=data.get("version"),
            )
        return self._answer_case(case.pk)

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
