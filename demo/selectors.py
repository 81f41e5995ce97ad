"""Reads for the demo commands."""

from django.contrib.auth.models import User

from demo.reference import DEMO_USERS


def demo_users_exist() -> bool:
    return User.objects.filter(username__in=[username for username, _, _ in DEMO_USERS]).exists()
