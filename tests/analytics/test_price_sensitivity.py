"""The price-sensitivity curve (renewal rate by premium-change band) against figures computed by
hand, and the renewal probability the quote preview shows from it and from the churn model."""

import datetime as dt
import math
from decimal import Decimal

import pytest

from analytics import kpis
from analytics.estimates import shifted_renewal_probability
from analytics.models import ChurnModelRun
from analytics.params import Filters, Period
from analytics.selectors.price_sensitivity import book_curve_refresh, price_sensitivity
from renewals.models import Stage
from tests.analytics.factories import quoted_case as decided
from tests.customers.factories import CustomerFactory
from tests.renewals.factories import PolicyFactory, RenewalCaseFactory, line

pytestmark = pytest.mark.django_db
D = Decimal
NOVEMBER = Period(dt.date(2026, 11, 1), dt.date(2026, 11, 30))


@pytest.fixture
def book():
    R, L, X = Stage.RENEWED, Stage.LOST, Stage.LAPSED
    # Auto, expiring 1,000.00; the band by hand from quoted/expiring − 1:
    decided("950.00", R)  # −5.0 % → "≤ −5 %" (the bound belongs to the lower band)
    decided("900.00", R)  # −10 % → "≤ −5 %"
    decided("949.99", L)  # −5.001 % → "≤ −5 %"
    decided("950.01", R)  # −4.999 % → "−5..0"
    decided("1000.00", L)  # 0 % → "−5..0"
    decided("1050.00", R, segment="vip")  # +5 % → "0..5"
    decided("1080.00", L)  # +8 % → "5..10"
    decided("1100.00", X)  # +10 % → "5..10" (lapsed counts as decided, not renewed)
    decided("1200.00", R, segment="vip")  # +20 % → "10..20"
    decided("1150.00", L)  # +15 % → "10..20"
    decided("1200.01", L)  # +20.001 % → "> 20 %"
    # Health, expiring 2,000.00: +6 % renewed.
    decided("2120.00", R, expiring="2000.00", line_code="health")
    # Left out: open (quoted, undecided), lost without a quote, expiring in October.
    decided("900.00", Stage.QUOTED)
    decided(None, L)
    decided("900.00", R, due=dt.date(2026, 10, 31))


def test_the_curve_matches_the_hand_count(book):
    figures = price_sensitivity(NOVEMBER, Filters())
    # (decided, renewed) per band, counted by hand from the fixture's comments.
    by_hand = {
        "le_m5": (3, 2),
        "m5_0": (2, 1),
        "p0_5": (1, 1),
        "p5_10": (3, 1),  # auto 1,080 lost, 1,100 lapsed; health 2,120 renewed
        "p10_20": (2, 1),
        "gt20": (1, 0),
    }
    assert {b["code"]: (b["decided"], b["renewed"]) for b in figures["bands"]} == by_hand
    rates = {b["code"]: b["rate"] for b in figures["bands"]}
    assert rates["le_m5"] == pytest.approx(2 / 3) and rates["p5_10"] == pytest.approx(1 / 3)
    assert rates["gt20"] == 0.0
    assert figures["cases"] == 12
    # The chart: all lines, then auto and health, as percentages with one decimal.
    all_lines, auto, health = figures["chart"]["datasets"]
    assert all_lines["data"] == [66.7, 50.0, 100.0, 33.3, 50.0, 0.0]
    assert auto["data"] == [66.7, 50.0, 100.0, 0.0, 50.0, 0.0]
    assert health["data"] == [None, None, None, 100.0, None, None]
    # The table per line × segment × band: auto VIP has 0..5 (1 of 1) and 10..20 (1 of 1).
    vip = [(r["band"], r["decided"], r["renewed"]) for r in figures["rows"] if r["segment"] == "vip"]
    assert vip == [("p0_5", 1, 1), ("p10_20", 1, 1)]


def test_every_rate_carries_its_wilson_interval(book):
    band = next(b for b in price_sensitivity(NOVEMBER, Filters())["bands"] if b["code"] == "le_m5")
    # Wilson 95 % for 2 of 3 by hand: z = 1.959964; centre (p + z²/2n) / (1 + z²/n), half-width
    # z √(p(1−p)/n + z²/4n²) / (1 + z²/n).
    z, n, p = 1.959964, 3, 2 / 3
    centre = (p + z * z / (2 * n)) / (1 + z * z / n)
    half = z * math.sqrt(p * (1 - p) / n + z * z / (4 * n * n)) / (1 + z * z / n)
    assert band["low"] == pytest.approx(centre - half, abs=1e-4)
    assert band["high"] == pytest.approx(centre + half, abs=1e-4)


def test_the_segment_and_line_filters_apply(book):
    vip = price_sensitivity(NOVEMBER, Filters(segments=("vip",)))
    assert [(b["decided"], b["renewed"]) for b in vip["bands"]] == [(0, 0), (0, 0), (1, 1), (0, 0), (1, 1), (0, 0)]
    health = price_sensitivity(NOVEMBER, Filters(line_id=line("health").pk))
    assert health["cases"] == 1


@pytest.mark.parametrize(
    ("quoted", "band"),
    [
        ("950", "le_m5"),
        ("950.01", "m5_0"),
        ("1000", "m5_0"),
        ("1000.01", "p0_5"),
        ("1100", "p5_10"),
        ("1200", "p10_20"),
        ("1200.01", "gt20"),
        ("0", "le_m5"),
    ],
)
def test_the_band_function_puts_each_bound_in_the_lower_band(quoted, band):
    assert kpis.premium_change_band(expiring=D("1000"), quoted=D(quoted)) == band


def test_no_expiring_premium_has_no_band():
    assert kpis.premium_change_band(expiring=D("0"), quoted=D("10")) is None


def test_the_card_shows_the_chart_data_and_the_table(client_for, manager, book, django_assert_max_num_queries):
    client = client_for(manager)
    with django_assert_max_num_queries(8):
        response = client.get("/analytics/price-sensitivity/?period=month&month=2026-11")
    assert response.status_code == 200
    html = response.content.decode()
    assert 'id="price-sensitivity-data"' in html and "chart-price-sensitivity" in html
    assert response.context["f"]["cases"] == 12
    assert (
        '<tr data-band="le_m5"><th scope="row">≤ −5%</th><td class="text-end">3</td><td class="text-end">2</td>'
        '<td class="text-end">66.7%</td>' in html
    )


def test_specialists_and_support_cannot_read_the_card(client_for, specialist, support):
    for user in (specialist, support):
        assert client_for(user).get("/analytics/price-sensitivity/?period=month&month=2026-11").status_code == 403


def test_the_export_has_the_rows(client_for, manager, book):
    response = client_for(manager).get("/analytics/export/price_sensitivity.csv?period=month&month=2026-11")
    assert response.status_code == 200
    lines = response.content.decode().strip().splitlines()
    # header + auto standard in 5 bands (none at 0..5) + auto VIP in 2 + health in 1
    assert len(lines) == 1 + 5 + 2 + 1
    assert lines[1] == "Auto,Standard,≤ −5%,3,2,0.6666666666666666"


# --- the quote preview: what the quoted premium buys -----------------------------------------


def test_the_quote_preview_shows_the_curve_rate_of_the_quoted_band(client_for, specialist, time_machine):
    time_machine.move_to(dt.datetime(2026, 12, 1, 2, 0, tzinfo=dt.UTC))
    # 25 decided auto standard cases quoted at +3 % in the last year: 20 renewed, 5 lost → 80 %.
    for i in range(25):
        decided("1030.00", Stage.RENEWED if i < 20 else Stage.LOST, due=dt.date(2026, 6, 1))
    policy = PolicyFactory(premium=D("1000.00"), end_date=dt.date(2027, 1, 15), customer=CustomerFactory())
    case = RenewalCaseFactory(policy=policy, assignee=specialist)
    book_curve_refresh()  # the nightly task's count (a page never counts it)
    client = client_for(specialist)
    # The line's pricing: auto base rate +3 % (seeded), no claims, tenure 1 → 1,030.00 before discount.
    response = client.get(f"/cases/{case.pk}/quote/preview/?quote-discount_percent=0")
    html = response.content.decode()
    assert response.context["preview"]["premium"] == D("1030.00")
    assert 'data-testid="renewal-estimate-curve"' in html
    assert "Expected renewal at this premium: 80%" in html
    assert "25 decided cases" in html
    # A 5 % discount: 978.50 is −2.15 %, a band with no history → no curve figure.
    response = client.get(f"/cases/{case.pk}/quote/preview/?quote-discount_percent=5")
    assert "renewal-estimate-curve" not in response.content.decode()


def test_the_churn_model_moves_the_case_score_by_the_discount(client_for, specialist):
    ChurnModelRun.objects.create(
        status=ChurnModelRun.Status.FITTED,
        coefficients={"rules_premium_change": 0.8},
        diagnostics={"scales": {"rules_premium_change": 0.04}},
    )
    policy = PolicyFactory(premium=D("1000.00"), end_date=dt.date(2027, 1, 15), customer=CustomerFactory())
    case = RenewalCaseFactory(policy=policy, assignee=specialist, churn_risk=30)
    response = client_for(specialist).get(f"/cases/{case.pk}/quote/preview/?quote-discount_percent=10")
    # By hand: before the discount 1,030.00, after 927.00; change −103 / 1000 = −0.103.
    # log-odds 30 % = ln(0.3/0.7) = −0.847298; + 0.8 / 0.04 × −0.103 = −2.06 → −2.907298;
    # churn = 1 / (1 + e^2.907298) = 1 / 19.307 = 0.051794; renewal = 94.82 % → "95%".
    log_odds = math.log(0.3 / 0.7) + 0.8 / 0.04 * -0.103
    assert 1 - 1 / (1 + math.exp(-log_odds)) == pytest.approx(0.948206, abs=1e-6)
    html = response.content.decode()
    assert 'data-testid="renewal-estimate-churn_model"' in html
    assert "Churn model at this premium: 95%" in html
    assert shifted_renewal_probability(churn_risk=30, coefficient=0.8, scale=0.04, change=0.0) == pytest.approx(0.7)


def test_no_fitted_model_no_churn_figure(client_for, specialist):
    policy = PolicyFactory(premium=D("1000.00"), end_date=dt.date(2027, 1, 15), customer=CustomerFactory())
    case = RenewalCaseFactory(policy=policy, assignee=specialist, churn_risk=30)
    response = client_for(specialist).get(f"/cases/{case.pk}/quote/preview/?quote-discount_percent=10")
    assert "renewal-estimate" not in response.content.decode()


def test_add_ons_do_not_count_as_a_premium_rise():
    from renewals.models import AddOn

    case = decided("1100.00", Stage.RENEWED)
    case.current_quote.addon_lines.create(addon=AddOn.objects.filter(line__code="auto").first(), premium=D("100.00"))
    # 1,100.00 − 100.00 of add-on = 1,000.00 for the same cover: 0 %, the "−5..0" band.
    bands = {b["code"]: b["decided"] for b in price_sensitivity(NOVEMBER, Filters())["bands"]}
    assert bands["m5_0"] == 1 and bands["p5_10"] == 0


def test_the_nightly_task_recounts_the_curve_the_quote_reads(time_machine):
    from django.core.cache import cache

    from analytics.selectors.price_sensitivity import CURVE_CACHE_KEY, book_curve
    from analytics.tasks import fit_churn_model

    time_machine.move_to(dt.datetime(2026, 12, 1, 2, 0, tzinfo=dt.UTC))
    assert book_curve() == {}  # cached empty
    decided("1030.00", Stage.RENEWED)
    assert book_curve() == {}  # still the cached answer
    fit_churn_model()
    auto = line("auto").pk
    assert cache.get(CURVE_CACHE_KEY) == {f"{auto}:standard:p0_5": [1, 1], f"{auto}:*:p0_5": [1, 1]}


def test_a_cold_curve_cache_shows_no_estimate_and_enqueues_one_recount(
    client_for, specialist, time_machine, monkeypatch, django_capture_on_commit_callbacks
):
    from unittest import mock

    from django.core.cache import cache
    from django.db import connection
    from django.test.utils import CaptureQueriesContext

    from analytics import tasks
    from analytics.selectors.price_sensitivity import CURVE_CACHE_KEY

    time_machine.move_to(dt.datetime(2026, 12, 1, 2, 0, tzinfo=dt.UTC))
    for i in range(25):
        decided("1030.00", Stage.RENEWED if i < 20 else Stage.LOST, due=dt.date(2026, 6, 1))
    policy = PolicyFactory(premium=D("1000.00"), end_date=dt.date(2027, 1, 15), customer=CustomerFactory())
    case = RenewalCaseFactory(policy=policy, assignee=specialist)
    client = client_for(specialist)
    enqueue = mock.Mock()
    monkeypatch.setattr(tasks.refresh_price_curve, "delay", enqueue)
    cache.set(CURVE_CACHE_KEY, {}, 60)
    client.get(f"/cases/{case.pk}/")  # warms every other cache the page reads
    with CaptureQueriesContext(connection) as warm:
        client.get(f"/cases/{case.pk}/")
    cache.delete(CURVE_CACHE_KEY)
    with django_capture_on_commit_callbacks(execute=True):
        with CaptureQueriesContext(connection) as cold:
            page = client.get(f"/cases/{case.pk}/")
        preview = client.get(f"/cases/{case.pk}/quote/preview/?quote-discount_percent=0")
    # The cold page costs no more queries than a warm one: the 12-month aggregate did not run.
    assert len(cold) <= len(warm)
    assert "renewal-estimate-curve" not in page.content.decode()
    assert "renewal-estimate-curve" not in preview.content.decode()
    assert enqueue.call_count == 1  # two cold reads, one recount queued
    # The worker runs it: the next preview shows the curve's 80 %.
    tasks.refresh_price_curve()
    assert (
        "Expected renewal at this premium: 80%"
        in client.get(f"/cases/{case.pk}/quote/preview/?quote-discount_percent=0").content.decode()
    )
