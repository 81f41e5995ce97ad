"""The one door of the import, :func:`policies_import`, and the one switch between its two apply paths."""

import pandas as pd
from django.db import connection, transaction
from django.utils.translation import gettext as _

from renewals.imports.apply_row_by_row import apply_row_by_row
from renewals.imports.apply_set_based import apply_set_based
from renewals.imports.attributes import attributes_prepare
from renewals.imports.reading import read_policy_file
from renewals.imports.results import ImportResult, Progress, RowError
from renewals.imports.validation import merge_errors, validate_rows
from renewals.models import AddOn, LineOfInsurance


def policies_import(*, source, filename: str, dry_run: bool = False, progress: Progress | None = None) -> ImportResult:
    """Import a CSV/XLSX file of policies: good rows applied, bad rows reported, all in one
    transaction (rolled back at the end when ``dry_run``)."""
    report = progress or (lambda percent, label: None)
    report(0, _("Reading the file"))
    frame, present = read_policy_file(source, filename=filename)
    report(10, _("Checking %(n)d rows") % {"n": len(frame)})
    line_codes = set(LineOfInsurance.objects.values_list("code", flat=True))
    addon_lines = dict(AddOn.objects.values_list("code", "line__code")) if "addons" in present else {}
    good, errors = validate_rows(frame, present, line_codes=line_codes, addon_lines=addon_lines)
    result = ImportResult(rows=len(frame), dry_run=dry_run)
    report(25, _("Saving"))

    with transaction.atomic():
        if len(good):
            good, new_attributes = attributes_prepare(good)
            result.attributes_inferred = [f"{a.name} ({a.get_kind_display()})" for a in new_attributes]
            late_errors = _apply(good, present, result, report)
            errors = merge_errors(errors, late_errors)
        if dry_run:
            transaction.set_rollback(True)
    result.errors = errors
    result.error_rows = len({e.row for e in errors})
    report(100, _("Done"))
    return result


def _apply(good: pd.DataFrame, present: set[str], result: ImportResult, report: Progress) -> list[RowError]:
    """The vendor switch: set-based COPY and upserts on PostgreSQL, the ORM row by row elsewhere
    (the SQLite demo). Both apply the same rules and count the same way
    (tests/imports/test_import_row_by_row.py runs the shared scenarios through the second)."""
    if connection.vendor == "postgresql":
        return apply_set_based(good, present, result, report)
    return apply_row_by_row(good, present, result, report)
