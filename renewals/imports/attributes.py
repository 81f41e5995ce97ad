"""Extra import columns kept as typed policy attributes (``Policy.attributes``).

A column the format does not know is no longer dropped: its type comes from its
:class:`~renewals.models.ImportAttribute` row, or, the first time it is seen, is inferred from the
file (true/false words, then numbers, then YYYY-MM-DD dates, else a category) and recorded for a
manager to review in the admin. Values are stored typed: numbers as JSON numbers, true/false as
booleans, dates as ISO text, categories as text; blank cells are left out.
"""

import json
import re

import numpy as np
import pandas as pd

from renewals.imports.columns import COLUMNS
from renewals.models import ImportAttribute

# A category with more distinct values than this is kept but not used by the churn model
# (free text, identifiers): a manager can switch it on in the admin.
MAX_CATEGORY_VALUES = 50
MAX_ATTRIBUTES = 100  # extra columns kept per file; more is a wrong export, not a book
BOOLEAN_WORDS = {"true": True, "false": False, "yes": True, "no": False, "y": True, "n": False}
DATE_RE = r"\d{4}-\d{2}-\d{2}"
NAME_LIMIT = ImportAttribute._meta.get_field("name").max_length
# Columns the import itself adds to the rows (never attributes, even if a file carries them).
INTERNAL_COLUMNS = {"chain_level", "phone_digits", "attributes", "row_no"}


def attribute_name(column: str) -> str:
    """The attribute name of a file column: lower case, runs of other characters as ``_``."""
    return re.sub(r"[^a-z0-9_]+", "_", column.strip().lower()).strip("_")[:NAME_LIMIT]


def extra_columns(columns) -> dict[str, str]:
    """File column -> attribute name, for the columns the format does not know (first wins)."""
    found: dict[str, str] = {}
    for column in columns:
        name = attribute_name(str(column))
        if not name or {column, name} & (set(COLUMNS) | INTERNAL_COLUMNS) or name.startswith("unnamed"):
            continue
        if name not in found.values() and len(found) < MAX_ATTRIBUTES:
            found[column] = name
    return found


def infer_kind(values: pd.Series) -> tuple[str, bool]:
    """The kind of a column from its non-empty cells, and whether the churn model should use it."""
    filled = values[values != ""]
    if filled.empty:
        return ImportAttribute.Kind.CATEGORY, False
    lowered = filled.str.lower()
    if lowered.isin(BOOLEAN_WORDS).all():
        return ImportAttribute.Kind.BOOLEAN, True
    if pd.to_numeric(filled, errors="coerce").notna().all():
        return ImportAttribute.Kind.NUMBER, True
    if filled.str.fullmatch(DATE_RE).all() and pd.to_datetime(filled, format="%Y-%m-%d", errors="coerce").notna().all():
        return ImportAttribute.Kind.DATE, True
    return ImportAttribute.Kind.CATEGORY, filled.nunique() <= MAX_CATEGORY_VALUES


def typed_values(values: pd.Series, kind: str) -> pd.Series:
    """The cells as JSON-ready values (None for blank or unreadable cells)."""
    blank = values == ""
    if kind == ImportAttribute.Kind.NUMBER:
        numbers = pd.to_numeric(values.where(~blank), errors="coerce")
        return numbers.astype(object).where(numbers.notna(), None)
    if kind == ImportAttribute.Kind.BOOLEAN:
        return values.str.lower().map(BOOLEAN_WORDS).astype(object).where(lambda s: s.notna(), None)
    if kind == ImportAttribute.Kind.DATE:
        dates = pd.to_datetime(values.where(values.str.fullmatch(DATE_RE)), format="%Y-%m-%d", errors="coerce")
        return dates.dt.strftime("%Y-%m-%d").astype(object).where(dates.notna(), None)
    return values.astype(object).where(~blank, None)


def attributes_prepare(good: pd.DataFrame) -> tuple[pd.DataFrame, list[ImportAttribute]]:
    """Replace the extra columns of the good rows by one ``attributes`` column (JSON text per row),
    recording the attributes seen for the first time. Answers the frame and the new attributes.

    Runs inside the import's transaction, so a dry run records nothing."""
    columns = extra_columns(good.columns)
    if not columns:
        return good, []
    known = {a.name: a for a in ImportAttribute.objects.filter(name__in=columns.values())}
    created = []
    for column, name in columns.items():
        if name not in known:
            kind, active = infer_kind(good[column])
            created.append(ImportAttribute(name=name, kind=kind, label=str(column).strip(), active=active))
    if created:
        ImportAttribute.objects.bulk_create(created, ignore_conflicts=True)
        known.update({a.name: a for a in ImportAttribute.objects.filter(name__in=[a.name for a in created])})
    typed = pd.DataFrame({name: typed_values(good[column], known[name].kind) for column, name in columns.items()})
    names = list(typed.columns)
    cells = typed.to_numpy(dtype=object)
    present = cells != None  # noqa: E711 - elementwise test on an object array
    texts = [
        json.dumps({names[i]: _plain(row[i]) for i in np.flatnonzero(mask)}, ensure_ascii=False)
        for row, mask in zip(cells, present, strict=True)
    ]
    good = good.drop(columns=list(columns)).assign(attributes=texts)
    return good, created


def _plain(value):
    """numpy scalars as plain Python for JSON; whole numbers as int."""
    if isinstance(value, np.generic):
        value = value.item()
    if isinstance(value, float) and value.is_integer():
        return int(value)
    return value
