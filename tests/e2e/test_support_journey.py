"""Support staff: find a customer by the last 4 phone digits, log a complaint, see its SLA;
a customer answers a survey with 4 and the follow-up call appears for support."""

import datetime as dt
from urllib.parse import urlsplit

import pytest
from django.utils import timezone

from customers import links, services
from customers.models import Complaint, SurveyFollowUp
from tests.conftest import make_user
from tests.customers.factories import CustomerFactory
from tests.e2e.conftest import ARTIFACTS, E2E_DB

pytestmark = [pytest.mark.e2e, E2E_DB]


def test_support_finds_customer_by_last_four_digits_logs_complaint_and_sees_its_sla(page, login, shot):
    make_user("support1", "support", first_name="Chen", last_name="Jing")
    customer = CustomerFactory(name="Zhang Wei 张伟", phone="139-1234-5678", phone_digits="13912345678")
    CustomerFactory(name="Liu Yang", phone="13956781234", phone_digits="13956781234")  # 5678 not at the end

    login("support1")
    assert page.url.endswith("/complaints/")
    requests = []
    page.on("request", lambda request: requests.append((request.method, request.url, request.post_data or "")))
    page.get_by_label("Find a customer").fill("5678")
    results = page.locator("#quick-search-results .list-group-item")
    results.first.wait_for()
    # the phone digits travel in the POST body, never in a URL (access logs, browser history)
    assert not [url for _method, url, _body in requests if "5678" in urlsplit(url).query]
    assert any(m == "POST" and url.endswith("/customers/search/") and "q=5678" in body for m, url, body in requests)
    assert results.count() == 1
    assert "Zhang Wei" in results.first.inner_text()
    shot("quick-search")

    results.first.get_by_role("link", name="Log complaint").click()
    page.get_by_label("Category").select_option(label="Price")
    page.get_by_label("Severity").select_option("high")
    page.get_by_label("Description").fill("Renewal premium went up 30% with no explanation.")
    shot("log-form")
    page.get_by_role("button", name="Log complaint").click()
    page.wait_for_url("**/complaints/*/")
    assert page.get_by_role("heading", name="Timeline").is_visible()
    shot("detail")

    complaint = Complaint.objects.get(customer=customer)
    assert complaint.severity == "high" and complaint.status == "new"
    page.get_by_role("link", name="Complaints").first.click()
    row = page.locator("tr.complaint-row", has_text="Zhang Wei")
    row.wait_for()
    badge = row.locator(".sla-badge")
    assert "left" in badge.inner_text()
    assert "sla-near" in badge.get_attribute("class")  # acknowledge within a day: amber
    shot("queue")


def test_customer_answers_survey_with_four_and_support_gets_the_follow_up(browser, live_server, page, login, shot):
    make_user("support2", "support")
    customer = CustomerFactory(name="Huang Min", preferred_language="en")
    invitation = services.survey_invitation_create(
        customer_id=customer.pk, case_id=None, send_after=timezone.now() - dt.timedelta(days=1)
    )
    survey_path = urlsplit(links.survey_url(invitation)).path

    customer_context = browser.new_context(base_url=live_server.url, locale="en-US")
    survey = customer_context.new_page()
    ARTIFACTS.mkdir(exist_ok=True)
    try:
        survey.goto(survey_path)
        assert survey.get_by_text("How likely are you to recommend us to a friend?").is_visible()
        survey.get_by_text("4", exact=True).click()
        survey.get_by_label("Anything you would like to tell us?").fill("The renewal letter came too late.")
        survey.screenshot(path=str(ARTIFACTS / "support-journey-survey-form.png"), full_page=True)
        survey.get_by_role("button", name="Send my answer").click()
        survey.get_by_role("heading", name="Thank you for your answer").wait_for()
        assert survey.locator("#given-score").inner_text() == "4"
        survey.screenshot(path=str(ARTIFACTS / "support-journey-survey-thanks.png"), full_page=True)
        # Opening the link again shows the answer already given.
        survey.goto(survey_path)
        assert survey.locator("#given-score").inner_text() == "4"
    finally:
        customer_context.close()

    assert SurveyFollowUp.objects.filter(customer=customer, status="open").count() == 1
    login("support2")
    page.get_by_role("link", name="Follow-ups").click()
    card = page.locator("article.follow-up", has_text="Huang Min")
    assert "The renewal letter came too late." in card.inner_text()
    shot("follow-ups")
    card.get_by_label("Outcome of the call").fill("Called back, apologised; letters now go out 45 days ahead.")
    card.get_by_role("button", name="Done: loop closed").click()
    page.get_by_text("Follow-up done").wait_for()
    assert SurveyFollowUp.objects.get(customer=customer).status == "done"
    shot("follow-up-done")


def test_manager_tightens_the_sla_and_sees_breached_complaints_escalated(page, login, shot):
    make_user("manager1", "manager", first_name="Zhang", last_name="Wei")
    customer = CustomerFactory(name="Ma Lin", phone="13700001111", phone_digits="13700001111")
    services.survey_response_record(customer_id=customer.pk, score=3, comment="Too slow", channel="phone")
    old = services.complaint_log(
        customer_id=customer.pk,
        received_via="letter",
        category_id=Complaint._meta.get_field("category").related_model.objects.get(code="claims").pk,
        description="Claim still unpaid after six weeks.",
        received_at=timezone.now() - dt.timedelta(days=20),
    )
    services.complaints_escalate_breached()

    login("manager1")
    page.goto("/complaints/settings/")
    page.get_by_label("High: days to resolve").fill("3")
    page.get_by_role("button", name="Save service levels").click()
    page.get_by_text("Service levels saved").wait_for()
    shot("settings")

    page.goto("/complaints/?escalated=on")
    row = page.locator("tr.complaint-row", has_text="Ma Lin")
    assert "Overdue by" in row.locator(".sla-badge").inner_text()
    assert "sla-breached" in row.locator(".sla-badge").get_attribute("class")
    shot("escalated-queue")

    page.goto("/complaints/panel/escalated/")
    assert page.get_by_text(f"#{old.pk}").is_visible()
    # The customer page (renewals) loads the complaints-and-surveys panel with htmx.
    page.goto(f"/customers/{customer.pk}/")
    page.get_by_text("Claim still unpaid after six weeks.").wait_for()
    assert page.get_by_text("Too slow").is_visible()
    shot("customer-page-panel")

    urls = []
    page.on("request", lambda request: urls.append(request.url))
    page.get_by_label("Find a customer").fill("Ma Lin")
    with page.expect_navigation():
        page.get_by_label("Find a customer").press("Enter")
    # the full results page is the answer to a POST: the name is not in the address bar
    assert urlsplit(page.url).path == "/customers/search/" and not urlsplit(page.url).query
    page.locator("main table").get_by_role("link", name="Ma Lin").wait_for()
    shot("search-page")

    page.goto("/complaints/new/")
    page.get_by_label("Find the customer").fill("1111")
    page.locator("#customer-picker a", has_text="Ma Lin").click()
    assert not [url for url in urls if "q=" in urlsplit(url).query or "Ma+Lin" in url or "Ma%20Lin" in url]
    assert page.get_by_label("Description").is_visible()
    shot("log-form-picked")
