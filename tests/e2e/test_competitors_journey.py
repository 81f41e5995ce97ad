"""A specialist records a rival's quote beside ours, sees what a discount buys in the live quote
preview, and marks the case lost to that competitor with its premium."""

import datetime as dt
from decimal import Decimal

import pytest
import time_machine

from analytics.selectors.price_sensitivity import book_curve_refresh
from renewals.competitors import services as competitor_services
from renewals.models import CompetitorQuote, RenewalCase, Stage
from tests.analytics.factories import quoted_case
from tests.conftest import make_user
from tests.customers.factories import CustomerFactory
from tests.e2e.conftest import E2E_DB
from tests.renewals.factories import PolicyFactory, RenewalCaseFactory

pytestmark = [pytest.mark.e2e, E2E_DB]


@time_machine.travel("2026-12-01 10:00 +08:00", tick=True)
def test_specialist_records_a_rival_quote_sees_the_curve_and_loses_to_the_rival(page, login, shot):
    boss = make_user("boss", "manager")
    competitor_services.competitor_save(actor=boss, code="harbour", name="Harbour Mutual", name_zh_hans="海港互助")
    # Last year's auto standard cases: quoted +3 %, 16 of 20 renewed; quoted −2 %, 19 of 20 renewed.
    for i in range(20):
        quoted_case("1030.00", Stage.RENEWED if i < 16 else Stage.LOST, due=dt.date(2026, 6, 1))
        quoted_case("980.00", Stage.RENEWED if i < 19 else Stage.LOST, due=dt.date(2026, 6, 1))
    specialist = make_user("lina", "specialist", first_name="Na", last_name="Li")
    policy = PolicyFactory(
        customer=CustomerFactory(name="Wang Fang"), premium=Decimal("1000.00"), end_date=dt.date(2027, 1, 20)
    )
    case = RenewalCaseFactory(assignee=specialist, policy=policy)
    book_curve_refresh()  # the nightly count the preview reads (a page never counts it)

    login("lina")
    page.goto(f"/cases/{case.pk}/")
    # The preview at no discount: 1,000 × 1.03 = 1,030.00, the "0 to 5 %" band: 16 of 20 = 80 %.
    assert (
        page.get_by_test_id("renewal-estimate-curve").inner_text().startswith("Expected renewal at this premium: 80%")
    )
    # A 5 % discount: 978.50, −2.15 %, the "−5 to 0 %" band: 19 of 20 = 95 % (the live htmx preview).
    page.get_by_label("Discount (%)").fill("5")
    page.get_by_test_id("quoted-premium").filter(has_text="978.50").wait_for()
    assert (
        page.get_by_test_id("renewal-estimate-curve").inner_text().startswith("Expected renewal at this premium: 95%")
    )
    shot("preview-discount")

    # The customer brings Harbour Mutual's quote.
    page.get_by_label("Insurer").select_option("harbour")
    page.get_by_label("Their premium").fill("950.00")
    page.get_by_label("Cover notes").fill("no glass cover")
    page.get_by_role("button", name="Record quote").click()
    page.get_by_text("Competitor quote recorded.").wait_for()
    quotes = page.get_by_test_id("competitor-quotes").inner_text()
    # No quote saved yet: ours is the expiring 1,000.00; gap (950 − 1000) / 1000 = −5.0 %.
    assert "Harbour Mutual" in quotes and "950.00" in quotes and "1,000.00" in quotes and "-5.0%" in quotes
    shot("competitor-quote")

    # The customer leaves for Harbour Mutual at 940.00.
    page.get_by_label("Reason", exact=True).first.select_option("competitor")
    page.get_by_label("Competitor (with “Went to a competitor”)").select_option("harbour")
    page.get_by_label("Competitor's premium, when known").fill("940.00")
    page.get_by_role("button", name="Mark lost").click()
    page.get_by_text("Case closed.").wait_for()
    assert RenewalCase.objects.get(pk=case.pk).stage == Stage.LOST
    loss = CompetitorQuote.objects.get(case=case, kind="loss")
    assert (loss.competitor.code, loss.premium) == ("harbour", Decimal("940.00"))
    assert "lost to" in page.get_by_test_id("competitor-quotes").inner_text()
    shot("lost-to-competitor")
