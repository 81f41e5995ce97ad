"""Run a Playwright scenario in its own thread with its own browser.

The browser journeys of tests/e2e share a session-wide Playwright whose event loop runs in the main
thread; a second sync Playwright in that thread is refused. Running ours in a worker thread keeps
these tests independent of where they sit and of which other browser tests ran first.
"""

import os
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path

from django.conf import settings

from tests.e2e.conftest import CHROMIUM, CHROMIUM_ARGS, PASSWORD

os.environ.setdefault("DJANGO_ALLOW_ASYNC_UNSAFE", "true")
ARTIFACTS = Path(settings.BASE_DIR) / "test-artifacts"


def run_in_browser(base_url: str, name: str, scenario) -> None:
    """``scenario(page, shot)`` runs against ``base_url``; ``shot(step)`` saves a screenshot."""

    def work():
        from playwright.sync_api import sync_playwright

        with sync_playwright() as playwright:
            browser = playwright.chromium.launch(executable_path=CHROMIUM, headless=True, args=CHROMIUM_ARGS)
            context = browser.new_context(base_url=base_url, viewport={"width": 1366, "height": 900}, locale="en-US")
            context.set_default_timeout(10_000)
            page = context.new_page()
            ARTIFACTS.mkdir(exist_ok=True)

            def shot(step):
                page.screenshot(path=str(ARTIFACTS / f"{name}-{step}.png"), full_page=True)

            try:
                scenario(page, shot)
            finally:
                shot("final")
                context.close()
                browser.close()

    with ThreadPoolExecutor(max_workers=1) as pool:
        pool.submit(work).result()


def login(page, username: str) -> None:
    page.goto("/accounts/login/")
    page.get_by_label("Username").fill(username)
    page.get_by_label("Password").fill(PASSWORD)
    page.get_by_role("button", name="Log in").click()
    page.wait_for_load_state("networkidle")
