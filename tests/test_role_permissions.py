"""The role groups carry model permissions that match their screens (for the admin and has_perm)."""

import pytest

from tests.conftest import make_user

pytestmark = pytest.mark.django_db


def test_specialist_reads_the_book_and_works_cases_but_cannot_edit_complaints():
    user = make_user("li", "specialist")
    assert user.has_perm("renewals.view_policy") and user.has_perm("renewals.change_renewalcase")
    assert user.has_perm("customers.view_complaint")
    assert not user.has_perm("customers.change_complaint")
    assert not user.has_perm("renewals.change_lineofinsurance")


def test_support_logs_complaints_and_survey_answers_but_cannot_change_cases():
    user = make_user("chen", "support")
    assert user.has_perm("customers.add_complaint") and user.has_perm("customers.add_surveyresponse")
    assert user.has_perm("renewals.view_renewalcase")
    assert not user.has_perm("renewals.change_renewalcase")


def test_manager_configures_everything_but_never_deletes_the_book_or_its_history():
    user = make_user("zhang", "manager")
    assert user.has_perm("renewals.change_lineofinsurance") and user.has_perm("notifications.change_messagetemplate")
    assert user.has_perm("renewals.delete_lostreason")
    assert not user.has_perm("renewals.delete_policy")
    assert not user.has_perm("renewals.delete_caseevent")
