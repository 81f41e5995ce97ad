"""A manager edits the VIP playbook on its settings page (the live count follows the form), in
English and in Chinese; a VIP case opened afterwards goes to the senior specialist with the new
version, a standard case to the line's default, and both case pages say so."""

import datetime as dt
from decimal import Decimal

import pytest
import time_machine

from renewals import services as renewal_services
from renewals.models import Playbook, RenewalCase
from tests.conftest import make_user
from tests.customers.factories import CustomerFactory
from tests.e2e.conftest import E2E_DB
from tests.e2e.waiting import wait_until
from tests.renewals.factories import PolicyFactory, RenewalCaseFactory
from tests.renewals.playbook_factories import default_playbook, make_senior, vip_playbook

pytestmark = [pytest.mark.e2e, E2E_DB]


@pytest.mark.parametrize("language", ["en", "zh-hans"])
@time_machine.travel("2026-11-01 10:00 +08:00", tick=True)
def test_manager_edits_a_playbook_and_cases_follow_it(page, login, shot, language):
    manager = make_user("boss", "manager", first_name="Zhang", last_name="Wei")
    senior = make_user("senior", "specialist", first_name="Li", last_name="Na")
    make_user("junior", "specialist", first_name="Wang", last_name="Fang")
    make_senior(senior)
    playbook = vip_playbook(manager)
    for _ in range(2):  # open VIP cases the live count finds
        RenewalCaseFactory(
            policy=PolicyFactory(end_date=dt.date(2026, 12, 20), customer=CustomerFactory(segment="vip")),
            playbook_version=default_playbook().current_version,
        )

    login("boss")
    if language == "zh-hans":
        page.get_by_label("Language").select_option("zh-hans")
        wait_until(page, "document.documentElement.lang === 'zh-hans'")
    page.goto("/settings/playbooks/")
    zh = language == "zh-hans"
    page.get_by_role("link", name="VIP 专属" if zh else "VIP care").click()
    page.wait_for_load_state("networkidle")
    count = page.locator("#playbook-count")
    assert ("2 个未结案件符合此规则" if zh else "2 open cases match this rule") in count.inner_text()
    # ticking "high value" too widens the rule: the count follows without a save
    page.get_by_label("高价值" if zh else "High value").check()
    wait_until(page, "document.querySelector('#playbook-count') !== null")
    page.get_by_label("首次联系时限（天）" if zh else "First contact within (days)").fill("1")
    page.get_by_label("高价值" if zh else "High value").uncheck()
    page.wait_for_timeout(600)
    shot(f"playbook-edit-{language}")
    page.get_by_role("button", name="保存" if zh else "Save").click()
    page.wait_for_load_state("networkidle")
    assert ("续保策略已保存" if zh else "Playbook saved") in page.locator("body").inner_text()
    playbook.refresh_from_db()
    assert playbook.current_version.number == 2 and playbook.current_version.first_contact_days == 1

    # the nightly opening after the edit: a VIP case and a standard one
    vip_policy = PolicyFactory(end_date=dt.date(2026, 12, 31), customer=CustomerFactory(segment="vip"))
    standard_policy = PolicyFactory(end_date=dt.date(2026, 12, 31), premium=Decimal("900.00"))
    renewal_services.cases_open_due(on_date=dt.date(2026, 11, 1))
    vip_case = RenewalCase.objects.get(policy=vip_policy)
    standard_case = RenewalCase.objects.get(policy=standard_policy)
    assert vip_case.assignee == senior and vip_case.playbook_version.number == 2
    assert standard_case.playbook_version.playbook == default_playbook()

    page.goto(f"/cases/{vip_case.pk}/")
    card = page.locator("#case-playbook").inner_text()
    assert ("VIP 专属" if zh else "VIP care") in card and "v2" in card
    assert ("仅邮件" if zh else "e-mail only") in card and "senior" in card
    shot(f"playbook-vip-case-{language}")
    page.goto(f"/cases/{standard_case.pk}/")
    card = page.locator("#case-playbook").inner_text()
    assert ("车险：标准" if zh else "Auto: standard") in card
    assert ("险种默认策略" if zh else "the line's default") in card
    shot(f"playbook-standard-case-{language}")
    assert Playbook.objects.filter(status="active").count() == 4


@time_machine.travel("2026-11-01 10:00 +08:00", tick=True)
def test_the_live_count_and_quote_preview_urls_carry_no_csrf_token(page, login):
    manager = make_user("boss", "manager")
    specialist = make_user("li", "specialist")
    playbook = vip_playbook(manager)
    case = RenewalCaseFactory(
        assignee=specialist, policy=PolicyFactory(end_date=dt.date(2026, 12, 20), customer=CustomerFactory())
    )
    urls = []
    page.on("request", lambda request: urls.append(request.url))

    login("boss")
    page.goto(f"/settings/playbooks/{playbook.pk}/")
    with page.expect_response(lambda r: "/settings/playbooks/match-count/" in r.url):
        page.get_by_label("High value").check()
    page.context.clear_cookies()
    login("li")
    page.goto(f"/cases/{case.pk}/")
    with page.expect_response(lambda r: "/quote/preview/" in r.url):
        page.locator("#quote-discount").fill("5")
    sent = [u for u in urls if "/match-count/" in u or "/quote/preview/" in u]
    # both GETs carry the form's fields (the rule, the discount) but never the CSRF token
    assert any("pb-segments=high_value" in u for u in sent) and any("quote-discount_percent=5" in u for u in sent)
    assert not [u for u in sent if "csrfmiddlewaretoken" in u]
