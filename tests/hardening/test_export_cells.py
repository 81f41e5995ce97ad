"""Exported cells that a spreadsheet would run as a formula are neutralised, full-width forms too."""

import pytest

from core.spreadsheets import safe_cell


@pytest.mark.parametrize("text", ["=1+1", "+SUM(A1)", "-2", "@cmd", '＝HYPERLINK("x")', "＋1", "－1", "＠x", "﹦1"])
def test_formula_looking_text_gets_an_apostrophe(text):
    assert safe_cell(text) == "'" + text


@pytest.mark.parametrize("value", ["王小明", "Guangdong", "138-0013-8000", 12, None, "a=b"])
def test_ordinary_values_pass_unchanged(value):
    assert safe_cell(value) == value
