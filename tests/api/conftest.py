import pytest
from rest_framework.test import APIClient


@pytest.fixture
def api():
    """``api(user)`` is a DRF client authenticated with ``user``'s token (None: anonymous)."""

    def make(user=None):
        from rest_framework.authtoken.models import Token

        client = APIClient()
        if user is not None:
            token, _ = Token.objects.get_or_create(user=user)
            client.credentials(HTTP_AUTHORIZATION=f"Token {token.key}")
        return client

    return make
