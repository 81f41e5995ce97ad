"""The fact tables: one row per case, policy, complaint and NPS answer, as the rollups counted it.

A fact holds exactly what a source row contributes to the rollups: its day and month, its five
filter dimensions, its key columns (stage, lost reason, score, …) and its measures. The rollups are
sums of facts, so

- the full rebuild fills the facts from the raw rows (one ``INSERT … SELECT`` per table) and
  groups them into the finest grain of each rollup;
- the incremental refresh recomputes the facts of the rows that changed only, and adds
  ``new fact − old fact`` to exactly the rollup cells (at every grain) the row was or is in, with
  ``INSERT … ON CONFLICT DO UPDATE``; a cell whose count falls to zero is deleted, so the tables
  equal a full rebuild row for row.

See docs/analytics.md "How the rollups stay in step".
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass

from django.db import connection
from django.db.models import BooleanField, Case, DecimalField, ExpressionWrapper, F, IntegerField, Q, Value, When
from django.db.models.functions import Coalesce

from customers.models import Complaint, Customer, SurveyResponse
from renewals.models import DECIDED_STAGES, Policy, RenewalCase, Stage

from . import sources
from .models import CaseFact, ComplaintFact, PolicyFact, SurveyFact

DIMS = ("line_id", "region", "segment", "channel", "assignee_id")


def _dims():
    return {
        "f_line_id": F("d_line"),
        "f_region": F("d_region"),
        "f_segment": F("d_segment"),
        "f_channel": F("d_channel"),
        "f_assignee_id": F("d_assignee"),
    }


def _when(condition: Q, then, output_field):
    return Case(When(condition, then=then), default=Value(None), output_field=output_field)


def case_fact_rows():
    money = DecimalField(max_digits=18, decimal_places=2)
    return sources.case_rows().annotate(
        f_id=F("id"),
        **_dims(),
        f_due_date=F("due_date"),
        f_month=sources.local_month("due_date"),
        f_stage=F("stage"),
        f_lost_reason_id=F("lost_reason_id"),
        f_contacted=ExpressionWrapper(sources.REACHED_CONTACTED, output_field=BooleanField()),
        f_quoted=ExpressionWrapper(sources.REACHED_QUOTED, output_field=BooleanField()),
        f_expiring_premium=Coalesce(F("expiring_premium"), sources.ZERO_MONEY, output_field=money),
        f_successor_premium=Coalesce(F("successor_policy__premium"), sources.ZERO_MONEY, output_field=money),
        f_contact_days=_when(
            ~Q(stage=Stage.NOT_OFFERED) & Q(first_contact_at__isnull=False),
            sources.WholeDaysBetween("first_contact_at", "opened_at"),
            IntegerField(),
        ),
        f_cycle_days=_when(
            Q(stage__in=DECIDED_STAGES, closed_at__isnull=False),
            sources.WholeDaysBetween("closed_at", "opened_at"),
            IntegerField(),
        ),
    )


def policy_fact_rows():
    money = DecimalField(max_digits=18, decimal_places=2)
    premium = Coalesce(F("premium"), sources.ZERO_MONEY, output_field=money)
    return sources.policy_rows().annotate(
        f_id=F("id"),
        **_dims(),
        f_start_date=F("start_date"),
        f_out_of_force_on=F("out_of_force_on"),
        f_start_month=sources.local_month("start_date"),
        f_end_month=sources.local_month("out_of_force_on"),
        f_premium=premium,
        f_renewal_premium=Case(
            When(previous_policy__isnull=False, then=premium), default=sources.ZERO_MONEY, output_field=money
        ),
    )


def complaint_fact_rows():
    resolved = Q(resolved_at__isnull=False)
    return sources.complaint_rows().annotate(
        f_id=F("id"),
        **_dims(),
        f_received_at=F("received_at"),
        f_received_month=sources.local_month("received_at"),
        f_resolved_at=F("resolved_at"),
        f_resolved_month=sources.local_month("resolved_at"),
        f_category_id=F("category_id"),
        f_days=_when(resolved, sources.WholeDaysBetween("resolved_at", "received_at"), IntegerField()),
        f_within_sla=_when(
            resolved,
            Case(When(resolved_at__lte=F("sla_due_at"), then=Value(True)), default=Value(False)),
            BooleanField(),
        ),
        f_upheld=F("upheld"),
    )


def survey_fact_rows():
    return sources.survey_rows().annotate(
        f_id=F("id"),
        **_dims(),
        f_responded_at=F("responded_at"),
        f_month=sources.local_month("responded_at"),
        f_score=F("score"),
    )


@dataclass(frozen=True)
class Contribution:
    """What one fact adds to one rollup table: SQL expressions over the fact's columns."""

    month: str
    keys: dict  # rollup key column -> expression
    metrics: dict  # rollup metric column -> expression
    where: str = ""


@dataclass(frozen=True)
class FactKind:
    model: type
    rows: callable  # queryset of the raw rows annotated with f_<column>
    columns: tuple[str, ...]
    contributions: dict  # rollup model -> tuple[Contribution, ...]
    # The full rebuild writes the facts in this order, so the day-range reads of the KPI API
    # (analytics/selectors/days.py) find a run of days on neighbouring pages.
    day_column: str = ""


def _columns(model) -> tuple[str, ...]:
    return tuple(f.column for f in model._meta.concrete_fields)


def fact_kinds():
    from .models import (
        CaseDaysRollup,
        CaseRollup,
        ComplaintResolutionRollup,
        ComplaintRollup,
        PolicyRollup,
        SurveyRollup,
    )

    return (
        FactKind(
            CaseFact,
            case_fact_rows,
            _columns(CaseFact),
            {
                CaseRollup: (
                    Contribution(
                        "month",
                        {"stage": "stage", "lost_reason_id": "lost_reason_id"},
                        {
                            "cases": "1",
                            "contacted": "CAST(contacted AS integer)",
                            "quoted": "CAST(quoted AS integer)",
                            "expiring_premium": "expiring_premium",
                            "successor_premium": "successor_premium",
                        },
                    ),
                ),
                CaseDaysRollup: (
                    Contribution(
                        "month",
                        {"kind": f"'{CaseDaysRollup.Kind.FIRST_CONTACT.value}'", "days": "contact_days"},
                        {"cases": "1"},
                        "contact_days IS NOT NULL",
                    ),
                    Contribution(
                        "month",
                        {"kind": f"'{CaseDaysRollup.Kind.CYCLE.value}'", "days": "cycle_days"},
                        {"cases": "1"},
                        "cycle_days IS NOT NULL",
                    ),
                ),
            },
            "due_date",
        ),
        FactKind(
            PolicyFact,
            policy_fact_rows,
            _columns(PolicyFact),
            {
                PolicyRollup: (
                    Contribution(
                        "start_month",
                        {},
                        {
                            "starts": "1",
                            "ends": "0",
                            "start_premium": "premium",
                            "renewal_start_premium": "renewal_premium",
                        },
                    ),
                    Contribution(
                        "end_month",
                        {},
                        {
                            "starts": "0",
                            "ends": "1",
                            "start_premium": "CAST(0 AS numeric)",
                            "renewal_start_premium": "CAST(0 AS numeric)",
                        },
                    ),
                ),
            },
            "start_date",
        ),
        FactKind(
            ComplaintFact,
            complaint_fact_rows,
            _columns(ComplaintFact),
            {
                ComplaintRollup: (Contribution("received_month", {"category_id": "category_id"}, {"complaints": "1"}),),
                ComplaintResolutionRollup: (
                    Contribution(
                        "resolved_month",
                        {"days": "days", "within_sla": "within_sla", "upheld": "upheld"},
                        {"complaints": "1"},
                        "resolved_month IS NOT NULL",
                    ),
                ),
            },
            "received_at",
        ),
        FactKind(
            SurveyFact,
            survey_fact_rows,
            _columns(SurveyFact),
            {SurveyRollup: (Contribution("month", {"score": "score"}, {"responses": "1"}),)},
            "responded_at",
        ),
    )


def _quote(name: str) -> str:
    return connection.ops.quote_name(name)


def insert_facts(kind: FactKind, target: str, queryset, *, in_day_order: bool = False) -> None:
    """INSERT INTO ``target`` the fact columns of ``queryset`` (a ``kind.rows()`` queryset)."""
    aliases = [f"f_{column}" for column in kind.columns]
    inner_sql, params = queryset.values(*aliases).query.sql_with_params()
    order = f" ORDER BY src.{_quote('f_' + kind.day_column)}" if in_day_order and kind.day_column else ""
    sql = (
        f"INSERT INTO {target} ({', '.join(_quote(c) for c in kind.columns)}) "
        f"SELECT {', '.join('src.' + _quote(a) for a in aliases)} FROM ({inner_sql}) src{order}"
    )
    with connection.cursor() as cursor:
        cursor.execute(sql, params)


def contributions_sql(kind: FactKind, rollup, source: str, sign: int = 1) -> str:
    """One SELECT (UNION ALL of the contributions) of the rollup cells the facts in ``source`` fill,
    every metric multiplied by ``sign``; one row per fact and contribution."""
    parts = []
    for c in kind.contributions[rollup]:
        keys = [f"{expr} AS {_quote(column)}" for column, expr in c.keys.items()]
        metrics = [f"{sign} * ({expr}) AS {_quote(column)}" for column, expr in c.metrics.items()]
        where = f" WHERE {c.where}" if c.where else ""
        parts.append(
            f"SELECT {c.month} AS month, {', '.join(_quote(d) for d in DIMS)}"
            f"{''.join(', ' + k for k in keys)}, {', '.join(metrics)} FROM {source} f{where}"
        )
    return " UNION ALL ".join(parts)


def changed_ids(since: dt.datetime, last_survey_id: int) -> dict[type, list[int]]:
    """Per fact model, the ids of the source rows that may have changed since ``since``. Each
    alternative is its own query (one OR across joins would read the whole book with joins)."""

    def ids(*querysets) -> list[int]:
        found: set[int] = set()
        for queryset in querysets:
            found.update(queryset.order_by().values_list("id", flat=True))
        return sorted(found)

    customers = list(Customer.objects.filter(updated_at__gt=since).values_list("id", flat=True))
    policies = list(Policy.objects.filter(updated_at__gt=since).values_list("id", flat=True))
    own = (
        Q(updated_at__gt=since)
        | Q(opened_at__gt=since)
        | Q(closed_at__gt=since)
        | Q(first_contact_at__gt=since)
        | Q(quoted_at__gt=since)
    )
    case_ids = ids(
        RenewalCase.objects.filter(own),
        RenewalCase.objects.filter(customer_id__in=customers),
        RenewalCase.objects.filter(policy_id__in=policies),
        # the successor premium is a measure of the case
        RenewalCase.objects.filter(successor_policy_id__in=policies),
    )
    changed_cases = RenewalCase.objects.filter(id__in=case_ids)
    policy_ids = ids(
        Policy.objects.filter(Q(updated_at__gt=since) | Q(created_at__gt=since)),
        Policy.objects.filter(customer_id__in=customers),
        # a policy is attributed through the case that produced it, or its own renewal case
        Policy.objects.filter(id__in=changed_cases.values("policy_id")),
        Policy.objects.filter(id__in=changed_cases.values("successor_policy_id")),
    )
    complaint_ids = ids(
        Complaint.objects.filter(updated_at__gt=since),
        Complaint.objects.filter(customer_id__in=customers),
        Complaint.objects.filter(case_id__in=case_ids),
        Complaint.objects.filter(policy_id__in=policy_ids),
    )
    survey_ids = ids(
        SurveyResponse.objects.filter(pk__gt=last_survey_id),
        SurveyResponse.objects.filter(customer_id__in=customers),
        SurveyResponse.objects.filter(case_id__in=case_ids),
    )
    return {CaseFact: case_ids, PolicyFact: policy_ids, ComplaintFact: complaint_ids, SurveyFact: survey_ids}
