"""Renewal pricing on worked examples: Decimal money, half-up rounding to cents at each step."""

from decimal import Decimal

import pytest

from renewals.pricing import money, price_renewal, step_factor

D = Decimal


def test_worked_example_all_factors_and_discount():
    # given 3000.00 expiring, +5% base rate, 1 claim (1.10), 3 years loyal (0.95), 5% discount
    result = price_renewal(
        expiring_premium=D("3000.00"),
        base_rate_change_percent=D("5"),
        claims_factor=D("1.10"),
        loyalty_factor=D("0.95"),
        discount_percent=D("5"),
    )
    # then each running amount is rounded to cents and the last one is the quote
    assert [s["amount"] for s in result.steps] == [D("3000.00"), D("3150.00"), D("3465.00"), D("3291.75"), D("3127.16")]
    assert result.premium == D("3127.16")
    assert [s["code"] for s in result.steps] == ["expiring", "base_rate", "claims", "loyalty", "discount"]


def test_half_cent_rounds_up_not_to_even():
    # 100.10 × 1.05 = 105.105 → 105.11 (banker's rounding would give 105.10)
    result = price_renewal(
        expiring_premium=D("100.10"), base_rate_change_percent=D("5"), claims_factor=D("1"), loyalty_factor=D("1")
    )
    assert result.premium == D("105.11")


def test_negative_base_rate_change_lowers_the_premium():
    result = price_renewal(
        expiring_premium=D("1999.99"), base_rate_change_percent=D("-2.5"), claims_factor=D("1"), loyalty_factor=D("1")
    )
    # 1999.99 × 0.975 = 1949.99025 → 1949.99
    assert result.base_rate_factor == D("0.9750")
    assert result.premium == D("1949.99")


def test_full_discount_gives_zero():
    result = price_renewal(
        expiring_premium=D("500"),
        base_rate_change_percent=D("0"),
        claims_factor=D("1"),
        loyalty_factor=D("1"),
        discount_percent=D("100"),
    )
    assert result.premium == D("0.00")


@pytest.mark.parametrize(
    ("value", "expected"),
    [(0, D("1.0000")), (1, D("1.1000")), (2, D("1.2500")), (7, D("1.5000"))],
)
def test_step_factor_takes_highest_threshold_not_above_value(value, expected):
    table = [(0, D("1.0000")), (1, D("1.1000")), (2, D("1.2500")), (3, D("1.5000"))]
    assert step_factor(table, value) == expected


def test_step_factor_without_matching_step_is_neutral():
    assert step_factor([(2, D("0.9"))], 1) == D("1")


def test_money_rounds_half_up():
    assert money(D("0.125")) == D("0.13")
    assert money(D("2.675")) == D("2.68")
