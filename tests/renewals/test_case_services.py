"""The case workflow: every transition allowed and refused, with its timeline event and the version lock."""

import datetime as dt
from decimal import Decimal

import pytest
from django.utils import timezone

from core.errors import ApplicationError, ConflictError, PermissionDeniedError
from renewals import services, signals
from renewals.models import CaseEvent, DiscountAuthority, Policy, Quote, Referral, RenewalCase, Stage
from renewals.services import TRANSITIONS, can_transition
from tests.renewals.factories import PolicyFactory, RenewalCaseFactory, line

pytestmark = pytest.mark.django_db
D = Decimal


@pytest.fixture
def case(specialist):
    return RenewalCaseFactory(
        assignee=specialist, policy=PolicyFactory(premium=D("3000.00"), end_date=dt.date(2026, 12, 31))
    )


def kinds(case):
    return list(CaseEvent.objects.filter(case=case).order_by("id").values_list("kind", flat=True))


def quoted(case, actor, discount="0"):
    services.quote_prepare(case_id=case.pk, actor=actor, discount_percent=D(discount))
    return RenewalCase.objects.get(pk=case.pk)


# --- the transition table -------------------------------------------------------------------
def test_transition_table_matches_the_design():
    assert can_transition(Stage.OPEN, Stage.CONTACTED)
    assert can_transition(Stage.CONTACTED, Stage.QUOTED)
    assert can_transition(Stage.QUOTED, Stage.RENEWED)
    for stage in (Stage.OPEN, Stage.CONTACTED, Stage.QUOTED):
        for closing in (Stage.LOST, Stage.LAPSED, Stage.NOT_OFFERED):
            assert can_transition(stage, closing)
    assert not can_transition(Stage.OPEN, Stage.RENEWED)
    assert not can_transition(Stage.CONTACTED, Stage.RENEWED)
    for closed in (Stage.RENEWED, Stage.LOST, Stage.LAPSED, Stage.NOT_OFFERED):
        assert TRANSITIONS[closed] == frozenset()


# --- contact --------------------------------------------------------------------------------
def test_reaching_the_customer_moves_open_to_contacted_with_event(case, specialist):
    updated = services.case_log_contact(
        case_id=case.pk,
        actor=specialist,
        channel="phone",
        reached=True,
        note="Call back Friday",
        next_action_date=dt.date(2026, 11, 27),
    )
    assert updated.stage == Stage.CONTACTED
    assert updated.version == 2
    assert updated.first_contact_at is not None
    event = CaseEvent.objects.get(case=case, kind=CaseEvent.Kind.CONTACT)
    assert event.actor == specialist
    assert event.payload["from"] == "open" and event.payload["to"] == "contacted"
    assert RenewalCase.objects.get(pk=case.pk).next_action_date == dt.date(2026, 11, 27)


def test_unanswered_call_is_logged_but_stage_stays_open(case, specialist):
    updated = services.case_log_contact(case_id=case.pk, actor=specialist, channel="phone", reached=False)
    assert updated.stage == Stage.OPEN
    assert updated.first_contact_at is None
    assert kinds(case) == ["contact"]


def test_unknown_contact_channel_is_refused(case, specialist):
    with pytest.raises(ApplicationError) as err:
        services.case_log_contact(case_id=case.pk, actor=specialist, channel="pigeon", reached=True)
    assert err.value.field == "channel"


# --- quotes and approval --------------------------------------------------------------------
def test_quote_within_authority_needs_no_approval(case, specialist):
    DiscountAuthority.objects.create(user=specialist, line=line("auto"), max_discount_percent=D("5"))
    quote = services.quote_prepare(case_id=case.pk, actor=specialist, discount_percent=D("5"))
    case.refresh_from_db()
    assert quote.approval_status == Quote.Approval.NOT_REQUIRED
    assert case.stage == Stage.QUOTED and case.current_quote == quote
    # auto: +3% base, no claims (1.0), one year tenure (1.0), 5% discount: 3000 → 3090.00 → 2935.50
    assert quote.premium == D("2935.50")
    assert [step["code"] for step in quote.breakdown] == ["expiring", "base_rate", "claims", "loyalty", "discount"]
    assert kinds(case) == ["quote"]


def test_discount_above_authority_waits_for_manager_and_blocks_renewal(case, specialist):
    DiscountAuthority.objects.create(user=specialist, line=line("auto"), max_discount_percent=D("5"))
    quote = services.quote_prepare(case_id=case.pk, actor=specialist, discount_percent=D("12"))
    assert quote.approval_status == Quote.Approval.PENDING
    assert kinds(case) == ["quote", "approval_requested"]
    with pytest.raises(ApplicationError) as err:
        services.case_mark_renewed(case_id=case.pk, actor=specialist)
    assert err.value.code == "quote_not_approved"


def test_manager_approves_then_specialist_renews(case, specialist, manager):
    quote = services.quote_prepare(case_id=case.pk, actor=specialist, discount_percent=D("10"))
    services.quote_approve(quote_id=quote.pk, actor=manager, comment="Loyal customer")
    quote.refresh_from_db()
    assert quote.approval_status == Quote.Approval.APPROVED and quote.decided_by == manager
    renewed = services.case_mark_renewed(case_id=case.pk, actor=specialist)
    assert renewed.stage == Stage.RENEWED
    assert renewed.successor_policy.premium == quote.premium


def test_manager_rejects_with_comment_and_specialist_sees_it(case, specialist, manager):
    quote = services.quote_prepare(case_id=case.pk, actor=specialist, discount_percent=D("20"))
    with pytest.raises(ApplicationError):
        services.quote_reject(quote_id=quote.pk, actor=manager, comment=" ")
    services.quote_reject(quote_id=quote.pk, actor=manager, comment="Too deep")
    event = CaseEvent.objects.get(case=case, kind=CaseEvent.Kind.REJECTED)
    assert event.payload["comment"] == "Too deep" and event.actor == manager


def test_specialist_cannot_approve(case, specialist):
    quote = services.quote_prepare(case_id=case.pk, actor=specialist, discount_percent=D("20"))
    with pytest.raises(PermissionDeniedError):
        services.quote_approve(quote_id=quote.pk, actor=specialist)


def test_approving_a_superseded_quote_is_refused(case, specialist, manager):
    old = services.quote_prepare(case_id=case.pk, actor=specialist, discount_percent=D("20"))
    services.quote_prepare(case_id=case.pk, actor=specialist, discount_percent=D("0"))
    with pytest.raises(ApplicationError) as err:
        services.quote_approve(quote_id=old.pk, actor=manager)
    assert err.value.code == "superseded"


def test_manager_quotes_any_discount_without_approval(case, manager):
    quote = services.quote_prepare(case_id=case.pk, actor=manager, discount_percent=D("30"))
    assert quote.approval_status == Quote.Approval.NOT_REQUIRED


@pytest.mark.parametrize("bad", ["-1", "100.01", "abc", "5.555"])
def test_invalid_discount_is_refused(case, specialist, bad):
    with pytest.raises(ApplicationError) as err:
        services.quote_prepare(case_id=case.pk, actor=specialist, discount_percent=bad)
    assert err.value.field == "discount_percent"


def test_loyalty_and_claims_factors_come_from_chain_and_claims(specialist):
    # given a policy renewed twice before (tenure 3 years) with 1 claim this term
    first = PolicyFactory(end_date=dt.date(2024, 12, 31))
    second = PolicyFactory(customer=first.customer, previous_policy=first, end_date=dt.date(2025, 12, 31))
    third = PolicyFactory(
        customer=first.customer,
        previous_policy=second,
        end_date=dt.date(2026, 12, 31),
        claims_count=1,
        premium=D("3000.00"),
    )
    case = RenewalCaseFactory(policy=third, assignee=specialist)
    quote = services.quote_prepare(case_id=case.pk, actor=specialist)
    # 3000 × 1.03 = 3090.00 × 1.10 = 3399.00 × 0.97 = 3297.03
    assert (quote.claims_factor, quote.loyalty_factor) == (D("1.1000"), D("0.9700"))
    assert quote.premium == D("3297.03")


# --- renewed --------------------------------------------------------------------------------
def test_renewal_creates_successor_policy_linked_and_closes_case(case, specialist):
    case = quoted(case, specialist)
    closed = []
    signals.case_closed.connect(lambda sender, **kw: closed.append(kw["stage"]), weak=False, dispatch_uid="t-renew")
    try:
        renewed = services.case_mark_renewed(case_id=case.pk, actor=specialist)
    finally:
        signals.case_closed.disconnect(dispatch_uid="t-renew")
    successor = Policy.objects.get(previous_policy=case.policy)
    assert renewed.successor_policy == successor
    assert successor.start_date == dt.date(2027, 1, 1) and successor.end_date == dt.date(2027, 12, 31)
    assert successor.number != case.policy.number
    assert successor.premium == D("3090.00")
    assert renewed.closed_at is not None and renewed.closed_by == specialist
    assert closed == ["renewed"]
    assert kinds(case)[-1] == "renewed"


def test_specialist_cannot_renew_below_the_accepted_quote_but_a_manager_can(case, specialist, manager):
    # given a quote within the specialist's authority (3090.00)
    case = quoted(case, specialist)
    # when the specialist tries to renew at a lower premium than quoted
    with pytest.raises(PermissionDeniedError) as err:
        services.case_mark_renewed(case_id=case.pk, actor=specialist, premium=D("1.00"))
    # then it is refused (a discount must go through a quote and its approval) and nothing is written
    assert (err.value.field, err.value.code) == ("premium", "below_quote")
    assert not Policy.objects.filter(previous_policy=case.policy).exists()
    # while a manager may renew at a negotiated lower premium
    renewed = services.case_mark_renewed(case_id=case.pk, actor=manager, premium=D("3000.00"))
    assert renewed.successor_policy.premium == D("3000.00")


def test_renewing_twice_raises_already_closed(case, specialist):
    case = quoted(case, specialist)
    services.case_mark_renewed(case_id=case.pk, actor=None)
    with pytest.raises(ApplicationError) as err:
        services.case_mark_renewed(case_id=case.pk, actor=None)
    assert err.value.code == "already_closed"


def test_renewing_without_quote_is_refused(case, specialist):
    with pytest.raises(ApplicationError) as err:
        services.case_mark_renewed(case_id=case.pk, actor=specialist)
    assert err.value.code == "invalid_transition"


def test_customer_confirmation_through_link_has_no_actor(case, specialist):
    case = quoted(case, specialist)
    renewed = services.case_mark_renewed(case_id=case.pk, actor=None)
    event = CaseEvent.objects.get(case=case, kind="renewed")
    assert renewed.closed_by is None and event.payload["by_customer"] is True


# --- lost / not offered ---------------------------------------------------------------------
@pytest.mark.parametrize("stage", [Stage.OPEN, Stage.CONTACTED, Stage.QUOTED])
def test_lost_from_every_open_stage_with_reason(specialist, stage):
    case = RenewalCaseFactory(assignee=specialist, stage=stage)
    lost = services.case_mark_lost(case_id=case.pk, actor=specialist, reason_code="price", note="Cheaper elsewhere")
    assert lost.stage == Stage.LOST and lost.lost_reason.code == "price"
    assert CaseEvent.objects.get(case=case, kind="lost").payload["from"] == stage


def test_lost_needs_a_lost_reason_from_the_list(case, specialist):
    for code in ("", "nonsense", "underwriting"):
        with pytest.raises(ApplicationError) as err:
            services.case_mark_lost(case_id=case.pk, actor=specialist, reason_code=code)
        assert err.value.field == "reason_code"


def test_not_offered_takes_an_insurer_reason(case, specialist):
    closed = services.case_mark_not_offered(case_id=case.pk, actor=specialist, reason_code="underwriting")
    assert closed.stage == Stage.NOT_OFFERED
    with pytest.raises(ApplicationError):
        services.case_mark_not_offered(
            case_id=RenewalCaseFactory(assignee=specialist).pk, actor=specialist, reason_code="price"
        )


@pytest.mark.parametrize("stage", [Stage.RENEWED, Stage.LOST, Stage.LAPSED, Stage.NOT_OFFERED])
def test_closed_cases_refuse_every_action(specialist, stage):
    extra = {}
    if stage in (Stage.LOST, Stage.NOT_OFFERED):
        from renewals.models import LostReason

        extra["lost_reason"] = LostReason.objects.get(code="price")
    if stage == Stage.RENEWED:
        extra["successor_policy"] = PolicyFactory()
    case = RenewalCaseFactory(assignee=specialist, stage=stage, **extra)
    attempts = [
        lambda: services.case_log_contact(case_id=case.pk, actor=specialist, channel="phone", reached=True),
        lambda: services.quote_prepare(case_id=case.pk, actor=specialist),
        lambda: services.case_mark_lost(case_id=case.pk, actor=specialist, reason_code="price"),
        lambda: services.case_mark_not_offered(case_id=case.pk, actor=specialist, reason_code="underwriting"),
        lambda: services.case_mark_renewed(case_id=case.pk, actor=specialist),
        lambda: services.case_refer(case_id=case.pk, actor=specialist, to="claims", note="x"),
    ]
    for attempt in attempts:
        with pytest.raises(ApplicationError) as err:
            attempt()
        assert err.value.code == "already_closed"


# --- reopen, refer, assign ------------------------------------------------------------------
def test_manager_reopens_lost_case_at_furthest_stage(case, specialist, manager):
    services.case_log_contact(case_id=case.pk, actor=specialist, channel="phone", reached=True)
    services.case_mark_lost(case_id=case.pk, actor=specialist, reason_code="service")
    reopened = services.case_reopen(case_id=case.pk, actor=manager, decision_date=timezone.localdate())
    assert reopened.stage == Stage.CONTACTED and reopened.lost_reason is None and reopened.closed_at is None
    assert kinds(case)[-1] == "reopened"


def test_specialist_cannot_reopen(case, specialist):
    services.case_mark_lost(case_id=case.pk, actor=specialist, reason_code="service")
    with pytest.raises(PermissionDeniedError):
        services.case_reopen(case_id=case.pk, actor=specialist, decision_date=timezone.localdate())


def test_renewed_case_cannot_be_reopened(case, specialist, manager):
    case = quoted(case, specialist)
    services.case_mark_renewed(case_id=case.pk, actor=specialist)
    with pytest.raises(ApplicationError) as err:
        services.case_reopen(case_id=case.pk, actor=manager, decision_date=timezone.localdate())
    assert err.value.code == "cannot_reopen"


def test_open_case_cannot_be_reopened(case, manager):
    with pytest.raises(ApplicationError) as err:
        services.case_reopen(case_id=case.pk, actor=manager, decision_date=timezone.localdate())
    assert err.value.code == "already_open"


def test_referral_shows_until_resolved(case, specialist):
    referral = services.case_refer(case_id=case.pk, actor=specialist, to="underwriting", note="Check the new driver")
    assert referral.is_open
    services.referral_resolve(referral_id=referral.pk, actor=specialist, resolution="Accepted")
    assert not Referral.objects.get(pk=referral.pk).is_open
    assert kinds(case) == ["referral", "referral_resolved"]
    with pytest.raises(ApplicationError):
        services.case_refer(case_id=case.pk, actor=specialist, to="sales", note="x")


def test_manager_assigns_and_bulk_reassigns(case, specialist, other_specialist, manager):
    services.case_assign(case_id=case.pk, assignee_id=other_specialist.pk, actor=manager)
    assert RenewalCase.objects.get(pk=case.pk).assignee == other_specialist
    second = RenewalCaseFactory(assignee=other_specialist)
    moved = services.cases_reassign(case_ids=[case.pk, second.pk], assignee_id=specialist.pk, actor=manager)
    assert moved == 2
    assert set(RenewalCase.objects.values_list("assignee_id", flat=True)) == {specialist.pk}


def test_cannot_assign_to_non_specialist(case, manager, support):
    with pytest.raises(ApplicationError) as err:
        services.case_assign(case_id=case.pk, assignee_id=support.pk, actor=manager)
    assert err.value.code == "not_specialist"


def test_specialist_cannot_reassign(case, specialist, other_specialist):
    with pytest.raises(PermissionDeniedError):
        services.case_assign(case_id=case.pk, assignee_id=other_specialist.pk, actor=specialist)


# --- who may act ----------------------------------------------------------------------------
def test_specialist_cannot_act_on_someone_elses_case(case, other_specialist):
    with pytest.raises(PermissionDeniedError):
        services.case_log_contact(case_id=case.pk, actor=other_specialist, channel="phone", reached=True)


def test_support_cannot_act_on_cases(case, support):
    with pytest.raises(PermissionDeniedError):
        services.quote_prepare(case_id=case.pk, actor=support)


def test_manager_can_act_on_any_case(case, manager):
    services.case_log_contact(case_id=case.pk, actor=manager, channel="visit", reached=True)
    assert RenewalCase.objects.get(pk=case.pk).stage == Stage.CONTACTED


# --- optimistic lock ------------------------------------------------------------------------
def test_stale_version_is_refused_naming_who_changed_it(case, specialist, manager):
    # given the specialist read version 1 and the manager saved first
    services.case_log_contact(case_id=case.pk, actor=manager, channel="phone", reached=False, note="first")
    # when the specialist saves with the version they read
    with pytest.raises(ConflictError) as err:
        services.case_log_contact(
            case_id=case.pk, actor=specialist, channel="phone", reached=True, note="second", expected_version=1
        )
    # then nothing is overwritten and the message names the manager
    assert err.value.status == 409
    assert "Zhang Wei" in err.value.message
    fresh = RenewalCase.objects.get(pk=case.pk)
    assert fresh.version == 2 and fresh.stage == Stage.OPEN
    assert CaseEvent.objects.filter(case=case, kind="contact").count() == 1


def test_write_after_concurrent_change_is_refused(case, specialist, manager):
    # given two readers holding the same row
    mine = RenewalCase.objects.get(pk=case.pk)
    services.case_log_contact(case_id=case.pk, actor=manager, channel="phone", reached=True)
    # when the first writes with the version it read
    with pytest.raises(ConflictError):
        services._save_case(mine, specialist, next_action_date=dt.date(2026, 12, 1))
    assert RenewalCase.objects.get(pk=case.pk).next_action_date is None


def test_current_version_is_accepted(case, specialist):
    updated = services.case_log_contact(
        case_id=case.pk, actor=specialist, channel="email", reached=True, expected_version=1
    )
    assert updated.version == 2


# --- timeline and scores --------------------------------------------------------------------
def test_case_event_record_adds_timeline_entry(case):
    event = services.case_event_record(case_id=case.pk, kind="reminder", payload={"step": "T-30"})
    assert event.payload == {"step": "T-30"}
    with pytest.raises(ApplicationError):
        services.case_event_record(case_id=case.pk, kind="bogus")


def test_scores_set_risk_reasons_and_priority(specialist):
    a = RenewalCaseFactory(expiring_premium=D("1000.00"))
    b = RenewalCaseFactory(expiring_premium=D("5000.00"), has_open_complaint=True)
    updated = services.cases_score_update(scores={a.pk: (80, ["price_up"]), b.pk: (10, ["claims"])})
    a.refresh_from_db()
    b.refresh_from_db()
    assert updated == 2
    assert (a.churn_risk, a.churn_reasons, a.priority) == (80, ["price_up"], D("800.00"))
    assert b.priority == D("750.00")  # 5000 × 0.10 × 1.5 for the open complaint
    with pytest.raises(ApplicationError):
        services.cases_score_update(scores={a.pk: (101, [])})
