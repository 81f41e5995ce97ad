"""Applying the good rows on PostgreSQL, set-based: COPY into a temporary staging table, then
customers upserted by ``customer_ref``, policies upserted by ``policy_number`` (``INSERT … ON
CONFLICT DO UPDATE … WHERE … IS DISTINCT FROM``, so an unchanged row writes nothing and is counted
as unchanged), one chain level at a time so a previous policy is always written first.

The same rules as :mod:`renewals.imports.apply_row_by_row`; :func:`renewals.imports.services.
policies_import` picks one by database vendor. Runs inside the caller's transaction.
"""

import io

import pandas as pd
from django.db import connection
from django.utils import timezone
from django.utils.translation import gettext as _

from customers.models import Customer
from customers.phones import phone_digits_series
from renewals.imports.columns import ADDON_SEPARATOR, CUSTOMER_COLUMNS, POLICY_COLUMNS
from renewals.imports.results import ImportResult, Progress, RowError
from renewals.imports.validation import previous_policy_message
from renewals.models import Policy

COPY_CHUNK_ROWS = 100_000  # one COPY buffer; ~30 MB of CSV text at most

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
    "time_zone": "text",
    "addons": "text",
    "attributes": "jsonb",
}
# Optional text columns: a blank cell is staged as NULL by COPY and written as "".
TEXT_COLUMNS = {"phone", "phone_digits", "email", "region", "time_zone", "addons"}


def apply_set_based(good: pd.DataFrame, present: set[str], result: ImportResult, report: Progress) -> list[RowError]:
    """Write the good rows; count into ``result``; answer the rows dropped for their previous policy."""
    optional = set()
    if "phone" in present:
        good = good.assign(phone_digits=phone_digits_series(good["phone"]))
        optional.add("phone_digits")
    if "attributes" in good.columns:
        optional.add("attributes")
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
        if "addons" in staged:
            _replace_addons(cursor)
        cursor.execute("DROP TABLE import_staging")
    return late_errors


def _replace_addons(cursor) -> None:
    """The file's ``addons`` are what each of its policies carries: replace their add-on rows
    (a blank cell: none), two statements for the whole file."""
    cursor.execute(
        """
        DELETE FROM renewals_policyaddon pa USING import_staging s, renewals_policy p
        WHERE p.number = s.policy_number AND pa.policy_id = p.id
        """
    )
    cursor.execute(
        """
        INSERT INTO renewals_policyaddon (policy_id, addon_id, premium)
        SELECT p.id, a.id, 0
        FROM import_staging s
        JOIN renewals_policy p ON p.number = s.policy_number
        CROSS JOIN LATERAL unnest(string_to_array(s.addons, %s)) AS cell(code)
        JOIN renewals_addon a ON a.code = btrim(cell.code) AND a.line_id = p.line_id
        WHERE s.addons IS NOT NULL AND s.addons <> ''
        ON CONFLICT (policy_id, addon_id) DO NOTHING
        """,
        [ADDON_SEPARATOR],
    )


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
    return [
        RowError(row_no, "previous_policy_number", previous_policy_message(previous, other))
        for row_no, previous, other in rows
    ]


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
