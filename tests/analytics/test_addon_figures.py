"""Attach rate, cross-sell rate and premium per customer against figures computed by hand."""

import datetime as dt
from decimal import Decimal

import pytest

from renewals.models import AddOn, PolicyAddOn, Quote, Stage
from tests.customers.factories import CustomerFactory
from tests.renewals.factories import PolicyFactory, RenewalCaseFactory, line

pytestmark = pytest.mark.django_db
D = Decimal
CLOSED = dt.datetime(2026, 11, 20, 2, 0, tzinfo=dt.UTC)  # 2026-11-20 in Shanghai


def renewed(
    customer, *, offered=(), taken=(), successor_premium="1000.00", due=dt.date(2026, 11, 30), line_code="auto"
):
    policy = PolicyFactory(customer=customer, end_date=due, line=line(line_code))
    successor = PolicyFactory(
        customer=customer,
        previous_policy=policy,
        line=line(line_code),
        premium=D(successor_premium),
        start_date=due + dt.timedelta(days=1),
        end_date=due + dt.timedelta(days=366),
    )
    case = RenewalCaseFactory(policy=policy, stage=Stage.RENEWED, successor_policy=successor, closed_at=CLOSED)
    quote = Quote.objects.create(
        case=case, expiring_premium=D("900"), base_rate_factor=1, claims_factor=1, loyalty_factor=1, premium=D("1000")
    )
    for code in offered:
        quote.addon_lines.create(addon=AddOn.objects.get(code=code), premium=D("100.00"))
    for code in taken:
        PolicyAddOn.objects.create(policy=successor, addon=AddOn.objects.get(code=code), premium=D("100.00"))
    return case


def kpis(api, manager, query="start=2026-11-01&end=2026-11-30"):
    response = api(manager).get(f"/api/v1/kpis/?{query}")
    assert response.status_code == 200, response.json()
    return response.json()


@pytest.mark.parametrize("vendor", ["postgresql", "portable"])
def test_attach_and_cross_sell_and_premium_per_customer_by_hand(api, manager, vendor, monkeypatch):
    if vendor == "portable":
        from analytics.selectors import addons

        monkeypatch.setattr(addons.connection, "vendor", "sqlite")
    a, b, c = CustomerFactory(), CustomerFactory(), CustomerFactory()
    renewed(a, offered=["auto-glass", "auto-road-assist"], taken=["auto-glass"], successor_premium="1320.00")
    renewed(b, offered=["auto-glass"], taken=[], successor_premium="1000.00")
    renewed(c, offered=[], taken=[], successor_premium="2000.00")
    # a takes a health policy 30 days after the renewal: a new line, cross-sold.
    PolicyFactory(customer=a, line=line("health"), start_date=dt.date(2026, 12, 20), end_date=dt.date(2027, 12, 19))
    # b already had property on the renewal day: a new property policy is not a new line.
    PolicyFactory(customer=b, line=line("property"), start_date=dt.date(2026, 1, 1), end_date=dt.date(2026, 12, 31))
    PolicyFactory(customer=b, line=line("property"), start_date=dt.date(2027, 1, 1), end_date=dt.date(2027, 12, 31))
    # c takes health 120 days later: outside the 90 days.
    PolicyFactory(customer=c, line=line("health"), start_date=dt.date(2027, 3, 20), end_date=dt.date(2028, 3, 19))

    body = kpis(api, manager)
    # glass: offered 2, taken 1; road assistance: offered 1, taken 0 -> overall 1 / 3.
    assert body["attach_rate_by_addon"] == {"auto-glass": 0.5, "auto-road-assist": 0.0}
    assert body["attach_rate"] == pytest.approx(1 / 3)
    assert body["cross_sell_rate"] == pytest.approx(1 / 3)  # a only, of a, b, c
    # (1320 + 1000 + 2000) / 3 = 1440.00; add-ons: 100 / 3 = 33.33
    assert body["premium_per_customer"] == "1440.00"
    assert body["premium_per_customer_addons"] == "33.33"


def test_no_renewals_is_no_data_not_zero(api, manager):
    body = kpis(api, manager)
    assert body["attach_rate"] is None and body["cross_sell_rate"] is None
    assert body["premium_per_customer"] is None and body["attach_rate_by_addon"] == {}


def test_the_filters_and_the_comparison_apply(api, manager):
    renewed(CustomerFactory(segment="vip"), offered=["auto-glass"], taken=["auto-glass"])
    renewed(CustomerFactory(segment="standard"), offered=["auto-glass"], taken=[])
    assert kpis(api, manager, "start=2026-11-01&end=2026-11-30&segment=vip")["attach_rate"] == 1.0
    body = kpis(api, manager, "start=2026-11-01&end=2026-11-30&compare=true")
    assert body["attach_rate"] == 0.5
    assert body["comparison"]["previous_period"]["attach_rate"] is None


def test_the_dashboard_loads_the_addons_card_after_the_page(client_for, manager, specialist):
    renewed(CustomerFactory(), offered=["auto-glass"], taken=["auto-glass"], successor_premium="1320.00")
    client = client_for(manager)
    page = client.get("/analytics/?period=month&month=2026-11").content.decode()
    assert 'hx-get="/analytics/addons/?period=month&amp;month=2026-11' in page
    card = client.get("/analytics/addons/?period=month&month=2026-11").content.decode()
    assert "Glass breakage rider" in card and "100.0%" in card and "1,320.00" in card
    assert client.get("/analytics/addons/?period=month&month=0001-01").status_code == 400
    assert client_for(specialist).get("/analytics/addons/?period=month&month=2026-11").status_code == 403


def test_the_addons_table_exports_as_csv(client_for, manager):
    renewed(CustomerFactory(), offered=["auto-glass", "auto-road-assist"], taken=["auto-glass"])
    response = client_for(manager).get("/analytics/export/addons.csv?period=month&month=2026-11")
    lines = response.content.decode().splitlines()
    assert lines[0] == "Add-on,Code,Offered,Taken,Attach rate"
    assert "Glass breakage rider,auto-glass,1,1,1.0" in lines and "Road assistance,auto-road-assist,1,0,0.0" in lines
