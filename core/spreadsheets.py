"""Exports that people open in Excel or WPS: text that looks like a formula is neutralised.

Names, regions and notes come from customers and the core system; a cell such as
``=HYPERLINK(...)`` would otherwise run when a manager opens the file (CSV/formula injection).
"""

import unicodedata

import pandas as pd

FORMULA_PREFIXES = ("=", "+", "-", "@", "\t", "\r")


def safe_cell(value):
    """Prefix formula-looking text with an apostrophe; numbers, dates and other values pass."""
    # NFKC folds the full-width forms (＝ ＋ － ＠) that Chinese input methods type, and that
    # spreadsheet programs read as the ASCII ones.
    if isinstance(value, str) and unicodedata.normalize("NFKC", value[:1]).startswith(FORMULA_PREFIXES):
        return "'" + value
    return value


def safe_frame(frame: pd.DataFrame) -> pd.DataFrame:
    """A copy of ``frame`` whose text cells are safe to open in a spreadsheet."""
    safe = frame.copy()
    for column in safe.columns:
        if safe[column].dtype == object or pd.api.types.is_string_dtype(safe[column]):
            safe[column] = safe[column].map(safe_cell)
    return safe
