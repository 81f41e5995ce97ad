"""Extra import columns are kept as typed policy attributes, on both apply paths."""

import io

import pytest

from renewals.imports import policies_import
from renewals.imports.apply_row_by_row import apply_row_by_row
from renewals.models import ImportAttribute, Policy
from tests.imports.helpers import COLUMNS, csv_bytes, row

EXTRA = ["Income band", "vehicle_age", "has_garage", "licence_date", "comment"]


def _file(count: int = 60) -> bytes:
    rows = [
        row(
            policy_number=f"P-{i:04d}",
            customer_ref=f"C-{i:04d}",
            **{
                "Income band": ["low", "middle", "high"][i % 3],
                "vehicle_age": "" if i == 5 else str(i % 12),
                "has_garage": "yes" if i % 2 else "no",
                "licence_date": f"20{10 + i % 10}-03-01",
                "comment": f"free text {i}",
            },
        )
        for i in range(count)
    ]
    return csv_bytes(rows, columns=COLUMNS + EXTRA)


def _import(**kwargs):
    return policies_import(source=io.BytesIO(_file()), filename="book.csv", **kwargs)


def _check_stored():
    policy = Policy.objects.get(number="P-0007")
    assert policy.attributes == {
        "income_band": "middle",
        "vehicle_age": 7,
        "has_garage": True,
        "licence_date": "2017-03-01",
        "comment": "free text 7",
    }
    assert "vehicle_age" not in Policy.objects.get(number="P-0005").attributes  # a blank cell is left out
    kinds = {a.name: (a.kind, a.active, a.inferred) for a in ImportAttribute.objects.all()}
    assert kinds == {
        "income_band": ("category", True, True),
        "vehicle_age": ("number", True, True),
        "has_garage": ("boolean", True, True),
        "licence_date": ("date", True, True),
        # 60 distinct texts: kept, but not used by the churn model until a manager says so
        "comment": ("category", False, True),
    }


@pytest.mark.django_db
def test_extra_columns_are_kept_as_typed_attributes_and_listed_for_review():
    result = _import()
    assert result.policies_created == 60 and not result.errors
    _check_stored()
    assert "income_band (Category)" in result.summary() and "Import attributes" in result.summary()
    assert "vehicle_age (Number)" in result.as_dict()["attributes_inferred"]


@pytest.mark.django_db
def test_extra_columns_are_kept_row_by_row_too(monkeypatch):
    monkeypatch.setattr("renewals.imports.services._apply", apply_row_by_row)
    _import()
    _check_stored()


@pytest.mark.django_db
def test_a_reviewed_attribute_keeps_its_kind_and_a_dry_run_records_nothing():
    # Given a manager said vehicle_age is a category
    ImportAttribute.objects.create(name="vehicle_age", kind="category", inferred=False)
    # When a dry run reads the file, nothing new is recorded
    assert _import(dry_run=True).attributes_inferred
    assert ImportAttribute.objects.count() == 1
    # And a real import stores vehicle_age as text, and an unchanged re-import changes nothing
    _import()
    assert Policy.objects.get(number="P-0007").attributes["vehicle_age"] == "7"
    again = _import()
    assert again.policies_unchanged == 60 and not again.attributes_inferred
