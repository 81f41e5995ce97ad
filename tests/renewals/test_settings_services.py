"""Managers' settings services: one transaction per save, audited, all or nothing."""

from decimal import Decimal

import pytest

from core.errors import ApplicationError, PermissionDeniedError
from renewals import services
from renewals.models import DiscountAuthority, SettingsChange
from tests.renewals.factories import line

pytestmark = pytest.mark.django_db


def cell(user, line_code, value):
    return {"user_id": user.pk, "line_id": line(line_code).pk, "max_discount_percent": value}


def test_discount_authority_grid_is_saved_in_one_go_and_audited(manager, specialist, other_specialist):
    DiscountAuthority.objects.create(user=specialist, line=line("auto"), max_discount_percent=Decimal("5"))
    services.discount_authorities_set(
        actor=manager,
        rows=[cell(specialist, "auto", "5"), cell(specialist, "health", "7.5"), cell(other_specialist, "auto", "2")],
    )
    grid = {(a.user_id, a.line.code): a.max_discount_percent for a in DiscountAuthority.objects.select_related("line")}
    assert grid == {
        (specialist.pk, "auto"): Decimal("5.00"),
        (specialist.pk, "health"): Decimal("7.50"),
        (other_specialist.pk, "auto"): Decimal("2.00"),
    }
    # the unchanged cell leaves no trace in the audit log
    assert sorted(SettingsChange.objects.values_list("object_repr", flat=True)) == ["spec / health", "spec2 / auto"]


def test_a_bad_cell_saves_no_cell(manager, specialist, other_specialist):
    DiscountAuthority.objects.create(user=specialist, line=line("auto"), max_discount_percent=Decimal("5"))
    with pytest.raises(ApplicationError) as err:
        services.discount_authorities_set(
            actor=manager,
            rows=[
                cell(specialist, "auto", "9"),
                cell(other_specialist, "auto", "3"),
                cell(other_specialist, "health", "150"),
            ],
        )
    assert err.value.field == "discount_percent"
    assert list(DiscountAuthority.objects.values_list("user_id", "max_discount_percent")) == [
        (specialist.pk, Decimal("5.00"))
    ]
    assert not SettingsChange.objects.exists()


def test_a_non_specialist_in_the_grid_saves_no_cell(manager, specialist, support):
    with pytest.raises(ApplicationError):
        services.discount_authorities_set(
            actor=manager, rows=[cell(specialist, "auto", "4"), cell(support, "auto", "4")]
        )
    assert not DiscountAuthority.objects.exists()


def test_only_managers_set_discount_authority(specialist):
    with pytest.raises(PermissionDeniedError):
        services.discount_authorities_set(actor=specialist, rows=[cell(specialist, "auto", "50")])
    assert not DiscountAuthority.objects.exists()
