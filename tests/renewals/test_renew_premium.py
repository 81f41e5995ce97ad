"""Renewing at a premium: a specialist renews at the accepted quote's premium; a manager may override
within 50 %..200 % of it, audited on the timeline. Service and case page here; the API in tests/api/test_actions.py."""

import datetime as dt
from decimal import Decimal

import pytest

from core.errors import ApplicationError, PermissionDeniedError
from renewals import services
from renewals.models import CaseEvent, Policy, RenewalCase, Stage
from tests.renewals.factories import PolicyFactory, RenewalCaseFactory

pytestmark = pytest.mark.django_db
D = Decimal


@pytest.fixture
def quoted_case(specialist):
    case = RenewalCaseFactory(
        assignee=specialist, policy=PolicyFactory(premium=D("3000.00"), end_date=dt.date(2026, 12, 31))
    )
    services.quote_prepare(case_id=case.pk, actor=specialist)
    return RenewalCase.objects.select_related("current_quote").get(pk=case.pk)


def nothing_written(case):
    fresh = RenewalCase.objects.get(pk=case.pk)
    return (
        fresh.stage == Stage.QUOTED
        and fresh.version == case.version
        and not Policy.objects.filter(previous_policy=case.policy).exists()
        and not CaseEvent.objects.filter(case=case, kind__in=["renewed", "premium_override"]).exists()
    )


def test_specialist_cannot_renew_above_the_accepted_quote(quoted_case, specialist):
    with pytest.raises(PermissionDeniedError) as err:
        services.case_mark_renewed(case_id=quoted_case.pk, actor=specialist, premium=D("999999999999.99"))
    assert (err.value.field, err.value.code) == ("premium", "not_quoted")
    assert "new quote" in err.value.message
    assert nothing_written(quoted_case)


def test_specialist_renews_at_the_quote_when_the_premium_is_omitted_or_equal(quoted_case, specialist):
    renewed = services.case_mark_renewed(case_id=quoted_case.pk, actor=specialist, premium=D("3090.00"))
    assert renewed.successor_policy.premium == quoted_case.current_quote.premium == D("3090.00")
    assert not CaseEvent.objects.filter(case=quoted_case, kind="premium_override").exists()


def test_manager_override_is_recorded_with_old_and_new_premium(quoted_case, manager):
    renewed = services.case_mark_renewed(case_id=quoted_case.pk, actor=manager, premium=D("4000.00"))
    assert renewed.successor_policy.premium == D("4000.00")
    event = CaseEvent.objects.get(case=quoted_case, kind="premium_override")
    assert event.actor == manager
    assert event.payload["quoted_premium"] == "3090.00" and event.payload["premium"] == "4000.00"


@pytest.mark.parametrize("premium", ["1544.99", "6180.01", "999999999999.99"])
def test_manager_override_outside_half_to_double_the_quote_is_refused(quoted_case, manager, premium):
    with pytest.raises(ApplicationError) as err:
        services.case_mark_renewed(case_id=quoted_case.pk, actor=manager, premium=D(premium))
    assert (err.value.field, err.value.code) == ("premium", "out_of_range")
    assert nothing_written(quoted_case)


def test_customer_link_cannot_choose_a_premium(quoted_case):
    with pytest.raises(PermissionDeniedError):
        services.case_mark_renewed(case_id=quoted_case.pk, actor=None, premium=D("1.00"))
    assert nothing_written(quoted_case)


# --- case page ---------------------------------------------------------------------------------
def test_page_refuses_a_specialist_premium_and_writes_nothing(client_for, specialist, quoted_case):
    response = client_for(specialist).post(
        f"/cases/{quoted_case.pk}/renew/", {"renew-version": quoted_case.version, "renew-premium": "999999999999.99"}
    )
    assert response.status_code == 403
    assert nothing_written(quoted_case)


def test_page_manager_override_is_recorded(client_for, manager, quoted_case):
    client = client_for(manager)
    page = client.get(f"/cases/{quoted_case.pk}/").content.decode()
    assert 'name="renew-premium"' in page and 'name="renew-version"' in page
    client.post(f"/cases/{quoted_case.pk}/renew/", {"renew-version": quoted_case.version, "renew-premium": "3200"})
    assert Policy.objects.get(previous_policy=quoted_case.policy).premium == D("3200.00")
    event = CaseEvent.objects.get(case=quoted_case, kind="premium_override")
    assert (event.actor, event.payload["premium"]) == (manager, "3200.00")


def test_page_manager_override_out_of_bounds_is_a_message_and_writes_nothing(client_for, manager, quoted_case):
    client = client_for(manager)
    response = client.post(f"/cases/{quoted_case.pk}/renew/", {"renew-premium": "1"}, follow=True)
    assert "between" in response.content.decode()
    assert nothing_written(quoted_case)
