"""Writes of the competitor list (managers, audited) and of competitor quotes on cases."""

from decimal import Decimal, InvalidOperation

from django.core.cache import cache
from django.db import IntegrityError, transaction
from django.utils.translation import gettext as _

from core.errors import ApplicationError, ConflictError, ErrorCode
from renewals.competitors.models import COMPETITOR_REASON_CODE, Competitor, CompetitorQuote
from renewals.competitors.selectors import COMPETITORS_CACHE_KEY
from renewals.models import CaseEvent, RenewalCase
from renewals.services._common import _audit, _ensure_can_act, _ensure_manager, _event, _require_open

COMPETITOR_FIELDS = ("name", "name_zh_hans", "active", "sort_order")
MAX_PREMIUM = Decimal("9999999999.99")
COVER_NOTES_MAX_LENGTH = 500


def _premium(value, *, field: str, required: bool) -> Decimal | None:
    if value in (None, ""):
        if required:
            raise ApplicationError(_("Enter the competitor's premium."), field=field, code=ErrorCode.REQUIRED)
        return None
    try:
        premium = Decimal(str(value))
    except (InvalidOperation, ValueError):
        raise ApplicationError(_("Enter the premium as a number."), field=field, code=ErrorCode.INVALID) from None
    if not premium.is_finite() or premium <= 0 or premium > MAX_PREMIUM or premium != premium.quantize(Decimal("0.01")):
        raise ApplicationError(
            _("The premium must be above 0 with at most two decimals."), field=field, code=ErrorCode.OUT_OF_RANGE
        )
    return premium


def _active_competitor(code: str, *, field: str) -> Competitor:
    competitor = Competitor.objects.filter(code=code, active=True).first() if code else None
    if competitor is None:
        raise ApplicationError(_("Choose a competitor from the list."), field=field, code=ErrorCode.INVALID)
    return competitor


def _our_premium(case: RenewalCase) -> Decimal:
    """Our offer at this moment: the current quote, else the expiring premium."""
    return case.current_quote.premium if case.current_quote_id else case.expiring_premium


@transaction.atomic
def competitor_save(*, actor, competitor_id: int | None = None, code: str | None = None, **values) -> Competitor:
    """Create (``code``) or change a competitor of the list; audited. Retire with ``active=False``."""
    _ensure_manager(actor)
    unknown = set(values) - set(COMPETITOR_FIELDS)
    if unknown:
        raise ApplicationError(_("Unknown field."), field=sorted(unknown)[0], code=ErrorCode.INVALID)
    if competitor_id is None:
        if not code:
            raise ApplicationError(_("Give the competitor a code."), field="code", code=ErrorCode.REQUIRED)
        if Competitor.objects.filter(code=code).exists():
            # A state conflict (409), not bad input: the same request is fine on a list without it.
            raise ConflictError(_("A competitor with this code exists."), field="code")
        competitor = Competitor(code=code)
    else:
        competitor = Competitor.objects.select_for_update().filter(pk=competitor_id).first()
        if competitor is None:
            raise ApplicationError(_("No such competitor."), code=ErrorCode.NOT_FOUND, status=404)
    created = competitor.pk is None
    changes = {}
    for name, value in values.items():
        if created or getattr(competitor, name) != value:
            changes[name] = ("" if created else getattr(competitor, name), value)
            setattr(competitor, name, value)
    if not (competitor.name or "").strip():
        raise ApplicationError(_("Give the competitor a name."), field="name", code=ErrorCode.REQUIRED)
    try:
        with transaction.atomic():  # a savepoint: the race below leaves the outer transaction usable
            competitor.save()
    except IntegrityError:
        if not created:
            raise
        # Another request added the same code between the check above and this insert.
        raise ConflictError(_("A competitor with this code exists."), field="code") from None
    if created:
        changes["code"] = ("", code)
    _audit(actor, "competitor", competitor.code, changes)
    transaction.on_commit(lambda: cache.delete(COMPETITORS_CACHE_KEY))
    return competitor


@transaction.atomic
def competitor_quote_record(
    *, case_id: int, actor, competitor_code: str, premium, cover_notes: str = ""
) -> CompetitorQuote:
    """The case's specialist or a manager records a competitor's offer on an open case (re-shopping)."""
    case = RenewalCase.objects.select_related("current_quote").filter(pk=case_id).first()
    if case is None:
        raise ApplicationError(_("No such case."), field="case_id", code=ErrorCode.NOT_FOUND, status=404)
    _ensure_can_act(case, actor)
    _require_open(case)
    competitor = _active_competitor(competitor_code, field="competitor")
    amount = _premium(premium, field="premium", required=True)
    notes = (cover_notes or "").strip()
    if len(notes) > COVER_NOTES_MAX_LENGTH:
        raise ApplicationError(
            _("Cover notes: at most %(n)d characters.") % {"n": COVER_NOTES_MAX_LENGTH},
            field="cover_notes",
            code=ErrorCode.OUT_OF_RANGE,
        )
    row = CompetitorQuote.objects.create(
        case=case,
        competitor=competitor,
        kind=CompetitorQuote.Kind.RESHOP,
        premium=amount,
        our_premium=_our_premium(case),
        cover_notes=notes,
        recorded_by=actor,
    )
    _event(
        case,
        CaseEvent.Kind.NOTE,
        actor,
        {"competitor_quote": competitor.code, "premium": str(amount), "note": notes},
    )
    return row


def competitor_loss_check(*, reason_code: str, competitor_code: str | None, premium) -> tuple:
    """The lose form's competitor fields, checked before the case closes: (competitor or None,
    premium or None). A competitor only goes with the competitor reason; a premium only with a competitor."""
    if not competitor_code:
        if premium not in (None, ""):
            raise ApplicationError(
                _("Choose the competitor the premium is from."), field="competitor", code=ErrorCode.REQUIRED
            )
        return None, None
    if reason_code != COMPETITOR_REASON_CODE:
        raise ApplicationError(
            _("A competitor is recorded only with the reason “Went to a competitor”."),
            field="competitor",
            code=ErrorCode.INVALID,
        )
    return _active_competitor(competitor_code, field="competitor"), _premium(
        premium, field="competitor_premium", required=False
    )


def competitor_loss_record(*, case: RenewalCase, actor, competitor: Competitor, premium) -> CompetitorQuote:
    """The competitor a case was lost to; called by ``case_mark_lost`` inside its transaction,
    with the case as it was before closing (its current quote is our offer). Under the case's lock
    it replaces any earlier loss row (a case lost, reopened and lost again has one loss: the last)."""
    RenewalCase.objects.select_for_update().filter(pk=case.pk).values_list("pk", flat=True).first()
    CompetitorQuote.objects.filter(case_id=case.pk, kind=CompetitorQuote.Kind.LOSS).delete()
    return CompetitorQuote.objects.create(
        case=case,
        competitor=competitor,
        kind=CompetitorQuote.Kind.LOSS,
        premium=premium,
        our_premium=_our_premium(case),
        recorded_by=actor,
    )


def competitor_loss_void(*, case: RenewalCase) -> dict:
    """A reopened case is no longer lost: its loss row stops counting (the losses, the price gaps,
    the badge). Called by ``case_reopen`` inside its transaction with the case locked; the row is
    deleted and answered as payload keys for the reopen event, so the timeline keeps who it was."""
    row = (
        CompetitorQuote.objects.filter(case_id=case.pk, kind=CompetitorQuote.Kind.LOSS)
        .select_related("competitor")
        .first()
    )
    if row is None:
        return {}
    row.delete()
    return {
        "voided_loss_competitor": row.competitor.code,
        "voided_loss_premium": str(row.premium) if row.premium is not None else None,
    }
