"""A specialist adds a rider and a service to a quote in the Chinese interface and sees the
itemised total; the customer unticks the rider on the offer page, sees the new total and
confirms; the successor policy carries the service."""

import datetime as dt
import re
from decimal import Decimal
from urllib.parse import urlparse

import pytest
import time_machine

from notifications.links import offer_url
from renewals.models import PolicyAddOn, RenewalCase, Stage
from tests.conftest import make_user
from tests.customers.factories import CustomerFactory
from tests.e2e.conftest import E2E_DB
from tests.e2e.waiting import wait_until
from tests.renewals.factories import PolicyFactory, RenewalCaseFactory

pytestmark = [pytest.mark.e2e, E2E_DB]


@time_machine.travel("2026-12-01 10:00 +08:00", tick=True)
def test_specialist_offers_addons_and_the_customer_chooses_on_the_offer_page(page, login, shot):
    specialist = make_user("lina", "specialist", first_name="Na", last_name="Li")
    customer = CustomerFactory(segment="vip", preferred_language="zh-hans", name="王小明")
    policy = PolicyFactory(
        customer=customer, premium=Decimal("3000.00"), end_date=dt.date(2026, 12, 31), attributes={"vehicle_age": 5}
    )
    case = RenewalCaseFactory(assignee=specialist, policy=policy)

    login("lina")
    page.get_by_label("Language").select_option("zh-hans")
    wait_until(page, "document.documentElement.lang === 'zh-hans'")
    page.goto(f"/cases/{case.pk}/")
    suggestions = page.get_by_test_id("suggestions").inner_text()
    assert "免费年检" in suggestions and "健康" in suggestions  # a VIP service, and the next line
    page.get_by_label("玻璃单独破碎险").check()
    page.get_by_label("道路救援").check()
    # The live preview: 3,000 × 1.03 = 3,090.00 base + 320.00 glass + 0.00 road assistance.
    wait_until(page, "document.querySelector('[data-testid=quoted-premium]').innerText.includes('3,410.00')")
    shot("case-addons-zh")
    page.get_by_role("button", name="保存报价").click()
    page.wait_for_load_state("networkidle")
    assert RenewalCase.objects.get(pk=case.pk).current_quote.premium == Decimal("3410.00")
    body = page.locator("main").inner_text()
    assert not re.search(r"\b(Add-ons|Rider|free|Next line)\b", body)

    customer_page = page.context.new_page()
    customer_page.goto(urlparse(offer_url(case)).path)
    assert "3,410.00" in customer_page.locator("main").inner_text()
    customer_page.get_by_label(re.compile("玻璃单独破碎险")).uncheck()
    customer_page.get_by_role("button", name="更新我的保费").click()
    customer_page.wait_for_load_state("networkidle")
    assert "3,090.00" in customer_page.locator("main").inner_text()
    shot_path = shot("offer-updated-zh")
    customer_page.screenshot(path=str(shot_path).replace("offer-updated-zh", "offer-page-zh"), full_page=True)
    customer_page.get_by_role("button", name="确认续保").click()
    customer_page.wait_for_load_state("networkidle")
    assert "已确认" in customer_page.locator("main").inner_text()

    case.refresh_from_db()
    assert case.stage == Stage.RENEWED and case.successor_policy.premium == Decimal("3090.00")
    assert [a.addon.code for a in PolicyAddOn.objects.filter(policy=case.successor_policy)] == ["auto-road-assist"]
