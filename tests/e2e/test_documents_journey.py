"""Documents in the browser: a specialist issues and downloads the offer and the notice from the
case page, the customer downloads their offer and confirms online, and the confirmation that the
renewal issued is downloaded from the case page; in English and in 简体中文."""

from pathlib import Path
from urllib.parse import urlsplit

import pytest

from notifications.links import offer_url
from renewals.models import Stage
from tests.conftest import make_user
from tests.documents.conftest import pdf_text, quoted_case
from tests.e2e.conftest import E2E_DB

pytestmark = [pytest.mark.e2e, E2E_DB]


@pytest.fixture
def eager_tasks():
    """The live server runs the confirmation job inline after the renewal commits (no worker here)."""
    from config.celery import app

    previous = app.conf.task_always_eager
    app.conf.task_always_eager = True
    yield
    app.conf.task_always_eager = previous


def _download(page, locator) -> bytes:
    with page.expect_download() as info:
        locator.click()
    return Path(info.value.path()).read_bytes()


def test_specialist_and_customer_download_each_document(page, browser, live_server, login, shot, eager_tasks):
    specialist = make_user("spec", "specialist", first_name="Li", last_name="Na")
    case = quoted_case(assignee=specialist, name="张伟", language="zh-hans")
    login("spec")

    # the case page: the documents card with "what changed", then issue and download the offer
    page.goto(f"/cases/{case.pk}/")
    panel = page.locator("section", has=page.get_by_role("heading", name="Documents", exact=True))
    panel.get_by_text("claims in the last term +8.4 %").wait_for()
    panel.get_by_label("Issue again").select_option("offer")
    panel.get_by_role("button", name="Issue", exact=True).click()
    page.get_by_text("Renewal offer issued (version 1).").wait_for()
    offer = _download(page, page.locator('[data-download="offer"]'))
    assert "续保要约" in pdf_text(offer) and "张伟" in pdf_text(offer)
    panel.get_by_label("Issue again").select_option("notice")
    panel.get_by_role("button", name="Issue", exact=True).click()
    page.get_by_text("Statutory renewal notice issued (version 1).").wait_for()
    notice = _download(page, page.locator('[data-download="notice"]'))
    assert "法定续保通知" in pdf_text(notice)
    shot("case-en")

    # the same page in Chinese: no English words in the documents card
    page.context.add_cookies([{"name": "django_language", "value": "zh-hans", "url": live_server.url}])
    page.goto(f"/cases/{case.pk}/")
    page.get_by_role("heading", name="文件", exact=True).wait_for()
    page.get_by_text("保费变化及原因").wait_for()
    shot("case-zh")

    # the customer, on their offer link: download the offer, then confirm
    customer = browser.new_context(base_url=live_server.url, locale="zh-CN", viewport={"width": 900, "height": 900})
    offer_page = customer.new_page()
    offer_page.goto(urlsplit(offer_url(case)).path)
    customer_offer = _download(offer_page, offer_page.get_by_role("link", name="下载续保要约（PDF）"))
    assert "张伟" in pdf_text(customer_offer) and "CNY 3,299.94" in pdf_text(customer_offer)
    offer_page.screenshot(path=str(shot("customer-before").with_name("customer-offer-zh.png")), full_page=True)
    offer_page.get_by_role("button", name="确认续保").click()
    offer_page.get_by_text("您的续保已确认").wait_for()
    customer.close()
    case.refresh_from_db()
    assert case.stage == Stage.RENEWED

    # back on the case page: the confirmation the renewal issued, with the online acceptance
    page.goto(f"/cases/{case.pk}/")
    confirmation = _download(page, page.locator('[data-download="confirmation"]'))
    text = pdf_text(confirmation)
    assert "续保确认书" in text and case.successor_policy.number in text and "在线（要约链接）" in text
    shot("confirmed")
