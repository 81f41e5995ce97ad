"""Shared fixtures: one user per role, and a logged-in client for each."""

import pytest
from django.contrib.auth.models import Group, User
from django.core.cache import cache


@pytest.fixture(autouse=True)
def _fresh_cache():
    """Throttles and cached figures live in Redis: every test starts from an empty cache."""
    cache.clear()
    yield


def make_user(username: str, *roles: str, **extra) -> User:
    user = User.objects.create_user(username=username, password="pw-for-tests-only", **extra)
    for role in roles:
        user.groups.add(Group.objects.get(name=role))
    return user


@pytest.fixture
def specialist(db):
    return make_user("spec", "specialist", first_name="Li", last_name="Na")


@pytest.fixture
def other_specialist(db):
    return make_user("spec2", "specialist", first_name="Wang", last_name="Fang")


@pytest.fixture
def manager(db):
    return make_user("boss", "manager", first_name="Zhang", last_name="Wei")


@pytest.fixture
def support(db):
    return make_user("helpdesk", "support", first_name="Chen", last_name="Jing")


@pytest.fixture
def client_for(client):
    """``client_for(user)`` returns a Django test client logged in as ``user``."""

    def login(user):
        client.force_login(user)
        return client

    return login
