"""Reminders in the browser: settings with live preview, compliance watchlist, call to-dos, the
message list, and the customer's offer and unsubscribe pages."""

import datetime as dt
from decimal import Decimal
from urllib.parse import urlsplit

import pytest
from django.utils import timezone

from notifications.links import offer_url, unsubscribe_url
from notifications.models import MessageTemplate, OutboundMessage
from renewals import services as renewal_services
from renewals.models import Stage
from tests.conftest import make_user
from tests.customers.factories import CustomerFactory
from tests.e2e.conftest import E2E_DB
from tests.notifications.factories import OutboundMessageFactory, step
from tests.renewals.factories import PolicyFactory, RenewalCaseFactory

pytestmark = [pytest.mark.e2e, E2E_DB]


def test_manager_edits_a_template_with_live_preview_and_works_the_watchlist(page, login, shot):
    make_user("boss", "manager")
    today = timezone.localdate()
    overdue = RenewalCaseFactory(
        policy=PolicyFactory(end_date=today + dt.timedelta(days=43), customer=CustomerFactory(name="Zhou Overdue"))
    )
    RenewalCaseFactory(
        policy=PolicyFactory(end_date=today + dt.timedelta(days=47), customer=CustomerFactory(name="Qian Soon"))
    )
    skipped = OutboundMessageFactory(step=step("auto", -30, "sms"))
    OutboundMessage.objects.filter(pk=skipped.pk).update(status="skipped", skip_reason="opted_out")
    login("boss")

    # settings: every line's steps, and a template edited with a live preview
    page.goto("/notifications/settings/")
    assert page.get_by_role("heading", name="Reminder settings").is_visible()
    shot("settings")
    template = MessageTemplate.objects.get(step__line__code="auto", step__offset_days=-30, language="en")
    page.goto(f"/notifications/settings/templates/{template.pk}/")
    page.get_by_label("Body").fill("Hello {{ customer_name }}, your cover ends {{ expiry_date }}.")
    page.locator("#template-preview").get_by_text("Hello Li Na, your cover ends 31 Dec 2026.").wait_for()
    shot("template-preview")
    page.get_by_label("Body").fill("Hello {% if customer_name %}")
    page.locator("#template-preview").get_by_text("does not render").wait_for()
    shot("template-broken")
    page.get_by_role("button", name="Save").click()
    assert page.get_by_text("The template does not render").first.is_visible()
    page.get_by_label("Body").fill("Hi {{ customer_name }}, renew here: {{ renewal_link }}")
    page.get_by_role("button", name="Save").click()
    page.get_by_text("Template saved.").wait_for()

    # watchlist: the overdue notice is red, send it now
    page.goto("/notifications/watchlist/")
    assert page.locator("tr.watch-red").get_by_text("Zhou Overdue").is_visible()
    assert page.locator("tr.watch-amber").get_by_text("Qian Soon").is_visible()
    shot("watchlist")
    page.locator("tr.watch-red", has_text="Zhou Overdue").get_by_role("button", name="Send now").click()
    page.get_by_text("The renewal notice is being sent.").wait_for()
    assert OutboundMessage.objects.filter(case=overdue, is_notice=True, status__in=["scheduled", "sending", "sent"])

    # the message list with a failure-reason filter
    page.goto("/notifications/messages/")
    page.get_by_label("Failure reason").select_option("opted_out")
    page.wait_for_url("**reason=opted_out**")
    assert page.get_by_text("Customer opted out").last.is_visible()
    shot("messages")


def test_specialist_ticks_off_a_reminder_call_from_the_queue(page, login, shot):
    specialist = make_user("spec", "specialist", first_name="Li", last_name="Na")
    case = RenewalCaseFactory(
        policy=PolicyFactory(
            end_date=timezone.localdate() + dt.timedelta(days=6), customer=CustomerFactory(name="Sun Caller")
        ),
        assignee=specialist,
    )
    OutboundMessageFactory(case=case, step=step("auto", -7, "call"))
    login("spec")
    page.goto("/cases/")
    tasks = page.locator("#call-tasks")
    tasks.get_by_text("Sun Caller").wait_for()
    shot("queue-call-task")
    tasks.get_by_role("button", name="Mark call to Sun Caller done").click()
    page.locator("#call-tasks").get_by_text("No reminder calls due.").wait_for()
    page.goto(f"/cases/{case.pk}/")
    page.get_by_role("heading", name="Reminders", exact=True).wait_for()
    shot("case-reminders")


def test_customer_confirms_the_renewal_and_unsubscribes_from_sms(page, shot):
    specialist = make_user("spec-offer", "specialist")
    customer = CustomerFactory(name="Ada Lovelace", preferred_language="en")
    case = RenewalCaseFactory(policy=PolicyFactory(customer=customer), assignee=specialist)
    renewal_services.quote_prepare(case_id=case.pk, actor=specialist, discount_percent=Decimal("0"))
    page.goto(urlsplit(offer_url(case)).path)
    page.get_by_role("heading", name="Your renewal offer, Ada Lovelace").wait_for()
    shot("offer")
    page.get_by_role("button", name="Confirm renewal").click()
    page.get_by_role("heading", name="Your renewal is confirmed").wait_for()
    shot("offer-confirmed")
    case.refresh_from_db()
    assert case.stage == Stage.RENEWED

    page.goto(urlsplit(unsubscribe_url(customer, "sms")).path)
    page.get_by_role("button", name="Unsubscribe").click()
    page.get_by_role("heading", name="You are unsubscribed").wait_for()
    shot("unsubscribed")
    customer.refresh_from_db()
    assert customer.consent_sms is False

    page.goto("/offer/not-a-real-token/")
    page.get_by_role("heading", name="This link is not valid").wait_for()
    shot("bad-link")
