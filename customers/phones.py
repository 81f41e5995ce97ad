"""Phone numbers: the one normalisation used by search, import, the services and the demo.

Customers write numbers as "138-0013-8000", "138 0013 8000" or "+86 138 0013 8000"; the desk keeps
the digits alone in ``Customer.phone_digits`` so any of them finds the customer.
"""

import re

import pandas as pd

_NON_DIGITS = re.compile(r"\D")


def phone_digits(phone: str | None) -> str:
    """Only the digits of a phone number: "+86 138-0013 8000" -> "8613800138000"."""
    return _NON_DIGITS.sub("", phone or "")


def phone_digits_series(phones: pd.Series) -> pd.Series:
    """``phone_digits`` over a column at once (imports of a million rows)."""
    return phones.fillna("").astype(str).str.replace(_NON_DIGITS.pattern, "", regex=True)
