"""Browser checks (Chromium via Playwright): the manager's upload journey with htmx progress,
the profile page's token, and Swagger UI rendering offline within the CSP."""

from urllib.parse import urlparse

import pytest

from renewals.imports import tasks
from renewals.models import Policy
from tests.conftest import make_user
from tests.e2e.conftest import E2E_DB
from tests.imports.browser import login, run_in_browser
from tests.imports.helpers import csv_bytes, row

pytestmark = [pytest.mark.e2e, E2E_DB]


def test_manager_uploads_a_file_and_watches_it_import(live_server, settings, tmp_path, monkeypatch):
    settings.MEDIA_ROOT = str(tmp_path / "media")
    queued = []
    monkeypatch.setattr(tasks.import_policies_job, "delay", lambda job_id: queued.append(job_id))
    make_user("boss", "manager")
    upload = tmp_path / "book.csv"
    upload.write_bytes(csv_bytes([row(), row(policy_number="P-0002", email="not-an-email")]))

    def scenario(page, shot):
        login(page, "boss")
        page.get_by_role("link", name="Import").click()
        page.get_by_label("Policy file (CSV or XLSX)").set_input_files(str(upload))
        shot("upload-form")
        page.get_by_role("button", name="Upload and import").click()
        page.get_by_text("Waiting for a worker").wait_for()
        shot("queued")

        tasks.import_policies_job(queued[0])  # the worker runs; the page's poll picks it up

        page.get_by_text("1 row with errors was not imported").wait_for(timeout=10_000)
        shot("done")
        assert page.get_by_role("cell", name="is not an email address").is_visible()
        assert page.get_by_role("link", name="Download the error report (CSV)").is_visible()

    run_in_browser(live_server.url, "import-upload", scenario)
    assert Policy.objects.filter(number="P-0001").exists()


def test_profile_page_shows_and_rotates_the_api_token(live_server):
    make_user("boss", "manager")

    def scenario(page, shot):
        login(page, "boss")
        page.get_by_role("button", name="boss").click()
        page.get_by_role("link", name="Profile and API token").click()
        token = page.get_by_label("Your token").input_value()
        assert len(token) == 40
        page.get_by_role("button", name="Rotate token").click()
        assert page.get_by_label("Your token").input_value() != token
        shot("rotated")

    run_in_browser(live_server.url, "profile-token", scenario)


def test_swagger_ui_renders_offline_within_the_csp(live_server):
    problems, hosts = [], set()
    make_user("reader", "specialist")

    def scenario(page, shot):
        page.on("console", lambda msg: problems.append(msg.text) if msg.type == "error" else None)
        page.on("request", lambda request: hosts.add(urlparse(request.url).netloc))
        login(page, "reader")  # the docs are for the desk's staff
        page.goto("/api/docs/")
        page.wait_for_selector(".opblock-summary-path", timeout=20_000)
        shot("loaded")
        paths = page.locator(".opblock-summary-path").all_inner_texts()
        assert any("/api/v1/cases/{id}/quote/" in p for p in paths)

    run_in_browser(live_server.url, "swagger-ui", scenario)
    assert not [p for p in problems if "Content Security Policy" in p or "Refused" in p], problems
    assert hosts <= {urlparse(live_server.url).netloc}, hosts
