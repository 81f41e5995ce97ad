"""Refusals name the field in the user's words: no "Constraint … is violated", no "None: …"."""

import pytest
from django.contrib.messages import get_messages

from renewals.models import LineOfInsurance, SettingsChange
from tests.renewals.factories import RenewalCaseFactory, line

pytestmark = pytest.mark.django_db


def flashed(response) -> str:
    return " ".join(str(m) for m in get_messages(response.wsgi_request))


def test_a_line_term_of_zero_names_the_term_field(client_for, manager):
    auto = line("auto")
    data = {
        "line_id": auto.pk,
        "name": auto.name,
        "name_zh_hans": auto.name_zh_hans,
        "renewal_window_days": auto.renewal_window_days,
        "grace_days": auto.grace_days,
        "notice_lead_days": auto.notice_lead_days,
        "term_months": "0",
        "active": "on",
    }
    response = client_for(manager).post("/settings/lines/", data)
    message = flashed(response)
    assert "Default term (months)" in message
    assert "Constraint" not in message and "line_term_positive" not in message
    assert LineOfInsurance.objects.get(pk=auto.pk).term_months == 12
    assert not SettingsChange.objects.exists()


def test_a_notice_longer_than_the_window_names_the_notice_field(client_for, manager):
    response = client_for(manager).post(
        "/settings/lines/",
        {
            "code": "pet",
            "name": "Pet",
            "renewal_window_days": "20",
            "grace_days": "5",
            "notice_lead_days": "30",
            "term_months": "12",
        },
    )
    message = flashed(response)
    assert "Statutory notice lead (days)" in message and "Constraint" not in message
    assert not LineOfInsurance.objects.filter(code="pet").exists()


def test_a_bad_version_on_the_case_page_names_the_field_not_none(client_for, specialist):
    case = RenewalCaseFactory(assignee=specialist)
    response = client_for(specialist).post(
        f"/cases/{case.pk}/contact/", {"contact-channel": "phone", "contact-version": "abc"}
    )
    message = flashed(response)
    assert "Enter a whole number" in message
    assert "None" not in message
