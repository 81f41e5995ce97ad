"""The optional ``time_zone`` column: IANA names checked, a blank cell takes the region's zone, and
a file without the column leaves customers' time zones as they are. Both apply paths."""

import io

import pytest
from django.db import connection

from customers.models import Customer
from renewals.imports import COLUMNS, policies_import
from tests.customers.factories import CustomerFactory
from tests.imports.helpers import csv_bytes, row

pytestmark = pytest.mark.django_db


@pytest.fixture(params=["set_based", "row_by_row"])
def path(request, monkeypatch):
    if request.param == "row_by_row":
        monkeypatch.setattr(connection, "vendor", "sqlite")
    return request.param


def run(data: bytes):
    return policies_import(source=io.BytesIO(data), filename="p.csv")


def zone_of(ref: str) -> str:
    return Customer.objects.get(external_ref=ref).time_zone


def test_a_named_zone_is_kept_and_a_blank_one_takes_the_regions(path):
    result = run(
        csv_bytes(
            [
                row(policy_number="P-1", customer_ref="C-1", region="Xinjiang", time_zone="Asia/Urumqi"),
                row(policy_number="P-2", customer_ref="C-2", region="Hong Kong", time_zone=""),
                row(policy_number="P-3", customer_ref="C-3", region="Guangdong", time_zone=""),
                row(policy_number="P-4", customer_ref="C-4", region="Atlantis", time_zone=""),
            ]
        )
    )
    assert result.errors == []
    assert zone_of("C-1") == "Asia/Urumqi"
    assert zone_of("C-2") == "Asia/Hong_Kong"  # the product's zone for Hong Kong
    assert zone_of("C-3") == "Asia/Shanghai"  # China's one official time
    assert zone_of("C-4") == ""  # an unknown region: the site's zone


@pytest.mark.parametrize("bad", ["Mars/Olympus", "asia/shanghai", "UTC+8", "Asia/Shanghai\u200b"])
def test_a_name_that_is_not_an_iana_zone_is_reported_and_the_row_skipped(path, bad):
    result = run(csv_bytes([row(time_zone=bad), row(policy_number="P-0002", customer_ref="C-02")]))
    assert [(e.row, e.column) for e in result.errors] == [(2, "time_zone")]
    assert "is not a time zone name (e.g. Asia/Shanghai)" in result.errors[0].message
    assert result.policies_created == 1 and not Customer.objects.filter(external_ref="C-01").exists()


def test_a_file_without_the_column_leaves_a_customers_zone_alone(path):
    CustomerFactory(external_ref="C-01", region="Guangdong", time_zone="Asia/Tokyo")
    columns = [c for c in COLUMNS if c != "time_zone"]
    result = run(csv_bytes([row()], columns=columns))
    assert result.errors == [] and result.customers_updated == 1
    assert zone_of("C-01") == "Asia/Tokyo"
