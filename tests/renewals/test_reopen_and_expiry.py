"""A reopened case lasts until the decision date a manager chose; policies past their end date expire."""

import datetime as dt
from decimal import Decimal

import pytest
import time_machine
from django.core.management import call_command

from core.errors import ApplicationError
from renewals import services
from renewals.models import CaseEvent, Policy, RenewalCase, Stage
from renewals.tasks import lapse_cases
from tests.renewals.factories import PolicyFactory, RenewalCaseFactory

pytestmark = pytest.mark.django_db
TODAY = dt.date(2027, 3, 10)


@pytest.fixture(autouse=True)
def _today():
    # 10:00 in Shanghai on TODAY: the site's local date is TODAY.
    with time_machine.travel(dt.datetime(2027, 3, 10, 2, 0, tzinfo=dt.UTC), tick=False):
        yield


@pytest.fixture
def lapsed_case(specialist):
    """Due 2027-01-31 (auto grace 30 days): lapsed by the nightly run on 2027-03-03."""
    case = RenewalCaseFactory(
        assignee=specialist,
        policy=PolicyFactory(end_date=dt.date(2027, 1, 31)),
        stage=Stage.CONTACTED,
        first_contact_at=dt.datetime(2027, 1, 10, 3, 0, tzinfo=dt.UTC),
    )
    assert services.cases_lapse_due(on_date=dt.date(2027, 3, 3)) == 1
    case.refresh_from_db()
    assert case.stage == Stage.LAPSED
    return case


def test_reopened_case_survives_the_next_nightly_runs_and_lapses_after_its_decision_date(lapsed_case, manager):
    decide_by = dt.date(2027, 3, 20)
    services.case_reopen(case_id=lapsed_case.pk, actor=manager, decision_date=decide_by)

    # Tomorrow's run (and every run up to the decision date itself) leaves it open.
    for night in (dt.date(2027, 3, 11), dt.date(2027, 3, 15), decide_by):
        assert lapse_cases(night.isoformat()) == 0
        assert RenewalCase.objects.get(pk=lapsed_case.pk).stage == Stage.CONTACTED

    assert lapse_cases("2027-03-21") == 1
    case = RenewalCase.objects.get(pk=lapsed_case.pk)
    assert case.stage == Stage.LAPSED
    reopened = CaseEvent.objects.get(case=case, kind="reopened")
    assert reopened.payload == {"from": "lapsed", "to": "contacted", "decision_date": "2027-03-20"}


def test_other_cases_still_lapse_by_due_date_and_grace(lapsed_case, manager, specialist):
    services.case_reopen(case_id=lapsed_case.pk, actor=manager, decision_date=dt.date(2027, 3, 20))
    # due 2027-02-05: its last grace day is 2027-03-07, so the run of 2027-03-11 lapses it.
    other = RenewalCaseFactory(assignee=specialist, policy=PolicyFactory(end_date=dt.date(2027, 2, 5)))
    assert services.cases_lapse_due(on_date=dt.date(2027, 3, 11)) == 1
    assert RenewalCase.objects.get(pk=other.pk).stage == Stage.LAPSED
    assert RenewalCase.objects.get(pk=lapsed_case.pk).stage == Stage.CONTACTED


@pytest.mark.parametrize(
    "decide_by, message",
    [
        (dt.date(2027, 3, 9), "from 03/10/2027 to 06/08/2027"),  # yesterday (the English short date)
        (dt.date(2027, 6, 9), "from 03/10/2027 to 06/08/2027"),  # 91 days ahead
        (None, "Choose the date the case must be decided by."),
    ],
)
def test_a_decision_date_outside_today_to_90_days_is_refused_and_the_case_stays_closed(
    lapsed_case, manager, decide_by, message
):
    with pytest.raises(ApplicationError) as err:
        services.case_reopen(case_id=lapsed_case.pk, actor=manager, decision_date=decide_by)
    assert err.value.field == "decision_date" and message in str(err.value.message)
    lapsed_case.refresh_from_db()
    assert lapsed_case.stage == Stage.LAPSED and lapsed_case.decision_date is None


def test_the_case_page_reopens_with_the_date_the_manager_chose(client_for, manager, specialist, lapsed_case):
    page = client_for(manager).get(f"/cases/{lapsed_case.pk}/").content.decode()
    # The form the page sends: its prefix, its field, the proposed date 14 days ahead and its bounds.
    assert 'name="reopen-decision_date"' in page and 'value="2027-03-24"' in page
    assert 'min="2027-03-10"' in page and 'max="2027-06-08"' in page
    assert f'name="reopen-version" value="{lapsed_case.version}"' in page

    response = client_for(manager).post(
        f"/cases/{lapsed_case.pk}/reopen/",
        {"reopen-decision_date": "2027-04-01", "reopen-version": str(lapsed_case.version)},
        follow=True,
    )
    case = RenewalCase.objects.get(pk=lapsed_case.pk)
    assert case.stage == Stage.CONTACTED and case.decision_date == dt.date(2027, 4, 1)
    assert "Case reopened" in response.content.decode()
    assert "Decide by" in client_for(manager).get(f"/cases/{case.pk}/").content.decode()


def test_the_page_explains_a_bad_date_and_leaves_the_case_closed(client_for, manager, lapsed_case):
    response = client_for(manager).post(
        f"/cases/{lapsed_case.pk}/reopen/", {"reopen-decision_date": "2027-13-40"}, follow=True
    )
    assert "Choose the date the case must be decided by" in response.content.decode()
    assert RenewalCase.objects.get(pk=lapsed_case.pk).stage == Stage.LAPSED


def test_a_specialist_cannot_reopen_from_the_page(client_for, specialist, lapsed_case):
    response = client_for(specialist).post(f"/cases/{lapsed_case.pk}/reopen/", {"reopen-decision_date": "2027-04-01"})
    assert response.status_code == 403
    assert RenewalCase.objects.get(pk=lapsed_case.pk).stage == Stage.LAPSED


# --- policies expire ---------------------------------------------------------------------------
def test_the_nightly_run_expires_policies_past_their_end_date_and_nothing_else(specialist):
    ended = PolicyFactory(end_date=dt.date(2027, 3, 9))
    renewed = PolicyFactory(end_date=dt.date(2027, 2, 1))
    successor = PolicyFactory(
        customer=renewed.customer, previous_policy=renewed, start_date=dt.date(2027, 2, 2), end_date=dt.date(2028, 2, 1)
    )
    last_day_today = PolicyFactory(end_date=TODAY)
    cancelled = PolicyFactory(end_date=dt.date(2027, 1, 1), status=Policy.Status.CANCELLED)

    lapse_cases(TODAY.isoformat())

    status = dict(Policy.objects.values_list("pk", "status"))
    assert status[ended.pk] == status[renewed.pk] == "expired"
    assert status[successor.pk] == status[last_day_today.pk] == "active"
    assert status[cancelled.pk] == "cancelled"
    assert services.policies_expire_due(on_date=TODAY) == 0  # idempotent


def test_expiry_runs_in_batches(monkeypatch):
    from renewals.services import opening

    monkeypatch.setattr(opening, "EXPIRE_BATCH", 2)
    PolicyFactory.create_batch(5, end_date=dt.date(2027, 1, 5))
    assert services.policies_expire_due(on_date=TODAY) == 5
    assert set(Policy.objects.values_list("status", flat=True)) == {"expired"}


def test_the_command_reports_lapsed_cases_and_expired_policies(capsys):
    PolicyFactory(end_date=dt.date(2027, 1, 5), premium=Decimal("100.00"))
    call_command("lapse_cases", "--date", TODAY.isoformat())
    assert "Lapsed 0 renewal cases and expired 1 policies as of 2027-03-10." in capsys.readouterr().out
