import io

import pytest
from django.core.management import CommandError, call_command

from renewals.models import Policy
from tests.imports.helpers import csv_bytes, row

pytestmark = pytest.mark.django_db


def run_command(*args):
    out = io.StringIO()
    call_command("import_policies", *args, "--no-progress", stdout=out, stderr=io.StringIO())
    return out.getvalue()


def test_command_imports_prints_row_errors_and_writes_the_report(tmp_path):
    source = tmp_path / "policies.csv"
    source.write_bytes(csv_bytes([row(), row(policy_number="P-0002", start_date="2025-02-30")]))
    report = tmp_path / "errors.csv"

    output = run_command(str(source), "--report", str(report))

    assert "row 3, start_date: must be a date YYYY-MM-DD" in output
    assert "Policies: 1 created, 0 updated, 0 unchanged." in output
    assert report.read_text(encoding="utf-8").splitlines() == [
        "row,column,message",
        "3,start_date,must be a date YYYY-MM-DD",
    ]
    assert list(Policy.objects.values_list("number", flat=True)) == ["P-0001"]


def test_command_dry_run_saves_nothing_and_a_second_run_says_nothing_changed(tmp_path):
    source = tmp_path / "policies.csv"
    source.write_bytes(csv_bytes([row()]))

    assert run_command(str(source), "--dry-run").startswith("Dry run, nothing was saved.")
    assert not Policy.objects.exists()
    run_command(str(source))
    assert run_command(str(source)).startswith("Nothing changed")


def test_command_names_missing_columns_and_missing_files(tmp_path):
    source = tmp_path / "policies.csv"
    source.write_bytes(b"policy_number,customer_ref\nP1,C1\n")
    with pytest.raises(CommandError, match="Missing required columns: customer_name, line"):
        run_command(str(source))
    with pytest.raises(CommandError, match="No such file"):
        run_command(str(tmp_path / "nope.csv"))


def test_command_shows_a_progress_bar(tmp_path):
    source = tmp_path / "policies.csv"
    source.write_bytes(csv_bytes([row()]))
    err = io.StringIO()
    call_command("import_policies", str(source), stdout=io.StringIO(), stderr=err)
    assert "100%" in err.getvalue()
