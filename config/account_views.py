"""The profile page (API token shown and rotated), the throttled password reset and the API's token endpoint."""

import hashlib

from django.conf import settings
from django.contrib import messages
from django.contrib.auth import authenticate
from django.contrib.auth import views as auth_views
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
from core.net import client_ip
from core.ratelimit import rate_limited
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


class PasswordResetView(auth_views.PasswordResetView):
    """Django's reset by e-mail, throttled per client address and per e-mail address.

    Whatever is typed, the answer is the same "check your e-mail" page: it never says whether an
    address belongs to a user. Past the rate, a client address is refused with 429; an e-mail
    address that was asked for too often simply receives nothing more for a while.
    """

    def post(self, request, *args, **kwargs):
        if rate_limited(bucket="password_reset_ip", key=client_ip(request), rate=settings.THROTTLE_PASSWORD_RESET):
            return render(request, "registration/password_reset_throttled.html", status=429)
        return super().post(request, *args, **kwargs)

    def form_valid(self, form):
        address = form.cleaned_data["email"].strip().lower()
        key = hashlib.sha256(address.encode()).hexdigest()  # no e-mail addresses in cache keys
        if rate_limited(bucket="password_reset_email", key=key, rate=settings.THROTTLE_PASSWORD_RESET):
            return redirect(self.get_success_url())
        return super().form_valid(form)


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
