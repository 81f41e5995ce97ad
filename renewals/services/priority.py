"""A case's priority in the queue: the premium expected to be lost, raised by an open complaint.

One scale for every case: expiring premium × churn risk / 100, where a case the churn model has not
scored (no model yet, or a run with too little history cleared the scores) counts at
``UNSCORED_CHURN_RISK``, the risk of knowing nothing. A scored case with a higher risk than that
therefore ranks above an unscored case of the same premium, and a lower one below it.

Churn scores arrive set-based from analytics; complaints and survey answers from the customers app
(through the receivers) and go on the timeline of the cases they concern.
"""

import json
from decimal import Decimal

from django.db import connection, transaction
from django.db.models import Case, DecimalField, ExpressionWrapper, F, Value, When
from django.db.models.functions import Coalesce, Round
from django.utils import timezone
from django.utils.translation import gettext as _

from core.errors import ApplicationError, ErrorCode
from customers.models import Complaint
from renewals.models import CaseEvent, RenewalCase
from renewals.pricing import money
from renewals.services import _sql
from renewals.services._common import WRITE_BATCH

# An open complaint makes a case this much more urgent.
COMPLAINT_PRIORITY_FACTOR = Decimal("1.5")
# The churn risk (0-100) an unscored case counts at: a coin toss, between the model's bands.
UNSCORED_CHURN_RISK = 50
# Cases per ORM statement on the portable path (SQLite's limit on bound parameters).
PORTABLE_SCORE_BATCH = 500


def case_priority(*, expiring_premium: Decimal, churn_risk: int | None, has_open_complaint: bool) -> Decimal:
    """Expiring premium × churn risk / 100 (``UNSCORED_CHURN_RISK`` while unscored), × the complaint
    factor while the customer has an open complaint; rounded to the cent."""
    risk = UNSCORED_CHURN_RISK if churn_risk is None else churn_risk
    value = Decimal(expiring_premium) * Decimal(risk) / Decimal(100)
    if has_open_complaint:
        value *= COMPLAINT_PRIORITY_FACTOR
    return money(value)


def unscored_share() -> Decimal:
    """``UNSCORED_CHURN_RISK`` as a share, the parameter the opening SQL multiplies premiums by."""
    return Decimal(UNSCORED_CHURN_RISK) / Decimal(100)


def _priority_expression():
    """``case_priority`` as an ORM expression, for set-based updates."""
    money_field = DecimalField(max_digits=16, decimal_places=2)
    risk = Coalesce(F("churn_risk"), Value(UNSCORED_CHURN_RISK))
    factor = Case(
        When(has_open_complaint=True, then=Value(COMPLAINT_PRIORITY_FACTOR)),
        default=Value(Decimal(1)),
        output_field=money_field,
    )
    at_risk = ExpressionWrapper(F("expiring_premium") * risk / Value(Decimal(100)), money_field)
    return Round(ExpressionWrapper(at_risk * factor, money_field), 2, output_field=money_field)


@transaction.atomic
def cases_scores_clear() -> int:
    """Forget every open case's churn score and reasons and put its priority back on the unscored
    scale, set-based (a churn run that could not fit must not leave old scores ranking the queue).
    Answers the number of cases cleared."""
    scored = RenewalCase.objects.open().filter(churn_risk__isnull=False)
    ids = list(scored.select_for_update(of=("self",)).values_list("pk", flat=True))
    if not ids:
        return 0
    # Two statements: an UPDATE's SET expressions read the row as it was, so the priority must be
    # computed after the risk is gone.
    RenewalCase.objects.filter(pk__in=ids).update(churn_risk=None, churn_reasons=[])
    RenewalCase.objects.filter(pk__in=ids).update(priority=_priority_expression())
    return len(ids)


def cases_priority_recompute() -> int:
    """Recompute the priority of every open case from its premium, risk and complaint flag, set-based
    (after loading cases by other means than the opening scan, e.g. the demo book)."""
    return RenewalCase.objects.open().update(priority=_priority_expression())


@transaction.atomic
def cases_score_update(*, scores: dict[int, tuple[int, list[str]]]) -> int:
    """Set churn risk (0–100) and its top reasons per case id and recompute priority, set-based."""
    items = []
    for case_id, (risk, reasons) in scores.items():
        risk = int(risk)
        if not 0 <= risk <= 100:
            raise ApplicationError(
                _("Churn risk must be between 0 and 100."), field="churn_risk", code=ErrorCode.OUT_OF_RANGE
            )
        items.append((int(case_id), risk, list(reasons or [])))
    if not items:
        return 0
    if connection.vendor == "postgresql":
        return _scores_write_postgres(items)
    return _scores_write_portable(items)


def _scores_write_postgres(items: list[tuple[int, int, list[str]]]) -> int:
    """One UPDATE … FROM unnest per batch; the priority is computed in SQL."""
    updated = 0
    with connection.cursor() as cursor:
        for start in range(0, len(items), WRITE_BATCH):
            chunk = items[start : start + WRITE_BATCH]
            cursor.execute(
                _sql.SCORES_WRITE,
                [
                    COMPLAINT_PRIORITY_FACTOR,
                    [case_id for case_id, _r, _s in chunk],
                    [risk for _c, risk, _s in chunk],
                    [json.dumps(reasons) for _c, _r, reasons in chunk],
                ],
            )
            updated += cursor.rowcount
    return updated


def _scores_write_portable(items: list[tuple[int, int, list[str]]]) -> int:
    """Load, recompute with ``case_priority`` and ``bulk_update``, batch by batch."""
    by_id = {case_id: (risk, reasons) for case_id, risk, reasons in items}
    updated = 0
    for start in range(0, len(items), PORTABLE_SCORE_BATCH):
        chunk_ids = [case_id for case_id, _r, _s in items[start : start + PORTABLE_SCORE_BATCH]]
        cases = list(RenewalCase.objects.filter(pk__in=chunk_ids).only("pk", "expiring_premium", "has_open_complaint"))
        for case in cases:
            risk, reasons = by_id[case.pk]
            case.churn_risk = risk
            case.churn_reasons = reasons
            case.priority = case_priority(
                expiring_premium=case.expiring_premium, churn_risk=risk, has_open_complaint=case.has_open_complaint
            )
        RenewalCase.objects.bulk_update(cases, ["churn_risk", "churn_reasons", "priority"])
        updated += len(cases)
    return updated


def _complaint_cases(complaint) -> list[int]:
    if complaint.case_id:
        return [complaint.case_id]
    return list(RenewalCase.objects.open().filter(customer_id=complaint.customer_id).values_list("pk", flat=True))


@transaction.atomic
def cases_note_complaint(*, complaint, old_status: str | None = None, actor=None) -> int:
    """Put a complaint (logged or moved on) on the timeline of the customer's open cases and set
    the complaint flag that raises their priority while any complaint of the customer is open."""
    case_ids = _complaint_cases(complaint)
    if not case_ids:
        return 0
    customer_has_open = Complaint.objects.filter(
        customer_id=complaint.customer_id, status__in=[s.value for s in Complaint.OPEN_STATUSES]
    ).exists()
    RenewalCase.objects.open().filter(pk__in=case_ids).exclude(has_open_complaint=customer_has_open).update(
        has_open_complaint=customer_has_open
    )
    RenewalCase.objects.open().filter(pk__in=case_ids).update(priority=_priority_expression())
    payload = {
        "complaint_id": complaint.pk,
        "category": getattr(complaint.category, "code", ""),
        "severity": complaint.severity,
        "status": complaint.status,
    }
    if old_status:
        payload["old_status"] = old_status
    now = timezone.now()
    CaseEvent.objects.bulk_create(
        [
            CaseEvent(case_id=i, kind=CaseEvent.Kind.COMPLAINT, actor=actor, payload=payload, created_at=now)
            for i in case_ids
        ]
    )
    return len(case_ids)


@transaction.atomic
def case_note_survey(*, response) -> CaseEvent | None:
    if not response.case_id:
        return None
    return CaseEvent.objects.create(
        case_id=response.case_id,
        kind=CaseEvent.Kind.SURVEY,
        actor=response.recorded_by,
        payload={
            "score": response.score,
            "comment": response.comment,
            "channel": response.channel,
            "response_id": response.pk,
        },
    )
