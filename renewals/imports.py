"""Bulk import of policies (and their customers) from the core policy system.

One door, :func:`policies_import`, used by ``manage.py import_policies``, the managers' upload
page (through a Celery task) and ``POST /api/v1/imports/``.

How it stays fast at 1,000,000 rows: the file is read and validated column-wise in pandas
(no per-row Python), the good rows are COPYed into a temporary staging table, and three
set-based statements apply them: customers upserted by ``customer_ref``, policies upserted by
``policy_number`` (``INSERT … ON CONFLICT DO UPDATE … WHERE … IS DISTINCT FROM``, so an unchanged
row writes nothing and is counted as unchanged), then renewal chains linked by
``previous_policy_number`` once every policy of the file exists (so row order does not matter).
Everything runs in one transaction: a crash mid-file leaves nothing half-written, and a dry run
is the same work rolled back at the end (so its counts are exact).
"""

import csv
import datetime as dt
import io
import re
from collections.abc import Callable
from dataclasses import dataclass, field
from decimal import Decimal
from pathlib import Path

import numpy as np
import pandas as pd
from django.db import connection, transaction
from django.utils import timezone
from django.utils.translation import gettext as _
from django.utils.translation import ngettext

from core.errors import ApplicationError
from core.spreadsheets import safe_cell
from customers.models import Customer
from renewals.models import LineOfInsurance, Policy

COLUMNS = [
    "policy_number",
    "customer_ref",
    "customer_name",
    "customer_kind",
    "phone",
    "email",
    "region",
    "segment",
    "line",
    "product",
    "start_date",
    "end_date",
    "premium",
    "sum_insured",
    "channel",
    "previous_policy_number",
    "claims_count",
    "preferred_language",
    "consent_email",
    "consent_sms",
]
REQUIRED = [
    "policy_number",
    "customer_ref",
    "customer_name",
    "line",
    "product",
    "start_date",
    "end_date",
    "premium",
    "sum_insured",
    "channel",
]
MAX_LENGTH = {
    "policy_number": 32,
    "customer_ref": 64,
    "customer_name": 200,
    "phone": 32,
    "email": 254,
    "region": 64,
    "product": 100,
    "previous_policy_number": 32,
}
CHOICES = {
    "customer_kind": Customer.Kind.values,
    "segment": Customer.Segment.values,
    "preferred_language": Customer.Language.values,
    "channel": Policy.Channel.values,
}
# Blank optional cells take these values (the same defaults as the models).
BLANK_DEFAULTS = {
    "customer_kind": Customer.Kind.INDIVIDUAL.value,
    "segment": Customer.Segment.STANDARD.value,
    "preferred_language": Customer.Language.ZH_HANS.value,
    "consent_email": "true",
    "consent_sms": "true",
    "claims_count": "0",
}
TRUE_WORDS = {"true", "1", "yes", "y", "t"}
FALSE_WORDS = {"false", "0", "no", "n", "f"}
PHONE_RE = r"\+?[\d\s()\-./]{6,32}"
EMAIL_RE = r"[^@\s]+@[^@\s]+\.[^@\s]+"
PREMIUM_RE = r"\d{1,12}(?:\.\d{1,2})?"  # Policy.premium: 14 digits, 2 decimals
SUM_INSURED_RE = r"\d{1,14}(?:\.\d{1,2})?"  # Policy.sum_insured: 16 digits, 2 decimals
# Longer chains inside one file are reported as loops (a policy renewed yearly for a century).
MAX_CHAIN_LEVELS = 100
COPY_CHUNK_ROWS = 100_000  # one COPY buffer; ~30 MB of CSV text at most

Progress = Callable[[int, str], None]


@dataclass(frozen=True)
class RowError:
    row: int  # row number in the file; the header is row 1
    column: str
    message: str


@dataclass
class ImportResult:
    rows: int = 0
    error_rows: int = 0
    customers_created: int = 0
    customers_updated: int = 0
    customers_unchanged: int = 0
    policies_created: int = 0
    policies_updated: int = 0
    policies_unchanged: int = 0
    dry_run: bool = False
    errors: list[RowError] = field(default_factory=list)

    @property
    def applied_rows(self) -> int:
        return self.rows - self.error_rows

    @property
    def changed(self) -> bool:
        return bool(self.customers_created + self.customers_updated + self.policies_created + self.policies_updated)

    def summary(self) -> str:
        if self.applied_rows and not self.changed:
            text = _("Nothing changed: all %(rows)d valid rows already match the database.") % {
                "rows": self.applied_rows
            }
        else:
            text = _(
                "Policies: %(pc)d created, %(pu)d updated, %(pn)d unchanged. "
                "Customers: %(cc)d created, %(cu)d updated, %(cn)d unchanged."
            ) % {
                "pc": self.policies_created,
                "pu": self.policies_updated,
                "pn": self.policies_unchanged,
                "cc": self.customers_created,
                "cu": self.customers_updated,
                "cn": self.customers_unchanged,
            }
        if self.error_rows:
            text += " " + ngettext(
                "%(n)d row with errors was not imported.", "%(n)d rows with errors were not imported.", self.error_rows
            ) % {"n": self.error_rows}
        if self.dry_run:
            text = _("Dry run, nothing was saved.") + " " + text
        return text

    def as_dict(self, *, max_errors: int | None = None) -> dict:
        errors = self.errors if max_errors is None else self.errors[:max_errors]
        return {
            "dry_run": self.dry_run,
            "rows": self.rows,
            "applied_rows": self.applied_rows,
            "error_rows": self.error_rows,
            "changed": self.changed,
            "customers": {
                "created": self.customers_created,
                "updated": self.customers_updated,
                "unchanged": self.customers_unchanged,
            },
            "policies": {
                "created": self.policies_created,
                "updated": self.policies_updated,
                "unchanged": self.policies_unchanged,
            },
            "summary": self.summary(),
            "errors": [{"row": e.row, "column": e.column, "message": e.message} for e in errors],
            "errors_truncated": len(errors) < len(self.errors),
        }


class ImportFileError(ApplicationError):
    """The file as a whole cannot be imported (format, encoding, missing columns)."""

    def __init__(self, message, *, code="invalid_file"):
        super().__init__(message, field="file", code=code, status=400)


# --- reading -------------------------------------------------------------------------------


def read_policy_file(source, *, filename: str) -> tuple[pd.DataFrame, set[str]]:
    """The file's rows as stripped strings (known columns only) and the set of columns present.

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
            _("Missing required columns: %(columns)s.") % {"columns": ", ".join(missing)}, code="missing_columns"
        )
    frame = frame[present].copy()
    for column in present:
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
        raise ImportFileError(_("The file is not UTF-8 text."), code="encoding") from exc
    except pd.errors.EmptyDataError as exc:
        raise ImportFileError(_("The file is empty."), code="empty") from exc
    except pd.errors.ParserError as exc:
        raise ImportFileError(_("The file is not valid CSV: %(error)s") % {"error": exc}, code="parse") from exc


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
        raise ImportFileError(_("The file is not a readable XLSX workbook."), code="parse") from exc
    try:
        rows = book.active.iter_rows(values_only=True)
        header = next(rows, None)
        if not header:
            raise ImportFileError(_("The file is empty."), code="empty")
        names = [_cell_text(h) for h in header]
        data = [[_cell_text(v) for v in row] for row in rows if any(v not in (None, "") for v in row)]
    finally:
        book.close()
    width = len(names)
    data = [(row + [""] * width)[:width] for row in data]
    return pd.DataFrame(data, columns=names, dtype=str)


# --- validation ----------------------------------------------------------------------------


def validate_rows(frame: pd.DataFrame, present: set[str], *, line_codes: set[str]) -> tuple[pd.DataFrame, list]:
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
            errors = _merge_errors(errors, loop_errors)
            good = good[~looping]
    return good, errors


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
    """Blank optional cells take their defaults; booleans become t/f; digits of the phone kept."""
    good = good.copy()
    for column, default in BLANK_DEFAULTS.items():
        if column in present:
            good[column] = good[column].mask(good[column] == "", default)
    for column in ("consent_email", "consent_sms"):
        if column in present:
            good[column] = good[column].isin(TRUE_WORDS).map({True: "t", False: "f"})
    if "phone" in present:
        good["phone_digits"] = good["phone"].str.replace(r"\D", "", regex=True)
    return good


# --- applying ------------------------------------------------------------------------------

# Staging column -> SQL type. Absent optional columns are simply not staged.
STAGING_TYPES = {
    "row_no": "integer",
    "chain_level": "integer",
    "policy_number": "text",
    "customer_ref": "text",
    "customer_name": "text",
    "customer_kind": "text",
    "phone": "text",
    "phone_digits": "text",
    "email": "text",
    "region": "text",
    "segment": "text",
    "line": "text",
    "product": "text",
    "start_date": "date",
    "end_date": "date",
    "premium": "numeric(14,2)",
    "sum_insured": "numeric(16,2)",
    "channel": "text",
    "previous_policy_number": "text",
    "claims_count": "integer",
    "preferred_language": "text",
    "consent_email": "boolean",
    "consent_sms": "boolean",
}
# Import column -> Customer column (the customer's attributes come from its last row in the file).
CUSTOMER_COLUMNS = {
    "customer_name": "name",
    "customer_kind": "kind",
    "phone": "phone",
    "phone_digits": "phone_digits",
    "email": "email",
    "region": "region",
    "segment": "segment",
    "preferred_language": "preferred_language",
    "consent_email": "consent_email",
    "consent_sms": "consent_sms",
}
POLICY_COLUMNS = {
    "product": "product",
    "start_date": "start_date",
    "end_date": "end_date",
    "premium": "premium",
    "sum_insured": "sum_insured",
    "channel": "channel",
    "claims_count": "claims_count",
}
TEXT_COLUMNS = {"phone", "phone_digits", "email", "region"}


def policies_import(*, source, filename: str, dry_run: bool = False, progress: Progress | None = None) -> ImportResult:
    """Import a CSV/XLSX file of policies: good rows applied, bad rows reported, all in one
    transaction (rolled back at the end when ``dry_run``)."""
    report = progress or (lambda percent, label: None)
    report(0, _("Reading the file"))
    frame, present = read_policy_file(source, filename=filename)
    report(10, _("Checking %(n)d rows") % {"n": len(frame)})
    line_codes = set(LineOfInsurance.objects.values_list("code", flat=True))
    good, errors = validate_rows(frame, present, line_codes=line_codes)
    result = ImportResult(rows=len(frame), dry_run=dry_run)
    report(25, _("Saving"))

    with transaction.atomic():
        if len(good):
            apply = _apply if connection.vendor == "postgresql" else _apply_row_by_row
            late_errors = apply(good, present, result, report)
            errors = _merge_errors(errors, late_errors)
        if dry_run:
            transaction.set_rollback(True)
    result.errors = errors
    result.error_rows = len({e.row for e in errors})
    report(100, _("Done"))
    return result


def _merge_errors(first: list[RowError], second: list[RowError]) -> list[RowError]:
    if not second:
        return first
    order = {name: i for i, name in enumerate(COLUMNS)}
    return sorted(first + second, key=lambda e: (e.row, order.get(e.column, 99)))


def _defaults_sql(model, provided: set[str], skip: set[str]) -> tuple[list[str], list]:
    """Columns of ``model`` the import does not provide, with their model defaults as parameters,
    so fields added to the models later (with defaults) keep the raw INSERTs working."""
    columns, params = [], []
    now = timezone.now()
    for model_field in model._meta.concrete_fields:
        if model_field.primary_key or model_field.column in provided or model_field.column in skip:
            continue
        if getattr(model_field, "generated", False):
            continue
        if model_field.name in ("created_at", "updated_at"):
            value = now
        elif model_field.has_default():
            value = model_field.get_db_prep_save(model_field.get_default(), connection)
        elif model_field.null:
            value = None
        else:
            value = model_field.get_db_prep_save("", connection)
        columns.append(model_field.column)
        params.append(value)
    return columns, params


def _apply(good: pd.DataFrame, present: set[str], result: ImportResult, report: Progress) -> list[RowError]:
    optional = {"phone_digits"} if "phone" in present else set()
    staged = ["row_no", "chain_level"] + [c for c in STAGING_TYPES if c in present or c in optional]
    with connection.cursor() as cursor:
        # Bulk-load tuning for this transaction only: sorts and hashes in memory; and do not wait
        # for the WAL flush at commit (a crash right after could lose this import, never half of it).
        cursor.execute("SET LOCAL work_mem = '256MB'")
        cursor.execute("SET LOCAL synchronous_commit = off")
        cursor.execute(
            "CREATE TEMPORARY TABLE import_staging ("
            + ", ".join(f"{c} {STAGING_TYPES[c]}" for c in staged)
            + ") ON COMMIT DROP"
        )
        _copy(cursor, good, staged, report)
        cursor.execute("CREATE INDEX ON import_staging (policy_number)")
        cursor.execute("ANALYZE import_staging")
        late_errors = _reject_unknown_previous(cursor) if "previous_policy_number" in present else []
        report(55, _("Saving customers"))
        _upsert_customers(cursor, staged, result)
        report(70, _("Saving policies"))
        _upsert_policies(cursor, staged, result, report)
        cursor.execute("DROP TABLE import_staging")
    return late_errors


def _copy(cursor, good: pd.DataFrame, staged: list[str], report: Progress) -> None:
    table = good.reset_index(names="row_no")
    table = table[staged]
    total = len(table)
    for start in range(0, total, COPY_CHUNK_ROWS):
        buffer = io.StringIO()
        table.iloc[start : start + COPY_CHUNK_ROWS].to_csv(buffer, header=False, index=False)
        buffer.seek(0)
        cursor.copy_expert(f"COPY import_staging ({', '.join(staged)}) FROM STDIN WITH (FORMAT csv)", buffer)
        report(25 + int(25 * min(total, start + COPY_CHUNK_ROWS) / total), _("Staging rows"))


def _reject_unknown_previous(cursor) -> list[RowError]:
    """Rows whose previous policy is neither in the file nor in the database, or is already
    renewed by another policy, are reported and dropped before anything is written."""
    rows = []
    while True:  # again after each round: a dropped row may be another row's previous policy
        cursor.execute(
            """
            DELETE FROM import_staging s
            WHERE s.previous_policy_number IS NOT NULL
              AND NOT EXISTS (SELECT 1 FROM import_staging f WHERE f.policy_number = s.previous_policy_number)
              AND NOT EXISTS (SELECT 1 FROM renewals_policy p WHERE p.number = s.previous_policy_number)
            RETURNING s.row_no, s.previous_policy_number, NULL::text
            """
        )
        dropped = cursor.fetchall()
        if not dropped:
            break
        rows += dropped
    cursor.execute(
        """
        DELETE FROM import_staging s
        USING renewals_policy prev, renewals_policy other
        WHERE prev.number = s.previous_policy_number
          AND other.previous_policy_id = prev.id
          AND other.number <> s.policy_number
          AND NOT EXISTS (SELECT 1 FROM import_staging o WHERE o.policy_number = other.number)
        RETURNING s.row_no, s.previous_policy_number, other.number
        """
    )
    rows += cursor.fetchall()
    errors = []
    for row_no, previous, other in rows:
        if other is None:
            message = _("policy %(number)s is neither in the file nor in the database") % {"number": previous}
        else:
            message = _("policy %(number)s is already renewed by %(other)s") % {"number": previous, "other": other}
        errors.append(RowError(row_no, "previous_policy_number", message))
    return errors


def _upsert_customers(cursor, staged: list[str], result: ImportResult) -> None:
    mapped = {src: dst for src, dst in CUSTOMER_COLUMNS.items() if src in staged}
    select = ["customer_ref"] + [f"COALESCE({s}, '')" if s in TEXT_COLUMNS else s for s in mapped]
    provided = {"external_ref", *mapped.values()}
    extra_columns, extra_params = _defaults_sql(Customer, provided, skip=set())
    insert_columns = ["external_ref", *mapped.values(), *extra_columns]
    placeholders = ", ".join(["%s"] * len(extra_params))
    updated = list(mapped.values())
    cursor.execute(
        f"""
        WITH src AS (
            SELECT DISTINCT ON (customer_ref) {", ".join(select)}
            FROM import_staging ORDER BY customer_ref, row_no DESC
        ), up AS (
            INSERT INTO customers_customer AS c ({", ".join(insert_columns)})
            SELECT src.*{", " + placeholders if placeholders else ""} FROM src
            ON CONFLICT (external_ref) DO UPDATE SET
                {", ".join(f"{c} = EXCLUDED.{c}" for c in updated)}, updated_at = now()
            WHERE ({", ".join(f"c.{c}" for c in updated)}) IS DISTINCT FROM
                  ({", ".join(f"EXCLUDED.{c}" for c in updated)})
            RETURNING (xmax = 0) AS inserted
        )
        SELECT count(*) FILTER (WHERE inserted), count(*) FILTER (WHERE NOT inserted),
               (SELECT count(DISTINCT customer_ref) FROM import_staging)
        FROM up
        """,
        extra_params,
    )
    created, changed, total = cursor.fetchone()
    result.customers_created, result.customers_updated = created, changed
    result.customers_unchanged = total - created - changed


def _upsert_policies(cursor, staged: list[str], result: ImportResult, report: Progress) -> None:
    """One upsert per chain level: a policy's previous policy is always written before it."""
    mapped = {src: dst for src, dst in POLICY_COLUMNS.items() if src in staged}
    chained = "previous_policy_number" in staged
    provided = {"number", "customer_id", "line_id", *mapped.values()} | ({"previous_policy_id"} if chained else set())
    extra_columns, extra_params = _defaults_sql(Policy, provided, skip=set())
    insert_columns = ["number", "customer_id", "line_id", *mapped.values()]
    select = ["s.policy_number", "c.id", "l.id", *(f"s.{src}" for src in mapped)]
    join_previous = ""
    if chained:
        insert_columns.append("previous_policy_id")
        select.append("prev.id")
        join_previous = "LEFT JOIN renewals_policy prev ON prev.number = s.previous_policy_number"
    compared = [c for c in insert_columns if c != "number"]
    placeholders = "".join(", %s" for _ in extra_params)
    cursor.execute("SELECT COALESCE(max(chain_level), 0) FROM import_staging")
    (top,) = cursor.fetchone()
    created = updated = 0
    for level in range(top + 1):
        cursor.execute(
            f"""
            WITH up AS (
                INSERT INTO renewals_policy AS p ({", ".join(insert_columns + extra_columns)})
                SELECT {", ".join(select)}{placeholders}
                FROM import_staging s
                JOIN customers_customer c ON c.external_ref = s.customer_ref
                JOIN renewals_lineofinsurance l ON l.code = s.line
                {join_previous}
                WHERE s.chain_level = %s
                ON CONFLICT (number) DO UPDATE SET
                    {", ".join(f"{c} = EXCLUDED.{c}" for c in compared)}, updated_at = now()
                WHERE ({", ".join(f"p.{c}" for c in compared)}) IS DISTINCT FROM
                      ({", ".join(f"EXCLUDED.{c}" for c in compared)})
                RETURNING (xmax = 0) AS inserted
            )
            SELECT count(*) FILTER (WHERE inserted), count(*) FILTER (WHERE NOT inserted) FROM up
            """,
            [*extra_params, level],
        )
        level_created, level_updated = cursor.fetchone()
        created += level_created
        updated += level_updated
        report(70 + int(28 * (level + 1) / (top + 1)), _("Saving policies"))
    cursor.execute("SELECT count(*) FROM import_staging")
    (applied,) = cursor.fetchone()
    result.policies_created, result.policies_updated = created, updated
    result.policies_unchanged = applied - created - updated


def _previous_policy_message(previous: str, other: str | None) -> str:
    if other is None:
        return _("policy %(number)s is neither in the file nor in the database") % {"number": previous}
    return _("policy %(number)s is already renewed by %(other)s") % {"number": previous, "other": other}


def _apply_row_by_row(good: pd.DataFrame, present: set[str], result: ImportResult, report: Progress) -> list:
    """The same rules through the ORM, one row at a time: for the SQLite demo database, which has
    no COPY or DISTINCT ON. (PostgreSQL, used everywhere else, takes the set-based path.)"""
    errors: list[RowError] = []
    chained = "previous_policy_number" in present
    if chained:
        previous = set(good["previous_policy_number"]) - {""}
        known = set(Policy.objects.filter(number__in=previous).values_list("number", flat=True))
        while True:  # a dropped row may be another row's previous policy
            wanted = good["previous_policy_number"]
            missing = (wanted != "") & ~wanted.isin(set(good["policy_number"])) & ~wanted.isin(known)
            if not missing.any():
                break
            errors += [
                RowError(int(r), "previous_policy_number", _previous_policy_message(p, None))
                for r, p in wanted[missing].items()
            ]
            good = good[~missing]
        renewed_by = dict(
            Policy.objects.filter(previous_policy__number__in=previous).values_list("previous_policy__number", "number")
        )
        in_file = set(good["policy_number"])
        taken = [
            (r, p, renewed_by[p])
            for r, p, n in zip(good.index, good["previous_policy_number"], good["policy_number"], strict=True)
            if p in renewed_by and renewed_by[p] != n and renewed_by[p] not in in_file
        ]
        errors += [RowError(int(r), "previous_policy_number", _previous_policy_message(p, o)) for r, p, o in taken]
        good = good.drop(index=[r for r, _p, _o in taken])

    report(55, _("Saving customers"))
    customer_fields = {src: dst for src, dst in CUSTOMER_COLUMNS.items() if src in good.columns}
    customer_ids = {}
    for record in good.drop_duplicates("customer_ref", keep="last").to_dict("records"):
        values = {dst: _python_value(dst, record[src]) for src, dst in customer_fields.items()}
        customer = Customer.objects.filter(external_ref=record["customer_ref"]).first()
        if customer is None:
            customer = Customer.objects.create(external_ref=record["customer_ref"], **values)
            result.customers_created += 1
        elif any(getattr(customer, k) != v for k, v in values.items()):
            for k, v in values.items():
                setattr(customer, k, v)
            customer.save()
            result.customers_updated += 1
        else:
            result.customers_unchanged += 1
        customer_ids[record["customer_ref"]] = customer.pk

    report(70, _("Saving policies"))
    line_ids = dict(LineOfInsurance.objects.values_list("code", "pk"))
    policy_fields = {src: dst for src, dst in POLICY_COLUMNS.items() if src in good.columns}
    for record in good.sort_values("chain_level", kind="stable").to_dict("records"):
        values = {dst: _python_value(dst, record[src]) for src, dst in policy_fields.items()}
        values["customer_id"] = customer_ids[record["customer_ref"]]
        values["line_id"] = line_ids[record["line"]]
        if chained:
            number = record["previous_policy_number"]
            values["previous_policy_id"] = (
                Policy.objects.filter(number=number).values_list("pk", flat=True).first() if number else None
            )
        policy = Policy.objects.filter(number=record["policy_number"]).first()
        if policy is None:
            Policy.objects.create(number=record["policy_number"], **values)
            result.policies_created += 1
        elif any(getattr(policy, k) != v for k, v in values.items()):
            for k, v in values.items():
                setattr(policy, k, v)
            policy.save()
            result.policies_updated += 1
        else:
            result.policies_unchanged += 1
    return errors


def _python_value(field: str, text: str):
    """A normalised cell as the model field's Python value (for the row-by-row path)."""
    if field in ("start_date", "end_date"):
        return dt.date.fromisoformat(text)
    if field in ("premium", "sum_insured"):
        return Decimal(text)
    if field == "claims_count":
        return int(text)
    if field in ("consent_email", "consent_sms"):
        return text == "t"
    return text


# --- report --------------------------------------------------------------------------------


def errors_csv(errors: list[RowError]) -> str:
    """The error report as CSV text: row, column, message."""
    buffer = io.StringIO()
    writer = csv.writer(buffer)
    writer.writerow(["row", "column", "message"])
    for error in errors:
        writer.writerow([error.row, safe_cell(error.column), safe_cell(error.message)])
    return buffer.getvalue()


def write_error_report(errors: list[RowError], path) -> None:
    Path(path).write_text(errors_csv(errors), encoding="utf-8")


def safe_filename(name: str) -> str:
    """An uploaded file's name reduced to safe characters (the extension decides the reader)."""
    stem = re.sub(r"[^A-Za-z0-9._-]+", "_", Path(name).name)[:80]
    return stem or "upload.csv"
