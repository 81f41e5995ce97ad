"""The case workflow (DESIGN §2): one transitions table, and every action a specialist or manager takes.

Every transition and action writes one ``CaseEvent`` with its actor. Concurrent edits are caught
by the case's ``version``: each write is ``UPDATE … WHERE id = … AND version = <read version>``
and a miss (or a caller's stale ``expected_version``) raises ``ConflictError`` naming who
changed the case and when.
"""

import datetime as dt
from decimal import Decimal

from dateutil.relativedelta import relativedelta
from django.db import transaction
from django.utils import timezone
from django.utils.formats import date_format
from django.utils.translation import gettext as _

from core.errors import ApplicationError, ErrorCode, PermissionDeniedError
from core.roles import Role, has_role
from core.templatetags.money import format_money
from renewals import selectors, signals
from renewals.addons import selectors as addon_selectors
from renewals.errors import RenewalsErrorCode
from renewals.limits import REOPEN_MAX_DAYS
from renewals.models import (
    CaseEvent,
    ContactChannel,
    LostReason,
    Policy,
    PolicyAddOn,
    Quote,
    QuoteAddOn,
    RenewalCase,
    Stage,
)
from renewals.pricing import money, parse_discount
from renewals.services._common import (
    _ensure_can_act,
    _ensure_manager,
    _event,
    _load_case,
    _on_commit_closed,
    _require_open,
    _save_case,
)

TRANSITIONS: dict[str, frozenset[str]] = {
    Stage.OPEN: frozenset({Stage.CONTACTED, Stage.QUOTED, Stage.LOST, Stage.NOT_OFFERED, Stage.LAPSED}),
    Stage.CONTACTED: frozenset({Stage.QUOTED, Stage.LOST, Stage.NOT_OFFERED, Stage.LAPSED}),
    Stage.QUOTED: frozenset({Stage.RENEWED, Stage.LOST, Stage.NOT_OFFERED, Stage.LAPSED}),
    Stage.RENEWED: frozenset(),
    Stage.LOST: frozenset(),
    Stage.LAPSED: frozenset(),
    Stage.NOT_OFFERED: frozenset(),
}
# A manager may reopen these; a renewed case has a successor policy and stays closed.
REOPENABLE = frozenset({Stage.LOST, Stage.LAPSED, Stage.NOT_OFFERED})


def can_transition(from_stage: str, to_stage: str) -> bool:
    return to_stage in TRANSITIONS.get(from_stage, frozenset())


def _require_transition(case: RenewalCase, to_stage: str) -> None:
    _require_open(case)
    if not can_transition(case.stage, to_stage):
        raise ApplicationError(
            _("A case cannot move from %(from)s to %(to)s.")
            % {"from": Stage(case.stage).label, "to": Stage(to_stage).label},
            field="stage",
            code=RenewalsErrorCode.INVALID_TRANSITION,
        )


@transaction.atomic
def case_event_record(
    *, case_id: int, kind: str, actor=None, payload: dict | None = None, at: dt.datetime | None = None
) -> CaseEvent:
    """Add an entry to a case's timeline (reminders sent, complaints, survey answers, notes);
    ``at`` is when it happened (default: now), e.g. the time a reminder was sent."""
    if kind not in CaseEvent.Kind.values:
        raise ApplicationError(_("Unknown timeline event kind."), field="kind", code=RenewalsErrorCode.INVALID_KIND)
    if not RenewalCase.objects.filter(pk=case_id).exists():
        raise ApplicationError(_("No such case."), field="case_id", code=ErrorCode.NOT_FOUND, status=404)
    return CaseEvent.objects.create(
        case_id=case_id, kind=kind, actor=actor, payload=payload or {}, created_at=at or timezone.now()
    )


@transaction.atomic
def case_log_contact(
    *,
    case_id: int,
    actor,
    channel: str,
    reached: bool,
    note: str = "",
    next_action_date: dt.date | None = None,
    expected_version: int | None = None,
    refused_calls: bool = False,
) -> RenewalCase:
    """Record a call, email, visit or message. Reaching the customer moves an open case to contacted.
    ``refused_calls``: on a phone call, the customer asked not to be called (the call to-dos leave
    them out for a while, see notifications); refused on any other channel."""
    if channel not in ContactChannel.values:
        raise ApplicationError(
            _("Choose how you contacted the customer."), field="channel", code=RenewalsErrorCode.INVALID_CHANNEL
        )
    if refused_calls and channel != ContactChannel.PHONE:
        raise ApplicationError(
            _("Only a phone call can record that the customer refused further calls."),
            field="refused_calls",
            code=ErrorCode.INVALID,
        )
    case = _load_case(case_id, expected_version=expected_version)
    _ensure_can_act(case, actor)
    _require_open(case)
    fields = {"next_action_date": next_action_date}
    from_stage = case.stage
    if reached and case.stage == Stage.OPEN:
        _require_transition(case, Stage.CONTACTED)
        fields["stage"] = Stage.CONTACTED.value
    if reached and case.first_contact_at is None:
        fields["first_contact_at"] = timezone.now()
    _save_case(case, actor, **fields)
    payload = {
        "channel": channel,
        "reached": bool(reached),
        "note": note,
        "next_action_date": next_action_date.isoformat() if next_action_date else None,
    }
    if refused_calls:
        payload["refused_calls"] = True
    if case.stage != from_stage:
        payload.update({"from": from_stage, "to": case.stage})
    _event(case, CaseEvent.Kind.CONTACT, actor, payload)
    return case


@transaction.atomic
def quote_prepare(
    *,
    case_id: int,
    actor,
    discount_percent: Decimal = Decimal("0"),
    addon_codes: list[str] | None = None,
    expected_version: int | None = None,
) -> Quote:
    """Price the renewal from the line's rules plus the discount, and the add-ons on top; above the
    actor's authority the discount waits for a manager.

    ``addon_codes=None`` proposes what the case carries already (the current quote's add-ons, else
    the expiring policy's, those still eligible); a list (maybe empty) is the specialist's choice.
    """
    discount = parse_discount(discount_percent)
    case = _load_case(case_id, expected_version=expected_version)
    _ensure_can_act(case, actor)
    _require_open(case)
    if case.stage != Stage.QUOTED:
        _require_transition(case, Stage.QUOTED)
    if addon_codes is None:
        addons = addon_selectors.proposed_addons(case=case)
    else:
        addons = addon_selectors.resolve_addons(case=case, codes=addon_codes)
    preview = selectors.quote_preview(
        case=case, discount_percent=discount, actor=actor if actor else None, addons=addons
    )
    limit = selectors.discount_authority(user=actor, line_id=case.line_id, case=case)
    needs_approval = limit is not None and discount > limit
    now = timezone.now()
    quote = Quote.objects.create(
        case=case,
        expiring_premium=preview["expiring_premium"],
        base_rate_factor=preview["base_rate_factor"],
        claims_factor=preview["claims_factor"],
        loyalty_factor=preview["loyalty_factor"],
        discount_percent=discount,
        premium=preview["premium"],
        breakdown=preview["breakdown_json"],
        approval_status=Quote.Approval.PENDING if needs_approval else Quote.Approval.NOT_REQUIRED,
        created_by=actor,
        created_at=now,
    )
    _quote_addons_write(quote, addons, preview)
    from_stage = case.stage
    fields = {"current_quote_id": quote.pk, "stage": Stage.QUOTED.value}
    if case.quoted_at is None:
        fields["quoted_at"] = now
    _save_case(case, actor, **fields)
    case.current_quote = quote
    payload = {
        "quote_id": quote.pk,
        "premium": str(quote.premium),
        "discount_percent": str(discount),
        "approval_status": quote.approval_status,
    }
    if addons:
        payload["addons"] = [a.code for a in addons]
    if from_stage != case.stage:
        payload.update({"from": from_stage, "to": case.stage})
    _event(case, CaseEvent.Kind.QUOTE, actor, payload)
    if needs_approval:
        _event(
            case,
            CaseEvent.Kind.APPROVAL_REQUESTED,
            actor,
            {"quote_id": quote.pk, "discount_percent": str(discount), "authority_percent": str(limit)},
        )
    return quote


def _quote_addons_write(quote: Quote, addons, preview: dict) -> None:
    prices = {line["code"]: line["premium"] for line in preview["addons"]}
    QuoteAddOn.objects.bulk_create([QuoteAddOn(quote=quote, addon=a, premium=prices[a.code]) for a in addons])


@transaction.atomic
def quote_choose_addons(*, case_id: int, addon_codes: list[str]) -> Quote:
    """The customer's choice on the offer page: a new quote with the same terms and discount as the
    current one and the add-ons the customer kept, among those the specialist offered (the
    customer can drop an offered add-on, not add one). Keeps the current quote's approval."""
    case = _load_case(case_id, lock=True)
    _require_open(case)
    current = case.current_quote
    if current is None or not current.is_usable:
        raise ApplicationError(_("There is no offer to change."), field="addons", code=RenewalsErrorCode.NO_QUOTE)
    offered = {line.addon.code: line.addon for line in addon_selectors.quote_addons(quote_id=current.pk)}
    codes = list(dict.fromkeys(str(code) for code in addon_codes or []))
    foreign = [code for code in codes if code not in offered]
    if foreign:
        raise ApplicationError(
            _("Only the add-ons in the offer can be chosen."), field="addons", code=ErrorCode.INVALID
        )
    if set(codes) == set(offered):
        return current
    addons = [offered[code] for code in codes]
    preview = selectors.quote_preview(case=case, discount_percent=current.discount_percent, addons=addons)
    quote = Quote.objects.create(
        case=case,
        expiring_premium=preview["expiring_premium"],
        base_rate_factor=preview["base_rate_factor"],
        claims_factor=preview["claims_factor"],
        loyalty_factor=preview["loyalty_factor"],
        discount_percent=current.discount_percent,
        premium=preview["premium"],
        breakdown=preview["breakdown_json"],
        approval_status=current.approval_status,
        approval_comment=current.approval_comment,
        decided_by_id=current.decided_by_id,
        decided_at=current.decided_at,
        created_by=None,
        created_at=timezone.now(),
    )
    _quote_addons_write(quote, addons, preview)
    _save_case(case, None, current_quote_id=quote.pk)
    _event(
        case,
        CaseEvent.Kind.QUOTE,
        None,
        {
            "quote_id": quote.pk,
            "premium": str(quote.premium),
            "discount_percent": str(quote.discount_percent),
            "approval_status": quote.approval_status,
            "addons": codes,
            "by_customer": True,
        },
    )
    return quote


def _pending_current_quote(quote_id: int) -> tuple[Quote, RenewalCase]:
    quote = Quote.objects.select_for_update().filter(pk=quote_id).first()
    if quote is None:
        raise ApplicationError(_("No such quote."), field="quote_id", code=ErrorCode.NOT_FOUND, status=404)
    case = _load_case(quote.case_id)
    if quote.approval_status != Quote.Approval.PENDING:
        raise ApplicationError(
            _("This quote is not waiting for approval."), code=RenewalsErrorCode.NOT_PENDING, status=409
        )
    if case.current_quote_id != quote.pk:
        raise ApplicationError(_("A newer quote replaced this one."), code=RenewalsErrorCode.SUPERSEDED, status=409)
    _require_open(case)
    return quote, case


def _decide(quote: Quote, actor, status: str, comment: str) -> None:
    quote.approval_status = status
    quote.approval_comment = comment
    quote.decided_by = actor
    quote.decided_at = timezone.now()
    quote.save(update_fields=["approval_status", "approval_comment", "decided_by", "decided_at"])


@transaction.atomic
def quote_approve(*, quote_id: int, actor, comment: str = "") -> Quote:
    _ensure_manager(actor)
    quote, case = _pending_current_quote(quote_id)
    _decide(quote, actor, Quote.Approval.APPROVED, comment)
    _save_case(case, actor)
    _event(
        case, CaseEvent.Kind.APPROVED, actor, {"quote_id": quote.pk, "comment": comment, "premium": str(quote.premium)}
    )
    return quote


@transaction.atomic
def quote_reject(*, quote_id: int, actor, comment: str) -> Quote:
    _ensure_manager(actor)
    if not (comment or "").strip():
        raise ApplicationError(_("Say why the discount is rejected."), field="comment", code=ErrorCode.REQUIRED)
    quote, case = _pending_current_quote(quote_id)
    _decide(quote, actor, Quote.Approval.REJECTED, comment)
    _save_case(case, actor)
    _event(case, CaseEvent.Kind.REJECTED, actor, {"quote_id": quote.pk, "comment": comment})
    return quote


# A manager's override stays within these shares of the accepted quote's premium (a renewal always
# has a quote, so the expiring premium is never the base).
OVERRIDE_MIN_SHARE = Decimal("0.5")
OVERRIDE_MAX_SHARE = Decimal("2")


def renewal_premium(*, quote: Quote, premium: Decimal | None, actor) -> Decimal:
    """The one rule for a renewal's premium: the accepted quote's, unless a manager overrides it within
    ``OVERRIDE_MIN_SHARE``..``OVERRIDE_MAX_SHARE`` of it. Anyone else (a specialist, the customer's
    link) asking for another premium is refused: another premium is a new quote."""
    final_premium = money(premium) if premium is not None else quote.premium
    if final_premium == quote.premium:
        return final_premium
    if actor is None or not has_role(actor, Role.MANAGER):
        raise PermissionDeniedError(
            _(
                "You renew at the accepted quote's premium (%(premium)s). For another premium prepare a new "
                "quote; a discount above your authority goes to a manager for approval."
            )
            % {"premium": format_money(quote.premium)},
            field="premium",
            code=RenewalsErrorCode.BELOW_QUOTE if final_premium < quote.premium else RenewalsErrorCode.NOT_QUOTED,
        )
    low, high = money(quote.premium * OVERRIDE_MIN_SHARE), money(quote.premium * OVERRIDE_MAX_SHARE)
    if not low <= final_premium <= high:
        raise ApplicationError(
            _("A manager's premium must lie between %(low)s and %(high)s (50%% to 200%% of the accepted quote).")
            % {"low": format_money(low), "high": format_money(high)},
            field="premium",
            code=ErrorCode.OUT_OF_RANGE,
        )
    return final_premium


def _successor_number(policy: Policy, start: dt.date) -> str:
    return f"R{start.year}-{policy.pk:09d}"


@transaction.atomic
def case_mark_renewed(
    *, case_id: int, actor, premium: Decimal | None = None, expected_version: int | None = None
) -> RenewalCase:
    """Create the successor policy from the accepted quote, link both, close the case.

    ``actor=None`` is the customer confirming through the signed offer link.
    """
    case = _load_case(case_id, expected_version=expected_version, lock=True)
    _ensure_can_act(case, actor)
    _require_transition(case, Stage.RENEWED)
    quote = case.current_quote
    if quote is None:
        raise ApplicationError(_("Prepare a quote before renewing."), field="quote", code=RenewalsErrorCode.NO_QUOTE)
    if not quote.is_usable:
        raise ApplicationError(
            _("The quote's discount is waiting for (or was refused) a manager's approval."),
            field="quote",
            code=RenewalsErrorCode.QUOTE_NOT_APPROVED,
        )
    final_premium = renewal_premium(quote=quote, premium=premium, actor=actor)
    old = case.policy
    start = old.end_date + dt.timedelta(days=1)
    end = start + relativedelta(months=case.line.term_months) - dt.timedelta(days=1)
    successor = Policy.objects.create(
        number=_successor_number(old, start),
        customer_id=old.customer_id,
        line_id=old.line_id,
        product=old.product,
        start_date=start,
        end_date=end,
        premium=final_premium,
        sum_insured=old.sum_insured,
        channel=old.channel,
        status=Policy.Status.ACTIVE,
        previous_policy=old,
    )
    PolicyAddOn.objects.bulk_create(
        [
            PolicyAddOn(policy=successor, addon_id=line.addon_id, premium=line.premium)
            for line in addon_selectors.quote_addons(quote_id=quote.pk)
        ]
    )
    from_stage = case.stage
    now = timezone.now()
    _save_case(
        case,
        actor,
        stage=Stage.RENEWED.value,
        successor_policy_id=successor.pk,
        closed_at=now,
        closed_by_id=actor.pk if actor else None,
        next_action_date=None,
    )
    case.successor_policy = successor
    if final_premium != quote.premium:
        # Audited apart from the renewal so the override shows on the timeline and can be searched.
        _event(
            case,
            CaseEvent.Kind.PREMIUM_OVERRIDE,
            actor,
            {"quote_id": quote.pk, "quoted_premium": str(quote.premium), "premium": str(final_premium)},
        )
    _event(
        case,
        CaseEvent.Kind.RENEWED,
        actor,
        {
            "from": from_stage,
            "to": Stage.RENEWED.value,
            "successor_policy_id": successor.pk,
            "successor_number": successor.number,
            "premium": str(final_premium),
            "by_customer": actor is None,
        },
    )
    _on_commit_closed(case, Stage.RENEWED.value, actor)
    return case


def _reason(code: str, kind: str) -> LostReason:
    reason = LostReason.objects.filter(code=code, kind=kind, active=True).first()
    if reason is None:
        raise ApplicationError(
            _("Choose a reason from the list."), field="reason_code", code=RenewalsErrorCode.INVALID_REASON
        )
    return reason


def _close_with_reason(*, case_id, actor, reason_code, note, expected_version, stage, kind, event_kind) -> RenewalCase:
    case = _load_case(case_id, expected_version=expected_version)
    _ensure_can_act(case, actor)
    _require_transition(case, stage)
    reason = _reason(reason_code, kind)
    from_stage = case.stage
    _save_case(
        case,
        actor,
        stage=stage,
        lost_reason_id=reason.pk,
        outcome_note=note or "",
        closed_at=timezone.now(),
        closed_by_id=actor.pk if actor else None,
        next_action_date=None,
    )
    case.lost_reason = reason
    _event(case, event_kind, actor, {"from": from_stage, "to": stage, "reason": reason.code, "note": note or ""})
    _on_commit_closed(case, stage, actor)
    return case


@transaction.atomic
def case_mark_lost(
    *,
    case_id: int,
    actor,
    reason_code: str,
    note: str = "",
    expected_version: int | None = None,
    competitor_code: str | None = None,
    competitor_premium: Decimal | None = None,
) -> RenewalCase:
    """Close as lost; with the competitor reason, optionally the competitor the customer went to
    and their premium (``renewals.competitors``)."""
    from renewals.competitors import services as competitor_services

    competitor, premium = competitor_services.competitor_loss_check(
        reason_code=reason_code, competitor_code=competitor_code, premium=competitor_premium
    )
    case = _close_with_reason(
        case_id=case_id,
        actor=actor,
        reason_code=reason_code,
        note=note,
        expected_version=expected_version,
        stage=Stage.LOST.value,
        kind=LostReason.Kind.LOST,
        event_kind=CaseEvent.Kind.LOST,
    )
    if competitor is not None:
        competitor_services.competitor_loss_record(case=case, actor=actor, competitor=competitor, premium=premium)
    return case


@transaction.atomic
def case_mark_not_offered(
    *, case_id: int, actor, reason_code: str, note: str = "", expected_version: int | None = None
) -> RenewalCase:
    return _close_with_reason(
        case_id=case_id,
        actor=actor,
        reason_code=reason_code,
        note=note,
        expected_version=expected_version,
        stage=Stage.NOT_OFFERED.value,
        kind=LostReason.Kind.NOT_OFFERED,
        event_kind=CaseEvent.Kind.NOT_OFFERED,
    )


def _require_decision_date(decision_date) -> dt.date:
    """The day a reopened case must be decided by: today at the earliest, ``REOPEN_MAX_DAYS`` ahead at most."""
    today = timezone.localdate()
    latest = today + dt.timedelta(days=REOPEN_MAX_DAYS)
    if not isinstance(decision_date, dt.date) or isinstance(decision_date, dt.datetime):
        raise ApplicationError(
            _("Choose the date the case must be decided by."), field="decision_date", code=ErrorCode.REQUIRED
        )
    if not today <= decision_date <= latest:
        raise ApplicationError(
            _("Choose a decision date from %(today)s to %(latest)s.")
            % {"today": date_format(today, "SHORT_DATE_FORMAT"), "latest": date_format(latest, "SHORT_DATE_FORMAT")},
            field="decision_date",
            code=ErrorCode.OUT_OF_RANGE,
        )
    return decision_date


@transaction.atomic
def case_reopen(*, case_id: int, actor, decision_date: dt.date, expected_version: int | None = None) -> RenewalCase:
    """Managers reopen a lost, lapsed or not-offered case at the furthest stage it had reached.

    The manager chooses the day it must be decided by (``decision_date``): the nightly lapse scan
    leaves the case open until the end of that day instead of lapsing it again at once for its
    long-past due date.
    """
    from renewals.competitors import services as competitor_services

    _ensure_manager(actor)
    decision_date = _require_decision_date(decision_date)
    case = _load_case(case_id, expected_version=expected_version, lock=True)
    if case.is_open:
        raise ApplicationError(_("This case is already open."), code=RenewalsErrorCode.ALREADY_OPEN, status=409)
    if case.stage not in REOPENABLE:
        raise ApplicationError(
            _("A renewed case cannot be reopened: its successor policy exists."),
            code=RenewalsErrorCode.CANNOT_REOPEN,
            status=409,
        )
    if case.current_quote_id:
        to_stage = Stage.QUOTED.value
    elif case.first_contact_at:
        to_stage = Stage.CONTACTED.value
    else:
        to_stage = Stage.OPEN.value
    from_stage = case.stage
    _save_case(
        case,
        actor,
        stage=to_stage,
        decision_date=decision_date,
        closed_at=None,
        closed_by_id=None,
        lost_reason_id=None,
        outcome_note="",
    )
    # The case is no longer lost: the competitor it went to stops counting (kept on the event).
    voided = competitor_services.competitor_loss_void(case=case)
    _event(
        case,
        CaseEvent.Kind.REOPENED,
        actor,
        {"from": from_stage, "to": to_stage, "decision_date": decision_date.isoformat(), **voided},
    )
    signals.case_reopened.send(sender=RenewalCase, case=case, actor=actor)
    return case
