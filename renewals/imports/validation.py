"""Checking every row column-wise in pandas (no per-row Python): the good rows, normalised, and
the row errors. The rules both apply paths add (previous policy unknown or taken) word their
errors with :func:`previous_policy_message`."""

import numpy as np
import pandas as pd
from django.utils.translation import gettext as _

from customers.regions import default_time_zone, time_zone_names
from renewals.imports.columns import (
    ADDON_SEPARATOR,
    BLANK_DEFAULTS,
    CHOICES,
    COLUMNS,
    EMAIL_RE,
    FALSE_WORDS,
    MAX_LENGTH,
    PHONE_RE,
    PREMIUM_RE,
    REQUIRED,
    SUM_INSURED_RE,
    TRUE_WORDS,
)
from renewals.imports.results import RowError

# Longer chains inside one file are reported as loops (a policy renewed yearly for a century).
MAX_CHAIN_LEVELS = 100


def validate_rows(
    frame: pd.DataFrame, present: set[str], *, line_codes: set[str], addon_lines: dict[str, str] | None = None
) -> tuple[pd.DataFrame, list]:
    """Check every row column-wise; answer the good rows (normalised) and the errors."""
    found: list[pd.DataFrame] = []

    def flag(mask: pd.Series, column: str, message) -> None:
        mask = mask.fillna(False).astype(bool)
        if mask.any():
            rows = frame.index[mask.to_numpy()]
            messages = message[mask].to_numpy() if isinstance(message, pd.Series) else message
            found.append(pd.DataFrame({"row": rows, "column": column, "message": messages}))

    for column in REQUIRED:
        flag(frame[column] == "", column, _("is required"))
    for column, limit in MAX_LENGTH.items():
        if column in present:
            flag(frame[column].str.len() > limit, column, _("is longer than %(n)d characters") % {"n": limit})

    choices = dict(CHOICES, line=sorted(line_codes))
    for column, allowed in choices.items():
        if column not in present:
            continue
        values = frame[column] if column == "line" else frame[column].str.lower()
        frame[column] = values
        bad = (values != "") & ~values.isin(allowed)
        flag(bad, column, _("must be one of: %(choices)s") % {"choices": ", ".join(allowed)})

    if "phone" in present:
        phone = frame["phone"]
        digits = phone.str.count(r"\d")
        bad = (phone != "") & (~phone.str.fullmatch(PHONE_RE) | (digits < 6) | (digits > 20))
        flag(bad, "phone", _("is not a phone number"))
    if "email" in present:
        email = frame["email"]
        flag((email != "") & ~email.str.fullmatch(EMAIL_RE), "email", _("is not an email address"))

    dates = {}
    for column in ("start_date", "end_date"):
        text = frame[column]
        shaped = text.str.fullmatch(r"\d{4}-\d{2}-\d{2}")
        parsed = pd.to_datetime(text.where(shaped), format="%Y-%m-%d", errors="coerce")
        dates[column] = parsed
        flag((text != "") & parsed.isna(), column, _("must be a date YYYY-MM-DD"))
    flag(dates["end_date"] <= dates["start_date"], "end_date", _("must be after start_date"))

    for column, pattern in (("premium", PREMIUM_RE), ("sum_insured", SUM_INSURED_RE)):
        text = frame[column]
        flag(
            (text != "") & ~text.str.fullmatch(pattern),
            column,
            _("must be a non-negative amount with at most 2 decimals"),
        )
    if "claims_count" in present:
        text = frame["claims_count"]
        flag((text != "") & ~text.str.fullmatch(r"\d{1,4}"), "claims_count", _("must be a whole number from 0 to 9999"))
    for column in ("consent_email", "consent_sms"):
        if column in present:
            text = frame[column].str.lower()
            frame[column] = text
            flag((text != "") & ~text.isin(TRUE_WORDS | FALSE_WORDS), column, _("must be true or false"))

    if "time_zone" in present:
        zone = frame["time_zone"]
        flag(
            (zone != "") & ~zone.isin(time_zone_names()),
            "time_zone",
            _("is not a time zone name (e.g. Asia/Shanghai)"),
        )

    if "addons" in present:
        flag_addons = _addon_errors(frame, addon_lines or {})
        flag(flag_addons != "", "addons", flag_addons)

    _flag_duplicates(frame, "policy_number", flag, _("appears more than once in the file (rows %(rows)s)"))
    if "previous_policy_number" in present:
        previous = frame["previous_policy_number"]
        flag(
            (previous != "") & (previous == frame["policy_number"]),
            "previous_policy_number",
            _("cannot be the policy itself"),
        )
        _flag_duplicates(
            frame,
            "previous_policy_number",
            flag,
            _("is renewed by more than one row of the file (rows %(rows)s)"),
        )

    errors = _sorted_errors(found)
    bad_rows = {e.row for e in errors}
    good = frame.drop(index=list(bad_rows)) if bad_rows else frame
    good = _normalised(good, present)
    good["chain_level"] = 0
    if "previous_policy_number" in present and len(good):
        levels, looping = _chain_levels(good)
        good["chain_level"] = levels
        if looping.any():
            loop_errors = [
                RowError(int(row), "previous_policy_number", _("the renewal chain loops back on itself"))
                for row in good.index[looping]
            ]
            errors = merge_errors(errors, loop_errors)
            good = good[~looping]
    return good, errors


def _addon_errors(frame: pd.DataFrame, addon_lines: dict[str, str]) -> pd.Series:
    """Per row, why its ``addons`` cell is wrong ("" when it is fine): each code must be in the
    catalogue, of the row's line, and named once. Rows with add-ons are few; the loop runs on those."""
    messages = pd.Series("", index=frame.index)
    cells = frame["addons"]
    for index in cells.index[cells != ""]:
        codes = [c.strip() for c in cells[index].split(ADDON_SEPARATOR)]
        line = frame.at[index, "line"]
        unknown = [c for c in codes if c not in addon_lines]
        other = [c for c in codes if c in addon_lines and addon_lines[c] != line]
        if unknown:
            messages[index] = _("unknown add-on code: %(codes)s") % {"codes": ", ".join(unknown)}
        elif other:
            messages[index] = _("add-on %(codes)s belongs to another line") % {"codes": ", ".join(other)}
        elif len(set(codes)) != len(codes) or "" in codes:
            messages[index] = _("lists an add-on twice or an empty code")
    return messages


def previous_policy_message(previous: str, other: str | None) -> str:
    """A row's previous policy is unknown (``other`` None) or already renewed by policy ``other``."""
    if other is None:
        return _("policy %(number)s is neither in the file nor in the database") % {"number": previous}
    return _("policy %(number)s is already renewed by %(other)s") % {"number": previous, "other": other}


def merge_errors(first: list[RowError], second: list[RowError]) -> list[RowError]:
    """Both lists in file order: by row, then by the column's place in the format."""
    if not second:
        return first
    order = {name: i for i, name in enumerate(COLUMNS)}
    return sorted(first + second, key=lambda e: (e.row, order.get(e.column, 99)))


def _chain_levels(good: pd.DataFrame) -> tuple[np.ndarray, np.ndarray]:
    """Each row's depth in its renewal chain within the file (0: its previous policy is not in
    the file), and which rows sit on a loop (A renews B renews A) or hang from one."""
    position = pd.Series(np.arange(len(good)), index=good["policy_number"].to_numpy())
    previous = good["previous_policy_number"].map(position)
    has_previous = previous.notna().to_numpy()
    previous_at = previous.fillna(0).astype(np.int64).to_numpy()
    levels = np.zeros(len(good), dtype=np.int64)
    for _round in range(MAX_CHAIN_LEVELS):
        following = np.where(has_previous, levels[previous_at] + 1, 0)
        if np.array_equal(following, levels):
            return levels, np.zeros(len(good), dtype=bool)
        levels = following
    return np.minimum(levels, MAX_CHAIN_LEVELS), levels >= MAX_CHAIN_LEVELS


def _flag_duplicates(frame, column, flag, template) -> None:
    values = frame[column]
    dup = (values != "") & values.duplicated(keep=False)
    if not dup.any():
        return
    rows_of = pd.Series(frame.index[dup.to_numpy()], index=frame.index[dup.to_numpy()]).groupby(values[dup])
    listed = rows_of.transform(lambda rows: ", ".join(str(r) for r in rows))
    message = pd.Series("", index=frame.index)
    message[dup] = [template % {"rows": text} for text in listed]
    flag(dup, column, message)


def _sorted_errors(found: list[pd.DataFrame]) -> list[RowError]:
    if not found:
        return []
    table = pd.concat(found, ignore_index=True)
    order = {name: i for i, name in enumerate(COLUMNS)}
    table["_order"] = table["column"].map(order)
    table = table.sort_values(["row", "_order"], kind="stable")
    return [
        RowError(int(r), str(c), str(m))
        for r, c, m in zip(table["row"], table["column"], table["message"], strict=True)
    ]


def _normalised(good: pd.DataFrame, present: set[str]) -> pd.DataFrame:
    """Blank optional cells take their defaults; booleans become t/f."""
    good = good.copy()
    for column, default in BLANK_DEFAULTS.items():
        if column in present:
            good[column] = good[column].mask(good[column] == "", default)
    for column in ("consent_email", "consent_sms"):
        if column in present:
            good[column] = good[column].isin(TRUE_WORDS).map({True: "t", False: "f"})
    if "time_zone" in present:
        # A blank time zone is the region's (customers.regions), or the site's when the region has none.
        region = good["region"] if "region" in present else pd.Series("", index=good.index)
        blank = good["time_zone"] == ""
        if blank.any():
            good.loc[blank, "time_zone"] = region[blank].map(default_time_zone)
    return good
