"""The team API's answers match its OpenAPI schema (the schemathesis suite covers fuzzing; this
checks the real answers of the small book, for a manager and a specialist)."""

import jsonschema
import pytest

from tests.team.test_team_access import API_URL, NOV, api_for


def _json_schema(node, components):
    """OpenAPI 3.0 → JSON Schema: resolve $ref and turn ``nullable`` into a null alternative."""
    if isinstance(node, list):
        return [_json_schema(item, components) for item in node]
    if not isinstance(node, dict):
        return node
    if "$ref" in node:
        return _json_schema(components[node["$ref"].rsplit("/", 1)[-1]], components)
    converted = {key: _json_schema(value, components) for key, value in node.items() if key != "nullable"}
    if node.get("nullable"):
        return {"anyOf": [converted, {"type": "null"}]}
    return converted


@pytest.mark.parametrize("role", ["manager", "specialist"])
def test_team_answer_matches_the_schema(team_book, today, request, role):
    user = request.getfixturevalue(role)
    api = api_for(user)
    schema = api.get("/api/schema/", {"format": "json"}).json()
    operation = schema["paths"]["/api/v1/team/"]["get"]
    answer_schema = operation["responses"]["200"]["content"]["application/json"]["schema"]
    body = api.get(API_URL, NOV).json()
    jsonschema.validate(body, _json_schema(answer_schema, schema["components"]["schemas"]))
    kpi_schema = schema["paths"]["/api/v1/kpis/"]["get"]["responses"]["200"]["content"]["application/json"]["schema"]
    if role == "manager":
        kpis = api.get("/api/v1/kpis/", {"start": "2026-11-01", "end": "2026-11-30", "compare": "true"}).json()
        jsonschema.validate(kpis, _json_schema(kpi_schema, schema["components"]["schemas"]))
