"""Reading an import file (UTF-8 CSV with or without BOM, or XLSX) into a frame of stripped strings."""

import datetime as dt
from pathlib import Path

import pandas as pd
from django.utils.translation import gettext as _

from renewals.imports.attributes import extra_columns
from renewals.imports.columns import COLUMNS, REQUIRED
from renewals.imports.errors import ImportErrorCode, ImportFileError


def read_policy_file(source, *, filename: str) -> tuple[pd.DataFrame, set[str]]:
    """The file's rows as stripped strings and the set of known columns present. Other columns
    are kept too (they become policy attributes, see :mod:`renewals.imports.attributes`).

    ``source`` is a path or a binary file object; ``filename`` decides CSV or XLSX.
    """
    suffix = Path(filename).suffix.lower()
    if suffix in (".xlsx", ".xlsm"):
        frame = _read_xlsx(source)
    elif suffix in (".csv", ".txt", ""):
        frame = _read_csv(source)
    else:
        raise ImportFileError(_("Unsupported file type %(suffix)s: upload a .csv or .xlsx file.") % {"suffix": suffix})
    frame.columns = [str(c).strip().lower().lstrip("\ufeff") for c in frame.columns]
    present = [c for c in COLUMNS if c in frame.columns]
    missing = [c for c in REQUIRED if c not in frame.columns]
    if missing:
        raise ImportFileError(
            _("Missing required columns: %(columns)s.") % {"columns": ", ".join(missing)},
            code=ImportErrorCode.MISSING_COLUMNS,
        )
    extras = list(extra_columns(frame.columns))
    frame = frame[present + extras].copy()
    for column in present + extras:
        frame[column] = frame[column].astype(str).str.strip()
    frame.index = pd.RangeIndex(2, len(frame) + 2)  # file row numbers: the header is row 1
    return frame, set(present)


def _read_csv(source) -> pd.DataFrame:
    try:
        return pd.read_csv(
            source,
            dtype=str,
            keep_default_na=False,
            na_filter=False,
            encoding="utf-8-sig",  # a BOM, if any, is dropped
            skip_blank_lines=True,
        )
    except UnicodeDecodeError as exc:
        raise ImportFileError(_("The file is not UTF-8 text."), code=ImportErrorCode.ENCODING) from exc
    except pd.errors.EmptyDataError as exc:
        raise ImportFileError(_("The file is empty."), code=ImportErrorCode.EMPTY) from exc
    except pd.errors.ParserError as exc:
        raise ImportFileError(
            _("The file is not valid CSV: %(error)s") % {"error": exc}, code=ImportErrorCode.PARSE
        ) from exc


def _cell_text(value) -> str:
    if value is None:
        return ""
    if isinstance(value, dt.datetime):
        return value.date().isoformat()
    if isinstance(value, dt.date):
        return value.isoformat()
    if isinstance(value, bool):
        return "true" if value else "false"
    if isinstance(value, float) and value.is_integer():
        return str(int(value))
    return str(value)


def _read_xlsx(source) -> pd.DataFrame:
    from openpyxl import load_workbook

    try:
        book = load_workbook(source, read_only=True, data_only=True)
    except Exception as exc:  # openpyxl raises several types for a file that is not a workbook
        raise ImportFileError(_("The file is not a readable XLSX workbook."), code=ImportErrorCode.PARSE) from exc
    try:
        rows = book.active.iter_rows(values_only=True)
        header = next(rows, None)
        if not header:
            raise ImportFileError(_("The file is empty."), code=ImportErrorCode.EMPTY)
        names = [_cell_text(h) for h in header]
        data = [[_cell_text(v) for v in row] for row in rows if any(v not in (None, "") for v in row)]
    finally:
        book.close()
    width = len(names)
    data = [(row + [""] * width)[:width] for row in data]
    return pd.DataFrame(data, columns=names, dtype=str)
