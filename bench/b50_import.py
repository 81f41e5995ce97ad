"""Import speed: ``import_policies`` on generated 100k and 1M-row CSV files (target: 1M < 120 s),
and the same 100k file through django-import-export for comparison.

Files are generated into a temporary folder; policy numbers carry an ``IMP`` prefix and
customer references ``IMPC`` so they never collide with the seeded book. Half of each file's
policies renew another policy of the file (a renewal chain), written *before* its predecessor.
BENCH_IMPORT_ROWS (default 1,000,000) sets the size of the big file.
"""

import datetime as dt
import os
import tempfile
from pathlib import Path

import numpy as np
import pandas as pd
from django.core.management import call_command
from django.db import connection

from bench.common import Report, stopwatch

LINES = np.array(["auto", "health", "property"])
CHANNELS = np.array(["direct", "agent", "broker", "online"])
SEGMENTS = np.array(["standard", "standard", "standard", "high_value", "vip"])
REGIONS = np.array(["Guangdong", "Beijing", "Shanghai", "Zhejiang", "Sichuan", "Jiangsu"])


def generate_csv(path: Path, rows: int, *, prefix: str = "IMP", seed: int = 50) -> Path:
    """A valid import file of ``rows`` policies for ``rows // 2`` customers."""
    rng = np.random.default_rng(seed)
    index = np.arange(rows)
    half = rows // 2
    numbers = pd.Series(index).map(lambda i: f"{prefix}{i:09d}")
    customer = pd.Series(index % max(1, half)).map(lambda i: f"{prefix}C{i:08d}")
    # Row i >= half renews row i - half (its next term).
    start = pd.Timestamp("2024-01-01") + pd.to_timedelta(rng.integers(0, 365, rows), unit="D")
    start = start.where(index < half, start + pd.Timedelta(days=366))
    end = start + pd.DateOffset(years=1)
    previous = pd.Series("", index=index)
    previous[index >= half] = numbers[index[index >= half] - half].to_numpy()
    premium = rng.integers(50_000, 2_000_000, rows) / 100
    frame = pd.DataFrame(
        {
            "policy_number": numbers,
            "customer_ref": customer,
            "customer_name": "Customer " + customer,
            "customer_kind": np.where(index % 10 == 0, "business", "individual"),
            "phone": pd.Series(index % max(1, half)).map(lambda i: f"139{i:08d}"),
            "email": customer.str.lower() + "@example.com",
            "region": REGIONS[index % len(REGIONS)],
            "segment": SEGMENTS[index % len(SEGMENTS)],
            "line": LINES[index % len(LINES)],
            "product": "Standard cover",
            "start_date": start.strftime("%Y-%m-%d"),
            "end_date": end.strftime("%Y-%m-%d"),
            "premium": [f"{p:.2f}" for p in premium],
            "sum_insured": [f"{p * 80:.2f}" for p in premium],
            "channel": CHANNELS[index % len(CHANNELS)],
            "previous_policy_number": previous,
            "claims_count": rng.integers(0, 3, rows),
            "preferred_language": "zh-hans",
            "consent_email": "true",
            "consent_sms": "true",
        }
    )
    # Later terms first: chains must link whatever the row order.
    frame = frame.iloc[::-1]
    frame.to_csv(path, index=False)
    return path


def _delete_imported(prefix: str) -> None:
    with connection.cursor() as cursor:
        cursor.execute("UPDATE renewals_policy SET previous_policy_id = NULL WHERE number LIKE %s", [f"{prefix}%"])
        cursor.execute(
            "DELETE FROM renewals_policy p WHERE number LIKE %s"
            " AND NOT EXISTS (SELECT 1 FROM renewals_renewalcase c WHERE c.policy_id = p.id)",
            [f"{prefix}%"],
        )
        cursor.execute(
            "DELETE FROM customers_customer c WHERE external_ref LIKE %s"
            " AND NOT EXISTS (SELECT 1 FROM renewals_policy p WHERE p.customer_id = c.id)",
            [f"{prefix}C%"],
        )


def _time_import(path: Path) -> float:
    with stopwatch() as elapsed:
        call_command("import_policies", str(path), "--no-progress", stdout=open(os.devnull, "w"))  # noqa: SIM115
    return elapsed()


def _import_export_resource():
    from import_export import fields, resources, widgets

    from customers.models import Customer
    from renewals.models import LineOfInsurance, Policy

    class PolicyResource(resources.ModelResource):
        """The same file through django-import-export's row-by-row import, for comparison
        (renewal chains left out: it cannot link a row to a policy that comes later in the file)."""

        number = fields.Field(attribute="number", column_name="policy_number")
        customer = fields.Field(
            attribute="customer",
            column_name="customer_ref",
            widget=widgets.ForeignKeyWidget(Customer, field="external_ref"),
        )
        line = fields.Field(
            attribute="line", column_name="line", widget=widgets.ForeignKeyWidget(LineOfInsurance, field="code")
        )

        class Meta:
            model = Policy
            import_id_fields = ("number",)
            fields = (
                "number",
                "customer",
                "line",
                "product",
                "start_date",
                "end_date",
                "premium",
                "sum_insured",
                "channel",
                "claims_count",
            )
            use_transactions = True
            skip_unchanged = True
            use_bulk = False

    return PolicyResource


def run(report: Report) -> None:
    big_rows = int(os.environ.get("BENCH_IMPORT_ROWS", "1000000"))
    with tempfile.TemporaryDirectory() as folder:
        folder = Path(folder)
        small = generate_csv(folder / "policies-100k.csv", 100_000, prefix="IMS")
        big = generate_csv(folder / "policies-big.csv", big_rows, prefix="IMB")

        _delete_imported("IMS")
        seconds = _time_import(small)
        report.add("import", "import_policies 100,000 rows (new)", f"{seconds:.1f} s")
        seconds = _time_import(small)
        report.add("import", "import_policies 100,000 rows (re-import, unchanged)", f"{seconds:.1f} s")

        _delete_imported("IMB")
        seconds = _time_import(big)
        target = 120 * big_rows / 1_000_000
        report.add(
            "import",
            f"import_policies {big_rows:,} rows (new)",
            f"{seconds:.1f} s",
            f"< {target:g} s",
            seconds < target,
        )
        seconds = _time_import(big)
        report.add("import", f"import_policies {big_rows:,} rows (re-import, unchanged)", f"{seconds:.1f} s")
        _delete_imported("IMB")

        # django-import-export on the same 100k file: customers exist already (imported above);
        # the policies are deleted first so it creates them all, row by row.
        _delete_imported_policies_only("IMS")
        resource = _import_export_resource()()
        dataset_frame = pd.read_csv(small, dtype=str, keep_default_na=False)
        from tablib import Dataset

        dataset = Dataset().load(dataset_frame.to_csv(index=False), format="csv")
        with stopwatch() as elapsed:
            outcome = resource.import_data(dataset, dry_run=False, raise_errors=False)
        report.add(
            "import",
            "django-import-export 100,000 rows (new, for comparison)",
            f"{elapsed():.1f} s" + (" (with row errors)" if outcome.has_errors() else ""),
        )
        _delete_imported("IMS")
    report.note(f"import files generated {dt.date.today():%Y-%m-%d}: half the rows renew another row of the file.")


def _delete_imported_policies_only(prefix: str) -> None:
    with connection.cursor() as cursor:
        cursor.execute("UPDATE renewals_policy SET previous_policy_id = NULL WHERE number LIKE %s", [f"{prefix}%"])
        cursor.execute(
            "DELETE FROM renewals_policy p WHERE number LIKE %s"
            " AND NOT EXISTS (SELECT 1 FROM renewals_renewalcase c WHERE c.policy_id = p.id)",
            [f"{prefix}%"],
        )
