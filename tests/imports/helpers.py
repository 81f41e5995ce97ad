"""Build import files in memory (CSV with or without BOM, XLSX)."""

import csv
import io

from renewals.imports import COLUMNS

GOOD = {
    "policy_number": "P-0001",
    "customer_ref": "C-01",
    "customer_name": "Li Na",
    "customer_kind": "individual",
    "phone": "138 0013 8000",
    "email": "li.na@example.com",
    "region": "Guangdong",
    "segment": "vip",
    "line": "auto",
    "product": "Car comprehensive",
    "start_date": "2025-03-01",
    "end_date": "2026-03-01",
    "premium": "3200.50",
    "sum_insured": "250000",
    "channel": "agent",
    "previous_policy_number": "",
    "claims_count": "1",
    "preferred_language": "en",
    "consent_email": "true",
    "consent_sms": "false",
}


def row(**changes) -> dict:
    return {**GOOD, **changes}


def csv_bytes(rows: list[dict], *, columns=None, bom: bool = False) -> bytes:
    columns = columns or COLUMNS
    buffer = io.StringIO()
    writer = csv.DictWriter(buffer, fieldnames=columns, extrasaction="ignore", lineterminator="\n")
    writer.writeheader()
    writer.writerows(rows)
    data = buffer.getvalue().encode("utf-8")
    return (b"\xef\xbb\xbf" + data) if bom else data


def xlsx_bytes(rows: list[dict], *, columns=None) -> bytes:
    from openpyxl import Workbook

    columns = columns or COLUMNS
    book = Workbook()
    sheet = book.active
    sheet.append(columns)
    for values in rows:
        sheet.append([values.get(c, "") for c in columns])
    buffer = io.BytesIO()
    book.save(buffer)
    return buffer.getvalue()
