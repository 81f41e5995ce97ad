"""Survey follow-ups are assigned on screen, and the API starts work on a complaint like the screen
does (issue 12)."""

import pytest

from core.errors import ApplicationError
from customers import services
from customers.models import Complaint, ComplaintEvent, SurveyFollowUp
from tests.customers.factories import CustomerFactory, log_complaint

pytestmark = pytest.mark.django_db


@pytest.fixture
def follow_up(db):
    answer = services.survey_response_record(customer_id=CustomerFactory().pk, score=3, channel="phone")
    return answer.follow_up


def _assign_form(page: str, follow_up_id: int) -> str:
    """The assign form of one call-back as the page renders it."""
    start = page.index(f'action="/complaints/follow-ups/{follow_up_id}/assign/"')
    return page[start : page.index("</form>", start)]


def test_support_assigns_a_call_back_from_the_follow_ups_page(client, support, manager, follow_up):
    # given the follow-ups page with its assignee picker
    client.force_login(support)
    form = _assign_form(client.get("/complaints/follow-ups/").content.decode(), follow_up.pk)
    assert 'name="assign-assignee"' in form and f'value="{manager.pk}"' in form
    # when support picks the manager and submits, as the page does
    response = client.post(f"/complaints/follow-ups/{follow_up.pk}/assign/", {"assign-assignee": str(manager.pk)})
    # then the call-back is the manager's, and the page shows it selected
    assert response.status_code == 302 and response["Location"] == "/complaints/follow-ups/"
    follow_up.refresh_from_db()
    assert follow_up.assignee == manager
    form = _assign_form(client.get("/complaints/follow-ups/").content.decode(), follow_up.pk)
    assert f'value="{manager.pk}" selected' in form


def test_unassigning_a_call_back(client, support, follow_up):
    services.survey_follow_up_assign(follow_up_id=follow_up.pk, assignee_id=support.pk)
    client.force_login(support)
    client.post(f"/complaints/follow-ups/{follow_up.pk}/assign/", {"assign-assignee": ""})
    follow_up.refresh_from_db()
    assert follow_up.assignee is None


@pytest.mark.parametrize("assignee", ["specialist", "abc", "99999999"])
def test_a_call_back_goes_only_to_support_or_managers(client, request, support, follow_up, assignee):
    value = str(request.getfixturevalue(assignee).pk) if assignee == "specialist" else assignee
    client.force_login(support)
    response = client.post(f"/complaints/follow-ups/{follow_up.pk}/assign/", {"assign-assignee": value}, follow=True)
    assert response.status_code == 200
    assert "Assignee" in response.content.decode()  # the message names the field
    follow_up.refresh_from_db()
    assert follow_up.assignee is None


def test_the_service_refuses_a_specialist_and_a_done_call_back(specialist, support, follow_up):
    with pytest.raises(ApplicationError) as error:
        services.survey_follow_up_assign(follow_up_id=follow_up.pk, assignee_id=specialist.pk)
    assert error.value.field == "assignee"
    services.survey_follow_up_complete(follow_up_id=follow_up.pk, actor=support, outcome="Called back")
    with pytest.raises(ApplicationError) as error:
        services.survey_follow_up_assign(follow_up_id=follow_up.pk, assignee_id=support.pk)
    assert error.value.status == 409
    assert SurveyFollowUp.objects.get().assignee is None


def test_specialists_cannot_assign_call_backs(client, specialist, follow_up):
    client.force_login(specialist)
    response = client.post(f"/complaints/follow-ups/{follow_up.pk}/assign/", {"assign-assignee": ""})
    assert response.status_code == 403


def test_follow_ups_page_query_count_does_not_grow_with_call_backs(client, support, django_assert_max_num_queries):
    for _ in range(8):
        services.survey_response_record(customer_id=CustomerFactory().pk, score=1, channel="phone")
    client.force_login(support)
    with django_assert_max_num_queries(7):
        response = client.get("/complaints/follow-ups/")
    assert response.content.decode().count('name="assign-assignee"') == 8


# --- the API's "start" -------------------------------------------------------------------


def test_support_starts_work_on_a_complaint_through_the_api(api, support):
    complaint = log_complaint()
    response = api(support).post(f"/api/v1/complaints/{complaint.pk}/start/", {"note": "Calling"}, format="json")
    assert response.status_code == 200
    assert response.json()["status"] == "in_progress" and response.json()["acknowledged_at"]
    assert ComplaintEvent.objects.filter(complaint=complaint, kind="started", note="Calling").exists()


def test_specialists_cannot_start_work_through_the_api(api, specialist):
    complaint = log_complaint()
    assert api(specialist).post(f"/api/v1/complaints/{complaint.pk}/start/", {}, format="json").status_code == 403
    assert Complaint.objects.get(pk=complaint.pk).status == "new"


def test_starting_a_resolved_complaint_through_the_api_is_409(api, manager):
    complaint = log_complaint()
    services.complaint_resolve(complaint_id=complaint.pk, actor=manager, resolution="r", upheld=False, root_cause="x")
    response = api(manager).post(f"/api/v1/complaints/{complaint.pk}/start/", {}, format="json")
    assert response.status_code == 409 and response.json()["code"] == "invalid_transition"
    assert Complaint.objects.get(pk=complaint.pk).status == "resolved"
