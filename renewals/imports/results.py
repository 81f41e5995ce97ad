"""What an import answers: the counts, the row errors, and the error report as CSV."""

import csv
import io
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path

from django.utils.translation import gettext as _
from django.utils.translation import ngettext

from core.spreadsheets import safe_cell

# progress(percent, label): called as the import moves on (the command's bar, the job's status file).
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
    # Extra columns seen for the first time, "name (kind)": kept as policy attributes, to review.
    attributes_inferred: list[str] = field(default_factory=list)

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
        if self.attributes_inferred:
            text += " " + _(
                "New attributes inferred from extra columns: %(names)s. "
                "Review them under Import attributes in the admin."
            ) % {"names": ", ".join(self.attributes_inferred)}
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
            "attributes_inferred": self.attributes_inferred,
            "summary": self.summary(),
            "errors": [{"row": e.row, "column": e.column, "message": e.message} for e in errors],
            "errors_truncated": len(errors) < len(self.errors),
        }


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
