"""A manager reads the Team page (scorecard with sparklines, processing-time and capacity charts) in
English and Chinese; a specialist sees "My performance" beside their queue, without other names."""

import re
import shutil
from pathlib import Path

import pytest
import time_machine
from django.conf import settings
from django.core.management import call_command

from demo.team import team_history_seed
from tests.e2e.conftest import E2E_DB
from tests.e2e.waiting import wait_until

pytestmark = [pytest.mark.e2e, E2E_DB]
SHOTS = Path("/tmp/shots/team")  # noqa: S108  (where the team looks at screenshots; not a secret)


def keep(path: Path, name: str) -> None:
    SHOTS.mkdir(parents=True, exist_ok=True)
    shutil.copy(path, SHOTS / name)


def charts_drawn(page):
    wait_until(
        page, "window.Chart !== undefined && Chart.getChart('chart-processing') && Chart.getChart('chart-capacity')"
    )


@time_machine.travel("2026-11-26 10:00 +08:00", tick=True)
def test_manager_team_page_and_specialist_panel_in_english_and_chinese(page, login, shot):
    # Given the demo book with its team history
    call_command("seed_demo", customers=400, policies=900, skip_derived=True, verbosity=0)
    team_history_seed()
    # When the manager opens the Team page from the navigation
    login("manager1", settings.DEMO_PASSWORD)
    page.get_by_role("link", name="Team", exact=True).click()
    page.wait_for_url(re.compile(r"/analytics/team/"))
    charts_drawn(page)
    # Then the scorecard lists the four specialists, each with a sparkline, and the team median
    rows = page.locator("#scorecard tbody tr")
    assert rows.count() == 4
    assert page.evaluate("document.querySelectorAll('canvas[data-spark]').length") == 4
    assert page.evaluate("[...document.querySelectorAll('canvas[data-spark]')].every(c => Chart.getChart(c))")
    assert "Team median" in page.locator("#scorecard thead").inner_text()
    # and the processing time falls: the last month is shorter than the same month a year earlier
    series = page.evaluate("Chart.getChart('chart-processing').data.datasets.map(d => d.data)")
    current, year_ago = [v for v in series[0] if v is not None], [v for v in series[2] if v is not None]
    assert current and year_ago and current[-1] < year_ago[-1]
    # and the slowest specialist's coming weeks overflow their capacity
    assert page.locator("#capacity-table td.overflow").count() > 0
    keep(shot("team-en"), "team-en.png")

    # When the page is switched to Simplified Chinese
    page.locator("#language-select").select_option("zh-hans")
    page.wait_for_load_state("networkidle")
    charts_drawn(page)
    assert page.locator("html").get_attribute("lang") == "zh-hans"
    assert "团队" in page.locator("main h1").inner_text()
    main_text = page.locator("main").inner_text()
    for english in ("Target", "Balanced", "Capacity", "Composite", "Team median", "Export"):
        assert english not in main_text
    keep(shot("team-zh"), "team-zh.png")

    # When the manager rebalances the overflow, the cases move and the page says how many
    page.get_by_role("button", name=re.compile("重新分配")).click()
    page.wait_for_load_state("networkidle")
    assert re.search(r"\d+", page.locator(".alert").first.inner_text())

    # When a specialist opens their queue, the panel shows their own figures and the team median
    page.context.clear_cookies()
    login("specialist4", settings.DEMO_PASSWORD)
    page.goto("/cases/")
    panel = page.locator("#my-performance")
    panel.wait_for()
    assert "Team median" in panel.inner_text()
    keep(shot("panel-en"), "panel-en.png")
    page.locator("#language-select").select_option("zh-hans")
    page.wait_for_load_state("networkidle")
    page.locator("#my-performance").wait_for()
    text = page.locator("#my-performance").inner_text()
    assert "团队中位数" in text
    # and never another specialist's name
    for other in ("李娜", "王强", "陈静", "specialist1", "specialist2", "specialist3"):
        assert other not in text
    keep(shot("panel-zh"), "panel-zh.png")
