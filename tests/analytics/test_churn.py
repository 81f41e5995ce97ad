"""Churn model: fitted on decided cases, scores open cases, says so when history is too short."""

import datetime as dt

import pytest

from analytics.churn import churn_model_fit
from analytics.models import ChurnModelRun
from renewals.models import RenewalCase, Stage
from tests.analytics.factories import at, make_case, make_complaint


def _history(decided: int):
    """Decided cases where customers with complaints before the case opened left and the others renewed."""
    for i in range(decided):
        due = dt.date(2026, 6, 1) + dt.timedelta(days=i % 90)
        churned = i % 3 == 0
        stage = Stage.LOST if churned else Stage.RENEWED
        case = make_case(due=due, stage=stage, channel="online" if i % 2 else "agent")
        if churned or i % 17 == 0:
            make_complaint(received=at(due - dt.timedelta(days=90)), customer=case.customer)


@pytest.mark.django_db
def test_model_fits_on_decided_cases_and_scores_open_ones_with_reasons(client_for, manager):
    # Given enough decided history and two open cases, one with a recent complaint
    _history(120)
    risky = make_case(due=dt.date(2026, 12, 20), stage=Stage.OPEN)
    make_complaint(received=at(dt.date(2026, 10, 1)), customer=risky.customer)
    calm = make_case(due=dt.date(2026, 12, 21), stage=Stage.CONTACTED, contact_after_days=1)
    # When the model is fitted
    run = churn_model_fit(as_of=dt.date(2026, 11, 26))
    # Then it reports its held-out AUC and scores every open case 0-100 with reasons
    assert run.status == ChurnModelRun.Status.FITTED, run.message
    assert run.test_cases == 30 and run.auc > 0.8
    assert run.scored_cases == 2
    risky.refresh_from_db()
    calm.refresh_from_db()
    assert 0 <= calm.churn_risk < risky.churn_risk <= 100
    assert "Complaints in the last 12 months" in risky.churn_reasons
    assert 1 <= len(risky.churn_reasons) <= 3
    # And the model page shows it
    html = client_for(manager).get("/analytics/model/").content.decode()
    assert "AUC on held-out cases" in html and f"{run.auc:.3f}" in html


@pytest.mark.django_db
def test_too_little_history_scores_nothing_and_the_page_says_so(client_for, manager):
    _history(12)
    open_case = make_case(due=dt.date(2026, 12, 20), stage=Stage.OPEN)
    run = churn_model_fit(as_of=dt.date(2026, 11, 26))
    assert run.status == ChurnModelRun.Status.TOO_LITTLE_HISTORY
    assert RenewalCase.objects.get(pk=open_case.pk).churn_risk is None
    html = client_for(manager).get("/analytics/model/").content.decode()
    assert "Too little history." in html


@pytest.mark.django_db
def test_fit_churn_model_task_and_command_run(db):
    from django.core.management import call_command

    from analytics.tasks import fit_churn_model, refresh_rollups

    assert fit_churn_model()["status"] == "too_little_history"
    assert refresh_rollups()["rebuilt"] is True
    call_command("refresh_rollups")
    call_command("fit_churn_model", "--date", "2026-11-26")
