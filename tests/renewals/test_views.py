"""Screens: who may see and do what, the htmx fragments, and a fixed number of queries per page."""

import datetime as dt
from decimal import Decimal

import pytest
import time_machine
from django.utils import timezone

from renewals.models import (
    CaseEvent,
    DiscountAuthority,
    LostReason,
    Quote,
    RenewalCase,
    SettingsChange,
    SpecialistProfile,
    Stage,
)
from tests.conftest import make_user
from tests.customers.factories import CustomerFactory
from tests.renewals.factories import CASE_PAGE_QUERIES, PolicyFactory, RenewalCaseFactory, line

pytestmark = pytest.mark.django_db
D = Decimal


@pytest.fixture(autouse=True)
def _today():
    with time_machine.travel(dt.datetime(2026, 11, 20, 9, 0, tzinfo=dt.UTC), tick=False):
        yield


@pytest.fixture
def case(specialist):
    return RenewalCaseFactory(assignee=specialist, policy=PolicyFactory(premium=D("3000.00")))


# --- queue ----------------------------------------------------------------------------------
def test_specialist_sees_only_own_open_cases_by_priority(client_for, specialist, other_specialist):
    low = RenewalCaseFactory(assignee=specialist, priority=D("100"))
    high = RenewalCaseFactory(assignee=specialist, priority=D("900"))
    theirs = RenewalCaseFactory(assignee=other_specialist, priority=D("5000"))
    response = client_for(specialist).get("/cases/")
    assert response.status_code == 200
    assert [c.pk for c in response.context["cases"]] == [high.pk, low.pk]
    assert theirs.policy.number not in response.content.decode()
    assert b'hx-get="/notifications/call-tasks/"' in response.content


def test_priority_ties_break_by_due_date(client_for, specialist):
    later = RenewalCaseFactory(assignee=specialist, priority=D("500"), due_date=dt.date(2026, 12, 30))
    sooner = RenewalCaseFactory(assignee=specialist, priority=D("500"), due_date=dt.date(2026, 12, 1))
    response = client_for(specialist).get("/cases/")
    assert [c.pk for c in response.context["cases"]] == [sooner.pk, later.pk]


def test_queue_filters_and_search(client_for, specialist):
    vip = CustomerFactory(name="Zhao Lei", segment="vip")
    soon = RenewalCaseFactory(assignee=specialist, policy=PolicyFactory(customer=vip, end_date=dt.date(2026, 11, 25)))
    later = RenewalCaseFactory(
        assignee=specialist,
        policy=PolicyFactory(line=line("health"), end_date=dt.date(2027, 1, 10)),
        next_action_date=dt.date(2026, 11, 1),
        stage=Stage.CONTACTED,
    )
    client = client_for(specialist)

    def ids(query):
        return {c.pk for c in client.get("/cases/?" + query).context["cases"]}

    assert ids("due=7") == {soon.pk}
    assert ids("line=health") == {later.pk}
    assert ids("stage=contacted") == {later.pk}
    assert ids("overdue=on") == {later.pk}
    assert ids("high_value=on") == {soon.pk}
    assert ids("q=zhao") == {soon.pk}
    assert ids("q=Zh") == {soon.pk}  # too short for trigrams: the start of the name
    assert ids("q=" + later.policy.number) == {later.pk}
    assert '<option value="contacted" selected>' in client.get("/cases/?stage=contacted").content.decode()
    counts = client.get("/cases/").context["stage_counts"]
    assert counts == {"open": 1, "contacted": 1}


def test_queue_htmx_request_returns_the_results_fragment(client_for, specialist, case):
    response = client_for(specialist).get("/cases/?stage=open", HTTP_HX_REQUEST="true")
    body = response.content.decode()
    assert response.status_code == 200 and "<html" not in body and case.policy.number in body


def test_queue_pages_without_counting(client_for, specialist):
    RenewalCaseFactory.create_batch(27, assignee=specialist)
    client = client_for(specialist)
    first = client.get("/cases/")
    second = client.get("/cases/?page=2")
    assert first.context["has_next"] and len(first.context["cases"]) == 25
    assert not second.context["has_next"] and len(second.context["cases"]) == 2


@pytest.mark.parametrize("n", [1, 30])
def test_queue_query_count_is_constant(client_for, specialist, manager, django_assert_max_num_queries, n):
    RenewalCaseFactory.create_batch(n, assignee=specialist)
    client = client_for(specialist)
    with django_assert_max_num_queries(6):
        assert client.get("/cases/?due=30&q=Customer").status_code == 200
    client = client_for(manager)
    with django_assert_max_num_queries(8):
        assert client.get("/cases/").status_code == 200


def test_manager_sees_everyone_filters_by_assignee_and_bulk_reassigns(
    client_for, manager, specialist, other_specialist
):
    mine = RenewalCaseFactory(assignee=specialist)
    theirs = RenewalCaseFactory(assignee=other_specialist)
    unassigned = RenewalCaseFactory()
    client = client_for(manager)
    assert {c.pk for c in client.get("/cases/").context["cases"]} == {mine.pk, theirs.pk, unassigned.pk}
    assert {c.pk for c in client.get(f"/cases/?assignee={specialist.pk}").context["cases"]} == {mine.pk}
    assert {c.pk for c in client.get("/cases/?assignee=none").context["cases"]} == {unassigned.pk}
    response = client.post("/cases/reassign/", {"case_ids": [mine.pk, unassigned.pk], "assignee": other_specialist.pk})
    assert response.status_code == 302
    assert set(RenewalCase.objects.values_list("assignee_id", flat=True)) == {other_specialist.pk}


def test_specialist_cannot_bulk_reassign(client_for, specialist, case):
    assert (
        client_for(specialist).post("/cases/reassign/", {"case_ids": [case.pk], "assignee": specialist.pk}).status_code
        == 403
    )


def test_support_and_roleless_users_cannot_open_the_queue(client_for, support):
    assert client_for(support).get("/cases/").status_code == 403
    nobody = make_user("nobody")
    assert client_for(nobody).get("/cases/").status_code == 403


# --- case page ------------------------------------------------------------------------------
def test_case_page_shows_summary_chain_deadlines_and_fragments(client_for, specialist):
    older = PolicyFactory(end_date=dt.date(2025, 12, 31), premium=D("2800.00"))
    policy = PolicyFactory(
        customer=older.customer, previous_policy=older, end_date=dt.date(2026, 12, 31), premium=D("3000.00")
    )
    case = RenewalCaseFactory(assignee=specialist, policy=policy)
    response = client_for(specialist).get(f"/cases/{case.pk}/")
    body = response.content.decode()
    assert response.status_code == 200
    assert older.number in body and "2,800.00" in body
    assert response.context["days_to_expiry"] == 41
    assert response.context["notice_deadline"] == dt.date(2026, 11, 16)  # auto: 45 days' notice
    assert f'hx-get="/notifications/cases/{case.pk}/messages/"' in body
    assert f'hx-get="/complaints/panel/customer/{case.customer_id}/"' in body
    assert "Log contact" in body


def test_the_quote_preview_request_leaves_the_csrf_token_out(client_for, specialist):
    import re

    case = RenewalCaseFactory(assignee=specialist, policy=PolicyFactory(end_date=dt.date(2026, 12, 31)))
    body = client_for(specialist).get(f"/cases/{case.pk}/").content.decode()
    tags = [t for t in re.findall(r"<[a-z]+\b[^>]*>", body) if "hx-get=" in t and "/quote/preview/" in t]
    # the discount field and the (seeded) add-on boxes: each includes its POST form
    assert len(tags) == 2 and all('hx-params="not csrfmiddlewaretoken"' in t for t in tags)


@pytest.mark.parametrize("n_events", [1, 25])
def test_case_page_query_count_is_constant(client_for, specialist, django_assert_max_num_queries, n_events, case):
    for i in range(n_events):
        CaseEvent.objects.create(case=case, kind="note", actor=specialist, payload={"note": str(i)})
    client = client_for(specialist)
    with django_assert_max_num_queries(CASE_PAGE_QUERIES):
        assert client.get(f"/cases/{case.pk}/").status_code == 200


def test_support_reads_case_but_cannot_act(client_for, support, case):
    client = client_for(support)
    response = client.get(f"/cases/{case.pk}/")
    assert response.status_code == 200 and "Log contact" not in response.content.decode()
    assert client.post(f"/cases/{case.pk}/contact/", {"contact-channel": "phone"}).status_code == 403


def test_other_specialist_reads_but_cannot_act(client_for, other_specialist, case):
    client = client_for(other_specialist)
    assert "Log contact" not in client.get(f"/cases/{case.pk}/").content.decode()
    response = client.post(f"/cases/{case.pk}/contact/", {"contact-channel": "phone", "contact-reached": "on"})
    assert response.status_code == 403
    assert client.get(f"/cases/{case.pk}/quote/preview/?discount_percent=5").status_code == 403
    assert RenewalCase.objects.get(pk=case.pk).stage == Stage.OPEN


def test_roleless_user_gets_403_on_case_and_customer(client_for, case):
    client = client_for(make_user("nobody"))
    assert client.get(f"/cases/{case.pk}/").status_code == 403
    assert client.get(f"/customers/{case.customer_id}/").status_code == 403


def test_logging_a_contact_through_the_page(client_for, specialist, case):
    client = client_for(specialist)
    response = client.post(
        f"/cases/{case.pk}/contact/",
        {
            "contact-channel": "phone",
            "contact-reached": "on",
            "contact-note": "Happy to renew",
            "contact-version": 1,
            "contact-next_action_date": "2026-11-25",
        },
    )
    assert response.status_code == 302
    case.refresh_from_db()
    assert case.stage == Stage.CONTACTED and case.next_action_date == dt.date(2026, 11, 25)


def test_stale_form_shows_changed_by_message_and_saves_nothing(client_for, specialist, manager, case):
    # given the manager saved the case after the specialist loaded it (version 1)
    client_for(manager).post(f"/cases/{case.pk}/contact/", {"contact-channel": "email", "contact-version": 1})
    client = client_for(specialist)
    response = client.post(
        f"/cases/{case.pk}/contact/",
        {"contact-channel": "phone", "contact-reached": "on", "contact-version": 1},
        follow=True,
    )
    body = response.content.decode()
    assert "changed by Zhang Wei" in body and "Reload" in body
    assert RenewalCase.objects.get(pk=case.pk).stage == Stage.OPEN


def test_live_quote_preview_fragment(client_for, specialist, case):
    DiscountAuthority.objects.create(user=specialist, line=case.line, max_discount_percent=D("5"))
    client = client_for(specialist)
    response = client.get(f"/cases/{case.pk}/quote/preview/?quote-discount_percent=10")
    body = response.content.decode()
    # 3000 × 1.03 = 3090.00 × 0.90 = 2781.00
    assert "2,781.00" in body and "Above your authority" in body
    assert (
        "between 0 and 100"
        in client.get(f"/cases/{case.pk}/quote/preview/?quote-discount_percent=120").content.decode()
    )


def test_quote_renew_flow_through_pages(client_for, specialist, manager, case):
    client = client_for(specialist)
    client.post(f"/cases/{case.pk}/quote/", {"quote-discount_percent": "12", "quote-version": 1})
    quote = Quote.objects.get(case=case)
    assert quote.approval_status == "pending"
    manager_client = client_for(manager)
    assert quote.case.policy.number in manager_client.get("/cases/approvals/").content.decode()
    manager_client.post(f"/cases/approvals/{quote.pk}/decide/", {"decision": "approve", "comment": "ok"})
    client = client_for(specialist)
    client.post(f"/cases/{case.pk}/renew/", {})
    case.refresh_from_db()
    assert case.stage == Stage.RENEWED
    body = client.get(f"/customers/{case.customer_id}/").content.decode()
    assert case.successor_policy.number in body


def test_lost_refer_and_manager_reopen_through_pages(client_for, specialist, manager, case):
    client = client_for(specialist)
    client.post(f"/cases/{case.pk}/refer/", {"refer-to": "claims", "refer-note": "Open claim?"})
    client.post(f"/cases/{case.pk}/lost/", {"lost-reason_code": "price", "lost-note": "Cheaper"})
    case.refresh_from_db()
    assert case.stage == Stage.LOST and case.referrals.count() == 1
    timeline = client.get(f"/cases/{case.pk}/").content.decode()
    assert "Price" in timeline and "Claims" in timeline  # labels, not the stored codes
    decide_by = {"reopen-decision_date": timezone.localdate().isoformat()}
    assert client.post(f"/cases/{case.pk}/reopen/", decide_by).status_code == 403
    client_for(manager).post(f"/cases/{case.pk}/reopen/", decide_by)
    assert RenewalCase.objects.get(pk=case.pk).stage == Stage.OPEN


def test_approvals_page_is_for_managers_only(client_for, specialist, support):
    assert client_for(specialist).get("/cases/approvals/").status_code == 403
    assert client_for(support).get("/cases/approvals/").status_code == 403


# --- customer page --------------------------------------------------------------------------
@pytest.mark.parametrize("n", [1, 12])
def test_customer_page_query_count_is_constant(client_for, support, django_assert_max_num_queries, n):
    customer = CustomerFactory()
    for _ in range(n):
        RenewalCaseFactory(policy=PolicyFactory(customer=customer))
    client = client_for(support)
    with django_assert_max_num_queries(7):  # policies, their add-ons (one prefetch), cases, panels
        response = client.get(f"/customers/{customer.pk}/")
    assert response.status_code == 200
    assert f'hx-get="/notifications/customers/{customer.pk}/messages/"' in response.content.decode()


# --- settings -------------------------------------------------------------------------------
def test_settings_are_for_managers_only(client_for, specialist, support):
    for user in (specialist, support):
        client = client_for(user)
        for path in (
            "/settings/",
            "/settings/lines/",
            "/settings/pricing/",
            "/settings/authority/",
            "/settings/reasons/",
            "/settings/specialists/",
            "/settings/audit/",
        ):
            assert client.get(path).status_code == 403, path


def test_every_settings_page_renders(client_for, manager, specialist):
    client = client_for(manager)
    for path in (
        "/settings/",
        "/settings/lines/",
        "/settings/pricing/",
        "/settings/authority/",
        "/settings/reasons/",
        "/settings/specialists/",
        "/settings/audit/",
    ):
        assert client.get(path).status_code == 200, path
    assert b"/notifications/settings/" in client.get("/settings/").content


def test_editing_a_line_is_audited(client_for, manager):
    auto = line("auto")
    client_for(manager).post(
        "/settings/lines/",
        {
            "line_id": auto.pk,
            "name": "Auto",
            "name_zh_hans": "车险",
            "renewal_window_days": 75,
            "grace_days": 30,
            "notice_lead_days": 45,
            "term_months": 12,
            "active": "on",
        },
    )
    auto.refresh_from_db()
    assert auto.renewal_window_days == 75
    change = SettingsChange.objects.get(area="line")
    assert change.actor == manager and change.changes == {"renewal_window_days": ["60", "75"]}


def test_notice_lead_longer_than_window_is_refused(client_for, manager):
    auto = line("auto")
    client_for(manager).post(
        "/settings/lines/",
        {
            "line_id": auto.pk,
            "name": "Auto",
            "renewal_window_days": 30,
            "grace_days": 30,
            "notice_lead_days": 45,
            "term_months": 12,
            "active": "on",
        },
    )
    assert line("auto").renewal_window_days == 60


def test_pricing_authority_reasons_and_specialists_are_edited_and_audited(client_for, manager, specialist):
    client = client_for(manager)
    auto = line("auto")
    client.post(
        "/settings/pricing/",
        {
            "line_id": auto.pk,
            "base_rate_change_percent": "4.5",
            "claims_threshold": ["0", "1", ""],
            "claims_factor": ["1", "1.2", ""],
            "loyalty_threshold": ["0"],
            "loyalty_factor": ["1"],
        },
    )
    assert auto.pricing_rule.base_rate_change_percent == D("4.50")
    assert list(auto.claims_factors.values_list("min_claims", "factor")) == [(0, D("1.0000")), (1, D("1.2000"))]
    client.post("/settings/authority/", {f"a_{specialist.pk}_{auto.pk}": "7.5"})
    assert DiscountAuthority.objects.get(user=specialist, line=auto).max_discount_percent == D("7.50")
    client.post(
        "/settings/reasons/",
        {
            "new-code": "moved_abroad",
            "new-name": "Moved abroad",
            "new-kind": "lost",
            "new-active": "on",
            "new-sort_order": 60,
        },
    )
    assert LostReason.objects.filter(code="moved_abroad", active=True).exists()
    client.post(
        "/settings/specialists/",
        {"user_id": specialist.pk, "lines": [auto.pk], "regions": "Beijing, Shanghai", "away": "on"},
    )
    profile = SpecialistProfile.objects.get(user=specialist)
    assert profile.away and profile.regions == ["Beijing", "Shanghai"] and list(profile.lines.all()) == [auto]
    assert set(SettingsChange.objects.values_list("area", flat=True)) == {
        "pricing",
        "authority",
        "lost_reason",
        "specialist",
    }


def test_a_bad_discount_authority_cell_saves_no_cell(client_for, manager, specialist, other_specialist):
    auto, health = line("auto"), line("health")
    response = client_for(manager).post(
        "/settings/authority/",
        {
            f"a_{specialist.pk}_{auto.pk}": "6",
            f"a_{specialist.pk}_{health.pk}": "",
            f"a_{other_specialist.pk}_{auto.pk}": "abc",
            f"a_{other_specialist.pk}_{health.pk}": "3",
        },
        follow=True,
    )
    assert "Enter the discount as a number." in response.content.decode()
    assert not DiscountAuthority.objects.exists() and not SettingsChange.objects.exists()


def test_handover_from_settings_moves_cases(client_for, manager, specialist, other_specialist):
    RenewalCaseFactory.create_batch(3, assignee=specialist)
    SpecialistProfile.objects.create(user=specialist, away=True)
    client_for(manager).post(f"/settings/specialists/{specialist.pk}/handover/")
    assert set(RenewalCase.objects.values_list("assignee_id", flat=True)) == {other_specialist.pk}


def test_stage_counts_follow_the_specialists_own_changes(
    client_for, specialist, case, django_capture_on_commit_callbacks
):
    client = client_for(specialist)
    assert client.get("/cases/").context["stage_counts"] == {"open": 1}
    with django_capture_on_commit_callbacks(execute=True):
        client.post(f"/cases/{case.pk}/contact/", {"contact-channel": "phone", "contact-reached": "on"})
    assert client.get("/cases/").context["stage_counts"] == {"contacted": 1}


def test_quote_preview_follows_a_pricing_change(
    client_for, specialist, manager, case, django_capture_on_commit_callbacks
):
    client = client_for(specialist)
    assert "3,090.00" in client.get(f"/cases/{case.pk}/quote/preview/?discount_percent=0").content.decode()
    with django_capture_on_commit_callbacks(execute=True):
        client_for(manager).post(
            "/settings/pricing/",
            {
                "line_id": case.line_id,
                "base_rate_change_percent": "10",
                "claims_threshold": ["0"],
                "claims_factor": ["1"],
                "loyalty_threshold": ["0"],
                "loyalty_factor": ["1"],
            },
        )
    body = client_for(specialist).get(f"/cases/{case.pk}/quote/preview/?discount_percent=0").content.decode()
    assert "3,300.00" in body
