"""What happens to the outbox when renewals closes or reopens a case."""

import datetime as dt

import pytest
from django.utils import timezone

from customers.models import SurveyInvitation
from notifications import services
from notifications.models import OutboundMessage
from renewals import services as renewal_services
from tests.conftest import make_user
from tests.customers.factories import CustomerFactory
from tests.notifications.factories import OutboundMessageFactory, step
from tests.renewals.factories import PolicyFactory, RenewalCaseFactory

pytestmark = pytest.mark.django_db
M = OutboundMessage


@pytest.fixture
def manager_user():
    return make_user("boss-receivers", "manager")


def test_lost_case_skips_unsent_reminders_and_plans_a_survey(manager_user, django_capture_on_commit_callbacks):
    # given a case with a planned SMS and a call task
    case = RenewalCaseFactory(policy=PolicyFactory(customer=CustomerFactory(email="ada@example.com")))
    sms = OutboundMessageFactory(case=case, step=step("auto", -30, "sms"))
    call = OutboundMessageFactory(case=case, step=step("auto", -7, "call"))
    # when the case is marked lost
    with django_capture_on_commit_callbacks(execute=True):
        renewal_services.case_mark_lost(case_id=case.pk, actor=manager_user, reason_code="price")
    # then the unsent rows are skipped with the reason
    for message in (sms, call):
        message.refresh_from_db()
        assert (message.status, message.skip_reason) == (M.Status.SKIPPED, M.SkipReason.CASE_CLOSED)
    # and a survey invitation is planned through the outbox, by email, after the survey delay
    invitation = SurveyInvitation.objects.get(case=case)
    survey = M.objects.get(case=case, kind=M.Kind.SURVEY)
    assert survey.status == M.Status.SCHEDULED
    assert survey.channel == "email"
    assert survey.survey_invitation_id == invitation.pk
    assert "/surveys/" in survey.link
    assert survey.next_attempt_at == invitation.send_after > timezone.now() + dt.timedelta(days=1)


def test_survey_message_is_sent_with_its_link_when_due(manager_user, django_capture_on_commit_callbacks, smtp_server):
    case = RenewalCaseFactory(policy=PolicyFactory(customer=CustomerFactory(preferred_language="en")))
    with django_capture_on_commit_callbacks(execute=True):
        renewal_services.case_mark_lost(case_id=case.pk, actor=manager_user, reason_code="price")
    survey = M.objects.get(case=case, kind=M.Kind.SURVEY)
    assert services.messages_dispatch_due(now=survey.next_attempt_at.replace(hour=3)) in ({"sent": 1}, {})
    services.messages_dispatch_due(now=survey.next_attempt_at + dt.timedelta(minutes=1))
    survey.refresh_from_db()
    assert survey.status == M.Status.SENT
    assert survey.link in smtp_server.messages[0].original_content.decode()


def test_customer_who_opted_out_of_marketing_gets_no_survey(manager_user, django_capture_on_commit_callbacks):
    case = RenewalCaseFactory(policy=PolicyFactory(customer=CustomerFactory(marketing_opt_out=True)))
    with django_capture_on_commit_callbacks(execute=True):
        renewal_services.case_mark_lost(case_id=case.pk, actor=manager_user, reason_code="price")
    survey = M.objects.get(case=case, kind=M.Kind.SURVEY)
    assert (survey.status, survey.skip_reason) == (M.Status.SKIPPED, M.SkipReason.OPTED_OUT)


def test_reopened_case_gets_its_skipped_reminders_back(manager_user, django_capture_on_commit_callbacks):
    case = RenewalCaseFactory(
        policy=PolicyFactory(end_date=timezone.localdate() + dt.timedelta(days=20)), assignee=manager_user
    )
    sms = OutboundMessageFactory(case=case, step=step("auto", -14, "sms"))
    with django_capture_on_commit_callbacks(execute=True):
        renewal_services.case_mark_lost(case_id=case.pk, actor=manager_user, reason_code="price")
    with django_capture_on_commit_callbacks(execute=True):
        renewal_services.case_reopen(case_id=case.pk, actor=manager_user, decision_date=timezone.localdate())
    sms.refresh_from_db()
    assert sms.status == M.Status.SCHEDULED
