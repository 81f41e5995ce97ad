"""The API offers what the screens do: reopen with a decision date, quote approval, referrals.

Each action as the role that may take it, and as every role (and specialist) that may not.
"""

import datetime as dt
from decimal import Decimal

import pytest
from django.utils import timezone

from renewals import services
from renewals.models import CaseEvent, Quote, Referral, RenewalCase, Stage
from tests.renewals.factories import RenewalCaseFactory

pytestmark = pytest.mark.django_db


def post(client, path, data=None):
    return client.post(path, data or {}, format="json")


@pytest.fixture
def my_case(specialist):
    return RenewalCaseFactory(assignee=specialist)


@pytest.fixture
def pending_quote(my_case, specialist):
    # No discount authority: any discount waits for a manager.
    return services.quote_prepare(case_id=my_case.pk, actor=specialist, discount_percent=Decimal("12"))


# --- reopen ------------------------------------------------------------------------------------
def test_a_manager_reopens_a_lost_case_with_a_decision_date(api, manager, specialist, my_case):
    services.case_mark_lost(case_id=my_case.pk, actor=specialist, reason_code="price")
    decide_by = timezone.localdate() + dt.timedelta(days=10)
    response = post(api(manager), f"/api/v1/cases/{my_case.pk}/reopen/", {"decision_date": decide_by.isoformat()})
    assert response.status_code == 200, response.json()
    assert response.json()["stage"] == "open" and response.json()["decision_date"] == decide_by.isoformat()
    assert RenewalCase.objects.get(pk=my_case.pk).lost_reason is None


@pytest.mark.parametrize("days", [-1, 91])
def test_reopen_refuses_a_date_outside_the_range_naming_the_field(api, manager, specialist, my_case, days):
    services.case_mark_lost(case_id=my_case.pk, actor=specialist, reason_code="price")
    decide_by = timezone.localdate() + dt.timedelta(days=days)
    response = post(api(manager), f"/api/v1/cases/{my_case.pk}/reopen/", {"decision_date": decide_by.isoformat()})
    assert response.status_code == 400
    assert "decision_date" in str(response.json())
    assert RenewalCase.objects.get(pk=my_case.pk).stage == Stage.LOST


def test_reopen_needs_a_date_and_is_for_managers_only(api, manager, specialist, support, my_case):
    services.case_mark_lost(case_id=my_case.pk, actor=specialist, reason_code="price")
    path = f"/api/v1/cases/{my_case.pk}/reopen/"
    assert post(api(manager), path, {}).status_code == 400
    today = {"decision_date": timezone.localdate().isoformat()}
    assert post(api(specialist), path, today).status_code == 403  # even the case's own specialist
    assert post(api(support), path, today).status_code == 403
    assert post(api(), path, today).status_code in (401, 403)
    assert RenewalCase.objects.get(pk=my_case.pk).stage == Stage.LOST


def test_reopening_an_open_case_is_409_and_a_stale_version_too(api, manager, specialist, my_case):
    today = timezone.localdate().isoformat()
    assert post(api(manager), f"/api/v1/cases/{my_case.pk}/reopen/", {"decision_date": today}).status_code == 409
    services.case_mark_lost(case_id=my_case.pk, actor=specialist, reason_code="price")
    stale = {"decision_date": today, "version": 1}
    assert post(api(manager), f"/api/v1/cases/{my_case.pk}/reopen/", stale).status_code == 409


# --- quotes --------------------------------------------------------------------------------------
def test_managers_list_pending_quotes_and_approve_one(api, manager, pending_quote):
    listed = api(manager).get("/api/v1/quotes/?approval_status=pending").json()["results"]
    assert [q["id"] for q in listed] == [pending_quote.pk]
    assert listed[0]["premium"] == str(pending_quote.premium)
    response = post(api(manager), f"/api/v1/quotes/{pending_quote.pk}/approve/", {"comment": "Loyal customer"})
    assert response.status_code == 200
    assert response.json()["approval_status"] == "approved" and response.json()["decided_by"] == "boss"
    assert CaseEvent.objects.filter(case_id=pending_quote.case_id, kind="approved").count() == 1
    # Approving twice: the quote is no longer waiting.
    assert post(api(manager), f"/api/v1/quotes/{pending_quote.pk}/approve/").status_code == 409


def test_a_rejection_needs_a_reason(api, manager, pending_quote):
    path = f"/api/v1/quotes/{pending_quote.pk}/reject/"
    assert post(api(manager), path, {"comment": ""}).status_code == 400
    assert post(api(manager), path, {"comment": "   "}).status_code == 400
    response = post(api(manager), path, {"comment": "Too deep for this risk"})
    assert response.status_code == 200 and response.json()["approval_status"] == "rejected"


@pytest.mark.parametrize("action", ["approve", "reject"])
def test_only_managers_decide_quotes(api, specialist, other_specialist, support, pending_quote, action):
    path = f"/api/v1/quotes/{pending_quote.pk}/{action}/"
    for user in (specialist, other_specialist, support):
        assert post(api(user), path, {"comment": "mine"}).status_code == 403
    assert Quote.objects.get(pk=pending_quote.pk).approval_status == Quote.Approval.PENDING


def test_unknown_and_huge_quote_ids_are_404(api, manager):
    for quote_id in ("999999", "99999999999999999999"):
        assert post(api(manager), f"/api/v1/quotes/{quote_id}/approve/").status_code == 404


def test_a_superseded_quote_cannot_be_approved(api, manager, specialist, my_case, pending_quote):
    services.quote_prepare(case_id=my_case.pk, actor=specialist, discount_percent=Decimal("0"))
    assert post(api(manager), f"/api/v1/quotes/{pending_quote.pk}/approve/").status_code == 409


# --- referrals -----------------------------------------------------------------------------------
def test_the_specialist_refers_and_resolves_through_the_api(api, specialist, my_case):
    created = post(
        api(specialist), f"/api/v1/cases/{my_case.pk}/refer/", {"to": "underwriting", "note": "New young driver"}
    )
    assert created.status_code == 201
    referral_id = created.json()["id"]
    assert created.json()["resolved_at"] is None and created.json()["created_by"] == "spec"
    assert [
        r["id"] for r in api(specialist).get(f"/api/v1/referrals/?case={my_case.pk}&open=true").json()["results"]
    ] == [referral_id]
    resolved = post(api(specialist), f"/api/v1/referrals/{referral_id}/resolve/", {"resolution": "Accepted at +5%"})
    assert resolved.status_code == 200 and resolved.json()["resolution"] == "Accepted at +5%"
    assert post(api(specialist), f"/api/v1/referrals/{referral_id}/resolve/").status_code == 409
    assert api(specialist).get(f"/api/v1/referrals/?case={my_case.pk}&open=true").json()["results"] == []


def test_another_specialist_and_support_cannot_refer_or_resolve(api, specialist, other_specialist, support, my_case):
    refer = {"to": "claims", "note": "Open claim?"}
    assert post(api(other_specialist), f"/api/v1/cases/{my_case.pk}/refer/", refer).status_code == 403
    assert post(api(support), f"/api/v1/cases/{my_case.pk}/refer/", refer).status_code == 403
    referral = services.case_refer(case_id=my_case.pk, actor=specialist, to="claims", note="Open claim?")
    for user in (other_specialist, support):
        assert post(api(user), f"/api/v1/referrals/{referral.pk}/resolve/", {"resolution": "x"}).status_code == 403
    assert Referral.objects.get(pk=referral.pk).is_open


def test_a_referral_needs_a_known_target_a_note_and_no_nul_bytes(api, specialist, my_case):
    path = f"/api/v1/cases/{my_case.pk}/refer/"
    assert post(api(specialist), path, {"to": "sales", "note": "x"}).status_code == 400
    assert post(api(specialist), path, {"to": "claims", "note": ""}).status_code == 400
    assert post(api(specialist), path, {"to": "claims", "note": "bad\x00note"}).status_code == 400
    assert post(api(specialist), path, {"to": "claims", "note": "x" * 4001}).status_code == 400
    assert post(api(specialist), path, {"to": "claims", "note": 0}).status_code == 400  # a number is not text
    assert not Referral.objects.exists()
