"""API for campaigns and experiments (routed in config/api_urls.py): every role reads, managers
create, preview, start, stop and declare winners, through the same services as the pages."""

from decimal import Decimal

from django.utils.translation import gettext_lazy as _
from drf_spectacular.utils import extend_schema
from rest_framework import mixins, serializers, viewsets
from rest_framework.decorators import action
from rest_framework.exceptions import NotFound
from rest_framework.permissions import IsAuthenticated
from rest_framework.response import Response

from campaigns import selectors, services
from campaigns.models import Arm, Campaign, CampaignStep, Experiment
from core.api import BIGINT_MAX, ApiModelSerializer, StrictCharField, StrictSlugField
from core.roles import STAFF_ROLES, HasRole, Role
from customers.models import Customer
from customers.regions import REGION_LABELS
from renewals.models import LineOfInsurance

ID = {"min_value": 1, "max_value": BIGINT_MAX}


class CampaignStepSerializer(ApiModelSerializer):
    class Meta:
        model = CampaignStep
        fields = ["offset_days", "channel", "body"]


class CampaignSerializer(ApiModelSerializer):
    steps = CampaignStepSerializer(many=True, read_only=True)
    lines = serializers.PrimaryKeyRelatedField(many=True, read_only=True)
    lost_reasons = serializers.PrimaryKeyRelatedField(many=True, read_only=True)
    stages = serializers.ListField(child=serializers.ChoiceField(choices=Customer.LifecycleStage.choices))
    regions = serializers.ListField(child=serializers.CharField())
    segments = serializers.ListField(child=serializers.ChoiceField(choices=Customer.Segment.choices))

    class Meta:
        model = Campaign
        fields = [
            "id",
            "name",
            "status",
            "stages",
            "lines",
            "regions",
            "segments",
            "lost_reasons",
            "min_last_premium",
            "max_last_premium",
            "min_months_since",
            "max_months_since",
            "reachable_only",
            "offer_discount_percent",
            "starts_on",
            "ends_on",
            "steps",
            "started_at",
            "finished_at",
        ]
        read_only_fields = fields


class StepInputSerializer(serializers.Serializer):
    offset_days = serializers.IntegerField(min_value=0, max_value=365)
    channel = serializers.ChoiceField(choices=CampaignStep.Channel.choices)
    body = serializers.CharField(max_length=1000)


class TextDecimalField(serializers.DecimalField):
    """A decimal given as text, as the schema says (``type: string``): a JSON number is refused."""

    def to_internal_value(self, data):
        if not isinstance(data, str):
            self.fail("invalid")
        return super().to_internal_value(data)


MONEY = {"max_digits": 14, "decimal_places": 2, "min_value": Decimal("0"), "max_value": Decimal("100000000")}


class CampaignCreateSerializer(serializers.Serializer):
    name = serializers.CharField(max_length=120)
    starts_on = serializers.DateField()
    ends_on = serializers.DateField()
    stages = serializers.ListField(
        child=serializers.ChoiceField(choices=Customer.LifecycleStage.choices), required=False, max_length=7
    )
    lines = serializers.ListField(child=serializers.IntegerField(**ID), required=False, max_length=50)
    regions = serializers.ListField(
        child=serializers.ChoiceField(choices=list(REGION_LABELS)), required=False, max_length=len(REGION_LABELS)
    )
    segments = serializers.ListField(
        child=serializers.ChoiceField(choices=Customer.Segment.choices), required=False, max_length=3
    )
    lost_reasons = serializers.ListField(child=serializers.IntegerField(**ID), required=False, max_length=50)
    min_last_premium = TextDecimalField(required=False, allow_null=True, **MONEY)
    max_last_premium = TextDecimalField(required=False, allow_null=True, **MONEY)
    min_months_since = serializers.IntegerField(required=False, allow_null=True, min_value=0, max_value=600)
    max_months_since = serializers.IntegerField(required=False, allow_null=True, min_value=0, max_value=600)
    reachable_only = serializers.BooleanField(required=False, default=False)
    offer_discount_percent = TextDecimalField(
        max_digits=5, decimal_places=2, min_value=Decimal("0"), max_value=Decimal("50"), required=False
    )
    steps = serializers.ListField(child=StepInputSerializer(), required=False, max_length=10)
    with_holdout = serializers.BooleanField(required=False, default=False)


class PreviewRowSerializer(serializers.Serializer):
    label = serializers.CharField()
    count = serializers.IntegerField()


class PreviewSerializer(serializers.Serializer):
    total = serializers.IntegerField()
    reachable = serializers.IntegerField()
    unreachable = serializers.IntegerField()
    by_stage = PreviewRowSerializer(many=True)
    by_region = PreviewRowSerializer(many=True)


class StartedSerializer(serializers.Serializer):
    members = serializers.IntegerField()


class StepCountsSerializer(serializers.Serializer):
    offset_days = serializers.IntegerField(source="step.offset_days")
    channel = serializers.ChoiceField(source="step.channel", choices=CampaignStep.Channel.choices)
    planned = serializers.IntegerField()
    sent = serializers.IntegerField(help_text=_("Sent by the outbox; a call task: done."))
    skipped = serializers.IntegerField(
        help_text=_("No consent, a marketing opt-out, no address, or the customer's outcome was known.")
    )
    failed = serializers.IntegerField()
    waiting = serializers.IntegerField()


@extend_schema(tags=["campaigns"])
class CampaignViewSet(mixins.CreateModelMixin, viewsets.ReadOnlyModelViewSet):
    """Win-back campaigns: the target, message steps and window; managers create, preview and start."""

    queryset = Campaign.objects.prefetch_related("steps", "lines", "lost_reasons")
    serializer_class = CampaignSerializer
    permission_classes = [IsAuthenticated, HasRole]
    allowed_roles = STAFF_ROLES
    write_roles = (Role.MANAGER,)
    lookup_value_converter = "int"
    filterset_fields = ["status"]
    ordering_fields = ["id", "starts_on"]
    ordering = ["-id"]

    @extend_schema(request=CampaignCreateSerializer, responses={201: CampaignSerializer})
    def create(self, request, *args, **kwargs):
        data = CampaignCreateSerializer(data=request.data)
        data.is_valid(raise_exception=True)
        values = data.validated_data
        campaign = services.campaign_create(
            name=values["name"],
            actor=request.user,
            starts_on=values["starts_on"],
            ends_on=values["ends_on"],
            stages=values.get("stages"),
            line_ids=values.get("lines"),
            regions=values.get("regions"),
            segments=values.get("segments"),
            lost_reason_ids=values.get("lost_reasons"),
            min_last_premium=values.get("min_last_premium"),
            max_last_premium=values.get("max_last_premium"),
            min_months_since=values.get("min_months_since"),
            max_months_since=values.get("max_months_since"),
            reachable_only=values["reachable_only"],
            offer_discount_percent=values.get("offer_discount_percent", Decimal("0")),
            steps=[dict(step) for step in values.get("steps", [])],
            with_holdout=values["with_holdout"],
        )
        return Response(CampaignSerializer(self.get_queryset().get(pk=campaign.pk)).data, status=201)

    @extend_schema(responses={200: PreviewSerializer})
    @action(detail=True, methods=["get"])
    def preview(self, request, pk=None):
        """How many customers the target holds today, by stage and region, and how many are unreachable."""
        return Response(PreviewSerializer(services.campaign_preview(self.get_object())).data)

    @extend_schema(responses={200: StepCountsSerializer(many=True)})
    @action(detail=True, methods=["get"], pagination_class=None, filter_backends=[])
    def messages(self, request, pk=None):
        """Per step: messages (or call tasks) planned, sent, skipped, failed and still waiting."""
        counts = selectors.campaign_step_counts(campaign=self.get_object())
        return Response(StepCountsSerializer(counts, many=True).data)

    @extend_schema(request=None, responses={200: StartedSerializer})
    @action(detail=True, methods=["post"])
    def start(self, request, pk=None):
        """Start a draft: the target becomes the campaign's members (409 when it is not a draft)."""
        count = services.campaign_start(campaign_id=self.get_object().pk, actor=request.user)
        return Response({"members": count})


class ArmSerializer(ApiModelSerializer):
    steps = serializers.PrimaryKeyRelatedField(many=True, read_only=True)

    class Meta:
        model = Arm
        fields = [
            "id",
            "code",
            "name",
            "is_holdout",
            "weight",
            "all_steps",
            "steps",
            "reminder_subject",
            "reminder_body",
            "call_step",
        ]
        read_only_fields = fields


class ArmResultSerializer(serializers.Serializer):
    arm = serializers.IntegerField(source="counts.arm_id")
    enrolled = serializers.IntegerField(source="counts.enrolled")
    decided = serializers.IntegerField(source="counts.decided")
    successes = serializers.IntegerField(source="counts.successes")
    messages_sent = serializers.IntegerField(source="counts.messages_sent")
    rate = serializers.FloatField(allow_null=True)
    low = serializers.FloatField(allow_null=True)
    high = serializers.FloatField(allow_null=True)
    difference = serializers.FloatField(allow_null=True, help_text=_("Arm rate minus hold-out rate."))
    difference_low = serializers.FloatField(allow_null=True)
    difference_high = serializers.FloatField(allow_null=True)
    p_value = serializers.FloatField(allow_null=True)
    messages_per_extra_success = serializers.FloatField(allow_null=True)
    premium_retention = serializers.FloatField(allow_null=True)
    planned = serializers.IntegerField()


class ResultsSerializer(serializers.Serializer):
    enough = serializers.BooleanField(help_text=_("False: not enough data yet (every arm below the minimum)."))
    minimum = serializers.IntegerField()
    arms = ArmResultSerializer(many=True)


class ExperimentSerializer(ApiModelSerializer):
    arms = ArmSerializer(many=True, read_only=True)

    class Meta:
        model = Experiment
        fields = [
            "id",
            "name",
            "kind",
            "line",
            "campaign",
            "status",
            "holdout_percent",
            "min_sample_per_arm",
            "planned_sample_per_arm",
            "baseline_rate",
            "min_effect_points",
            "started_at",
            "stopped_at",
            "winner",
            "arms",
        ]
        read_only_fields = fields


class ArmInputSerializer(serializers.Serializer):
    code = StrictSlugField(max_length=32)
    name = StrictCharField(max_length=80)
    weight = serializers.IntegerField(min_value=1, max_value=100, required=False, default=1)
    step_ids = serializers.ListField(
        child=serializers.IntegerField(**ID),
        required=False,
        allow_null=True,
        default=None,
        max_length=50,
        help_text=_("The line's reminder steps this arm sends; null: every step."),
    )
    reminder_subject = StrictCharField(max_length=200, required=False, allow_blank=True, default="")
    reminder_body = StrictCharField(
        max_length=2000,
        required=False,
        allow_blank=True,
        default="",
        help_text=_("A template arm: this text replaces the steps' templates in the arm's reminders (not the notice)."),
    )
    call_days_before = serializers.IntegerField(
        min_value=1,
        max_value=365,
        required=False,
        allow_null=True,
        default=None,
        help_text=_("An earlier-call arm: its cases also get a call task this many days before expiry."),
    )


class ExperimentCreateSerializer(serializers.Serializer):
    name = StrictCharField(max_length=120)
    line = serializers.IntegerField(**ID)
    holdout_percent = serializers.IntegerField(min_value=1, max_value=50, required=False, default=10)
    min_sample_per_arm = serializers.IntegerField(min_value=20, max_value=1_000_000, required=False, default=200)
    baseline_rate_percent = serializers.FloatField(min_value=1, max_value=99, required=False, default=80.0)
    min_effect_points = serializers.FloatField(min_value=0.5, max_value=50, required=False, default=3.0)
    # A ListField, not many=True: its length limits reach the schema (minItems/maxItems).
    arms = serializers.ListField(child=ArmInputSerializer(), min_length=1, max_length=5)


class WinnerSerializer(serializers.Serializer):
    arm = serializers.IntegerField(**ID)


@extend_schema(tags=["experiments"])
class ExperimentViewSet(mixins.CreateModelMixin, viewsets.ReadOnlyModelViewSet):
    """Randomised experiments with a hold-out; ``results`` gives the figures per arm. Managers
    create (reminder schedule experiments), start, stop and declare the winner."""

    queryset = Experiment.objects.prefetch_related("arms__steps")
    serializer_class = ExperimentSerializer
    permission_classes = [IsAuthenticated, HasRole]
    allowed_roles = STAFF_ROLES
    write_roles = (Role.MANAGER,)
    lookup_value_converter = "int"
    filterset_fields = ["status", "kind"]
    ordering_fields = ["id"]
    ordering = ["-id"]

    def _answer(self, experiment_id: int, status: int = 200) -> Response:
        return Response(ExperimentSerializer(self.get_queryset().get(pk=experiment_id)).data, status=status)

    @extend_schema(request=ExperimentCreateSerializer, responses={201: ExperimentSerializer})
    def create(self, request, *args, **kwargs):
        data = ExperimentCreateSerializer(data=request.data)
        data.is_valid(raise_exception=True)
        values = data.validated_data
        experiment = services.experiment_create(
            name=values["name"],
            actor=request.user,
            line_id=values["line"],
            holdout_percent=values["holdout_percent"],
            min_sample_per_arm=values["min_sample_per_arm"],
            baseline_rate_percent=values["baseline_rate_percent"],
            min_effect_points=values["min_effect_points"],
            arms=[dict(arm) for arm in values["arms"]],
        )
        return self._answer(experiment.pk, status=201)

    @extend_schema(responses={200: ResultsSerializer})
    @action(detail=True, methods=["get"])
    def results(self, request, pk=None):
        """Per arm: rate with its 95 % interval, and once every arm has the minimum, the difference
        to the hold-out with its interval and p-value."""
        return Response(ResultsSerializer(selectors.experiment_results(experiment=self.get_object())).data)

    @extend_schema(request=None, responses={200: ExperimentSerializer})
    @action(detail=True, methods=["post"])
    def start(self, request, pk=None):
        experiment = services.experiment_start(experiment_id=self.get_object().pk, actor=request.user)
        return self._answer(experiment.pk)

    @extend_schema(request=None, responses={200: ExperimentSerializer})
    @action(detail=True, methods=["post"])
    def stop(self, request, pk=None):
        experiment = services.experiment_stop(experiment_id=self.get_object().pk, actor=request.user)
        return self._answer(experiment.pk)

    @extend_schema(request=WinnerSerializer, responses={200: ExperimentSerializer})
    @action(detail=True, methods=["post"])
    def winner(self, request, pk=None):
        """Declare the winner (a running experiment is stopped first); a schedule experiment's winner
        becomes the line's reminder schedule, audited."""
        data = WinnerSerializer(data=request.data)
        data.is_valid(raise_exception=True)
        experiment = services.experiment_declare_winner(
            experiment_id=self.get_object().pk, arm_id=data.validated_data["arm"], actor=request.user
        )
        return self._answer(experiment.pk)


class LifecycleSettingSerializer(serializers.Serializer):
    line = serializers.IntegerField(source="line.pk", read_only=True)
    code = serializers.CharField(source="line.code", read_only=True)
    dormant_after_months = serializers.IntegerField(
        read_only=True, help_text=_("A lapsed customer becomes dormant after this many months without a policy.")
    )
    is_default = serializers.BooleanField(read_only=True, help_text=_("True: the line has no setting of its own."))


class LifecycleSettingInputSerializer(serializers.Serializer):
    # Optional, as a PATCH's fields are: a PATCH without it changes nothing and answers the setting.
    dormant_after_months = serializers.IntegerField(min_value=1, max_value=120, required=False)


@extend_schema(tags=["lifecycle"])
class LifecycleSettingViewSet(viewsets.GenericViewSet):
    """Per line of insurance: after how many months without a policy in force a lapsed customer is
    dormant. Staff read; managers change it (audited like the settings pages; the nightly refresh
    applies it). Addressed by the line's id."""

    permission_classes = [IsAuthenticated, HasRole]
    allowed_roles = STAFF_ROLES
    write_roles = (Role.MANAGER,)
    lookup_value_converter = "int"
    serializer_class = LifecycleSettingSerializer
    pagination_class = None
    filter_backends = []
    http_method_names = ["get", "patch", "head", "options"]

    def get_queryset(self):
        return LineOfInsurance.objects.order_by("sort_order", "code")

    def _row(self, line_id: int) -> dict:
        row = next((row for row in selectors.lifecycle_settings() if row["line"].pk == line_id), None)
        if row is None:
            raise NotFound()
        return {**row, "dormant_after_months": row["months"]}

    def list(self, request):
        rows = [{**row, "dormant_after_months": row["months"]} for row in selectors.lifecycle_settings()]
        return Response(LifecycleSettingSerializer(rows, many=True).data)

    def retrieve(self, request, pk=None):
        return Response(LifecycleSettingSerializer(self._row(int(pk))).data)

    @extend_schema(request=LifecycleSettingInputSerializer, responses={200: LifecycleSettingSerializer})
    def partial_update(self, request, pk=None):
        line_id = int(pk)
        if not LineOfInsurance.objects.filter(pk=line_id).exists():
            raise NotFound()
        data = LifecycleSettingInputSerializer(data=request.data)
        data.is_valid(raise_exception=True)
        if "dormant_after_months" in data.validated_data:
            services.lifecycle_setting_set(
                line_id=line_id, dormant_after_months=data.validated_data["dormant_after_months"], actor=request.user
            )
        return Response(LifecycleSettingSerializer(self._row(line_id)).data)
