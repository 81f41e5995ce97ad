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

The modules, by concern:

- ``columns``: the file format (columns, required ones, limits, choices, defaults);
- ``reading``: CSV/XLSX into a frame of strings, encodings; ``validation``: the row checks;
- ``apply_set_based`` (PostgreSQL: COPY and upserts) and ``apply_row_by_row`` (the ORM, for the
  SQLite demo), chosen by the one vendor switch in ``services``, which holds ``policies_import``;
- ``results``: counts, row errors and the error report; ``errors``: ``ImportErrorCode``;
- ``jobs``, ``tasks``, ``views``, ``urls``: the upload page and its Celery job.

The names below are the package's public ones (``from renewals.imports import policies_import``).
``views``, ``urls`` and ``tasks`` are imported by Django and Celery themselves, not from here.
"""

from renewals.imports.columns import COLUMNS, REQUIRED
from renewals.imports.errors import ImportErrorCode, ImportFileError
from renewals.imports.jobs import safe_filename
from renewals.imports.reading import read_policy_file
from renewals.imports.results import ImportResult, Progress, RowError, errors_csv, write_error_report
from renewals.imports.services import policies_import
from renewals.imports.validation import validate_rows

__all__ = [
    "COLUMNS",
    "REQUIRED",
    "ImportErrorCode",
    "ImportFileError",
    "ImportResult",
    "Progress",
    "RowError",
    "errors_csv",
    "policies_import",
    "read_policy_file",
    "safe_filename",
    "validate_rows",
    "write_error_report",
]
