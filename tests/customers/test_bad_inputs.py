"""Bad input on the customer voice pages answers a clear 400 (or the last page), never a 500, and
writes nothing (issue 11: page numbers, ids, length limits, constraint messages)."""

import pytest
from django.utils import translation

from customers import limits
from customers.forms import SlaForm
from customers.models import Complaint, ComplaintCategory, ComplaintEvent, ComplaintSla, SurveyFollowUp
from customers.selectors import QUEUE_PAGE_SIZE
from tests.customers.factories import CustomerFactory, category, log_complaint

pytestmark = pytest.mark.django_db


# --- page numbers ------------------------------------------------------------------------


@pytest.mark.parametrize("page", ["99999999999999999999", "3", str(2**63), "9" * 5000])
def test_a_page_past_the_end_shows_the_last_page(client, support, page):
    # given two pages of open complaints
    customer = CustomerFactory()
    for _ in range(QUEUE_PAGE_SIZE + 3):
        log_complaint(customer=customer)
    client.force_login(support)
    # when a page number past the end (or past bigint) is asked for
    response = client.get("/complaints/", {"page": page})
    # then the last page answers
    assert response.status_code == 200
    assert response.context["page"] == (1 if page == "9" * 5000 else 2)  # 5,000 digits are no number
    assert len(response.context["complaints"]) == (QUEUE_PAGE_SIZE if page == "9" * 5000 else 3)


def test_a_page_past_the_end_of_an_empty_queue_is_page_one(client, support):
    client.force_login(support)
    response = client.get("/complaints/", {"page": "99999999999999999999", "status": "closed"})
    assert response.status_code == 200
    assert response.context["page"] == 1 and response.context["complaints"] == []


# --- ids in the settings forms -----------------------------------------------------------


@pytest.mark.parametrize("category_id", ["abc", "99999", "99999999999999999999", ""])
def test_toggling_an_unknown_or_malformed_category_is_refused(client, manager, category_id):
    # given the seeded categories
    before = list(ComplaintCategory.objects.order_by("pk").values_list("pk", "active"))
    client.force_login(manager)
    # when the toggle button is posted with a bad id (what the page sends, with the id replaced)
    response = client.post("/complaints/settings/", {"section": "category-toggle", "category_id": category_id})
    # then 400 with a message, and nothing changed
    assert response.status_code == 400
    assert "Choose a category from the list." in response.content.decode()
    assert list(ComplaintCategory.objects.order_by("pk").values_list("pk", "active")) == before


def test_toggling_a_category_still_works(client, manager):
    price = category("price")
    client.force_login(manager)
    response = client.post("/complaints/settings/", {"section": "category-toggle", "category_id": str(price.pk)})
    assert response.status_code == 302
    price.refresh_from_db()
    assert price.active is False


# --- free text has one limit in the forms and the API ------------------------------------


def _form_field(form_class, name, **kwargs):
    return form_class(**kwargs).fields[name]


def test_forms_and_api_share_one_length_limit_per_field():
    from customers import api, forms

    pairs = [
        (forms.ComplaintLogForm().fields["description"], api.ComplaintCreateSerializer().fields["description"]),
        (forms.ResolveForm().fields["resolution"], api.ResolveSerializer().fields["resolution"]),
        (forms.ResolveForm().fields["root_cause"], api.ResolveSerializer().fields["root_cause"]),
        (forms.NoteForm().fields["note"], api.NoteSerializer().fields["note"]),
        (forms.PhoneAnswerForm().fields["comment"], api.SurveyResponseSerializer().fields["comment"]),
    ]
    for form_field, api_field in pairs:
        assert form_field.max_length == api_field.max_length
    assert forms.SurveyAnswerForm().fields["comment"].max_length == limits.SURVEY_COMMENT_MAX_LENGTH
    assert forms.FollowUpDoneForm().fields["outcome"].max_length == limits.FOLLOW_UP_OUTCOME_MAX_LENGTH


def test_complaint_form_refuses_a_description_longer_than_the_api_accepts(client, support):
    customer = CustomerFactory()
    client.force_login(support)
    response = client.post(
        f"/complaints/new/?customer={customer.pk}",
        {
            "customer": customer.pk,
            "received_via": "phone",
            "received_at": "2026-01-05T09:30",
            "category": category().pk,
            "severity": "normal",
            "description": "x" * (limits.COMPLAINT_DESCRIPTION_MAX_LENGTH + 1),
        },
    )
    assert response.status_code == 400
    assert response.context["form"].errors["description"]
    assert not Complaint.objects.exists()


def test_reopen_note_longer_than_the_limit_is_refused_and_the_complaint_stays_closed(client, support):
    # given a closed complaint
    from customers import services

    complaint = log_complaint()
    services.complaint_resolve(
        complaint_id=complaint.pk, actor=support, resolution="Refund", upheld=True, root_cause="price"
    )
    services.complaint_close(complaint_id=complaint.pk, actor=support)
    events = ComplaintEvent.objects.count()
    client.force_login(support)
    # when the reopen form is posted with a note over the limit
    response = client.post(
        f"/complaints/{complaint.pk}/reopen/", {"note": "n" * (limits.COMPLAINT_NOTE_MAX_LENGTH + 1)}
    )
    # then 400 with the error on the note, and nothing written
    assert response.status_code == 400
    assert response.context["note_form"].errors["note"]
    complaint.refresh_from_db()
    assert complaint.status == "closed" and ComplaintEvent.objects.count() == events


def test_phone_answer_comment_longer_than_the_limit_is_refused(client, support):
    customer = CustomerFactory()
    client.force_login(support)
    response = client.post(
        f"/complaints/surveys/record/?customer={customer.pk}",
        {
            "customer": customer.pk,
            "score": "3",
            "comment": "c" * (limits.SURVEY_COMMENT_MAX_LENGTH + 1),
            "responded_at": "2026-01-05T09:30",
            "channel": "phone",
        },
    )
    assert response.status_code == 400
    assert response.context["form"].errors["comment"]
    assert not customer.survey_responses.exists()


def test_follow_up_outcome_longer_than_the_limit_is_refused(client, support):
    from customers import services

    response = services.survey_response_record(customer_id=CustomerFactory().pk, score=2, channel="phone")
    client.force_login(support)
    answer = client.post(
        f"/complaints/follow-ups/{response.follow_up.pk}/done/",
        {"outcome": "o" * (limits.FOLLOW_UP_OUTCOME_MAX_LENGTH + 1)},
        follow=True,
    )
    assert "Outcome of the call" in answer.content.decode()
    assert SurveyFollowUp.objects.get().status == "open"


# --- constraint messages name the field in the user's language ---------------------------


@pytest.mark.parametrize(("language", "words"), [("en", "Days to resolve"), ("zh-hans", "解决时限")])
def test_sla_form_names_the_fields_of_a_violated_constraint(language, words):
    row = ComplaintSla.objects.get(severity="normal")
    with translation.override(language):
        form = SlaForm({"normal-acknowledge_days": "5", "normal-resolve_days": "2"}, instance=row, prefix="normal")
        assert not form.is_valid()
        message = " ".join(form.non_field_errors())
    assert "Constraint" not in message and "violated" not in message
    assert words in message


def test_settings_page_shows_the_constraint_message_and_saves_nothing(client, manager):
    client.force_login(manager)
    data = {"section": "sla"}
    for severity in ("low", "normal", "high"):
        data[f"{severity}-acknowledge_days"] = 5
        data[f"{severity}-resolve_days"] = 2 if severity == "normal" else 30
    response = client.post("/complaints/settings/", data)
    assert response.status_code == 400
    body = response.content.decode()
    assert "“Days to resolve” cannot be fewer than “days to acknowledge”." in body
    assert "is violated" not in body
    assert ComplaintSla.objects.get(severity="normal").resolve_days == 15


def test_every_customers_constraint_has_its_own_message():
    from django.apps import apps

    for model in apps.get_app_config("customers").get_models():
        for constraint in model._meta.constraints:
            assert constraint.violation_error_message != constraint.default_violation_error_message, constraint.name


def test_a_whole_number_error_is_shown_under_its_labelled_field(client, manager):
    client.force_login(manager)
    response = client.post(
        "/complaints/settings/", {"section": "voice", "voice-survey_delay_days": "x", "voice-sla_near_hours": "12"}
    )
    assert response.status_code == 400
    assert response.context["voice_form"].errors["survey_delay_days"] == ["Enter a whole number."]
    assert "None:" not in response.content.decode()
