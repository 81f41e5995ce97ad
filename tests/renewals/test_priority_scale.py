"""One priority scale for scored and unscored cases: expiring premium × churn risk (50 while
unscored) / 100, × 1.5 with an open complaint. Python, the ORM expression and the SQL agree."""

import datetime as dt
from decimal import Decimal

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from analytics.churn import churn_model_fit
from analytics.models import ChurnModelRun
from renewals import services
from renewals.models import LineOfInsurance, LostReason, RenewalCase, Stage
from renewals.services import opening, priority
from tests.renewals.factories import PolicyFactory, RenewalCaseFactory

pytestmark = pytest.mark.django_db
D = Decimal


def test_the_queue_order_mixes_scored_and_unscored_cases_on_one_scale(client_for, specialist):
    # Figures by hand: 1000 × 0.90 = 900; 1000 unscored × 0.50 = 500; 1000 × 0.10 = 100;
    # 800 unscored with a complaint: 800 × 0.50 × 1.5 = 600.
    risky = RenewalCaseFactory(assignee=specialist, expiring_premium=D("1000.00"))
    unknown = RenewalCaseFactory(assignee=specialist, expiring_premium=D("1000.00"))
    safe = RenewalCaseFactory(assignee=specialist, expiring_premium=D("1000.00"))
    upset = RenewalCaseFactory(assignee=specialist, expiring_premium=D("800.00"), has_open_complaint=True)
    services.cases_priority_recompute()
    services.cases_score_update(scores={risky.pk: (90, ["price_up"]), safe.pk: (10, [])})
    got = dict(RenewalCase.objects.values_list("pk", "priority"))
    assert got == {risky.pk: D("900.00"), unknown.pk: D("500.00"), safe.pk: D("100.00"), upset.pk: D("600.00")}

    page = client_for(specialist).get("/cases/").content.decode()
    order = [page.index(case.policy.number) for case in (risky, upset, unknown, safe)]
    assert order == sorted(order)


def test_clearing_scores_puts_open_cases_back_on_the_unscored_risk_and_leaves_closed_ones():
    scored = RenewalCaseFactory(expiring_premium=D("2000.00"))
    closed = RenewalCaseFactory(expiring_premium=D("2000.00"), stage=Stage.LOST, lost_reason=LostReason.objects.first())
    services.cases_score_update(scores={scored.pk: (80, ["claims"]), closed.pk: (80, ["claims"])})
    assert services.cases_scores_clear() == 1
    scored.refresh_from_db()
    closed.refresh_from_db()
    assert (scored.churn_risk, scored.churn_reasons, scored.priority) == (None, [], D("1000.00"))
    assert (closed.churn_risk, closed.priority) == (80, D("1600.00"))


def test_a_churn_run_with_too_little_history_clears_the_old_scores():
    case = RenewalCaseFactory(expiring_premium=D("3000.00"))
    services.cases_score_update(scores={case.pk: (90, ["price_up"])})
    run = churn_model_fit(as_of=dt.date(2026, 12, 1))
    assert run.status == ChurnModelRun.Status.TOO_LITTLE_HISTORY
    case.refresh_from_db()
    assert (case.churn_risk, case.churn_reasons, case.priority) == (None, [], D("1500.00"))


def test_opening_puts_new_cases_on_the_unscored_risk():
    PolicyFactory(end_date=dt.date(2026, 12, 20), premium=D("1234.57"))
    services.cases_open_due(on_date=dt.date(2026, 11, 25))
    # 1234.57 × 0.5 = 617.285 → 617.29 (half up, as PostgreSQL's ROUND and Python's money() do)
    assert RenewalCase.objects.get().priority == D("617.29")


premiums = st.decimals(min_value=D("0"), max_value=D("999999999999.99"), places=2, allow_nan=False)
risks = st.one_of(st.none(), st.integers(min_value=0, max_value=100))


@settings(max_examples=60, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(premium=premiums, risk=risks, complaint=st.booleans())
def test_python_the_orm_expression_and_the_sql_agree(premium, risk, complaint):
    expected = services.case_priority(expiring_premium=premium, churn_risk=risk, has_open_complaint=complaint)
    case = RenewalCaseFactory(expiring_premium=premium, has_open_complaint=complaint, churn_risk=risk)
    try:
        services.cases_priority_recompute()  # the ORM expression
        assert RenewalCase.objects.get(pk=case.pk).priority == expected
        if risk is not None:
            priority._scores_write_postgres([(case.pk, risk, [])])  # the raw SQL of the churn scores
            assert RenewalCase.objects.get(pk=case.pk).priority == expected
    finally:
        RenewalCase.objects.filter(pk=case.pk).delete()
        case.policy.delete()
        case.customer.delete()


@settings(max_examples=25, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(premium=premiums, complaint=st.booleans())
def test_the_opening_sql_agrees_with_python(premium, complaint):
    policy = PolicyFactory(end_date=dt.date(2026, 12, 20), premium=premium)
    lines = [LineOfInsurance.objects.get(pk=policy.line_id)]
    try:
        if complaint:
            opening._open_portable(lines, dt.date(2026, 11, 25), dt.datetime(2026, 11, 25, tzinfo=dt.UTC))
            RenewalCase.objects.filter(policy=policy).update(has_open_complaint=True)
            services.cases_priority_recompute()
        else:
            opening._open_postgres(lines, dt.date(2026, 11, 25), dt.datetime(2026, 11, 25, tzinfo=dt.UTC))
        expected = services.case_priority(expiring_premium=premium, churn_risk=None, has_open_complaint=complaint)
        assert RenewalCase.objects.get(policy=policy).priority == expected
    finally:
        RenewalCase.objects.filter(policy=policy).delete()
        customer = policy.customer
        policy.delete()
        customer.delete()
