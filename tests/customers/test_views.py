import datetime as dt
from urllib.parse import urlsplit

import pytest
import time_machine
from django.core import signing
from django.test import Client

from customers import links, services
from customers.models import Complaint, SurveyFollowUp, SurveyInvitation
from tests.conftest import make_user
from tests.customers.factories import CustomerFactory, category, log_complaint

pytestmark = pytest.mark.django_db
NOW = dt.datetime(2026, 11, 26, 2, 0, tzinfo=dt.UTC)


# --- permissions -------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("path", "allowed"),
    [
        ("/complaints/", {"support", "manager"}),
        ("/complaints/new/", {"support", "manager"}),
        ("/complaints/settings/", {"manager"}),
        ("/complaints/follow-ups/", {"support", "manager"}),
        ("/complaints/surveys/", {"support", "manager"}),
        ("/complaints/surveys/record/", {"support", "manager"}),
        ("/complaints/panel/escalated/", {"support", "manager", "specialist"}),
        ("/customers/search/", {"support", "manager", "specialist"}),
    ],
)
def test_each_page_is_open_only_to_its_roles(client, path, allowed):
    for role in ("support", "manager", "specialist"):
        client.force_login(make_user(f"user-{role}", role))
        response = client.get(path)
        assert response.status_code == (200 if role in allowed else 403), (path, role)
    client.force_login(make_user("no-role"))
    assert client.get(path).status_code == 403


def test_specialist_reads_complaints_on_the_customer_panel_but_cannot_open_or_change_them(client, specialist):
    complaint = log_complaint(description="Rude agent on the phone")
    client.force_login(specialist)

    panel = client.get(f"/complaints/panel/customer/{complaint.customer_id}/")
    assert panel.status_code == 200
    assert "Rude agent on the phone" in panel.content.decode()
    assert f"/complaints/{complaint.pk}/" not in panel.content.decode()
    assert client.get(f"/complaints/{complaint.pk}/").status_code == 403
    assert client.post(f"/complaints/{complaint.pk}/acknowledge/").status_code == 403
    complaint.refresh_from_db()
    assert complaint.status == "new"


def test_anonymous_users_are_sent_to_login(client):
    response = client.get("/complaints/")
    assert response.status_code == 302
    assert "/accounts/login/" in response["Location"]


# --- complaint pages ---------------------------------------------------------------------


@time_machine.travel(NOW, tick=False)
def test_support_logs_a_back_dated_complaint_through_the_form(client, support):
    customer = CustomerFactory()
    client.force_login(support)

    response = client.post(
        f"/complaints/new/?customer={customer.pk}",
        {
            "customer": customer.pk,
            "received_via": "phone",
            "received_at": "2026-11-25T09:30",  # Asia/Shanghai local time
            "category": category("price").pk,
            "severity": "normal",
            "description": "Renewal price is 20% higher.",
        },
    )

    complaint = Complaint.objects.get()
    assert response.status_code == 302
    assert response["Location"] == f"/complaints/{complaint.pk}/"
    assert complaint.received_at == dt.datetime(2026, 11, 25, 1, 30, tzinfo=dt.UTC)
    assert complaint.sla_due_at == complaint.received_at + dt.timedelta(days=15)
    assert complaint.assignee == support
    assert complaint.created_by == support


@time_machine.travel(NOW, tick=False)
def test_future_received_time_is_shown_as_a_form_error(client, support):
    customer = CustomerFactory()
    client.force_login(support)
    response = client.post(
        "/complaints/new/",
        {
            "customer": customer.pk,
            "received_via": "phone",
            "received_at": "2026-11-27T09:30",
            "category": category().pk,
            "severity": "normal",
            "description": "x",
        },
    )
    assert response.status_code == 400  # a refused form answers 400 (issue 11), re-rendered with the error
    assert "cannot be in the future" in response.content.decode()
    assert not Complaint.objects.exists()


def test_queue_lists_most_urgent_first_with_sla_classes(client, support):
    with time_machine.travel(NOW - dt.timedelta(days=20), tick=False):
        breached = log_complaint(description="old one")
    with time_machine.travel(NOW - dt.timedelta(hours=12), tick=False):
        near = log_complaint(description="near one")  # acknowledge due in 12 h
    with time_machine.travel(NOW, tick=False):
        services.complaint_acknowledge(complaint_id=(fresh := log_complaint()).pk, actor=support)
        client.force_login(support)
        response = client.get("/complaints/")
    body = response.content.decode()
    assert body.index(f"#{breached.pk}<") < body.index(f"#{near.pk}<") < body.index(f"#{fresh.pk}<")
    complaints = response.context["complaints"]
    assert [c.sla.css for c in complaints] == ["sla-breached", "sla-near", "sla-ok"]
    assert "Overdue by" in body and "left" in body


def test_queue_filters_by_severity_and_assignee(client, support):
    mine = log_complaint(severity="high", assignee_id=support.pk)
    log_complaint(severity="low")
    client.force_login(support)
    response = client.get("/complaints/", {"severity": "high", "assignee": "me"})
    assert [c.pk for c in response.context["complaints"]] == [mine.pk]


def test_queue_query_count_does_not_grow_with_rows(client, support, django_assert_max_num_queries):
    customer = CustomerFactory()
    for _ in range(30):
        log_complaint(customer=customer, assignee_id=support.pk)
    client.force_login(support)
    with django_assert_max_num_queries(9):
        response = client.get("/complaints/")
    assert len(response.context["complaints"]) == 30


def test_detail_query_count_does_not_grow_with_the_timeline(client, support, django_assert_max_num_queries):
    complaint = log_complaint()
    for _ in range(5):
        services.complaint_assign(complaint_id=complaint.pk, assignee_id=support.pk, actor=support)
    client.force_login(support)
    with django_assert_max_num_queries(9):
        response = client.get(f"/complaints/{complaint.pk}/")
    assert response.status_code == 200
    assert response.content.decode().count("timeline-item") == 6


def test_status_buttons_move_the_complaint_and_resolve_needs_its_fields(client, support):
    complaint = log_complaint()
    client.force_login(support)
    client.post(f"/complaints/{complaint.pk}/acknowledge/")
    client.post(f"/complaints/{complaint.pk}/start/")
    bad = client.post(f"/complaints/{complaint.pk}/resolve/", {"resolve-resolution": "Refund"})
    assert bad.status_code == 400
    client.post(
        f"/complaints/{complaint.pk}/resolve/",
        {"resolve-resolution": "Refund", "resolve-upheld": "yes", "resolve-root_cause": "Pricing"},
    )
    complaint.refresh_from_db()
    assert complaint.status == "resolved" and complaint.upheld is True
    response = client.post(f"/complaints/{complaint.pk}/resolve/", {"x": "y"}, follow=True)
    assert response.status_code == 400  # form errors: nothing changes


def test_invalid_transition_shows_a_message_not_an_error_page(client, support):
    complaint = log_complaint()
    client.force_login(support)
    response = client.post(f"/complaints/{complaint.pk}/close/", follow=True)
    assert response.status_code == 200
    assert "cannot become" in response.content.decode()


def test_manager_edits_sla_and_survey_delay(client, manager):
    client.force_login(manager)
    data = {"section": "sla"}
    for severity, (ack, resolve) in {"low": (3, 40), "normal": (2, 10), "high": (1, 3)}.items():
        data[f"{severity}-acknowledge_days"] = ack
        data[f"{severity}-resolve_days"] = resolve
    assert client.post("/complaints/settings/", data).status_code == 302
    assert (
        client.post(
            "/complaints/settings/", {"section": "voice", "voice-survey_delay_days": 5, "voice-sla_near_hours": 12}
        ).status_code
        == 302
    )
    from customers.selectors import sla_days, survey_delay_days

    assert sla_days("normal") == (2, 10)
    assert survey_delay_days() == 5


def test_escalated_panel_lists_breached_complaints(client, manager):
    with time_machine.travel(NOW - dt.timedelta(days=2), tick=False):
        complaint = log_complaint()
    services.complaints_escalate_breached()
    client.force_login(manager)
    response = client.get("/complaints/panel/escalated/")
    assert f"#{complaint.pk}" in response.content.decode()
    assert "sla-breached" in response.content.decode()


# --- quick search ------------------------------------------------------------------------


def test_search_returns_a_fragment_for_htmx_and_a_page_otherwise(client, specialist):
    customer = CustomerFactory(name="Wang Xiaoming")
    client.force_login(specialist)
    fragment = client.post("/customers/search/", {"q": "xiaom"}, HTTP_HX_REQUEST="true")
    page = client.post("/customers/search/", {"q": "xiaom"})
    assert f'href="/customers/{customer.pk}/"' in fragment.content.decode()
    assert "<html" not in fragment.content.decode()
    assert "<html" in page.content.decode() and f"/customers/{customer.pk}/" in page.content.decode()


# --- survey links ------------------------------------------------------------------------


@pytest.fixture
def invitation(db):
    customer = CustomerFactory(preferred_language="en")
    return services.survey_invitation_create(customer_id=customer.pk, case_id=None, send_after=NOW)


def _path(url):
    return urlsplit(url).path


def test_survey_link_has_no_personal_data_and_records_one_answer(client, invitation):
    url = links.survey_url(invitation)
    assert url.startswith("http")
    assert invitation.customer.name not in url and invitation.customer.phone not in url
    path = _path(url)

    page = client.get(path)
    assert page.status_code == 200
    assert "How likely are you to recommend us to a friend?" in page.content.decode()
    response = client.post(path, {"score": "9", "comment": "Great"})
    assert response.status_code == 302
    invitation.refresh_from_db()
    assert invitation.response.score == 9 and invitation.response.channel == "link"
    assert not SurveyFollowUp.objects.exists()


def test_replayed_survey_submit_shows_the_answer_already_given(client, invitation):
    path = _path(links.survey_url(invitation))
    client.post(path, {"score": "4", "comment": "Too expensive"})
    replay = client.post(path, {"score": "10"})
    assert replay.status_code == 200
    assert 'id="given-score">4<' in replay.content.decode()
    invitation.refresh_from_db()
    assert invitation.response.score == 4
    assert invitation.customer.survey_responses.count() == 1


def test_expired_survey_link_gets_a_friendly_page(client, invitation):
    with time_machine.travel(NOW - dt.timedelta(days=31), tick=False):
        path = _path(links.survey_url(invitation))
    response = client.get(path)
    assert response.status_code == 410
    assert "expired" in response.content.decode()


def test_tampered_survey_link_gets_a_friendly_page(client, invitation):
    path = _path(links.survey_url(invitation))
    token = path.split("/")[2]
    forged = signing.dumps({"i": invitation.pk + 1}, salt="another-purpose")
    for bad in (token[:-2] + ("AA" if not token.endswith("AA") else "BB"), forged, "nonsense"):
        response = client.get(f"/surveys/{bad}/")
        assert response.status_code == 400
        assert "does not work" in response.content.decode()


def test_survey_link_for_a_deleted_invitation_is_friendly(client, invitation):
    path = _path(links.survey_url(invitation))
    SurveyInvitation.objects.all().delete()
    assert client.get(path).status_code == 404


def test_survey_page_speaks_the_customers_language(client):
    customer = CustomerFactory(preferred_language="zh-hans")
    invitation = services.survey_invitation_create(customer_id=customer.pk, case_id=None, send_after=NOW)
    response = client.get(_path(links.survey_url(invitation)))
    assert response.status_code == 200
    assert 'lang="zh-hans"' in response.content.decode()


@time_machine.travel(NOW, tick=False)
def test_survey_page_is_rate_limited(client, invitation, settings):
    settings.REST_FRAMEWORK = {**settings.REST_FRAMEWORK, "DEFAULT_THROTTLE_RATES": {"public_links": "5/min"}}
    path = _path(links.survey_url(invitation))
    statuses = [client.get(path).status_code for _ in range(7)]
    assert statuses == [200] * 5 + [429] * 2
    assert "Please wait a moment" in client.get(path).content.decode()


def test_detractor_answer_via_link_creates_a_follow_up_that_support_closes(client, invitation, support):
    client.post(_path(links.survey_url(invitation)), {"score": "4", "comment": "Nobody called me back"})
    follow_up = SurveyFollowUp.objects.get()
    client.force_login(support)
    listing = client.get("/complaints/follow-ups/")
    assert "Nobody called me back" in listing.content.decode()

    client.post(f"/complaints/follow-ups/{follow_up.pk}/done/", {"outcome": "Apologised, explained the price"})

    follow_up.refresh_from_db()
    assert follow_up.status == "done" and follow_up.done_by == support
    assert "Nobody called me back" not in client.get("/complaints/follow-ups/").content.decode()


@time_machine.travel(NOW, tick=False)
def test_support_records_a_phone_answer_with_the_time_given(client, support):
    customer = CustomerFactory()
    client.force_login(support)
    response = client.post(
        f"/complaints/surveys/record/?customer={customer.pk}",
        {
            "customer": customer.pk,
            "score": "6",
            "comment": "meh",
            "responded_at": "2026-11-25T15:00",
            "channel": "phone",
        },
    )
    assert response.status_code == 302
    answer = customer.survey_responses.get()
    assert answer.channel == "phone" and answer.recorded_by == support
    assert answer.responded_at == dt.datetime(2026, 11, 25, 7, 0, tzinfo=dt.UTC)
    assert answer.follow_up.status == "open"


def test_customer_panel_query_count_does_not_grow_with_complaints_and_answers(
    client, specialist, django_assert_max_num_queries
):
    customer = CustomerFactory()
    for score in (2, 5, 9, 10):
        services.survey_response_record(customer_id=customer.pk, score=score, channel="phone")
    for _ in range(8):
        log_complaint(customer=customer)
    client.force_login(specialist)
    with django_assert_max_num_queries(7):
        response = client.get(f"/complaints/panel/customer/{customer.pk}/")
    assert response.content.decode().count("border-bottom py-2") == 8


def test_follow_up_list_and_escalated_panel_query_counts_are_constant(client, manager, django_assert_max_num_queries):
    for score in range(7):
        services.survey_response_record(customer_id=CustomerFactory().pk, score=score, channel="phone", comment="x")
    with time_machine.travel(NOW - dt.timedelta(days=30), tick=False):
        for _ in range(6):
            log_complaint()
    services.complaints_escalate_breached()
    client.force_login(manager)
    with django_assert_max_num_queries(6):
        assert len(client.get("/complaints/follow-ups/").context["follow_ups"]) == 7
    with django_assert_max_num_queries(6):
        assert len(client.get("/complaints/panel/escalated/").context["complaints"]) == 6


def test_escalation_task_is_registered_under_the_beat_schedule_name():
    from config.celery import BEAT_SCHEDULE, app

    name = BEAT_SCHEDULE["escalate-complaints"]["task"]
    app.loader.import_default_modules()  # what a worker does at start (autodiscovery)
    assert name == "customers.tasks.escalate_breached_complaints"
    assert name in app.tasks


def test_survey_page_follows_the_language_the_customer_picks_with_the_switcher(client):
    customer = CustomerFactory(preferred_language="zh-hans")
    invitation = services.survey_invitation_create(customer_id=customer.pk, case_id=None, send_after=NOW)
    client.cookies["django_language"] = "en"
    response = client.get(_path(links.survey_url(invitation)))
    assert 'lang="en"' in response.content.decode()


def test_emptied_search_box_gets_an_empty_fragment(client, support):
    client.force_login(support)
    response = client.post("/customers/search/", {"q": " "}, HTTP_HX_REQUEST="true")
    assert response.status_code == 200 and response.content == b""


def test_search_terms_in_the_query_string_are_ignored(client, support):
    # given a customer whose name someone puts in the URL (old bookmarks, hand-typed links)
    CustomerFactory(name="Wang Xiaoming")
    client.force_login(support)
    # when the search page is opened with ?q=
    page = client.get("/customers/search/", {"q": "xiaom"})
    fragment = client.get("/customers/search/", {"q": "xiaom"}, HTTP_HX_REQUEST="true")
    # then only the empty search page is shown: no search ran, the term is not echoed back
    assert page.status_code == 200 and "Find a customer" in page.content.decode()
    assert "Wang Xiaoming" not in page.content.decode() and 'value="xiaom"' not in page.content.decode()
    assert fragment.content == b""


def test_full_search_page_posts_the_term_with_a_csrf_token(client, support):
    client.force_login(support)
    body = client.get("/customers/search/").content.decode()
    form = body[body.index('<form class="row g-2 mb-3"') :]
    form = form[: form.index("</form>")]
    assert 'method="post"' in form and "csrfmiddlewaretoken" in form


def test_search_post_without_a_csrf_token_is_refused(support):
    csrf_client = Client(enforce_csrf_checks=True)
    csrf_client.force_login(support)
    assert csrf_client.post("/customers/search/", {"q": "xiaom"}).status_code == 403


@pytest.mark.parametrize(
    ("extra", "target"), [({}, "/complaints/new/"), ({"for": "survey"}, "/complaints/surveys/record/")]
)
def test_customer_picker_takes_the_term_by_post(client, support, extra, target):
    customer = CustomerFactory(name="Li Na", phone="139-0000-4321", phone_digits="13900004321")
    client.force_login(support)
    response = client.post("/complaints/new/customers/", {"q": "4321", **extra}, HTTP_HX_REQUEST="true")
    assert f'href="{target}?customer={customer.pk}"' in response.content.decode()
    assert client.get("/complaints/new/customers/", {"q": "4321"}).status_code == 405
