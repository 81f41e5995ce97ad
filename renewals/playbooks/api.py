"""``/api/v1/playbooks/``: staff read, managers create and change (each change a new version,
audited), retire and re-apply. No delete: a playbook is retired."""

from django.utils.translation import gettext_lazy as _
from drf_spectacular.utils import extend_schema
from rest_framework import mixins, serializers, viewsets
from rest_framework.decorators import action
from rest_framework.permissions import IsAuthenticated
from rest_framework.response import Response

from core.api import ApiModelSerializer, StrictBooleanField, StrictCharField, StrictSlugField
from core.roles import STAFF_ROLES, HasRole, Role
from customers.models import Customer
from customers.regions import REGION_LABELS
from renewals.api._common import api_fields
from renewals.models import LineOfInsurance, Policy
from renewals.playbooks import selectors, services
from renewals.playbooks.models import MAX_WINDOW_DAYS, Playbook
from renewals.playbooks.services import EFFECT_FIELDS, MAX_POSITION, MAX_REGIONS, RULE_FIELDS

VERSION_API_FIELDS = [*RULE_FIELDS, *EFFECT_FIELDS, "note"]


def _days(**extra):
    return serializers.IntegerField(min_value=0, max_value=MAX_WINDOW_DAYS, allow_null=True, required=False, **extra)


def _money(**extra):
    return serializers.DecimalField(
        max_digits=14, decimal_places=2, min_value=0, max_value=999999999999, allow_null=True, required=False, **extra
    )


class LineCodeField(serializers.SlugRelatedField):
    """A line by its code, or null for every line. DRF reads ``""`` as null; the schema's string
    needs at least one character, so ``""`` is refused as an unknown line."""

    def run_validation(self, data=serializers.empty):
        if data == "":
            self.fail("does_not_exist", slug_name=self.slug_field, value=data)
        return super().run_validation(data)


class PlaybookWriteSerializer(serializers.Serializer):
    """What a manager sends; every field but ``code`` and ``name`` (create) is optional."""

    code = StrictSlugField(max_length=32)
    name = StrictCharField(max_length=100)
    name_zh_hans = StrictCharField(max_length=100, required=False, allow_blank=True)
    line = LineCodeField(slug_field="code", queryset=LineOfInsurance.objects.all(), allow_null=True, required=False)
    position = serializers.IntegerField(min_value=0, max_value=MAX_POSITION, required=False)
    is_default = StrictBooleanField(required=False)
    segments = serializers.ListField(
        child=serializers.ChoiceField(choices=Customer.Segment.choices), required=False, max_length=10
    )
    regions = serializers.ListField(
        child=serializers.ChoiceField(choices=sorted(REGION_LABELS)), required=False, max_length=MAX_REGIONS
    )
    channels = serializers.ListField(
        child=serializers.ChoiceField(choices=Policy.Channel.choices), required=False, max_length=10
    )
    lifecycle_stages = serializers.ListField(
        child=serializers.ChoiceField(choices=Customer.LifecycleStage.choices), required=False, max_length=10
    )
    churn_risk_min = serializers.IntegerField(min_value=0, max_value=100, allow_null=True, required=False)
    churn_risk_max = serializers.IntegerField(min_value=0, max_value=100, allow_null=True, required=False)
    premium_min = _money()
    premium_max = _money()
    remind_by_email = StrictBooleanField(required=False)
    remind_by_sms = StrictBooleanField(required=False)
    reminders_from_days = _days()
    call_tasks = StrictBooleanField(required=False)
    call_from_days = _days()
    assignment_skill = StrictSlugField(max_length=32, allow_blank=True, required=False)
    discount_authority_percent = serializers.DecimalField(
        max_digits=5, decimal_places=2, min_value=0, max_value=100, allow_null=True, required=False
    )
    first_contact_days = _days()
    note = StrictCharField(max_length=300, allow_blank=True, required=False)


class PlaybookUpdateSerializer(PlaybookWriteSerializer):
    """A change: code, line and default-ness are fixed once created."""

    code = None
    line = None
    is_default = None
    name = StrictCharField(max_length=100, required=False)


class PlaybookSerializer(ApiModelSerializer):
    line = serializers.SlugRelatedField(slug_field="code", read_only=True, allow_null=True)
    version = serializers.IntegerField(source="current_version.number", read_only=True)
    segments = serializers.ListField(child=serializers.CharField(), source="current_version.segments")
    regions = serializers.ListField(child=serializers.CharField(), source="current_version.regions")
    channels = serializers.ListField(child=serializers.CharField(), source="current_version.channels")
    lifecycle_stages = serializers.ListField(child=serializers.CharField(), source="current_version.lifecycle_stages")
    churn_risk_min = serializers.IntegerField(source="current_version.churn_risk_min", allow_null=True)
    churn_risk_max = serializers.IntegerField(source="current_version.churn_risk_max", allow_null=True)
    premium_min = serializers.DecimalField(
        source="current_version.premium_min", max_digits=14, decimal_places=2, allow_null=True
    )
    premium_max = serializers.DecimalField(
        source="current_version.premium_max", max_digits=14, decimal_places=2, allow_null=True
    )
    remind_by_email = serializers.BooleanField(source="current_version.remind_by_email")
    remind_by_sms = serializers.BooleanField(source="current_version.remind_by_sms")
    reminders_from_days = serializers.IntegerField(source="current_version.reminders_from_days", allow_null=True)
    call_tasks = serializers.BooleanField(source="current_version.call_tasks")
    call_from_days = serializers.IntegerField(source="current_version.call_from_days", allow_null=True)
    assignment_skill = serializers.CharField(source="current_version.assignment_skill")
    discount_authority_percent = serializers.DecimalField(
        source="current_version.discount_authority_percent", max_digits=5, decimal_places=2, allow_null=True
    )
    first_contact_days = serializers.IntegerField(source="current_version.first_contact_days", allow_null=True)
    note = serializers.CharField(source="current_version.note")

    class Meta:
        model = Playbook
        fields = [
            "id",
            "code",
            "name",
            "name_zh_hans",
            "line",
            "position",
            "is_default",
            "status",
            "version",
            *VERSION_API_FIELDS,
            "created_at",
            "updated_at",
        ]
        read_only_fields = fields


class ReappliedSerializer(serializers.Serializer):
    status = serializers.ChoiceField(
        choices=[("started", "started"), ("done", "done")],
        help_text=_("started: the re-apply runs in the background; done: it ran at once (eager mode)."),
    )
    cases = serializers.IntegerField(
        allow_null=True, help_text=_("Open cases moved to the current version (null while it runs).")
    )
    detail = serializers.CharField()


@extend_schema(tags=["playbooks"])
class PlaybookViewSet(mixins.CreateModelMixin, mixins.UpdateModelMixin, viewsets.ReadOnlyModelViewSet):
    """Playbooks in matching order (by position, each line's default last): staff read, managers
    create, change (a change of the rule or the settings makes a new version that cases opened from
    then on get), retire and re-apply to open cases. Never deleted."""

    serializer_class = PlaybookSerializer
    permission_classes = [IsAuthenticated, HasRole]
    allowed_roles = STAFF_ROLES
    write_roles = (Role.MANAGER,)
    filterset_fields = ["status", "is_default"]
    http_method_names = ["get", "post", "patch", "head", "options"]

    def get_queryset(self):
        return selectors.playbooks_all()

    @extend_schema(request=PlaybookWriteSerializer, responses={201: PlaybookSerializer})
    def create(self, request, *args, **kwargs):
        incoming = PlaybookWriteSerializer(data=request.data)
        incoming.is_valid(raise_exception=True)
        data = dict(incoming.validated_data)
        line = data.pop("line", None)
        with api_fields():
            playbook = services.playbook_create(actor=request.user, line_id=line.pk if line else None, **data)
        return Response(PlaybookSerializer(self.get_queryset().get(pk=playbook.pk)).data, status=201)

    @extend_schema(request=PlaybookUpdateSerializer, responses={200: PlaybookSerializer})
    def partial_update(self, request, *args, **kwargs):
        playbook = self.get_object()
        incoming = PlaybookUpdateSerializer(data=request.data, partial=True)
        incoming.is_valid(raise_exception=True)
        with api_fields():
            services.playbook_update(actor=request.user, playbook_id=playbook.pk, **incoming.validated_data)
        return Response(PlaybookSerializer(self.get_queryset().get(pk=playbook.pk)).data)

    @extend_schema(request=None, responses={200: PlaybookSerializer})
    @action(detail=True, methods=["post"])
    def retire(self, request, pk=None):
        """Stop matching new cases (409 for a line's default or a retired playbook)."""
        playbook = services.playbook_retire(actor=request.user, playbook_id=self.get_object().pk)
        return Response(PlaybookSerializer(self.get_queryset().get(pk=playbook.pk)).data)

    @extend_schema(request=None, responses={202: ReappliedSerializer})
    @action(detail=True, methods=["post"])
    def reapply(self, request, pk=None):
        """Start giving the current version to the open cases it takes that do not carry it yet
        (a background task, audited; 409 for a retired playbook)."""
        moved = services.playbook_reapply_start(actor=request.user, playbook_id=self.get_object().pk)
        body = {
            "status": "started" if moved is None else "done",
            "cases": moved,
            "detail": services.reapply_message(moved),
        }
        return Response(body, status=202)
