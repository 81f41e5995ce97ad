"""Money is shown with thousands separators in the user's locale, from Decimals (issue 12)."""

from decimal import Decimal

import pytest
from django.template import Context, Template
from django.test import override_settings
from django.utils import translation

from core.templatetags.money import format_money


@pytest.mark.parametrize("language", ["en", "zh-hans"])
@pytest.mark.parametrize(
    ("amount", "shown"),
    [
        (Decimal("181244.48"), "181,244.48"),
        (Decimal("1000"), "1,000.00"),
        (Decimal("999.995"), "1,000.00"),  # half-up to cents
        (Decimal("0.005"), "0.01"),
        (Decimal("-1234.5"), "-1,234.50"),
        (Decimal("12345678901234567.89"), "12,345,678,901,234,567.89"),  # a float would lose the cents
        (None, ""),
        ("", ""),
    ],
)
def test_money_groups_thousands_in_either_language(language, amount, shown):
    with translation.override(language):
        assert format_money(amount) == shown


def test_a_float_is_read_as_the_number_it_prints_not_through_binary():
    assert format_money(0.1 + 0.2) == "0.30"
    assert format_money(2.675) == "2.68"  # round(2.675, 2) is 2.67 in binary floating point


@override_settings(CURRENCY="CNY")
def test_the_template_filters_with_and_without_the_currency():
    template = Template("{% load money %}{{ amount|money }} | {{ amount|money_currency }}")
    with translation.override("zh-hans"):
        assert template.render(Context({"amount": Decimal("181244.48")})) == "181,244.48 | CNY 181,244.48"


def test_the_drill_down_and_leaderboard_show_grouped_premiums(book, client_for, manager):
    client = client_for(manager)
    # r1 and r2 expired at 1000 each and renewed at 1100 and 900: 2000 retained by "spec"
    drill = client.get("/analytics/cases/?period=month&month=2026-11&outcome=renewed").content.decode()
    assert "1,000.00" in drill and "1,100.00" in drill and "2,000.00" in drill
    board = client.get("/analytics/?period=month&month=2026-11", HTTP_ACCEPT_LANGUAGE="zh-hans").content.decode()
    leaderboard = board.split('id="board-heading"')[1]
    assert "2,000.00" in leaderboard
