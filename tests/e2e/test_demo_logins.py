"""Each demo user logs in with the demo password and lands on their role's home page."""

import re

import pytest
from django.conf import settings
from django.core.management import call_command

from tests.e2e.conftest import E2E_DB

pytestmark = [pytest.mark.e2e, E2E_DB]

HOMES = [
    # username, landing path, the navigation entry marked as the current page
    ("specialist1", "/cases/", "My queue"),
    ("manager1", "/analytics/", "Dashboard"),
    ("support1", "/complaints/", "Complaints"),
]


def seed_demo_book():
    """The demo users and a small seeded book, as `make run` makes them."""
    call_command("seed_demo", customers=150, policies=300, skip_derived=True, verbosity=0)


@pytest.mark.parametrize(("username", "home", "nav_label"), HOMES, ids=[h[0] for h in HOMES])
def test_demo_user_logs_in_and_lands_on_their_home_page(page, login, shot, username, home, nav_label):
    # given the demo book and the login page
    seed_demo_book()
    page.goto("/accounts/login/")
    assert page.get_by_role("heading", level=1).inner_text().strip()
    # when the demo user logs in with the demo password
    login(username, settings.DEMO_PASSWORD)
    # then they land on their role's home page, with its heading and their navigation
    assert page.url.endswith(home), page.url
    assert page.locator("main h1").first.inner_text().strip()
    current = page.get_by_role("navigation", name="Main navigation").locator("[aria-current=page]")
    assert current.inner_text().strip() == nav_label
    assert page.get_by_role("button", name=username).is_visible()
    shot("home")


def test_login_page_and_layout_switch_to_simplified_chinese(page, shot):
    # given the demo book and the login page in English
    seed_demo_book()
    page.goto("/accounts/login/")
    shot("login-en")
    # when the visitor picks 简体中文 in the header
    page.get_by_label("Language").select_option("zh-hans")
    page.wait_for_load_state("networkidle")
    # then the page is in Simplified Chinese
    assert page.locator("html").get_attribute("lang") == "zh-hans"
    assert re.search("登录", page.content())
    shot("login-zh-hans")
    # and stays so after logging in
    page.locator("#id_username").fill("manager1")
    page.locator("#id_password").fill(settings.DEMO_PASSWORD)
    page.locator("form button[type=submit]").click()
    page.wait_for_load_state("networkidle")
    assert page.url.endswith("/analytics/")
    assert page.locator("html").get_attribute("lang") == "zh-hans"
    shot("manager-home-zh-hans")
