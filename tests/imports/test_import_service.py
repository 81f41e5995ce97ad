import datetime as dt
import io
from decimal import Decimal

import pytest

from customers.models import Customer
from renewals import imports
from renewals.imports import ImportFileError, RowError, apply_set_based, policies_import
from renewals.models import Policy
from tests.customers.factories import CustomerFactory
from tests.imports.helpers import csv_bytes, row, xlsx_bytes
from tests.renewals.factories import PolicyFactory

pytestmark = pytest.mark.django_db


def run(data: bytes, filename="policies.csv", **kwargs):
    return policies_import(source=io.BytesIO(data), filename=filename, **kwargs)


def test_good_file_creates_customers_and_policies_with_every_column():
    result = run(csv_bytes([row(), row(policy_number="P-0002", line="health", premium="99.9", channel="online")]))

    assert result.errors == []
    assert (result.policies_created, result.customers_created) == (2, 1)
    policy = Policy.objects.select_related("customer", "line").get(number="P-0001")
    assert policy.line.code == "auto"
    assert policy.premium == Decimal("3200.50")
    assert policy.sum_insured == Decimal("250000.00")
    assert (policy.start_date, policy.end_date) == (dt.date(2025, 3, 1), dt.date(2026, 3, 1))
    assert (policy.channel, policy.claims_count, policy.status) == ("agent", 1, "active")
    customer = policy.customer
    assert (customer.external_ref, customer.name, customer.kind, customer.segment) == (
        "C-01",
        "Li Na",
        "individual",
        "vip",
    )
    assert (customer.phone, customer.phone_digits, customer.email) == (
        "138 0013 8000",
        "13800138000",
        "li.na@example.com",
    )
    assert (customer.preferred_language, customer.consent_email, customer.consent_sms) == ("en", True, False)


def test_reimporting_the_same_file_changes_nothing_and_says_so():
    data = csv_bytes([row(), row(policy_number="P-0002", previous_policy_number="P-0001")])
    run(data)
    before = list(Policy.objects.order_by("number").values_list("number", "updated_at"))

    result = run(data)

    assert (result.policies_created, result.policies_updated, result.policies_unchanged) == (0, 0, 2)
    assert (result.customers_created, result.customers_updated, result.customers_unchanged) == (0, 0, 1)
    assert not result.changed
    assert result.summary().startswith("Nothing changed")
    assert list(Policy.objects.order_by("number").values_list("number", "updated_at")) == before


def test_changed_rows_update_existing_customers_and_policies():
    run(csv_bytes([row(), row(policy_number="P-0002")]))

    result = run(csv_bytes([row(premium="3300.00"), row(policy_number="P-0002"), row(policy_number="P-0003")]))

    assert (result.policies_created, result.policies_updated, result.policies_unchanged) == (1, 1, 1)
    assert Policy.objects.get(number="P-0001").premium == Decimal("3300.00")


def test_existing_customer_is_matched_by_customer_ref_and_updated():
    CustomerFactory(external_ref="C-01", name="Old name")

    result = run(csv_bytes([row()]))

    assert (result.customers_created, result.customers_updated) == (0, 1)
    assert Customer.objects.get(external_ref="C-01").name == "Li Na"


def test_renewal_chains_link_whatever_the_row_order():
    rows = [
        row(policy_number="P-2026", previous_policy_number="P-2025", start_date="2026-03-01", end_date="2027-03-01"),
        row(policy_number="P-2025", previous_policy_number="P-2024", start_date="2025-03-01", end_date="2026-03-01"),
        row(policy_number="P-2024", start_date="2024-03-01", end_date="2025-03-01"),
    ]

    result = run(csv_bytes(rows))

    assert result.errors == []
    chain = dict(Policy.objects.values_list("number", "previous_policy__number"))
    assert chain == {"P-2026": "P-2025", "P-2025": "P-2024", "P-2024": None}


def test_previous_policy_may_already_be_in_the_database():
    PolicyFactory(number="OLD-1")

    result = run(csv_bytes([row(previous_policy_number="OLD-1")]))

    assert result.errors == []
    assert Policy.objects.get(number="P-0001").previous_policy.number == "OLD-1"


def test_unknown_previous_policy_is_reported_and_the_row_skipped():
    result = run(csv_bytes([row(previous_policy_number="NOPE"), row(policy_number="P-0002")]))

    assert result.errors == [
        RowError(2, "previous_policy_number", "policy NOPE is neither in the file nor in the database")
    ]
    assert list(Policy.objects.values_list("number", flat=True)) == ["P-0002"]


def test_a_previous_policy_already_renewed_by_another_policy_is_reported():
    old = PolicyFactory(number="OLD-1")
    PolicyFactory(number="OLD-2", previous_policy=old)

    result = run(csv_bytes([row(previous_policy_number="OLD-1")]))

    assert result.errors == [RowError(2, "previous_policy_number", "policy OLD-1 is already renewed by OLD-2")]
    assert not Policy.objects.filter(number="P-0001").exists()


def test_a_renewal_loop_is_reported():
    rows = [
        row(policy_number="A", previous_policy_number="B"),
        row(policy_number="B", previous_policy_number="A"),
        row(policy_number="C"),
    ]

    result = run(csv_bytes(rows))

    assert [(e.row, e.column) for e in result.errors] == [(2, "previous_policy_number"), (3, "previous_policy_number")]
    assert list(Policy.objects.values_list("number", flat=True)) == ["C"]


def test_bad_rows_are_reported_by_row_and_column_and_good_rows_applied():
    rows = [
        row(policy_number="OK-1"),
        row(
            policy_number="BAD-1",
            phone="12ab",
            email="not-an-email",
            line="boat",
            start_date="2025-13-01",
            premium="10.123",
            sum_insured="-5",
            channel="fax",
            customer_kind="robot",
            segment="gold",
            claims_count="two",
            consent_sms="maybe",
        ),
        row(policy_number="BAD-2", start_date="2025-05-01", end_date="2025-04-30", customer_name=""),
        row(policy_number="OK-2", customer_ref="C-02"),
    ]

    result = run(csv_bytes(rows))

    assert [(e.row, e.column, e.message) for e in result.errors] == [
        (3, "customer_kind", "must be one of: individual, business"),
        (3, "phone", "is not a phone number"),
        (3, "email", "is not an email address"),
        (3, "segment", "must be one of: standard, high_value, vip"),
        (3, "line", "must be one of: auto, health, property"),
        (3, "start_date", "must be a date YYYY-MM-DD"),
        (3, "premium", "must be a non-negative amount with at most 2 decimals"),
        (3, "sum_insured", "must be a non-negative amount with at most 2 decimals"),
        (3, "channel", "must be one of: direct, agent, broker, online"),
        (3, "claims_count", "must be a whole number from 0 to 9999"),
        (3, "consent_sms", "must be true or false"),
        (4, "customer_name", "is required"),
        (4, "end_date", "must be after start_date"),
    ]
    assert (result.rows, result.error_rows, result.applied_rows) == (4, 2, 2)
    assert sorted(Policy.objects.values_list("number", flat=True)) == ["OK-1", "OK-2"]


def test_a_file_of_only_bad_rows_writes_nothing():
    result = run(csv_bytes([row(premium="abc"), row(policy_number="P-2", line="boat")]))

    assert result.error_rows == 2
    assert not Policy.objects.exists()
    assert not Customer.objects.exists()


def test_duplicate_policy_numbers_in_the_file_are_all_reported():
    result = run(csv_bytes([row(), row(policy_number="P-0002"), row()]))

    assert [(e.row, e.column, e.message) for e in result.errors] == [
        (2, "policy_number", "appears more than once in the file (rows 2, 4)"),
        (4, "policy_number", "appears more than once in the file (rows 2, 4)"),
    ]
    assert list(Policy.objects.values_list("number", flat=True)) == ["P-0002"]


def test_missing_required_columns_are_named():
    columns = [c for c in imports.COLUMNS if c not in ("premium", "line")]

    with pytest.raises(ImportFileError) as caught:
        run(csv_bytes([row()], columns=columns))

    assert caught.value.message == "Missing required columns: line, premium."


def test_extra_columns_are_ignored_and_optional_ones_may_be_absent():
    columns = [*imports.REQUIRED, "notes_from_core_system"]
    data = csv_bytes([{**row(), "notes_from_core_system": "whatever"}], columns=columns)

    result = run(data)

    assert result.errors == []
    customer = Customer.objects.get(external_ref="C-01")
    assert (customer.kind, customer.segment, customer.phone) == ("individual", "standard", "")


def test_csv_with_a_byte_order_mark_imports():
    result = run(csv_bytes([row()], bom=True))

    assert result.errors == []
    assert Policy.objects.filter(number="P-0001").exists()


def test_xlsx_file_imports_like_csv():
    result = run(xlsx_bytes([row(), row(policy_number="P-0002", previous_policy_number="P-0001")]), "book.xlsx")

    assert result.errors == []
    assert Policy.objects.get(number="P-0002").previous_policy.number == "P-0001"
    assert Policy.objects.get(number="P-0001").premium == Decimal("3200.50")


def test_non_utf8_file_is_refused():
    with pytest.raises(ImportFileError) as caught:
        run("policy_number\nP-é\n".encode("latin-1"))
    assert caught.value.code == "encoding"


def test_dry_run_counts_exactly_and_saves_nothing():
    result = run(csv_bytes([row(), row(policy_number="P-0002", email="bad")]), dry_run=True)

    assert result.dry_run
    assert (result.policies_created, result.customers_created, result.error_rows) == (1, 1, 1)
    assert result.summary().startswith("Dry run, nothing was saved.")
    assert not Policy.objects.exists()
    assert not Customer.objects.exists()


def test_a_crash_mid_file_leaves_nothing_half_written(monkeypatch):
    def explode(*args, **kwargs):
        raise RuntimeError("disk full")

    monkeypatch.setattr(apply_set_based, "_upsert_policies", explode)

    with pytest.raises(RuntimeError):
        run(csv_bytes([row()]))

    assert not Customer.objects.exists()  # the customers written before the crash were rolled back
    assert not Policy.objects.exists()


def test_progress_is_reported_up_to_100():
    seen = []
    run(csv_bytes([row()]), progress=lambda percent, label: seen.append(percent))
    assert seen[0] == 0
    assert seen[-1] == 100
    assert seen == sorted(seen)


def test_the_documented_sample_file_imports_cleanly():
    from pathlib import Path

    from django.conf import settings

    data = (Path(settings.BASE_DIR) / "docs" / "sample-policies.csv").read_bytes()

    result = run(data)

    assert result.errors == []
    assert (result.policies_created, result.customers_created) == (5, 4)
    assert Policy.objects.get(number="AUTO-2026-0001").previous_policy.number == "AUTO-2025-0001"
