import datetime as dt

import pytest
import time_machine

from core.errors import ApplicationError
from customers import services, signals
from customers.models import SurveyFollowUp, SurveyInvitation
from customers.selectors import survey_delay_days
from tests.customers.factories import CustomerFactory
from tests.renewals.factories import RenewalCaseFactory

pytestmark = pytest.mark.django_db
NOW = dt.datetime(2026, 11, 26, 2, 0, tzinfo=dt.UTC)


def test_invitation_is_idempotent_per_case():
    case = RenewalCaseFactory()
    first = services.survey_invitation_create(customer_id=case.customer_id, case_id=case.pk, send_after=NOW)
    second = services.survey_invitation_create(
        customer_id=case.customer_id, case_id=case.pk, send_after=NOW + dt.timedelta(days=1)
    )
    assert first.pk == second.pk
    assert SurveyInvitation.objects.count() == 1
    assert second.send_after == NOW


def test_survey_delay_defaults_to_three_days():
    assert survey_delay_days() == 3


@time_machine.travel(NOW, tick=False)
@pytest.mark.parametrize(
    ("score", "follow_up"), [(0, True), (6, True), (7, False), (8, False), (9, False), (10, False)]
)
def test_only_detractors_open_a_follow_up(score, follow_up):
    customer = CustomerFactory()
    response = services.survey_response_record(customer_id=customer.pk, score=score, channel="phone")
    assert SurveyFollowUp.objects.filter(response=response).exists() is follow_up


@time_machine.travel(NOW, tick=False)
@pytest.mark.parametrize("score", [-1, 11, "7", True])
def test_score_must_be_a_whole_number_from_0_to_10(score):
    with pytest.raises(ApplicationError) as error:
        services.survey_response_record(customer_id=CustomerFactory().pk, score=score, channel="phone")
    assert error.value.field == "score"


@time_machine.travel(NOW, tick=False)
def test_phone_answer_keeps_the_time_it_was_given_but_not_a_future_one():
    customer = CustomerFactory()
    given = NOW - dt.timedelta(hours=5)
    response = services.survey_response_record(customer_id=customer.pk, score=8, channel="phone", responded_at=given)
    assert response.responded_at == given
    with pytest.raises(ApplicationError) as error:
        services.survey_response_record(
            customer_id=customer.pk, score=8, channel="phone", responded_at=NOW + dt.timedelta(minutes=5)
        )
    assert error.value.field == "responded_at"


def test_phone_answer_for_a_case_answers_its_pending_invitation_and_is_signalled():
    case = RenewalCaseFactory()
    invitation = services.survey_invitation_create(customer_id=case.customer_id, case_id=case.pk, send_after=NOW)
    answered = []

    def receiver(sender, response, **kwargs):
        answered.append(response.score)

    signals.survey_answered.connect(receiver)
    try:
        response = services.survey_response_record(
            customer_id=case.customer_id, case_id=case.pk, score=10, channel="phone"
        )
    finally:
        signals.survey_answered.disconnect(receiver)
    invitation.refresh_from_db()
    assert invitation.response == response and invitation.answered_at is not None
    assert answered == [10]


def test_an_invitation_takes_one_answer_only():
    customer = CustomerFactory()
    invitation = services.survey_invitation_create(customer_id=customer.pk, case_id=None, send_after=NOW)
    services.survey_response_record(customer_id=customer.pk, score=3, channel="link", invitation_id=invitation.pk)
    with pytest.raises(ApplicationError) as error:
        services.survey_response_record(customer_id=customer.pk, score=9, channel="link", invitation_id=invitation.pk)
    assert error.value.code == "already_answered" and error.value.status == 409


def test_invitation_of_another_customer_is_refused():
    invitation = services.survey_invitation_create(customer_id=CustomerFactory().pk, case_id=None, send_after=NOW)
    with pytest.raises(ApplicationError):
        services.survey_response_record(
            customer_id=CustomerFactory().pk, score=9, channel="link", invitation_id=invitation.pk
        )


def test_follow_up_needs_an_outcome_and_closes_once(support):
    response = services.survey_response_record(customer_id=CustomerFactory().pk, score=2, channel="phone")
    follow_up = response.follow_up
    with pytest.raises(ApplicationError):
        services.survey_follow_up_complete(follow_up_id=follow_up.pk, actor=support, outcome=" ")
    services.survey_follow_up_complete(follow_up_id=follow_up.pk, actor=support, outcome="Apologised")
    with pytest.raises(ApplicationError) as error:
        services.survey_follow_up_complete(follow_up_id=follow_up.pk, actor=support, outcome="Again")
    assert error.value.code == "already_done"


def test_answer_for_a_case_of_another_customer_is_refused():
    case = RenewalCaseFactory()
    with pytest.raises(ApplicationError) as error:
        services.survey_response_record(customer_id=CustomerFactory().pk, case_id=case.pk, score=9, channel="phone")
    assert error.value.field == "case"
