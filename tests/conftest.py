"""Shared fixtures: one user per role, a logged-in client, and the reference data guard."""

import pytest
from django.conf import settings
from django.contrib.auth.models import Group, User
from django.core.cache import cache
from django.utils import translation

PROJECT_APPS = ("customers", "renewals", "documents", "notifications", "campaigns", "analytics")


@pytest.fixture(autouse=True)
def _fresh_cache():
    """Throttles and cached figures live in Redis: every test starts from an empty cache."""
    cache.clear()
    yield


@pytest.fixture(autouse=True)
def _default_language():
    """Every test starts in the site's language: a request in Chinese leaves its language active
    in the thread (LocaleMiddleware does not reset it), and parallel runs order tests differently."""
    translation.activate(settings.LANGUAGE_CODE)
    yield
    translation.activate(settings.LANGUAGE_CODE)


def reseed_reference_data() -> bool:
    """Re-run the data migrations' seeding steps if the tables they fill were flushed.

    Transactional tests (live server, real Celery worker) end with a flush that also empties the
    groups, lines, reasons, categories, SLAs and reminder schedule the migrations seed. Returns
    whether anything had to be reseeded.
    """
    from django.apps import apps
    from django.db import connection
    from django.db.migrations.loader import MigrationLoader
    from django.db.migrations.operations.special import RunPython

    if Group.objects.exists():
        return False
    graph = MigrationLoader(connection, ignore_no_migrations=True).graph
    plan = []
    for leaf in graph.leaf_nodes():
        plan += [key for key in graph.forwards_plan(leaf) if key not in plan and key[0] in PROJECT_APPS]
    with connection.schema_editor() as editor:
        for key in plan:
            for operation in graph.nodes[key].operations:
                # Seeding steps have no reverse; triggers and other schema work declare one.
                if isinstance(operation, RunPython) and operation.reverse_code in (None, RunPython.noop):
                    operation.code(apps, editor)
    return True


def _is_transactional(request) -> bool:
    """For a fixture request or a test item: does the test flush the database when it ends?"""
    marker = getattr(request, "node", request).get_closest_marker("django_db")
    if marker and (marker.kwargs.get("transaction") or (len(marker.args) > 0 and marker.args[0])):
        return True
    return bool({"transactional_db", "live_server"} & set(request.fixturenames))


@pytest.fixture(autouse=True)
def _reference_data(request):
    """Before a transactional test, put back the reference data an earlier flush removed."""
    if not _is_transactional(request):
        yield
        return
    request.getfixturevalue("_django_db_helper")
    reseed_reference_data()
    yield


@pytest.hookimpl(wrapper=True)
def pytest_runtest_teardown(item, nextitem):
    """After a transactional test has been torn down (its flush done) and before a test that runs
    in a rolled-back transaction, put the reference data back, so that test finds the groups, lines
    and reasons the migrations seed (under pytest-xdist the order of files differs from a serial
    run). A transactional test next restores or reseeds the data itself (``_reference_data``, or
    its serialized rollback, which would clash with rows reseeded under new ids)."""
    result = yield
    if _is_transactional(item) and nextitem is not None and not _is_transactional(nextitem):
        from pytest_django.plugin import blocking_manager_key

        with item.config.stash[blocking_manager_key].unblock():
            reseed_reference_data()
    return result


@pytest.fixture(scope="session", autouse=True)
def _reference_data_left_in_place(django_db_setup, django_db_blocker):
    """After the session, leave the reused test database with its reference data."""
    yield
    with django_db_blocker.unblock():
        reseed_reference_data()


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


@pytest.fixture
def api():
    """``api(user)`` is a DRF client authenticated with ``user``'s token (None: anonymous)."""

    def make(user=None):
        from rest_framework.authtoken.models import Token
        from rest_framework.test import APIClient

        client = APIClient()
        if user is not None:
            token, _ = Token.objects.get_or_create(user=user)
            client.credentials(HTTP_AUTHORIZATION=f"Token {token.key}")
        return client

    return make
