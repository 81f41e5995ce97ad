"""'What changed and why' figures and the rate-shock flag, against figures worked by hand."""

from decimal import Decimal

import pytest

from documents.content import premium_change, share_words, signed_percent
from renewals.models import LineOfInsurance
from tests.documents.conftest import quoted_case

# 3,000.00 expiring; +5 % base rate -> 3,150.00 (+150.00 = +5.0 % of 3,000);
# claims x1.08 -> 3,402.00 (+252.00 = +8.4 %); loyalty x0.97 -> 3,299.94 (-102.06 = -3.4 %);
# no discount (no change, left out). Whole change +299.94 = +9.998 % -> +10.0 %.
BREAKDOWN = [
    {"code": "expiring", "factor": "1", "amount": "3000.00"},
    {"code": "base_rate", "factor": "1.0500", "amount": "3150.00"},
    {"code": "claims", "factor": "1.0800", "amount": "3402.00"},
    {"code": "loyalty", "factor": "0.9700", "amount": "3299.94"},
    {"code": "discount", "factor": "1.0000", "amount": "3299.94"},
]


def test_each_factor_share_of_the_change_is_its_step_over_the_expiring_premium():
    change = premium_change(expiring=Decimal("3000.00"), new=Decimal("3299.94"), breakdown=BREAKDOWN)
    assert change.amount == Decimal("299.94")
    assert change.percent == Decimal("10.0")
    assert [(s.code, s.amount, s.percent) for s in change.shares] == [
        ("base_rate", Decimal("150.00"), Decimal("5.0")),
        ("claims", Decimal("252.00"), Decimal("8.4")),
        ("loyalty", Decimal("-102.06"), Decimal("-3.4")),
    ]


def test_shares_read_in_words_with_a_true_minus_sign():
    change = premium_change(expiring=Decimal("3000.00"), new=Decimal("3299.94"), breakdown=BREAKDOWN)
    assert [share_words(s) for s in change.shares] == [
        "the line's base rate +5.0 %",
        "claims in the last term +8.4 %",
        "loyalty −3.4 %",
    ]
    assert signed_percent(Decimal("0.0")) == "±0.0 %"


def test_no_change_means_no_explanation():
    assert premium_change(expiring=Decimal("3000.00"), new=Decimal("3000.00"), breakdown=BREAKDOWN) is None


def test_rate_shock_is_a_rise_above_the_lines_threshold():
    line = LineOfInsurance(rate_shock_percent=Decimal("10.00"))
    # +299.94 on 3,000 is 9.998 %: not above 10 %
    assert not line.is_rate_shock(Decimal("3000.00"), Decimal("3299.94"))
    assert not line.is_rate_shock(Decimal("3000.00"), Decimal("3300.00"))  # exactly 10 % is not above
    assert line.is_rate_shock(Decimal("3000.00"), Decimal("3300.01"))
    assert not line.is_rate_shock(Decimal("0"), Decimal("100"))


@pytest.mark.django_db
def test_case_panel_and_queue_flag_the_rate_shock_once_above_the_threshold(specialist, client_for):
    case = quoted_case(assignee=specialist, language="en")
    client = client_for(specialist)
    panel = client.get(f"/documents/cases/{case.pk}/", HTTP_ACCEPT_LANGUAGE="en").content.decode()
    assert "data-what-changed" in panel and "claims in the last term +8.4 %" in panel
    assert "data-rate-shock" not in panel  # +10.0 % (9.998) is not above the line's 10 %
    assert "data-rate-shock" not in client.get("/cases/").content.decode()
    # when the line's threshold is lowered to 9.5 %
    LineOfInsurance.objects.filter(pk=case.line_id).update(rate_shock_percent=Decimal("9.50"))
    panel = client.get(f"/documents/cases/{case.pk}/", HTTP_ACCEPT_LANGUAGE="en").content.decode()
    assert "data-rate-shock" in panel and "Rate shock +10.0 %" in panel
    queue = client.get("/cases/").content.decode()
    assert queue.count("data-rate-shock") == 1


@pytest.mark.django_db
def test_manager_sets_a_lines_rate_shock_threshold_on_the_lines_page(manager, client_for):
    auto = LineOfInsurance.objects.get(code="auto")
    fields = {
        "line_id": auto.pk,
        "name": auto.name,
        "name_zh_hans": auto.name_zh_hans,
        "renewal_window_days": auto.renewal_window_days,
        "grace_days": auto.grace_days,
        "notice_lead_days": auto.notice_lead_days,
        "term_months": auto.term_months,
        "active": "on",
    }
    client = client_for(manager)
    client.post("/settings/lines/", {**fields, "rate_shock_percent": "7.5"})
    auto.refresh_from_db()
    assert auto.rate_shock_percent == Decimal("7.50")
    client.post("/settings/lines/", fields)  # left empty: kept
    auto.refresh_from_db()
    assert auto.rate_shock_percent == Decimal("7.50")
    client.post("/settings/lines/", {**fields, "rate_shock_percent": "-1"})  # refused
    auto.refresh_from_db()
    assert auto.rate_shock_percent == Decimal("7.50")
