"""A manager reads the KPI dashboard, changes the period and a filter, drills into the lost
cases and exports them as CSV."""

import re
from pathlib import Path

import pytest
import time_machine

from analytics.churn import churn_model_fit
from tests.analytics.demo_book import build_demo_book
from tests.conftest import make_user
from tests.e2e.conftest import E2E_DB
from tests.e2e.waiting import wait_until

pytestmark = [pytest.mark.e2e, E2E_DB]


def _tile(page, kpi):
    return page.locator(f'[data-kpi="{kpi}"] .kpi-value').inner_text()


@time_machine.travel("2026-11-26 10:00 +08:00", tick=True)
def test_manager_changes_period_and_filter_drills_into_lost_cases_and_exports(page, login, shot):
    # Given a book with six months of outcomes and a manager
    build_demo_book()
    make_user("boss", "manager", first_name="Zhang", last_name="Wei")
    # When the manager logs in, the dashboard is the home page (current month)
    login("boss")
    page.wait_for_url(re.compile(r"/analytics/"))
    wait_until(page, "document.querySelectorAll('canvas').length > 0 && window.Chart !== undefined")
    assert page.get_by_role("heading", name="KPI dashboard").is_visible()
    month_rate = _tile(page, "renewal_rate")
    month_charts = page.locator("#dashboard-data").text_content()
    shot("dashboard-month")

    # When the period becomes the quarter, the tiles and the URL change (htmx, no reload)
    page.get_by_label("Period", exact=True).select_option("quarter")
    page.wait_for_url(re.compile(r"period=quarter"))
    wait_until(page, "document.getElementById('dashboard-body').dataset.period.includes('Q4')")
    quarter_rate = _tile(page, "renewal_rate")
    assert quarter_rate != month_rate
    assert "2026 Q4" in page.locator("#dashboard-body").inner_text()

    # When a line is chosen, the figures narrow to it and the filter is kept in the URL
    page.get_by_label("Line", exact=True).select_option("auto")
    page.wait_for_url(re.compile(r"line=auto"))
    wait_until(
        page, "(v) => document.querySelector('[data-kpi=renewal_rate] .kpi-value').innerText !== v", arg=quarter_rate
    )
    assert page.locator("#chart-trend").is_visible()
    # the charts were redrawn from new data: only the Auto line is left in the trend
    assert page.locator("#dashboard-data").text_content() != month_charts
    # (htmx swaps the tiles before the chart script has redrawn the trend: wait for the new chart)
    wait_until(
        page,
        "(() => { const c = window.Chart && Chart.getChart('chart-trend');"
        " return !!c && JSON.stringify(c.data.datasets.map(d => d.label)) === '[\"Auto\"]'; })()",
    )
    shot("dashboard-quarter-auto")

    # When the manager drills into the lost cases, the list keeps the period and the filter
    page.get_by_role("link", name=re.compile(r"lost cases? →")).click()
    page.wait_for_url(re.compile(r"/analytics/cases/.*outcome=lost"))
    assert "line=auto" in page.url and "period=quarter" in page.url
    assert page.get_by_role("heading", name="Lost cases").is_visible()
    rows = page.locator("table.drill-table tbody tr")
    assert rows.count() > 0
    assert rows.first.locator("a[href^='/cases/']").count() == 1
    shot("drill-lost")

    # And exports them as CSV
    with page.expect_download() as download_info:
        page.get_by_role("link", name="CSV").click()
    content = Path(download_info.value.path()).read_text(encoding="utf-8").splitlines()
    assert content[0].startswith("case_id,policy,customer,line,expiry,stage,reason")
    assert len(content) == rows.count() + 1
    assert all(",auto," in line and ",lost," in line for line in content[1:])


@time_machine.travel("2026-11-26 10:00 +08:00", tick=True)
def test_manager_sets_a_target_and_the_tile_compares_with_it(page, login, shot):
    build_demo_book()
    churn_model_fit()
    make_user("boss", "manager")
    login("boss")
    page.get_by_role("link", name="Targets").click()
    page.get_by_label("Renewal rate", exact=True).fill("85")
    page.get_by_role("button", name="Save targets").click()
    assert page.get_by_role("alert").inner_text().strip().startswith("Targets saved")
    shot("targets")
    page.goto("/analytics/")
    tile = page.locator('[data-kpi="renewal_rate"]')
    assert "Target 85.0%" in tile.inner_text()
    page.get_by_role("link", name="Churn model").click()
    assert page.get_by_role("heading", name="Churn model").is_visible()
    assert page.locator("#model-auc").is_visible()
    shot("model")
