"""The dashboard's playbooks comparison against figures computed by hand, its lazy card and drill-down."""

import datetime as dt
from decimal import Decimal

import pytest

from analytics.params import Filters, Period
from analytics.selectors.playbooks import playbook_comparison
from notifications.models import OutboundMessage
from renewals.models import LostReason, Stage
from tests.customers.factories import CustomerFactory
from tests.notifications.factories import OutboundMessageFactory, step
from tests.renewals.factories import PolicyFactory, RenewalCaseFactory
from tests.renewals.playbook_factories import default_playbook, vip_playbook

pytestmark = pytest.mark.django_db
D = Decimal
DUE = dt.date(2026, 11, 30)


def case(playbook, stage, premium="1000.00", successor_premium=None, segment="standard"):
    policy = PolicyFactory(end_date=DUE, premium=D(premium), customer=CustomerFactory(segment=segment))
    extra = {}
    if stage == Stage.RENEWED:
        extra["successor_policy"] = PolicyFactory(
            customer=policy.customer,
            previous_policy=policy,
            premium=D(successor_premium),
            start_date=DUE + dt.timedelta(days=1),
            end_date=DUE + dt.timedelta(days=366),
        )
    if stage in (Stage.LOST, Stage.NOT_OFFERED):
        extra["lost_reason"] = LostReason.objects.filter(kind=stage).first()
    return RenewalCaseFactory(policy=policy, stage=stage, playbook_version=playbook.current_version, **extra)


def sent(case_, offset, channel):
    OutboundMessageFactory(case=case_, step=step("auto", offset, channel), status=OutboundMessage.Status.SENT)


@pytest.fixture
def book(manager):
    vip = vip_playbook(manager)
    standard = default_playbook()
    # VIP: 2 renewed (premium 10,000 → 9,500 and 8,000 → 8,400), 1 open; 1 call done and 1 e-mail
    v1 = case(vip, Stage.RENEWED, "10000.00", "9500.00", segment="vip")
    v2 = case(vip, Stage.RENEWED, "8000.00", "8400.00", segment="vip")
    case(vip, Stage.OPEN, "5000.00", segment="vip")
    sent(v1, -7, "call")
    sent(v2, -45, "email")
    # standard: 1 renewed (1,000 → 1,050), 2 lost (1,000 each), 1 not offered (left out of the cohort)
    s1 = case(standard, Stage.RENEWED, "1000.00", "1050.00")
    s2 = case(standard, Stage.LOST)
    case(standard, Stage.LOST)
    case(standard, Stage.NOT_OFFERED)
    for offset, channel in ((-45, "email"), (-30, "sms"), (-14, "sms")):
        sent(s1, offset, channel)
        sent(s2, offset, channel)
    OutboundMessageFactory(case=s2, step=step("auto", -1, "sms"))  # scheduled, not sent: no cost yet
    return vip, standard


def test_each_playbooks_rate_retention_and_cost_by_hand(book, client_for, manager):
    vip, standard = book
    response = client_for(manager).get("/analytics/playbooks/?period=month&month=2026-11")
    assert response.status_code == 200
    rows = {r["playbook_id"]: r for r in response.context["rows"]}
    # VIP: 3 cases, 2 decided (both renewed): 100 %; retention (9,500 + 8,400) / 18,000
    assert (rows[vip.pk]["cohort"], rows[vip.pk]["decided"], rows[vip.pk]["pending"]) == (3, 2, 1)
    assert rows[vip.pk]["renewal_rate"] == 1.0
    assert rows[vip.pk]["premium_retention"] == pytest.approx(17900 / 18000)
    assert rows[vip.pk]["messages_per_case"] == pytest.approx(1 / 3)
    assert rows[vip.pk]["calls_per_case"] == pytest.approx(1 / 3)
    # standard: 3 decided, 1 renewed; retention 1,050 / 3,000; 6 messages over 3 cases, no calls
    assert rows[standard.pk]["renewal_rate"] == pytest.approx(1 / 3)
    assert rows[standard.pk]["premium_retention"] == pytest.approx(1050 / 3000)
    assert (rows[standard.pk]["messages_per_case"], rows[standard.pk]["calls_per_case"]) == (2.0, 0.0)
    body = response.content.decode()
    assert "VIP care" in body and "66.7%" not in body and "99.4%" in body and "35.0%" in body


def test_the_card_loads_lazily_drills_down_and_is_for_managers(book, client_for, manager, specialist):
    vip, _standard = book
    client = client_for(manager)
    page = client.get("/analytics/?period=month&month=2026-11").content.decode()
    assert 'hx-get="/analytics/playbooks/?period=month&amp;month=2026-11' in page
    card = client.get("/analytics/playbooks/?period=month&month=2026-11").content.decode()
    assert f"playbook={vip.pk}" in card
    drill = client.get(f"/analytics/cases/?period=month&month=2026-11&playbook={vip.pk}")
    assert drill.status_code == 200 and len(drill.context["rows"]) == 3
    assert f"playbook={vip.pk}" in drill.context["export_query"]
    assert client.get("/analytics/playbooks/?period=month&month=0001-01").status_code == 400
    # a malformed playbook id is ignored: every cohort case (6: the not-offered case is left out)
    assert len(client.get("/analytics/cases/?period=month&month=2026-11&playbook=x1").context["rows"]) == 6
    assert client_for(specialist).get("/analytics/playbooks/?period=month&month=2026-11").status_code == 403


def test_the_card_costs_two_queries_whatever_the_book(book, client_for, manager, django_assert_max_num_queries):
    client = client_for(manager)
    client.get("/analytics/playbooks/?period=month&month=2026-11")
    with django_assert_max_num_queries(8):
        client.get("/analytics/playbooks/?period=month&month=2026-11")


def test_the_selector_answers_without_a_request(book):
    rows = playbook_comparison(Period(dt.date(2026, 11, 1), dt.date(2026, 11, 30), "month"), Filters())
    assert sum(r["cohort"] for r in rows) == 6
