"""The OpenAPI schema matches what the server does: schemathesis fuzzes every operation against a
live server (pytest-django's live_server) with a manager's token. No 500s; every response's status
code, content type and body conform to the schema. Bounded examples keep it around a minute."""

import os

import pytest
import schemathesis
from hypothesis import HealthCheck, settings
from rest_framework.authtoken.models import Token
from schemathesis.specs.openapi.checks import (
    content_type_conformance,
    response_schema_conformance,
    status_code_conformance,
)

from tests.conftest import make_user
from tests.renewals.factories import RenewalCaseFactory

# The live server answers from another thread; the ORM calls here are synchronous and safe.
os.environ.setdefault("DJANGO_ALLOW_ASYNC_UNSAFE", "true")

LIVE_DB = pytest.mark.django_db(transaction=True, serialized_rollback=True)


def not_a_server_error(ctx, response, case):
    if response.status_code >= 500:
        raise AssertionError(f"{response.status_code} from {case.method} {case.formatted_path}")
    return None


CHECKS = [not_a_server_error, status_code_conformance, content_type_conformance, response_schema_conformance]


@pytest.fixture(autouse=True)
def _node_id_for_schemathesis(request):
    """schemathesis 4.32 reads ``node._nodeid``, which pytest 9 no longer has."""
    if not hasattr(request.node, "_nodeid"):
        request.node._nodeid = request.node.nodeid


@pytest.fixture
def manager_token(django_db_serialized_rollback, transactional_db):
    user = make_user("fuzz-manager", "manager")
    RenewalCaseFactory(assignee=user)  # something for detail routes and actions to find
    return Token.objects.create(user=user).key


@pytest.fixture
def api_schema(live_server, manager_token):
    # The schema is served to the desk's staff only, so it is fetched with the same token.
    return schemathesis.openapi.from_url(
        f"{live_server.url}/api/schema/?format=json", headers={"Authorization": f"Token {manager_token}"}
    )


schema = schemathesis.pytest.from_fixture("api_schema")


@LIVE_DB
@schema.parametrize()
@settings(max_examples=5, deadline=None, derandomize=True, suppress_health_check=list(HealthCheck))
def test_api_conforms_to_its_schema(case, live_server, manager_token):
    case.call_and_validate(base_url=live_server.url, headers={"Authorization": f"Token {manager_token}"}, checks=CHECKS)
