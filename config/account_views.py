"""The profile page (API token shown and rotated) and the API's token endpoint."""

from django.contrib import messages
from django.contrib.auth import authenticate
from django.db import transaction
from django.shortcuts import redirect, render
from django.utils.translation import gettext_lazy as _
from django.views.decorators.http import require_http_methods
from drf_spectacular.utils import extend_schema, inline_serializer
from rest_framework import exceptions, serializers
from rest_framework.authtoken.models import Token
from rest_framework.permissions import AllowAny
from rest_framework.response import Response
from rest_framework.views import APIView

from core.api import ErrorSerializer
from core.api_base import AuthThrottle
from core.roles import role_names


def token_rotate(*, user) -> Token:
    """Replace the user's API token with a new one (the old one stops working at once)."""
    with transaction.atomic():
        Token.objects.filter(user=user).delete()
        return Token.objects.create(user=user)


@require_http_methods(["GET", "POST"])
def profile(request):
    """``/accounts/profile/``: who I am, my roles, my API token (created on first visit)."""
    if request.method == "POST":
        token_rotate(user=request.user)
        messages.success(request, _("A new API token was made; the old one no longer works."))
        return redirect("profile")
    token, _created = Token.objects.get_or_create(user=request.user)
    return render(
        request,
        "accounts/profile.html",
        {"token": token, "roles": sorted(role_names(request.user))},
    )


class CredentialsSerializer(serializers.Serializer):
    username = serializers.CharField()
    password = serializers.CharField(style={"input_type": "password"}, trim_whitespace=False)


class ObtainToken(APIView):
    """``POST /api/v1/auth/token/`` with ``username`` and ``password`` answers ``{"token": "…"}``."""

    permission_classes = [AllowAny]
    authentication_classes = []
    throttle_classes = [AuthThrottle]
    throttle_scope = "auth"

    @extend_schema(
        request=CredentialsSerializer,
        responses={200: inline_serializer("TokenResponse", {"token": serializers.CharField()}), 400: ErrorSerializer},
        auth=[],
        tags=["auth"],
    )
    def post(self, request):
        data = CredentialsSerializer(data=request.data)
        data.is_valid(raise_exception=True)
        # django-axes counts failures and locks out on the underlying HttpRequest.
        user = authenticate(
            request._request, username=data.validated_data["username"], password=data.validated_data["password"]
        )
        if getattr(request._request, "axes_locked_out", False):
            # Answer the lockout in the API's JSON shape instead of axes' HTML page.
            request._request.axes_locked_out = False
            raise exceptions.Throttled(detail=_("Too many failed attempts; try again later."))
        if user is None or not user.is_active:
            raise serializers.ValidationError({"non_field_errors": [_("Unable to log in with these credentials.")]})
        token, _created = Token.objects.get_or_create(user=user)
        return Response({"token": token.key})
