"""Free text has the same length limits on the case page as in the API (renewals.limits)."""

import pytest

from renewals import services
from renewals.limits import COMMENT_MAX_LENGTH, NOTE_MAX_LENGTH
from renewals.models import CaseEvent, Quote, Referral, RenewalCase
from tests.renewals.factories import RenewalCaseFactory

pytestmark = pytest.mark.django_db
LONG_NOTE = "x" * (NOTE_MAX_LENGTH + 1)
LONG_COMMENT = "x" * (COMMENT_MAX_LENGTH + 1)


@pytest.fixture
def case(specialist):
    return RenewalCaseFactory(assignee=specialist)


def test_a_200000_character_contact_note_is_refused_on_the_page(client_for, specialist, case):
    client_for(specialist).post(
        f"/cases/{case.pk}/contact/",
        {"contact-channel": "phone", "contact-reached": "on", "contact-note": "x" * 200_000},
    )
    assert not CaseEvent.objects.filter(case=case, kind="contact").exists()
    assert RenewalCase.objects.get(pk=case.pk).version == case.version


@pytest.mark.parametrize(("action", "prefix"), [("lost", "lost"), ("not-offered", "notoffered")])
def test_long_closing_notes_are_refused_on_the_page(client_for, specialist, case, action, prefix):
    reason = "price" if action == "lost" else "underwriting"
    client_for(specialist).post(
        f"/cases/{case.pk}/{action}/", {f"{prefix}-reason_code": reason, f"{prefix}-note": LONG_NOTE}
    )
    assert RenewalCase.objects.get(pk=case.pk).is_open


def test_a_long_referral_note_or_answer_is_refused_on_the_page(client_for, specialist, case):
    client = client_for(specialist)
    client.post(f"/cases/{case.pk}/refer/", {"refer-to": "claims", "refer-note": LONG_NOTE})
    assert not Referral.objects.filter(case=case).exists()
    referral = services.case_refer(case_id=case.pk, actor=specialist, to="claims", note="Open claim?")
    client.post(f"/cases/{case.pk}/referrals/{referral.pk}/resolve/", {"resolution": LONG_COMMENT})
    assert Referral.objects.get(pk=referral.pk).resolved_at is None


def test_a_long_approval_comment_is_refused(client_for, specialist, manager, case):
    services.quote_prepare(case_id=case.pk, actor=specialist, discount_percent=50)
    quote = Quote.objects.get(case=case)
    client_for(manager).post(f"/cases/approvals/{quote.pk}/decide/", {"decision": "approve", "comment": LONG_COMMENT})
    assert Quote.objects.get(pk=quote.pk).approval_status == "pending"
