"""A specialist's day in Chromium: top case, a call, a quote above authority, the manager approves,
the case is renewed and the successor policy shows on the customer page."""

import datetime as dt
import re
from decimal import Decimal

import pytest
from django.utils import timezone
from playwright.sync_api import expect

from renewals import services
from renewals.models import DiscountAuthority, Policy, RenewalCase
from tests.conftest import make_user
from tests.customers.factories import CustomerFactory
from tests.e2e.conftest import E2E_DB
from tests.renewals.factories import PolicyFactory, line

pytestmark = [pytest.mark.e2e, E2E_DB]


def test_specialist_renews_top_case_after_manager_approves_discount(page, login, shot):
    # given a specialist with 5% authority on auto, a manager, and three policies whose window is open
    specialist = make_user("li.na", "specialist", first_name="Li", last_name="Na")
    make_user("zhang.wei", "manager", first_name="Zhang", last_name="Wei")
    DiscountAuthority.objects.create(user=specialist, line=line("auto"), max_discount_percent=Decimal("5"))
    today = timezone.localdate()
    top_customer = CustomerFactory(name="Wang Xiuying", segment="vip", region="Shanghai")
    PolicyFactory(customer=top_customer, premium=Decimal("8600.00"), end_date=today + dt.timedelta(days=40))
    PolicyFactory(premium=Decimal("2100.00"), end_date=today + dt.timedelta(days=20))
    PolicyFactory(premium=Decimal("3900.00"), end_date=today + dt.timedelta(days=50))
    assert services.cases_open_due(on_date=today) == 3

    # when the specialist opens their queue, the biggest premium at stake is on top
    login("li.na")
    expect(page.get_by_role("heading", name="My queue")).to_be_visible()
    shot("queue")
    # the search narrows the list in place (htmx), then clearing it brings every case back
    page.get_by_label("Search", exact=True).fill("Wang Xiu")
    expect(page.locator("table.table-queue tbody tr")).to_have_count(1)
    assert "q=Wang" in page.url
    page.get_by_label("Search", exact=True).fill("")
    expect(page.locator("table.table-queue tbody tr")).to_have_count(3)
    first_row = page.locator("table.table-queue tbody tr").first
    expect(first_row).to_contain_text("Wang Xiuying")
    first_row.get_by_role("link").click()
    expect(page.get_by_role("heading", name=re.compile("Renewal of"))).to_be_visible()

    # logs a call that reached the customer
    page.get_by_label("Channel").select_option("phone")
    page.get_by_label("Note", exact=True).first.fill("Customer wants a better price; VIP for 3 years.")
    page.get_by_role("button", name="Log contact").click()
    expect(page.get_by_role("alert").first).to_contain_text("Contact logged")
    expect(page.locator("h1 .stage-badge")).to_have_text("Contacted")

    # quotes with 12% discount: the breakdown recalculates live and warns it is above authority
    page.get_by_label("Discount (%)").fill("12")
    expect(page.locator("#quote-breakdown")).to_contain_text("Above your authority")
    # 8600 × 1.03 = 8858.00 × 0.88 = 7795.04
    expect(page.get_by_test_id("quoted-premium").first).to_contain_text("7,795.04")
    shot("quote-breakdown")
    page.get_by_role("button", name="Save quote").click()
    expect(page.get_by_test_id("approval-status").first).to_have_text("Awaiting approval")
    expect(page.get_by_role("button", name="Mark renewed")).to_have_count(0)

    # the manager approves it from the approvals queue
    page.context.clear_cookies()
    login("zhang.wei")
    page.goto("/cases/approvals/")
    expect(page.get_by_role("cell", name="Wang Xiuying VIP")).to_be_visible()
    shot("approvals")
    page.get_by_label("Comment").fill("VIP, loyal: approved")
    page.get_by_role("button", name="Approve").click()
    expect(page.get_by_role("alert").first).to_contain_text("Discount approved")

    # the specialist sees the approval and marks the case renewed
    page.context.clear_cookies()
    login("li.na")
    case = RenewalCase.objects.get(customer=top_customer)
    page.goto(f"/cases/{case.pk}/")
    expect(page.get_by_test_id("approval-status").first).to_have_text("Approved")
    expect(page.get_by_role("complementary").get_by_text("VIP, loyal: approved")).to_be_visible()
    page.get_by_role("button", name="Mark renewed").click()
    expect(page.get_by_role("alert").first).to_contain_text("successor policy")
    expect(page.locator("h1 .stage-badge")).to_have_text("Renewed")
    shot("renewed")

    # then the successor policy appears on the customer page
    successor = Policy.objects.get(previous_policy=case.policy)
    assert successor.premium == Decimal("7795.04")
    page.get_by_role("link", name="Wang Xiuying").click()
    expect(page.get_by_test_id("policies")).to_contain_text(successor.number)
    shot("customer")


def test_manager_rebalances_queue_and_audits_settings(page, login, shot):
    # given two specialists, one of them away with open cases, and a manager
    away = make_user("wang.fang", "specialist", first_name="Wang", last_name="Fang")
    make_user("li.na", "specialist", first_name="Li", last_name="Na")
    make_user("zhang.wei", "manager", first_name="Zhang", last_name="Wei")
    today = timezone.localdate()
    for days, premium in ((15, "1800.00"), (30, "5200.00"), (45, "2600.00")):
        PolicyFactory(premium=Decimal(premium), end_date=today + dt.timedelta(days=days))
    services.cases_open_due(on_date=today)
    RenewalCase.objects.update(assignee=away)

    # when the manager marks the specialist away and hands over their cases
    login("zhang.wei")
    page.goto("/cases/")
    expect(page.get_by_role("heading", name="Team queue")).to_be_visible()
    shot("team-queue")
    page.goto("/settings/specialists/")
    row = page.get_by_role("row", name=re.compile("Wang Fang"))
    row.get_by_label("Away").check()
    row.get_by_role("button", name="Save").click()
    expect(page.get_by_role("alert").first).to_contain_text("Specialist saved")
    page.get_by_role("row", name=re.compile("Wang Fang")).get_by_role(
        "button", name=re.compile("Hand over 3 cases")
    ).click()
    expect(page.get_by_role("alert").first).to_contain_text("3 open cases handed")
    shot("specialists")

    # and changes the auto line's window
    page.goto("/settings/lines/")
    page.get_by_label("renewal window (days)").first.fill("75")
    page.get_by_role("button", name="Save").first.click()
    expect(page.get_by_role("alert").first).to_contain_text("Line saved")
    shot("lines")
    for section in ("pricing", "authority", "reasons"):
        page.goto(f"/settings/{section}/")
        expect(page.get_by_role("heading", level=2).first).to_be_visible()
        shot(section)

    # then every case moved and both changes are in the audit log
    assert set(RenewalCase.objects.values_list("assignee__username", flat=True)) == {"li.na"}
    page.goto("/settings/")
    expect(page.get_by_role("cell", name="renewal_window_days: 60 → 75")).to_be_visible()
    shot("settings")
