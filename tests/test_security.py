"""Production settings, failed-login throttling, CSP, cookies and the language switcher."""

import json
import os
import secrets
import subprocess
import sys
from pathlib import Path

import pytest
from django.conf import settings

from tests.conftest import make_user

MANAGE = [sys.executable, str(Path(settings.BASE_DIR) / "manage.py")]


def production_env(**overrides) -> dict:
    """What an operator sets in production: DEBUG off, a long random key, real hosts and services."""
    db = settings.DATABASES["default"]
    env = {
        k: v
        for k, v in os.environ.items()
        if k
        not in {
            "SECURE_HTTPS",
            "STATIC_MANIFEST",
            "SECURE_SSL_REDIRECT",
            "SECURE_HSTS_SECONDS",
            "DJANGO_ALLOW_ASYNC_UNSAFE",
        }
    }
    env.update(
        DEBUG="0",
        SECRET_KEY=secrets.token_urlsafe(64),
        ALLOWED_HOSTS="renewals.example.com",
        DATABASE_URL=f"postgres://{db['USER']}@{db['HOST'] or '127.0.0.1'}:{db['PORT'] or 5432}/{db['NAME']}",
        REDIS_URL=os.environ.get("REDIS_URL", "redis://127.0.0.1:6379/2"),
        EMAIL_URL="smtp://mail.example.com:25",
        SMS_BACKEND="http",
        SMS_GATEWAY_URL="https://sms.example.com/send",
        SMS_GATEWAY_TOKEN=secrets.token_urlsafe(16),
    )
    env.update(overrides)
    return env


def run_python(code: str, env: dict) -> subprocess.CompletedProcess:
    return subprocess.run(
        [sys.executable, "-c", code], env=env, cwd=settings.BASE_DIR, capture_output=True, text=True, timeout=120
    )


def test_deploy_check_is_clean_under_production_settings():
    result = subprocess.run(
        [*MANAGE, "check", "--deploy", "--fail-level", "WARNING"],
        env=production_env(),
        capture_output=True,
        text=True,
        timeout=120,
    )
    assert result.returncode == 0, result.stdout + result.stderr
    assert "no issues" in result.stdout


@pytest.mark.parametrize(
    "secret_key",
    [None, "insecure-development-key-do-not-use-in-production", "short-key"],
    ids=["missing", "the-development-default", "too-short"],
)
def test_settings_refuse_to_start_with_debug_off_and_no_safe_secret_key(secret_key):
    env = production_env()
    env.pop("SECRET_KEY")
    if secret_key is not None:
        env["SECRET_KEY"] = secret_key
    result = run_python(
        "import django, os; os.environ['DJANGO_SETTINGS_MODULE']='config.settings'; django.setup()", env
    )
    assert result.returncode != 0
    assert "SECRET_KEY must be set" in result.stderr


@pytest.mark.parametrize("variable", ["EMAIL_URL", "SMS_BACKEND"])
def test_production_refuses_to_start_without_a_real_message_channel(variable):
    # given production settings where the operator forgot how messages are sent
    env = production_env()
    env.pop(variable)
    # when the app starts
    result = run_python(
        "import django, os; os.environ['DJANGO_SETTINGS_MODULE']='config.settings'; django.setup()", env
    )
    # then it refuses, naming the variable, instead of printing customers' messages to the log
    assert result.returncode != 0
    assert variable in result.stderr


def test_production_cookies_are_secure_and_https_is_enforced():
    code = """
import json, os
os.environ["DJANGO_SETTINGS_MODULE"] = "config.settings"
import django
django.setup()
from django.conf import settings
from django.test import Client
response = Client(HTTP_HOST="renewals.example.com").get("/accounts/login/", secure=True)
cookie = response.cookies["csrftoken"]
print(json.dumps({
    "status": response.status_code,
    "hsts": response.get("Strict-Transport-Security", ""),
    "csrf_secure": bool(cookie["secure"]),
    "csrf_samesite": cookie["samesite"],
    "session_secure": settings.SESSION_COOKIE_SECURE,
    "session_httponly": settings.SESSION_COOKIE_HTTPONLY,
    "ssl_redirect": settings.SECURE_SSL_REDIRECT,
    "plain_http_status": Client(HTTP_HOST="renewals.example.com").get("/accounts/login/").status_code,
}))
"""
    env = production_env(STATIC_MANIFEST="0")
    result = run_python(code, env)
    assert result.returncode == 0, result.stderr
    facts = json.loads(result.stdout.strip().splitlines()[-1])
    assert facts["status"] == 200
    assert "max-age=31536000" in facts["hsts"]
    assert facts["csrf_secure"] is True and facts["csrf_samesite"] == "Lax"
    assert facts["session_secure"] is True and facts["session_httponly"] is True
    assert facts["ssl_redirect"] is True and facts["plain_http_status"] == 301


@pytest.mark.django_db
def test_five_failed_logins_lock_the_account_even_for_the_right_password(client):
    # given a user
    make_user("specialist9", "specialist")
    # when the password is wrong five times
    for _ in range(settings.AXES_FAILURE_LIMIT):
        response = client.post("/accounts/login/", {"username": "specialist9", "password": "wrong"})
    # then the next attempt, even with the right password, is refused and nobody is logged in
    response = client.post("/accounts/login/", {"username": "specialist9", "password": "pw-for-tests-only"})
    assert response.status_code == 429
    assert "_auth_user_id" not in client.session
    assert settings.AXES_FAILURE_LIMIT == 5


@pytest.mark.django_db
def test_four_failed_logins_do_not_lock_out_the_right_password(client):
    make_user("specialist9", "specialist")
    for _ in range(settings.AXES_FAILURE_LIMIT - 1):
        assert client.post("/accounts/login/", {"username": "specialist9", "password": "wrong"}).status_code == 200
    response = client.post("/accounts/login/", {"username": "specialist9", "password": "pw-for-tests-only"})
    assert response.status_code == 302
    assert client.session["_auth_user_id"]


@pytest.mark.django_db
def test_pages_carry_a_strict_content_security_policy(client):
    response = client.get("/accounts/login/")
    policy = response["Content-Security-Policy"]
    assert "default-src 'self'" in policy
    assert "script-src 'self'" in policy
    assert "unsafe-inline" not in policy
    assert "frame-ancestors 'none'" in policy
    assert response["X-Frame-Options"] == "DENY"
    assert response["X-Content-Type-Options"] == "nosniff"


@pytest.mark.django_db
def test_language_switcher_turns_the_pages_into_simplified_chinese(client):
    # given an English page
    assert 'lang="en"' in client.get("/accounts/login/").content.decode()
    # when the visitor picks 简体中文 in the switcher
    response = client.post("/i18n/setlang/", {"language": "zh-hans", "next": "/accounts/login/"})
    assert response.status_code == 302
    # then the next page renders in Simplified Chinese
    page = client.get("/accounts/login/").content.decode()
    assert 'lang="zh-hans"' in page
    assert "登录" in page


@pytest.mark.django_db
def test_logged_in_layout_renders_in_simplified_chinese(client, manager):
    client.force_login(manager)
    page = client.get("/accounts/password_change/", HTTP_ACCEPT_LANGUAGE="zh-hans").content.decode()
    assert 'lang="zh-hans"' in page
    assert "简体中文" in page
    assert "修改密码" in page  # Django's own catalogue: the page heading
