"""The ORM row-by-row path used on the SQLite demo database gives the same answers as the
set-based PostgreSQL path (run here on PostgreSQL with the vendor check pointed elsewhere)."""

import io
from decimal import Decimal

import pytest
from django.db import connection

from customers.models import Customer
from renewals.imports import RowError, policies_import
from renewals.models import Policy
from tests.imports.helpers import csv_bytes, row
from tests.renewals.factories import PolicyFactory

pytestmark = pytest.mark.django_db


@pytest.fixture(autouse=True)
def _row_by_row(monkeypatch):
    monkeypatch.setattr(connection, "vendor", "sqlite")


def run(data: bytes, **kwargs):
    return policies_import(source=io.BytesIO(data), filename="p.csv", **kwargs)


def test_good_rows_applied_bad_rows_reported():
    result = run(csv_bytes([row(), row(policy_number="P-0002", premium="1.234"), row(policy_number="P-0003")]))

    assert result.errors == [RowError(3, "premium", "must be a non-negative amount with at most 2 decimals")]
    assert (result.policies_created, result.customers_created) == (2, 1)
    policy = Policy.objects.get(number="P-0001")
    assert (policy.premium, policy.customer.consent_sms) == (Decimal("3200.50"), False)


def test_reimport_changes_nothing_and_a_change_is_an_update():
    data = csv_bytes([row(), row(policy_number="P-0002", previous_policy_number="P-0001")])
    run(data)

    again = run(data)
    changed = run(csv_bytes([row(premium="1.00"), row(policy_number="P-0002", previous_policy_number="P-0001")]))

    assert not again.changed
    assert (again.policies_unchanged, again.customers_unchanged) == (2, 1)
    assert (changed.policies_updated, changed.policies_unchanged) == (1, 1)


def test_chains_in_any_order_and_unknown_or_taken_previous_policies():
    old = PolicyFactory(number="OLD-1")
    PolicyFactory(number="OLD-2", previous_policy=old)
    rows = [
        row(policy_number="B", previous_policy_number="A"),
        row(policy_number="A"),
        row(policy_number="C", previous_policy_number="NOPE"),
        row(policy_number="D", previous_policy_number="OLD-1"),
    ]

    result = run(csv_bytes(rows))

    assert result.errors == [
        RowError(4, "previous_policy_number", "policy NOPE is neither in the file nor in the database"),
        RowError(5, "previous_policy_number", "policy OLD-1 is already renewed by OLD-2"),
    ]
    assert Policy.objects.get(number="B").previous_policy.number == "A"


def test_dry_run_saves_nothing():
    result = run(csv_bytes([row()]), dry_run=True)
    assert result.policies_created == 1
    assert not Policy.objects.exists()
    assert not Customer.objects.exists()
