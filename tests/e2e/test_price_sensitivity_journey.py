"""A manager reads the price-sensitivity chart on the dashboard, in English and in Chinese; the
chart's points are the renewal rates counted by hand."""

import re

import pytest
import time_machine

from renewals.models import Stage
from tests.analytics.factories import quoted_case
from tests.conftest import make_user
from tests.e2e.conftest import E2E_DB

pytestmark = [pytest.mark.e2e, E2E_DB]


def _book():
    # Auto, expiring 1,000.00, policies expiring in November 2026.
    for quoted, stage in [
        ("950.00", Stage.RENEWED),
        ("900.00", Stage.RENEWED),
        ("920.00", Stage.RENEWED),
        ("940.00", Stage.LOST),
        ("1000.00", Stage.RENEWED),
        ("980.00", Stage.RENEWED),
        ("990.00", Stage.LOST),
        ("1030.00", Stage.RENEWED),
        ("1040.00", Stage.RENEWED),
        ("1050.00", Stage.LOST),
        ("1020.00", Stage.LOST),
        ("1080.00", Stage.RENEWED),
        ("1090.00", Stage.LOST),
        ("1100.00", Stage.LAPSED),
        ("1150.00", Stage.LOST),
        ("1200.00", Stage.RENEWED),
        ("1180.00", Stage.LOST),
        ("1160.00", Stage.LOST),
        ("1300.00", Stage.LOST),
        ("1250.00", Stage.LOST),
    ]:
        quoted_case(quoted, stage)


# By hand, band by band: ≤ −5 %: 950, 900, 920 renewed, 940 lost → 3 of 4 = 75.0 %;
# −5..0: 1000, 980 renewed, 990 lost → 2 of 3 = 66.7 %; 0..5: 1030, 1040 renewed, 1050, 1020
# lost → 2 of 4 = 50.0 %; 5..10: 1080 renewed, 1090 lost, 1100 lapsed → 1 of 3 = 33.3 %;
# 10..20: 1200 renewed, 1150, 1180, 1160 lost → 1 of 4 = 25.0 %; > 20 %: 0 of 2 = 0.0 %.
BY_HAND = [75.0, 66.7, 50.0, 33.3, 25.0, 0.0]


def _read_chart(page):
    # Polled from here: wait_for_function's polling evaluates strings in the page, which the CSP forbids.
    ready = "window.Chart !== undefined && Chart.getChart('chart-price-sensitivity') !== undefined"
    for _attempt in range(50):
        if page.evaluate(ready):
            break
        page.wait_for_timeout(200)
    return page.evaluate(
        "(() => { const c = Chart.getChart('chart-price-sensitivity');"
        " return {labels: c.data.labels, sets: c.data.datasets.map(d => ({label: d.label, data: d.data}))}; })()"
    )


@time_machine.travel("2026-12-02 10:00 +08:00", tick=True)
def test_manager_reads_the_price_sensitivity_chart_in_english_and_chinese(page, login, shot):
    _book()
    make_user("boss", "manager", first_name="Zhang", last_name="Wei")
    login("boss")
    page.goto("/analytics/?period=month&month=2026-11")
    card = page.locator("section[aria-labelledby=price-heading]")
    card.get_by_role("heading", name="Price sensitivity").wait_for()
    chart = _read_chart(page)
    assert chart["labels"] == ["≤ −5%", "−5 to 0%", "0 to 5%", "5 to 10%", "10 to 20%", "> 20%"]
    assert chart["sets"][0] == {"label": "All lines", "data": BY_HAND}
    assert chart["sets"][1] == {"label": "Auto", "data": BY_HAND}
    assert card.locator("canvas#chart-price-sensitivity").is_visible()
    # The table says the same, with its counts.
    first = card.locator("tr[data-band=le_m5]").inner_text()
    assert re.sub(r"\s+", " ", first).startswith("≤ −5% 4 3 75.0%")
    card.scroll_into_view_if_needed()
    card.screenshot(path=str(shot("dashboard-en").with_name("price-sensitivity-card-en.png")))

    # In Chinese: the same figures, translated labels.
    with page.expect_navigation():
        page.get_by_label("Language").select_option("zh-hans")
    page.wait_for_load_state("networkidle")
    assert page.locator("html").get_attribute("lang") == "zh-hans"
    page.goto("/analytics/?period=month&month=2026-11")
    card = page.locator("section[aria-labelledby=price-heading]")
    card.get_by_role("heading", name="价格敏感度").wait_for()
    chart = _read_chart(page)
    assert chart["labels"] == ["≤ −5%", "−5% 至 0%", "0% 至 5%", "5% 至 10%", "10% 至 20%", "> 20%"]
    assert chart["sets"][0]["data"] == BY_HAND and chart["sets"][0]["label"] != "All lines"
    assert "续保率" in card.inner_text()
    card.scroll_into_view_if_needed()
    card.screenshot(path=str(shot("dashboard-zh").with_name("price-sensitivity-card-zh.png")))
