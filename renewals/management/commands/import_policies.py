"""``manage.py import_policies FILE [--dry-run] [--report PATH]``: bulk import from the core system."""

from django.core.management.base import BaseCommand, CommandError
from tqdm import tqdm

from core.errors import ApplicationError
from renewals.imports import policies_import, write_error_report

SHOWN_ERRORS = 50


class Command(BaseCommand):
    help = "Import policies and their customers from a CSV (UTF-8) or XLSX file."

    def add_arguments(self, parser):
        parser.add_argument("file", help="a .csv or .xlsx file with the import columns (see docs/import.md)")
        parser.add_argument("--dry-run", action="store_true", help="check and count, save nothing")
        parser.add_argument("--report", metavar="PATH", help="write every row error to this CSV file")
        parser.add_argument("--no-progress", action="store_true", help="no progress bar")

    def handle(self, *args, **options):
        bar = tqdm(total=100, unit="%", disable=options["no_progress"], file=self.stderr._out)

        def progress(percent, label):
            bar.set_description(str(label))
            bar.update(max(0, percent - bar.n))

        try:
            with open(options["file"], "rb") as source:
                result = policies_import(
                    source=source, filename=options["file"], dry_run=options["dry_run"], progress=progress
                )
        except FileNotFoundError as exc:
            raise CommandError(f"No such file: {options['file']}") from exc
        except ApplicationError as exc:
            raise CommandError(exc.message) from exc
        finally:
            bar.close()

        for error in result.errors[:SHOWN_ERRORS]:
            self.stdout.write(f"row {error.row}, {error.column}: {error.message}")
        if len(result.errors) > SHOWN_ERRORS:
            self.stdout.write(f"… and {len(result.errors) - SHOWN_ERRORS} more errors")
        if options["report"]:
            write_error_report(result.errors, options["report"])
            self.stdout.write(f"Error report written to {options['report']} ({len(result.errors)} errors).")
        style = self.style.WARNING if result.errors else self.style.SUCCESS
        self.stdout.write(style(result.summary()))
