"""API for the outbox (read only; routed in config/api_urls.py)."""

from drf_spectacular.utils import extend_schema
from rest_framework import viewsets
from rest_framework.permissions import IsAuthenticated

from core.api import ApiFilterSet, ApiModelSerializer
from core.roles import HasRole, Role
from notifications.models import OutboundMessage


class MessageSerializer(ApiModelSerializer):
    class Meta:
        model = OutboundMessage
        fields = ["id", "case", "step", "channel", "status", "scheduled_for", "sent_at", "skip_reason", "error"]
        read_only_fields = fields


class MessageFilter(ApiFilterSet):
    class Meta:
        model = OutboundMessage
        fields = ["case", "status", "channel"]


@extend_schema(tags=["messages"])
class MessageViewSet(viewsets.ReadOnlyModelViewSet):
    """Reminders and survey invitations in the outbox, with what happened to each."""

    queryset = OutboundMessage.objects.all()
    serializer_class = MessageSerializer
    permission_classes = [IsAuthenticated, HasRole]
    allowed_roles = (Role.SPECIALIST, Role.MANAGER, Role.SUPPORT)
    lookup_value_converter = "int"
    filterset_class = MessageFilter
    ordering_fields = ["id", "scheduled_for"]
    ordering = ["-id"]
