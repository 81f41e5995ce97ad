"""Managers' settings (unit costs, weights, capacity) and the audited bulk rebalance."""

import datetime as dt
from decimal import Decimal

import pytest
import time_machine

from analytics.models import SpecialistCapacity, TeamForecast, TeamSettings, TeamSettingsChange
from analytics.team.selectors import capacity_ahead
from analytics.team.services import team_rollups_refresh
from renewals.models import CaseEvent, RenewalCase, Stage
from tests.analytics.factories import make_case
from tests.renewals.factories import PolicyFactory, line

FORM = {
    "sms_cost": "0.05",
    "email_cost": "0.01",
    "call_minute_cost": "0.50",
    "letter_cost": "3.00",
    "minutes_per_call": "5",
    "processing_time_target_percent": "-30",
    **dict.fromkeys(("weight_renewal_rate", "weight_premium_retention", "weight_nps"), "1"),
    **dict.fromkeys(("weight_complaints", "weight_notice_compliance", "weight_processing_time"), "1"),
}


def test_settings_page_saves_costs_weights_and_capacity_with_audit(db, client_for, manager, specialist):
    client = client_for(manager)
    form = {
        "sms_cost": "0.08",
        "email_cost": "0.02",
        "call_minute_cost": "1.20",
        "letter_cost": "4",
        "minutes_per_call": "3",
        "processing_time_target_percent": "-30",
        "weight_renewal_rate": "3",
        "weight_premium_retention": "2",
        "weight_nps": "1",
        "weight_complaints": "1",
        "weight_notice_compliance": "1",
        "weight_processing_time": "2",
        f"capacity_{specialist.pk}": "25",
    }
    response = client.post("/analytics/team/settings/", form)
    assert response.status_code == 302
    saved = TeamSettings.load()
    assert saved.sms_cost == Decimal("0.08") and saved.weight_renewal_rate == 3
    assert SpecialistCapacity.objects.get(user=specialist).cases_per_week == 25
    kinds = set(TeamSettingsChange.objects.values_list("kind", flat=True))
    assert kinds == {"settings", "capacity"}
    assert TeamSettingsChange.objects.get(kind="settings").changes["sms_cost"] == ["0.05", "0.08"]


@pytest.mark.parametrize(
    "field,value",
    [("sms_cost", "-1"), ("sms_cost", "abc"), ("sms_cost", "1e9"), ("weight_nps", "11"), ("minutes_per_call", "")],
)
def test_bad_settings_are_refused_with_the_field_named(db, client_for, manager, field, value):
    response = client_for(manager).post("/analytics/team/settings/", {**FORM, field: value})
    assert response.status_code == 400
    assert f'id="e-{field}"' in response.content.decode()
    assert not TeamSettingsChange.objects.exists()


def test_nul_bytes_are_refused(db, client_for, manager):
    response = client_for(manager).post("/analytics/team/settings/", {**FORM, "letter_cost": "1\x00"})
    assert response.status_code == 400
    assert not TeamSettingsChange.objects.exists()


def test_all_weights_zero_is_refused(db, client_for, manager):
    zero = {name: "0" for name in FORM if name.startswith("weight_")}
    response = client_for(manager).post("/analytics/team/settings/", {**FORM, **zero})
    assert response.status_code == 400
    assert TeamSettings.load().weight_nps == 1


def test_forecast_and_rebalance_move_untouched_cases_with_audit(db, specialist, other_specialist, manager, client_for):
    today = dt.date(2026, 12, 1)
    auto = line("auto")
    # Ten policies of the auto line whose window opens in the week of 7 December.
    opens = today + dt.timedelta(days=7)
    for _n in range(10):
        PolicyFactory(line=auto, end_date=opens + dt.timedelta(days=auto.renewal_window_days))
    team_rollups_refresh(today=today)
    assert sum(TeamForecast.objects.values_list("cases", flat=True)) == 10
    SpecialistCapacity.objects.create(user=specialist, cases_per_week=2)
    SpecialistCapacity.objects.create(user=other_specialist, cases_per_week=20)
    capacity = capacity_ahead(today=today)
    people = {p["user"].username: p for p in capacity["people"]}
    # Shared evenly by the two available specialists: 5 each in week 1; spec is 3 over.
    assert people["spec"]["weeks"][1] == {"cases": 5, "over": True}
    assert people["spec2"]["weeks"][1] == {"cases": 5, "over": False}
    assert capacity["overflow"] == {specialist.pk: 3}
    open_cases = [make_case(due=dt.date(2027, 1, 10 + n), assignee=specialist) for n in range(4)]
    worked = make_case(due=dt.date(2027, 2, 1), assignee=specialist, contact_after_days=1, stage=Stage.CONTACTED)
    with time_machine.travel(dt.datetime(2026, 12, 1, 12, tzinfo=dt.UTC), tick=False):
        response = client_for(manager).post("/analytics/team/rebalance/")
    assert response.status_code == 302
    moved = RenewalCase.objects.filter(assignee=other_specialist).order_by("due_date")
    # The three latest untouched cases moved; the contacted one stays.
    assert [c.pk for c in moved] == [c.pk for c in open_cases[1:]]
    assert RenewalCase.objects.get(pk=worked.pk).assignee == specialist
    assert CaseEvent.objects.filter(kind=CaseEvent.Kind.ASSIGNED, actor=manager).count() == 3
    audit = TeamSettingsChange.objects.get(kind="rebalance")
    assert audit.changes == {"spec": {"spec2": 3}} and audit.actor == manager
    # A replayed click moves nothing more against the same forecast.
    with time_machine.travel(dt.datetime(2026, 12, 1, 12, tzinfo=dt.UTC), tick=False):
        client_for(manager).post("/analytics/team/rebalance/")
        assert capacity_ahead(today=today)["overflow"] == {}
    assert RenewalCase.objects.filter(assignee=other_specialist).count() == 3
    assert TeamSettingsChange.objects.filter(kind="rebalance").count() == 1


def test_rebalance_without_overflow_says_so(db, client_for, manager):
    response = client_for(manager).post("/analytics/team/rebalance/", follow=True)
    assert "Nothing to rebalance" in response.content.decode()
    assert not TeamSettingsChange.objects.exists()
