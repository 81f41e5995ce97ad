"""A case's priority in the queue: churn risk × premium at stake, raised by an open complaint.

Churn scores arrive set-based from analytics; complaints and survey answers from the customers app
(through the receivers) and go on the timeline of the cases they concern.
"""

import json
from decimal import Decimal

from django.db import connection, transaction
from django.db.models import Case, DecimalField, ExpressionWrapper, F, Value, When
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
# Cases per ORM statement on the portable path (SQLite's limit on bound parameters).
PORTABLE_SCORE_BATCH = 500


def case_priority(*, expiring_premium: Decimal, churn_risk: int | None, has_open_complaint: bool) -> Decimal:
    """Churn risk × premium at stake (the premium itself while unscored), raised by an open complaint."""
    value = Decimal(expiring_premium)
    if churn_risk is not None:
        value = value * Decimal(churn_risk) / Decimal(100)
    if has_open_complaint:
        value *= COMPLAINT_PRIORITY_FACTOR
    return money(value)


def _priority_expression():
    """``case_priority`` as an ORM expression, for set-based updates."""
    money_field = DecimalField(max_digits=16, decimal_places=2)
    at_stake = Case(
        When(churn_risk__isnull=True, then=F("expiring_premium")),
        default=ExpressionWrapper(F("expiring_premium") * F("churn_risk") / Value(Decimal(100)), money_field),
        output_field=money_field,
    )
    factor = Case(
        When(has_open_complaint=True, then=Value(COMPLAINT_PRIORITY_FACTOR)),
        default=Value(Decimal(1)),
        output_field=money_field,
    )
    return ExpressionWrapper(at_stake * factor, money_field)


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
