"""Staff pages and fragments: message logs, call to-dos, watchlist, message list, settings."""

import datetime as dt

import pytest
from django.utils import timezone

from notifications import services
from notifications.models import MessageTemplate, NoticeProof, OutboundMessage, ReminderStep
from renewals.models import CaseEvent
from tests.conftest import make_user
from tests.customers.factories import CustomerFactory
from tests.notifications.factories import OutboundMessageFactory, step
from tests.renewals.factories import PolicyFactory, RenewalCaseFactory

pytestmark = pytest.mark.django_db
M = OutboundMessage


def case_with_messages(*, due=None, assignee=None, customer=None):
    due = due or timezone.localdate() + dt.timedelta(days=20)
    case = RenewalCaseFactory(
        policy=PolicyFactory(end_date=due, customer=customer or CustomerFactory()), assignee=assignee
    )
    for offset, channel in ((-45, "email"), (-30, "sms"), (-14, "sms"), (-7, "call")):
        OutboundMessageFactory(case=case, step=step("auto", offset, channel))
    return case


def test_case_message_log_runs_a_constant_number_of_queries(client_for, specialist, django_assert_max_num_queries):
    case = case_with_messages()
    M.objects.filter(case=case, channel="sms").update(status=M.Status.SKIPPED, skip_reason="opted_out")
    client = client_for(specialist)
    with django_assert_max_num_queries(8):
        response = client.get(f"/notifications/cases/{case.pk}/messages/")
    assert response.status_code == 200
    text = response.content.decode()
    assert "T−45" in text and "Notice" in text
    assert "Customer opted out" in text


def test_case_message_log_shows_the_notice_proof(client_for, manager, smtp_server):
    case = case_with_messages()
    services.messages_dispatch_due(now=timezone.now())
    proof = NoticeProof.objects.get(case=case)
    response = client_for(manager).get(f"/notifications/cases/{case.pk}/messages/")
    text = response.content.decode()
    assert "Statutory notice proof" in text
    assert proof.content_hash in text


def test_message_fragments_need_a_staff_role(client_for):
    case = case_with_messages()
    nobody = make_user("nobody")
    client = client_for(nobody)
    assert client.get(f"/notifications/cases/{case.pk}/messages/").status_code == 403
    assert client.get(f"/notifications/customers/{case.customer_id}/messages/").status_code == 403


def test_customer_message_log(client_for, support, django_assert_max_num_queries):
    customer = CustomerFactory()
    case_with_messages(customer=customer)
    case_with_messages(customer=customer)
    client = client_for(support)
    with django_assert_max_num_queries(8):
        response = client.get(f"/notifications/customers/{customer.pk}/messages/")
    assert response.status_code == 200
    assert response.content.decode().count("<tr>") == 9  # header + 8 messages


def test_specialist_sees_only_their_due_call_tasks_and_marks_one_done(
    client_for, specialist, other_specialist, django_assert_max_num_queries
):
    # given a call step due on each specialist's case, and one not yet due
    mine = case_with_messages(due=timezone.localdate() + dt.timedelta(days=5), assignee=specialist)
    theirs = case_with_messages(due=timezone.localdate() + dt.timedelta(days=5), assignee=other_specialist)
    case_with_messages(due=timezone.localdate() + dt.timedelta(days=30), assignee=specialist)
    client = client_for(specialist)
    with django_assert_max_num_queries(8):
        response = client.get("/notifications/call-tasks/")
    text = response.content.decode()
    assert mine.customer.name in text
    assert theirs.customer.name not in text
    assert text.count("btn-outline-success") == 1
    # when the specialist marks it done (htmx)
    task = M.objects.get(case=mine, channel="call")
    response = client.post(f"/notifications/call-tasks/{task.pk}/done/", headers={"HX-Request": "true"})
    # then the task is done, on the timeline, and gone from the list
    assert response.status_code == 200
    assert "No reminder calls due." in response.content.decode()
    task.refresh_from_db()
    assert task.status == M.Status.SENT
    assert task.done_by == specialist
    assert CaseEvent.objects.filter(case=mine, kind="reminder", payload__status="done").exists()
    # and another specialist cannot tick it off
    other_task = M.objects.get(case=theirs, channel="call")
    assert (
        client.post(f"/notifications/call-tasks/{other_task.pk}/done/", headers={"HX-Request": "true"}).status_code
        == 403
    )


def test_watchlist_shows_overdue_red_and_due_soon_amber_but_not_sent_notices(
    client_for, manager, smtp_server, django_assert_max_num_queries
):
    today = timezone.localdate()
    # deadline = expiry - 45 days (auto)
    overdue = RenewalCaseFactory(policy=PolicyFactory(end_date=today + dt.timedelta(days=44)))
    soon = RenewalCaseFactory(policy=PolicyFactory(end_date=today + dt.timedelta(days=47)))
    later = RenewalCaseFactory(policy=PolicyFactory(end_date=today + dt.timedelta(days=60)))
    sent = RenewalCaseFactory(policy=PolicyFactory(end_date=today + dt.timedelta(days=44)))
    message = OutboundMessageFactory(case=sent, step=step("auto", -45, "email"))
    lease_token = services.message_claim_one(message_id=message.pk)
    services.message_dispatch(message_id=message.pk, lease_token=lease_token)
    client = client_for(manager)
    with django_assert_max_num_queries(8):
        response = client.get("/notifications/watchlist/")
    text = response.content.decode()
    assert response.status_code == 200
    assert overdue.customer.name in text and soon.customer.name in text
    assert later.customer.name not in text and sent.customer.name not in text
    assert text.index("watch-red") < text.index("watch-amber")


def test_watchlist_send_now_plans_the_notice_for_immediate_sending(
    client_for, manager, django_capture_on_commit_callbacks
):
    case = RenewalCaseFactory(policy=PolicyFactory(end_date=timezone.localdate() + dt.timedelta(days=40)))
    client = client_for(manager)
    with django_capture_on_commit_callbacks(execute=False) as callbacks:
        response = client.post(f"/notifications/cases/{case.pk}/send-notice/")
    assert response.status_code == 302
    notice = M.objects.get(case=case, is_notice=True)
    assert notice.status == M.Status.SCHEDULED
    assert notice.next_attempt_at <= timezone.now()
    assert len(callbacks) == 1  # the send task is enqueued after commit


def test_watchlist_is_for_managers_only(client_for, specialist):
    assert client_for(specialist).get("/notifications/watchlist/").status_code == 403


def test_message_list_filters_without_counting_the_table(client_for, manager, django_assert_max_num_queries):
    case = case_with_messages()
    M.objects.filter(case=case, channel="sms").update(status=M.Status.SKIPPED, skip_reason="no_address")
    client = client_for(manager)
    with django_assert_max_num_queries(8) as captured:
        response = client.get("/notifications/messages/?status=skipped&channel=sms&line=auto&reason=no_address")
    assert response.status_code == 200
    text = response.content.decode()
    assert text.count('<td class="small">No address') == 2
    assert "T−45" not in text
    assert not any("COUNT(" in query["sql"] for query in captured.captured_queries)
    assert client.get("/notifications/messages/?reason=opted_out").content.decode().count("<td>T−") == 0


def test_message_list_pages_by_id(client_for, manager):
    for _ in range(14):
        case_with_messages()  # 56 messages
    client = client_for(manager)
    first = client.get("/notifications/messages/").content.decode()
    assert "before=" in first
    oldest_on_first = M.objects.order_by("-id")[49].pk
    second = client.get(f"/notifications/messages/?before={oldest_on_first}").content.decode()
    assert second.count("<td>T−") == 6


def test_settings_page_lists_every_line_and_step(client_for, manager, django_assert_max_num_queries):
    client = client_for(manager)
    with django_assert_max_num_queries(10):
        response = client.get("/notifications/settings/")
    assert response.status_code == 200
    text = response.content.decode()
    assert text.count("Statutory notice") >= 3
    assert "T+15" in text


def test_template_that_fails_to_render_is_refused_on_save(client_for, manager):
    template = MessageTemplate.objects.filter(step__line__code="auto", language="en").first()
    before = template.body
    client = client_for(manager)
    response = client.post(
        f"/notifications/settings/templates/{template.pk}/", {"subject": "Hi", "body": "{% if customer_name %}oops"}
    )
    assert response.status_code == 400
    assert "does not render" in response.content.decode()
    template.refresh_from_db()
    assert template.body == before


@pytest.mark.parametrize("body", ["{% include 'base.html' %}", "{% load static %}{% static 'x' %}"])
def test_templates_cannot_reach_outside_their_sandbox(client_for, manager, body):
    template = MessageTemplate.objects.filter(step__isnull=False).first()
    response = client_for(manager).post(
        f"/notifications/settings/templates/{template.pk}/", {"subject": "", "body": body}
    )
    assert response.status_code == 400


def test_valid_template_is_saved_and_previewed(client_for, manager):
    template = MessageTemplate.objects.filter(step__line__code="auto", language="en", channel="sms").first()
    client = client_for(manager)
    preview = client.post(
        f"/notifications/settings/templates/{template.pk}/preview/",
        {"subject": "", "body": "Hello {{ customer_name }}, {{ expiry_date }}"},
        headers={"HX-Request": "true"},
    )
    assert "Hello Li Na, 31 Dec 2026" in preview.content.decode()
    response = client.post(
        f"/notifications/settings/templates/{template.pk}/", {"subject": "", "body": "Hi {{ customer_name }}"}
    )
    assert response.status_code == 302
    template.refresh_from_db()
    assert template.body == "Hi {{ customer_name }}"
    assert template.updated_by == manager


def test_notice_step_cannot_move_inside_the_statutory_lead_time(client_for, manager):
    notice = ReminderStep.objects.get(line__code="auto", is_notice=True)
    client = client_for(manager)
    response = client.post(f"/notifications/settings/steps/{notice.pk}/", {"offset_days": "-30", "active": "on"})
    assert response.status_code == 200
    assert "at least 45 days" in response.content.decode()
    notice.refresh_from_db()
    assert notice.offset_days == -45
    other = ReminderStep.objects.get(line__code="auto", offset_days=-30)
    assert client.post(f"/notifications/settings/steps/{other.pk}/", {"offset_days": "-28"}).status_code == 302
    other.refresh_from_db()
    assert (other.offset_days, other.active) == (-28, False)


def test_template_and_step_edit_pages_run_few_queries(client_for, manager, django_assert_max_num_queries):
    template = MessageTemplate.objects.filter(step__isnull=False).first()
    client = client_for(manager)
    with django_assert_max_num_queries(6):
        assert client.get(f"/notifications/settings/templates/{template.pk}/").status_code == 200
    with django_assert_max_num_queries(6):
        assert client.get(f"/notifications/settings/steps/{template.step_id}/").status_code == 200
    assert client_for(make_user("spec-settings", "specialist")).get("/notifications/settings/").status_code == 403


def test_manager_also_sees_call_tasks_of_unassigned_cases(client_for, manager, specialist):
    unassigned = case_with_messages(due=timezone.localdate() + dt.timedelta(days=5))
    case_with_messages(due=timezone.localdate() + dt.timedelta(days=5), assignee=specialist)
    text = client_for(manager).get("/notifications/call-tasks/").content.decode()
    assert unassigned.customer.name in text
    assert text.count("btn-outline-success") == 1
