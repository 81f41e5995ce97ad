"""Losses by competitor over time, the median price gap per line and region, and the win rate
when a competitor quote was recorded, against figures computed by hand."""

import datetime as dt
from decimal import Decimal

import pytest
from django.utils import timezone

from analytics.params import Filters, Period
from analytics.selectors.competitors import competitor_dashboard_figures
from renewals.competitors import services as competitor_services
from renewals.models import CompetitorQuote, LostReason, Quote, Stage
from tests.customers.factories import CustomerFactory
from tests.renewals.factories import PolicyFactory, RenewalCaseFactory, line

pytestmark = pytest.mark.django_db
D = Decimal
AUTUMN = Period(dt.date(2026, 10, 1), dt.date(2026, 11, 30))


@pytest.fixture
def rivals(manager):
    a = competitor_services.competitor_save(actor=manager, code="rival-a", name="Rival A", name_zh_hans="对手甲")
    b = competitor_services.competitor_save(actor=manager, code="rival-b", name="Rival B")
    return a, b


def case_quoted(specialist, *, due=dt.date(2026, 11, 15), quoted="1000.00", region="Guangdong", line_code="auto"):
    """An open case of ``specialist`` expiring ``due`` (1,000.00 expiring... quoted at ``quoted``)."""
    policy = PolicyFactory(
        customer=CustomerFactory(region=region), premium=D("950.00"), end_date=due, line=line(line_code)
    )
    case = RenewalCaseFactory(policy=policy, assignee=specialist, stage=Stage.QUOTED)
    quote = Quote.objects.create(
        case=case,
        expiring_premium=D("950.00"),
        base_rate_factor=1,
        claims_factor=1,
        loyalty_factor=1,
        premium=D(quoted),
    )
    case.current_quote = quote
    case.save(update_fields=["current_quote"])
    return case


def lose(case, actor, reason="competitor", competitor=None, premium=None):
    from renewals import services

    return services.case_mark_lost(
        case_id=case.pk, actor=actor, reason_code=reason, competitor_code=competitor, competitor_premium=premium
    )


def reshop(case, actor, competitor, premium):
    return competitor_services.competitor_quote_record(
        case_id=case.pk, actor=actor, competitor_code=competitor, premium=D(premium), cover_notes="same cover"
    )


@pytest.fixture
def book(rivals, specialist):
    # Losses with the competitor reason: October A (premium 900 vs our 1,000 → −10 %),
    # November A (premium unknown), November B (1,100 vs 1,000 → +10 %), November nobody named.
    lose(case_quoted(specialist, due=dt.date(2026, 10, 20)), specialist, competitor="rival-a", premium=D("900.00"))
    lose(case_quoted(specialist), specialist, competitor="rival-a")
    lose(case_quoted(specialist, region="Beijing"), specialist, competitor="rival-b", premium=D("1100.00"))
    lose(case_quoted(specialist), specialist)
    # Lost for price: not a competitor loss, but it was re-shopped (B at 800 vs 1,000 → −20 %).
    priced = case_quoted(specialist)
    reshop(priced, specialist, "rival-b", "800.00")
    lose(priced, specialist, reason="price")
    # Re-shopped and renewed (A at 950 vs 1,000 → −5 %).
    won = case_quoted(specialist)
    reshop(won, specialist, "rival-a", "950.00")
    from renewals import services

    services.case_mark_renewed(case_id=won.pk, actor=specialist)
    # Re-shopped, still open (A at 1,030 vs 1,000 → +3 %): in the gap, not in the win rate.
    reshop(case_quoted(specialist), specialist, "rival-a", "1030.00")
    # Outside the period: a December loss to A.
    lose(case_quoted(specialist, due=dt.date(2026, 12, 5)), specialist, competitor="rival-a")


def test_losses_by_competitor_and_month(book):
    figures = competitor_dashboard_figures(AUTUMN, Filters())
    assert figures["months"] == ["2026-10", "2026-11"]
    rows = {row["code"]: row["months"] for row in figures["losses"]}
    assert rows == {"rival-a": [1, 1], "rival-b": [0, 1], "unknown": [0, 1]}
    assert figures["competitor_losses"] == 4
    assert figures["competitor_losses_by_competitor"] == {"rival-a": 2, "rival-b": 1, "unknown": 1}


@pytest.mark.parametrize("vendor", ["postgresql", "portable"])
def test_median_price_gap_per_line_and_region(book, vendor, monkeypatch):
    if vendor == "portable":
        from analytics.selectors import competitors

        monkeypatch.setattr(competitors.connection, "vendor", "sqlite")
    gaps = {
        (g["line_code"], g["region"]): (g["quotes"], g["median_gap"])
        for g in competitor_dashboard_figures(AUTUMN, Filters())["gaps"]
    }
    # Guangdong auto: −10 (Oct loss), −20 (price loss re-shop), −5 (won), +3 (open) → sorted
    # −20, −10, −5, +3: median (−10 + −5) / 2 = −7.5. Beijing: +10 alone.
    assert gaps == {("auto", "Guangdong"): (4, pytest.approx(-7.5)), ("auto", "Beijing"): (1, pytest.approx(10.0))}


def test_win_rate_with_a_competitor_quote(book):
    figures = competitor_dashboard_figures(AUTUMN, Filters())
    # Decided and re-shopped: the price loss and the renewal → 1 of 2.
    assert (figures["win_decided"], figures["win_renewed"]) == (2, 1)
    assert figures["competitor_win_rate"] == 0.5


def test_the_kpi_api_has_competitor_losses(api, manager, book):
    body = api(manager).get("/api/v1/kpis/?start=2026-11-01&end=2026-11-30").json()
    assert body["competitor_losses"] == 3
    assert body["competitor_losses_by_competitor"] == {"rival-a": 1, "rival-b": 1, "unknown": 1}
    assert body["competitor_win_rate"] == 0.5
    compared = api(manager).get("/api/v1/kpis/?start=2026-11-01&end=2026-11-30&compare=true").json()
    assert compared["comparison"]["previous_period"]["competitor_losses"] == 1  # October: A


def test_the_dashboard_card(client_for, manager, book, django_assert_max_num_queries):
    client = client_for(manager)
    with django_assert_max_num_queries(10):
        response = client.get("/analytics/competitors/?period=custom&from=2026-10-01&to=2026-11-30")
    assert response.status_code == 200
    html = response.content.decode()
    assert '<dd class="col-sm-3" data-kpi="competitor_losses">4</dd>' in html
    assert "Rival A" in html and "-7.5%" in html and 'id="competitor-losses-data"' in html
    assert (
        client_for(manager).get("/analytics/export/competitor_gaps.csv?period=month&month=2026-11").status_code == 200
    )


def test_the_loss_row_keeps_our_quote_at_the_time(rivals, specialist):
    case = case_quoted(specialist, quoted="1234.56")
    closed = lose(case, specialist, competitor="rival-a", premium=D("1000.00"))
    row = CompetitorQuote.objects.get(case=case)
    assert (row.kind, row.our_premium, row.premium) == ("loss", D("1234.56"), D("1000.00"))
    assert LostReason.objects.get(pk=closed.lost_reason_id).code == "competitor"


def test_a_reopened_then_renewed_case_leaves_no_loss_in_the_figures(rivals, specialist, manager):
    from renewals import services

    kept = case_quoted(specialist, quoted="1000.00")
    lose(kept, specialist, competitor="rival-b", premium=D("1100.00"))  # +10 %, still lost
    case = case_quoted(specialist, quoted="1000.00")
    lose(case, specialist, competitor="rival-a", premium=D("800.00"))  # −20 %, then won back
    services.case_reopen(case_id=case.pk, actor=manager, decision_date=timezone.localdate())
    services.case_mark_renewed(case_id=case.pk, actor=manager)
    figures = competitor_dashboard_figures(AUTUMN, Filters())
    # Only the case still lost counts: one loss to B, its gap +10 % alone (not the median of −20 and +10).
    assert figures["competitor_losses_by_competitor"] == {"rival-b": 1}
    assert [(g["quotes"], g["median_gap"]) for g in figures["gaps"]] == [(1, pytest.approx(10.0))]
    assert not CompetitorQuote.objects.filter(case=case).exists()
