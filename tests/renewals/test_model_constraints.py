"""The database itself refuses data that would break the renewal book."""

import datetime as dt
from decimal import Decimal

import pytest
from django.db import IntegrityError, transaction

from tests.renewals.factories import PolicyFactory, RenewalCaseFactory

pytestmark = pytest.mark.django_db


def test_duplicate_policy_number_is_rejected():
    PolicyFactory(number="AUTO-1")
    with pytest.raises(IntegrityError), transaction.atomic():
        PolicyFactory(number="AUTO-1")


def test_second_case_for_one_policy_is_rejected():
    case = RenewalCaseFactory()
    with pytest.raises(IntegrityError), transaction.atomic():
        RenewalCaseFactory(policy=case.policy)


def test_negative_premium_is_rejected():
    with pytest.raises(IntegrityError), transaction.atomic():
        PolicyFactory(premium=Decimal("-0.01"))


def test_end_before_start_is_rejected():
    with pytest.raises(IntegrityError), transaction.atomic():
        PolicyFactory(start_date=dt.date(2026, 5, 1), end_date=dt.date(2026, 4, 30))


def test_lost_case_without_reason_is_rejected():
    with pytest.raises(IntegrityError), transaction.atomic():
        RenewalCaseFactory(stage="lost")


def test_seeded_lines_have_their_calendars():
    from renewals.models import LineOfInsurance

    calendars = {line.code: (line.renewal_window_days, line.notice_lead_days) for line in LineOfInsurance.objects.all()}
    assert calendars == {"auto": (60, 45), "health": (60, 45), "property": (90, 60)}
