"""HEAD answers like GET (status and headers, no body); /healthz answers plain HTTP in production."""

import json

import pytest

from tests.test_security import production_env, run_python

pytestmark = pytest.mark.django_db


@pytest.mark.parametrize("path", ["/cases/", "/cases/approvals/", "/analytics/"])
def test_head_answers_like_get_without_a_body(client_for, manager, path):
    client = client_for(manager)
    got = client.get(path)
    head = client.head(path)
    assert got.status_code == 200
    assert head.status_code == 200
    assert head.content == b""
    assert head["Content-Type"] == got["Content-Type"]


def test_head_on_healthz_answers_200(client):
    response = client.head("/healthz")
    assert response.status_code == 200
    assert response.content == b""


def test_head_needs_login_like_get(client):
    assert client.head("/cases/").status_code == 302


def test_healthz_answers_plain_http_under_production_settings():
    # given production settings, which redirect every other plain-HTTP request to HTTPS
    code = """
import json, os
os.environ["DJANGO_SETTINGS_MODULE"] = "config.settings"
import django
django.setup()
from django.test import Client
client = Client(HTTP_HOST="renewals.example.com")
print(json.dumps({"healthz": client.get("/healthz").status_code, "login": client.get("/accounts/login/").status_code,
                  "head": client.head("/healthz").status_code}))
"""
    result = run_python(code, production_env(STATIC_MANIFEST="0"))
    assert result.returncode == 0, result.stderr
    facts = json.loads(result.stdout.strip().splitlines()[-1])
    # then the load balancer's check gets an answer (503: this test has no real broker URL to reach, or 200)
    assert facts["healthz"] in (200, 503)
    assert facts["head"] in (200, 503)
    assert facts["login"] == 301
