"""The OpenAPI schema matches what the server does: schemathesis runs every operation against a live
server (pytest-django's live_server) as each of the three roles, with all of its checks and its three
phases (examples, coverage, fuzzing). No 500s; every status code, content type, header and body
conforms to the schema; every request the schema forbids is refused, every one it allows is accepted.

Bounded for the suite's time budget: a fixed seed (derandomize) and ``max_examples`` fuzzed cases
per operation (the coverage phase adds its own deterministic cases)."""

import os

import pytest
import schemathesis
from hypothesis import HealthCheck, settings
from rest_framework.authtoken.models import Token
from schemathesis.specs.openapi.checks import RejectedPositiveData, positive_data_acceptance

from tests.conftest import make_user
from tests.customers.factories import CustomerFactory
from tests.notifications.factories import OutboundMessageFactory
from tests.renewals.factories import PolicyFactory, RenewalCaseFactory

# The live server answers from another thread; the ORM calls here are synchronous and safe.
os.environ.setdefault("DJANGO_ALLOW_ASYNC_UNSAFE", "true")

LIVE_DB = pytest.mark.django_db(transaction=True, serialized_rollback=True)
ROLES = ["specialist", "manager", "support"]
FUZZED_EXAMPLES = 6
# The coverage phase (every boundary and every invalid variant of every field) runs as the manager,
# who may call every write operation, so each one's validation is reached. The other roles run the
# examples and fuzzing phases over every operation: what they may do answers as the schema says, and
# what they may not is refused with a 403 that matches it. (The coverage phase as all three roles
# took five of the suite's fifteen minutes, mostly 403s to the same invalid bodies.)
FULL_ROLE = "manager"

# positive_data_acceptance expects every schema-valid request to be accepted. Two kinds of rule are
# beyond what JSON Schema can state, so a 400 that blames only such fields is the right answer:
# - a field that names another record (a customer id, a username, a reason or category code) is
#   schema-valid whatever it names; the schema cannot list the book's ids, and enums of
#   configurable codes would go stale;
# - dates a person enters and KPI periods lie in a sane range (issue 11: not before 2000, not far in
#   the future, start before end); ``format: date``/``date-time`` has no bounds, so the range is
#   stated in the field's description instead;
# - an import file's content (CSV or XLSX with the import columns), which ``format: binary`` cannot say;
# - the token endpoint's credentials: a wrong username or password is schema-valid by nature;
# - an experiment's arms: each arm's code is unique among the arms and not the hold-out's (JSON
#   Schema's uniqueItems compares whole items, never one key), and its step ids name the line's
#   reminder steps;
# - the contact action's ``refused_calls``: true only with channel "phone" (a rule across two fields,
#   stated in its description).
# Any other 400 to a schema-valid request still fails the check.
RULE_CHECKED_FIELDS = {
    *("customer", "policy", "case", "assignee", "reason", "category"),
    *("received_at", "responded_at", "next_action_date", "start", "end", "month"),
    "line",  # a line of insurance code (configurable): the team API's and the KPI API's filter
    "file",
    "arms",
    "competitor",  # a competitor code of the list (issue 14), and the lose action's competitor rule
    "refused_calls",  # only with channel "phone"
}
TOKEN_PATH = "/api/v1/auth/token/"


def positive_data_accepted_or_unknown_reference(ctx, response, case):
    try:
        return positive_data_acceptance(ctx, response, case)
    except RejectedPositiveData:
        if response.status_code == 400:
            blamed = set(response.json().get("errors", {}))
            if blamed and blamed <= RULE_CHECKED_FIELDS:
                return None
            if case.path == TOKEN_PATH and blamed == {"non_field_errors"}:
                return None
        raise


@pytest.fixture(autouse=True)
def _node_id_for_schemathesis(request):
    """schemathesis 4.32 reads ``node._nodeid``, which pytest 9 no longer has."""
    if not hasattr(request.node, "_nodeid"):
        request.node._nodeid = request.node.nodeid


@pytest.fixture(params=ROLES)
def role(request):
    return request.param


@pytest.fixture
def role_token(role, django_db_serialized_rollback, transactional_db):
    """A token of the role under test, on a small book with the awkward values real books hold: a
    customer without an e-mail address and a message with no skip reason yet."""
    user = make_user(f"fuzz-{role}", role)
    specialist = user if role == "specialist" else make_user("fuzz-specialist", "specialist")
    case = RenewalCaseFactory(assignee=specialist)  # something for detail routes and actions to find
    OutboundMessageFactory(case=case)
    RenewalCaseFactory(policy=PolicyFactory(customer=CustomerFactory(email="")))
    return Token.objects.create(user=user).key


@pytest.fixture
def api_schema(live_server, role, role_token):
    # The schema is served to the desk's staff only, so it is fetched with the same token.
    loaded = schemathesis.openapi.from_url(
        f"{live_server.url}/api/schema/?format=json", headers={"Authorization": f"Token {role_token}"}
    )
    if role != FULL_ROLE:
        loaded.config.phases.coverage.enabled = False
    return loaded


schema = schemathesis.pytest.from_fixture("api_schema")


@LIVE_DB
@schema.parametrize()
@settings(max_examples=FUZZED_EXAMPLES, deadline=None, derandomize=True, suppress_health_check=list(HealthCheck))
def test_api_conforms_to_its_schema(case, live_server, role_token):
    # No ``checks=``: schemathesis' full default set (every built-in check the config enables).
    case.call_and_validate(
        base_url=live_server.url,
        headers={"Authorization": f"Token {role_token}"},
        excluded_checks=[positive_data_acceptance],
        additional_checks=[positive_data_accepted_or_unknown_reference],
    )
