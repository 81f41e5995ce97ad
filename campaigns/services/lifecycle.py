"""The nightly lifecycle refresh: every customer's stage from their policies and cases, in one
statement family over the whole book, with each change kept as history (from, to, date).

Stages, first match wins (docs/campaigns.md):

- ``at_risk``: an open case with churn risk at least AT_RISK_CHURN, or an open complaint;
- ``renewing``: an open case;
- ``won_back``: in force through a new policy (no predecessor) started in the last year, after at
  least WON_BACK_GAP_DAYS with no policy in force;
- ``new``: in force, and the first policy started less than a year ago (its first term);
- ``active``: a policy in force;
- ``lapsed``: none in force, one ended within the line's dormant months (LineLifecycleSetting);
- ``dormant``: none in force for longer than that.

PostgreSQL updates the customers and writes the history in one statement (data-modifying CTEs);
other databases (the SQLite demo) read the same derivation and write in batches.
"""

import calendar
import datetime as dt

from django.db import connection, transaction
from django.utils.translation import gettext as _

from campaigns.models import DEFAULT_DORMANT_MONTHS, LifecycleChange, LineLifecycleSetting
from core.errors import ApplicationError, ErrorCode
from core.roles import Role, has_role
from customers.models import Complaint, Customer
from renewals.models import OPEN_STAGES, LineOfInsurance, SettingsChange

LifecycleStage = Customer.LifecycleStage
# An open case whose churn risk (0-100) is at least this makes the customer "at risk".
AT_RISK_CHURN = 60
# A new policy counts as a win-back when the customer had no policy in force for this many days
# before it started (a late renewal inside the grace period is not a win-back).
WON_BACK_GAP_DAYS = 30
# The portable path writes this many customers per UPDATE (ids in one IN list).
WRITE_BATCH = 5_000


def months_before(day: dt.date, months: int) -> dt.date:
    """The same day ``months`` calendar months earlier (the month's last day when it is shorter)."""
    index = day.year * 12 + day.month - 1 - months
    year, month = divmod(index, 12)
    month += 1
    return dt.date(year, month, min(day.day, calendar.monthrange(year, month)[1]))


def _quoted(values) -> str:
    return ", ".join(f"'{value}'" for value in values)


def _derivation_sql(line_count: int) -> str:
    """SELECT id, old_stage, stage for every customer (both vendors)."""
    cutoffs = " UNION ALL ".join(
        f"SELECT %(line_{index})s AS line_id, %(cutoff_{index})s AS cutoff" for index in range(line_count)
    )
    gap_day = (
        "np.start_date - %(gap_days)s"
        if connection.vendor == "postgresql"
        else "date(np.start_date, '-' || %(gap_days)s || ' days')"
    )
    stage = LifecycleStage
    # Only enum values and generated placeholder names are formatted in; every value is a parameter.
    return f"""
        SELECT cu.id, cu.lifecycle_stage AS old_stage,
               CASE
                 WHEN oc.customer_id IS NOT NULL AND (oc.risky = 1 OR oq.customer_id IS NOT NULL) THEN '{stage.AT_RISK}'
                 WHEN oc.customer_id IS NOT NULL THEN '{stage.RENEWING}'
                 WHEN pol.in_force = 1 AND wb.customer_id IS NOT NULL THEN '{stage.WON_BACK}'
                 WHEN pol.in_force = 1 AND pol.first_start > %(first_term_from)s THEN '{stage.NEW}'
                 WHEN pol.in_force = 1 THEN '{stage.ACTIVE}'
                 WHEN pol.recently_ended = 1 THEN '{stage.LAPSED}'
                 WHEN pol.ended = 1 THEN '{stage.DORMANT}'
                 ELSE ''
               END AS stage
        FROM customers_customer cu
        LEFT JOIN (
            SELECT p.customer_id,
                   MAX(CASE WHEN p.status <> 'cancelled' AND p.start_date <= %(on)s AND p.end_date >= %(on)s
                            THEN 1 ELSE 0 END) AS in_force,
                   MIN(CASE WHEN p.start_date <= %(on)s THEN p.start_date END) AS first_start,
                   MAX(CASE WHEN (p.end_date < %(on)s OR p.status = 'cancelled') AND p.end_date >= lc.cutoff
                            THEN 1 ELSE 0 END) AS recently_ended,
                   MAX(CASE WHEN p.end_date < %(on)s OR p.status = 'cancelled' THEN 1 ELSE 0 END) AS ended
            FROM renewals_policy p
            JOIN ({cutoffs}) lc ON lc.line_id = p.line_id
            WHERE p.start_date <= %(on)s
            GROUP BY p.customer_id
        ) pol ON pol.customer_id = cu.id
        LEFT JOIN (
            SELECT c.customer_id,
                   MAX(CASE WHEN c.churn_risk >= %(risk)s OR c.has_open_complaint THEN 1 ELSE 0 END) AS risky
            FROM renewals_renewalcase c
            WHERE c.stage IN ({_quoted(OPEN_STAGES)})
            GROUP BY c.customer_id
        ) oc ON oc.customer_id = cu.id
        LEFT JOIN (
            SELECT DISTINCT q.customer_id FROM customers_complaint q
            WHERE q.status IN ({_quoted(Complaint.OPEN_STATUSES)})
        ) oq ON oq.customer_id = cu.id
        LEFT JOIN (
            SELECT DISTINCT np.customer_id
            FROM renewals_policy np
            WHERE np.previous_policy_id IS NULL AND np.status <> 'cancelled'
              AND np.start_date <= %(on)s AND np.end_date >= %(on)s AND np.start_date > %(first_term_from)s
              AND EXISTS (
                  SELECT 1 FROM renewals_policy e WHERE e.customer_id = np.customer_id AND e.end_date < np.start_date
              )
              AND NOT EXISTS (
                  SELECT 1 FROM renewals_policy o
                  WHERE o.customer_id = np.customer_id AND o.id <> np.id AND o.status <> 'cancelled'
                    AND o.start_date < np.start_date AND o.end_date >= {gap_day}
              )
        ) wb ON wb.customer_id = cu.id
    """  # nosec B608


def _params(on_date: dt.date) -> tuple[dict, int]:
    months = dict(LineLifecycleSetting.objects.values_list("line_id", "dormant_after_months"))
    params: dict = {
        "on": on_date,
        "first_term_from": months_before(on_date, 12),
        "risk": AT_RISK_CHURN,
        "gap_days": WON_BACK_GAP_DAYS,
    }
    line_ids = list(LineOfInsurance.objects.order_by("id").values_list("id", flat=True))
    for index, line_id in enumerate(line_ids):
        params[f"line_{index}"] = line_id
        params[f"cutoff_{index}"] = months_before(on_date, months.get(line_id, DEFAULT_DORMANT_MONTHS))
    return params, len(line_ids)


_POSTGRES_REFRESH = """
    WITH derived AS ({derivation}),
    changed AS (
        UPDATE customers_customer cu SET lifecycle_stage = d.stage
        FROM derived d
        WHERE cu.id = d.id AND cu.lifecycle_stage <> d.stage
        RETURNING cu.id, d.old_stage, d.stage
    )
    INSERT INTO campaigns_lifecyclechange (customer_id, from_stage, to_stage, changed_on)
    SELECT id, old_stage, stage, %(on)s FROM changed WHERE stage <> ''
"""


def lifecycle_refresh(*, on_date: dt.date, set_based: bool | None = None) -> int:
    """Derive every customer's stage as of ``on_date``, store the changed ones and their history;
    returns how many customers changed stage. Idempotent: a second run for the same day and data
    changes nothing. ``set_based`` (default: on PostgreSQL) picks the one-statement form; the
    batched form is the SQLite demo's and gives the same result (tests run both)."""
    params, line_count = _params(on_date)
    if line_count == 0:
        return 0
    if set_based is None:
        set_based = connection.vendor == "postgresql"
    derivation = _derivation_sql(line_count)
    with transaction.atomic(), connection.cursor() as cursor:
        if set_based:
            cursor.execute(_POSTGRES_REFRESH.format(derivation=derivation), params)
            return max(cursor.rowcount, 0)
        changed = f"SELECT id, old_stage, stage FROM ({derivation}) x WHERE stage <> old_stage"  # nosec B608
        cursor.execute(changed, params)
        rows = cursor.fetchall()
    with transaction.atomic():
        by_stage: dict[str, list[int]] = {}
        for customer_id, _old, stage in rows:
            by_stage.setdefault(stage, []).append(customer_id)
        for stage, ids in by_stage.items():
            for start in range(0, len(ids), WRITE_BATCH):
                Customer.objects.filter(id__in=ids[start : start + WRITE_BATCH]).update(lifecycle_stage=stage)
        LifecycleChange.objects.bulk_create(
            [
                LifecycleChange(customer_id=customer_id, from_stage=old, to_stage=stage, changed_on=on_date)
                for customer_id, old, stage in rows
                if stage
            ],
            batch_size=WRITE_BATCH,
        )
    return len(rows)


@transaction.atomic
def lifecycle_setting_set(*, line_id: int, dormant_after_months: int, actor=None) -> LineLifecycleSetting:
    """A line's "dormant after N months" (1..120), audited in the settings log like every settings
    page (area "lifecycle"); ``actor`` must be a manager (None: a system job). The next nightly
    refresh applies it."""
    if actor is not None and not has_role(actor, Role.MANAGER):
        raise ApplicationError(_("Only managers change lifecycle settings."), code=ErrorCode.FORBIDDEN, status=403)
    if isinstance(dormant_after_months, bool) or not 1 <= dormant_after_months <= 120:
        raise ApplicationError(
            _("Dormant after (months): between 1 and 120."), field="dormant_after_months", code=ErrorCode.OUT_OF_RANGE
        )
    line = LineOfInsurance.objects.filter(pk=line_id).first()
    if line is None:
        raise ApplicationError(_("Unknown line."), field="line", code=ErrorCode.NOT_FOUND, status=404)
    current = LineLifecycleSetting.objects.select_for_update().filter(line_id=line_id).first()
    old = current.dormant_after_months if current is not None else DEFAULT_DORMANT_MONTHS
    setting, _created = LineLifecycleSetting.objects.update_or_create(
        line_id=line_id, defaults={"dormant_after_months": dormant_after_months}
    )
    if old != dormant_after_months:
        SettingsChange.objects.create(
            actor=actor,
            area="lifecycle",
            object_repr=line.code,
            changes={"dormant_after_months": [str(old), str(dormant_after_months)]},
        )
    return setting
