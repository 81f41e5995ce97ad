"""A manager reopens a lapsed case in the Chinese interface, choosing the date it must be decided by,
and the case stays open through the next nightly run."""

import datetime as dt
import re

import pytest
import time_machine

from renewals import services
from renewals.models import RenewalCase, Stage
from tests.conftest import make_user
from tests.e2e.conftest import E2E_DB
from tests.e2e.waiting import wait_until
from tests.renewals.factories import PolicyFactory, RenewalCaseFactory

pytestmark = [pytest.mark.e2e, E2E_DB]


@time_machine.travel("2027-03-10 10:00 +08:00", tick=True)
def test_manager_reopens_a_lapsed_case_with_a_decision_date_in_chinese(page, login, shot):
    specialist = make_user("lina", "specialist", first_name="Na", last_name="Li")
    make_user("boss", "manager", first_name="Wei", last_name="Zhang")
    case = RenewalCaseFactory(
        assignee=specialist, policy=PolicyFactory(end_date=dt.date(2027, 1, 31), premium="181244.48")
    )
    services.cases_lapse_due(on_date=dt.date(2027, 3, 3))
    assert RenewalCase.objects.get(pk=case.pk).stage == Stage.LAPSED

    login("boss")
    page.get_by_label("Language").select_option("zh-hans")
    wait_until(page, "document.documentElement.lang === 'zh-hans'")
    page.goto(f"/cases/{case.pk}/")
    # The closed case offers the reopen form with a proposed date 14 days ahead.
    date_input = page.get_by_label("决定期限")
    assert date_input.input_value() == "2027-03-24"
    assert "181,244.48" in page.locator("main").inner_text()
    shot("closed-case-zh")

    date_input.fill("2027-03-31")
    page.get_by_role("button", name="重新打开案件").click()
    page.wait_for_load_state("networkidle")
    body = page.locator("main").inner_text()
    assert "案件已重新打开" in body and "决定期限" in body
    assert not re.search(r"\b(Decide by|Reopened|decide by)\b", body)
    shot("reopened-case-zh")

    case.refresh_from_db()
    assert case.is_open and case.decision_date == dt.date(2027, 3, 31)
    assert services.cases_lapse_due(on_date=dt.date(2027, 3, 11)) == 0
