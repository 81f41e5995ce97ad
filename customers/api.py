"""API for customers, complaints and survey responses (routed in config/api_urls.py)."""

import django_filters
from rest_framework import serializers, viewsets
from rest_framework.permissions import IsAuthenticated

from customers.models import Customer
from customers.roles import HasRole, Role

ALL_ROLES = (Role.SPECIALIST, Role.MANAGER, Role.SUPPORT)


class CustomerSerializer(serializers.ModelSerializer):
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
        ]
        read_only_fields = fields


class CustomerFilter(django_filters.FilterSet):
    class Meta:
        model = Customer
        fields = ["external_ref", "kind", "region", "segment", "preferred_channel", "preferred_language"]


class CustomerViewSet(viewsets.ReadOnlyModelViewSet):
    """Customers (read only: they arrive from the core policy system by import)."""

    queryset = Customer.objects.all()
    serializer_class = CustomerSerializer
    permission_classes = [IsAuthenticated, HasRole]
    allowed_roles = ALL_ROLES
    filterset_class = CustomerFilter
    ordering_fields = ["id", "external_ref"]
    ordering = ["-id"]
